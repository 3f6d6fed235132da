import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { badRequest, outcome, unauthorized } from '../fhir/outcomes.ts';
import { FHIR_BASE, FHIR_JSON, storeFor } from '../fhir/routes.ts';
import { checkExportRequest } from './export.ts';
import {
  createExportJob,
  deleteExpiredExports,
  deleteExportJob,
  ExportRunner,
  filePieces,
  hasStalled,
  jobFiles,
  ownJob,
  type ExportJob,
} from './export-jobs.ts';
import { parametersPairs, parseExportRequest, type ExportRequest } from './export-request.ts';

/** Where status and files are answered: outside /fhir/R4, whose routes speak FHIR JSON only. */
export const EXPORT_STATUS_BASE = '/bulk/export';

/** The right to kick off an export and fetch its output (src/shared/policy.ts). */
const access = { config: { access: { resource: 'BulkData', action: 'export' as const } } };

const runners = new WeakMap<FastifyInstance, ExportRunner>();

/** The app's export runner (tests wait on `settled(jobId)` rather than on the clock). */
export function exportRunnerOf(app: FastifyInstance): ExportRunner {
  const runner = runners.get(app);
  if (!runner) throw new Error('Bulk export routes are not registered on this app');
  return runner;
}

const origin = (request: FastifyRequest): string => `${request.protocol}://${request.host}`;

function queryPairs(request: FastifyRequest): Array<[string, string]> {
  const i = request.url.indexOf('?');
  return [...new URLSearchParams(i >= 0 ? request.url.slice(i + 1) : '')];
}

/**
 * Bulk Data `$export` (FHIR Bulk Data Access IG 2.0): kick-off at the system, `Patient` and
 * `Group/[id]` levels (GET with the query, or POST with Parameters), status polling, the NDJSON
 * files, and cancelling. Only the user who kicked a job off sees its status and files; the
 * export runs under the access that user had, each page checked and audited by the store.
 */
export function registerBulkExportRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;
  const runner = new ExportRunner(db);
  runners.set(app, runner);
  // Expired output is deleted as time passes, not only when someone next asks.
  const sweep = setInterval(() => void deleteExpiredExports(db).catch(() => undefined), 10 * 60_000);
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await runner.stop();
  });

  const kickOff =
    (level: ExportRequest['level']) =>
    async (request: FastifyRequest<{ Params: { id?: string } }>, reply: FastifyReply) => {
      if (!request.ctx) throw unauthorized();
      const prefer = String(request.headers.prefer ?? '');
      if (!/respond-async/i.test(prefer))
        throw badRequest('A bulk export runs asynchronously: send the header Prefer: respond-async');
      const lenient = /handling\s*=\s*lenient/i.test(prefer);
      const pairs = request.method === 'POST' ? parametersPairs(request.body) : queryPairs(request);
      const exportRequest = parseExportRequest(level, pairs, {
        lenient,
        ...(request.params.id !== undefined ? { groupId: request.params.id } : {}),
      });
      if (level === 'group' && !/^[A-Za-z0-9\-.]{1,64}$/.test(request.params.id ?? ''))
        throw badRequest(`Invalid Group id '${request.params.id ?? ''}'`);
      await checkExportRequest(storeFor(db, request), exportRequest);
      await deleteExpiredExports(db);
      const job = await createExportJob(db, request.ctx, exportRequest, `${origin(request)}${request.url}`);
      runner.start(job);
      return reply
        .code(202)
        .header('Content-Location', `${origin(request)}${EXPORT_STATUS_BASE}/${job.id}`)
        .type(FHIR_JSON)
        .send(
          outcome('information', 'informational', `Export ${job.id} accepted; poll its Content-Location`),
        );
    };

  for (const method of ['GET', 'POST'] as const) {
    app.route({ method, url: `${FHIR_BASE}/$export`, ...access, handler: kickOff('system') });
    app.route({ method, url: `${FHIR_BASE}/Patient/$export`, ...access, handler: kickOff('patient') });
    app.route({ method, url: `${FHIR_BASE}/Group/:id/$export`, ...access, handler: kickOff('group') });
  }

  app.get<{ Params: { id: string } }>(`${EXPORT_STATUS_BASE}/:id`, access, async (request, reply) => {
    if (!request.ctx) throw unauthorized();
    const job = await ownJob(db, request.ctx, request.params.id);
    return statusAnswer(db, job, origin(request), reply);
  });

  app.delete<{ Params: { id: string } }>(`${EXPORT_STATUS_BASE}/:id`, access, async (request, reply) => {
    if (!request.ctx) throw unauthorized();
    const job = await ownJob(db, request.ctx, request.params.id);
    await deleteExportJob(db, job.id);
    return reply
      .code(202)
      .type(FHIR_JSON)
      .send(outcome('information', 'informational', `Export ${job.id} cancelled and its files deleted`));
  });

  app.get<{ Params: { id: string; file: string } }>(
    `${EXPORT_STATUS_BASE}/:id/files/:file`,
    access,
    async (request, reply) => {
      if (!request.ctx) throw unauthorized();
      const job = await ownJob(db, request.ctx, request.params.id);
      const fileNo = /^(\d{1,6})\.ndjson$/.exec(request.params.file)?.[1];
      const file = (await jobFiles(db, job.id)).find((f) => String(f.fileNo) === fileNo);
      if (job.status !== 'complete' || !file)
        return reply
          .code(404)
          .type(FHIR_JSON)
          .send(outcome('error', 'not-found', `No file '${request.params.file}' in export ${job.id}`));
      return reply
        .type('application/fhir+ndjson')
        .header('Content-Disposition', `attachment; filename="${file.type}-${file.fileNo}.ndjson"`)
        .send(Readable.from(filePieces(db, job.id, file.fileNo)));
    },
  );
}

/**
 * The status of a job as the IG words it: 202 with `X-Progress` while it runs, 200 with the
 * manifest when complete (with `Expires`), an OperationOutcome when it failed.
 */
async function statusAnswer(
  db: Db,
  job: ExportJob,
  base: string,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (hasStalled(job))
    return reply
      .code(500)
      .type(FHIR_JSON)
      .send(
        outcome('error', 'incomplete', 'The export stopped moving (its server stopped); kick it off again'),
      );
  if (job.status === 'in-progress')
    return reply.code(202).header('X-Progress', job.progress).header('Retry-After', '2').send();
  if (job.status === 'error')
    return reply
      .code(500)
      .type(FHIR_JSON)
      .send(outcome('error', 'exception', `The export failed: ${job.error ?? 'unknown reason'}`));
  const files = await jobFiles(db, job.id);
  if (job.expiresAt) reply.header('Expires', new Date(job.expiresAt).toUTCString());
  return reply
    .code(200)
    .type('application/json')
    .send({
      transactionTime: job.transactionTime,
      request: job.requestUrl,
      requiresAccessToken: true,
      output: files.map((f) => ({
        type: f.type,
        url: `${base}${EXPORT_STATUS_BASE}/${job.id}/files/${f.fileNo}.ndjson`,
        count: f.count,
      })),
      error: [],
    });
}
