import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { importFiles, listImportFiles } from '../bulk/index.ts';
import { codeSetsLoaded, loadCodeSets } from '../coding/index.ts';
import type { Db } from '../db/index.ts';
import { badRequest, conflict, forbidden, unauthorized } from '../fhir/outcomes.ts';
import type { RequestContext } from '../fhir/request-context.ts';
import { reindexSearch } from '../fhir/reindex.ts';
import { FhirStore } from '../fhir/store.ts';
import { dumpEmbedded } from './embedded-backup.ts';
import { OPERATOR_TOKEN_ID } from './operator.ts';

type Action = 'create' | 'update' | 'export';
const operations = (action: Action) => ({ access: { resource: 'Operations', action } });

/**
 * The operator's own context with the system role for work on records, as the command line has
 * when it opens the database itself (src/cli/context.ts): an import may rewrite labelled records.
 */
function operatorContext(request: FastifyRequest): RequestContext {
  const ctx = request.ctx;
  if (!ctx) throw unauthorized();
  if (ctx.tokenId !== OPERATOR_TOKEN_ID)
    throw forbidden(
      "Operations are for the custodian command on the server's machine (it presents the key the server " +
        'writes to operator.json in its data folder), not for user sessions',
    );
  return { ...ctx, role: 'system' };
}

/** Absolute paths of the server's own machine: the operator runs beside it. */
function paths(body: unknown): string[] {
  const list = (body as { paths?: unknown } | undefined)?.paths;
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string' && isAbsolute(p)))
    throw badRequest('paths must be a non-empty list of absolute file or folder paths');
  return list as string[];
}

/**
 * Work the `custodian` command hands to the running server instead of opening the embedded
 * database itself (one owner of the folder): import, reindex, code set loading, backup. User
 * administration and audit verification use the server's ordinary routes (/admin/users,
 * /audit/verify). Only the local operator may call these (operator.ts); the onSend hook audits
 * every call, refused ones included.
 */
export function registerOperationsRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;

  app.get('/operations/backup', { config: operations('export') }, async (request, reply) => {
    operatorContext(request);
    if (db.dialect !== 'pglite')
      throw conflict(
        'This server uses a PostgreSQL server: `custodian backup` runs pg_dump against it directly',
      );
    const bytes = await dumpEmbedded(db);
    return reply.type('application/octet-stream').send(bytes);
  });

  app.post('/operations/import', { config: operations('create') }, async (request) => {
    const ctx = operatorContext(request);
    const wanted = paths(request.body);
    // A missing path is the caller's mistake, named before anything is imported.
    await listImportFiles(wanted).catch((err: unknown) => {
      throw badRequest((err as Error).message);
    });
    return importFiles(new FhirStore(db, ctx), wanted);
  });

  app.post('/operations/reindex', { config: operations('update') }, async (request) => {
    const ctx = operatorContext(request);
    const type = (request.body as { type?: unknown } | undefined)?.type;
    if (type !== undefined && typeof type !== 'string') throw badRequest('type must be a resource type');
    return reindexSearch(db, ctx, { type });
  });

  app.post('/operations/codes/load', { config: operations('update') }, async (request) => {
    operatorContext(request);
    const wanted = paths(request.body);
    for (const p of wanted)
      if (!(await stat(p).catch(() => undefined))) throw badRequest(`No such file or folder: ${p}`);
    const reports = [];
    for (const p of wanted) reports.push({ path: p, ...(await loadCodeSets(db, p)) });
    return { reports, loaded: await codeSetsLoaded(db) };
  });
}
