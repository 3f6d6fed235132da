import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { badRequest } from '../fhir/outcomes.ts';
import { storeFor } from '../fhir/routes.ts';
import {
  accessionCandidate,
  checkAbstract,
  listAbstracts,
  parseValues,
  readAbstract,
  saveAbstract,
} from './abstracts.ts';
import {
  CANDIDATE_STATUSES,
  dismissCandidate,
  listCandidates,
  syncRegistry,
  type CandidateStatus,
} from './casefinding.ts';
import { exportPeriod, importDocument, parsePeriod, periodCounts } from './exchange.ts';
import { followUpWorklist } from './follow-up.ts';
import { ITEMS, SECTIONS } from './naaccr-items.ts';
import { allCases } from './registry-tables.ts';

type Query = Record<string, string | undefined>;
type CaseParams = { patientId: string; caseId: string };

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const access = (action: 'read' | 'create' | 'update' | 'export') => ({
  config: { access: { resource: 'CancerRegistry', action } },
});

function patientIdOf(value: unknown, name = 'patient'): string {
  const id = typeof value === 'string' ? value.replace(/^Patient\//, '') : '';
  if (!ID.test(id)) throw badRequest(`${name} must be Patient/<id>`, [name]);
  return id;
}

function caseParams(params: CaseParams): CaseParams {
  if (!ID.test(params.caseId)) throw badRequest('caseId is not a valid id', ['caseId']);
  return { patientId: patientIdOf(params.patientId, 'patientId'), caseId: params.caseId };
}

function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === undefined) return {};
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('The body must be a JSON object');
  return body as Record<string, unknown>;
}

function statusesOf(raw: string | undefined): CandidateStatus[] {
  if (raw === undefined || raw === '') return ['new', 'review', 'matched'];
  const list = raw.split(',');
  for (const s of list)
    if (!(CANDIDATE_STATUSES as readonly string[]).includes(s))
      throw badRequest(`status must be any of ${CANDIDATE_STATUSES.join(', ')}`, ['status']);
  return list as CandidateStatus[];
}

/** HTTP adapters of the cancer registry: casefinding, abstracts, follow-up, NAACCR XML. */
export async function registerRegistryRoutes(app: FastifyInstance, deps: { db: Db }): Promise<void> {
  const { db } = deps;
  await app.register(async (scope) => {
    // NAACCR XML arrives as XML; only this module's routes read such bodies.
    scope.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_r, body, done) =>
      done(null, typeof body === 'string' ? body : body.toString('utf8')),
    );

    scope.get<{ Querystring: Query }>('/registry/casefinding', access('read'), async (request) => {
      // `_summary=count`: how many wait for a registrar's decision (the home page's tile).
      const counting = request.query._summary === 'count';
      const statuses = counting ? (['new', 'review'] as CandidateStatus[]) : statusesOf(request.query.status);
      await syncRegistry(db);
      const candidates = await listCandidates(storeFor(db, request), statuses);
      request.auditPatients = [...new Set(candidates.map((c) => c.patient.slice('Patient/'.length)))];
      return counting ? { total: candidates.length } : { candidates };
    });

    scope.post('/registry/casefinding/accession', access('create'), async (request, reply) => {
      const body = bodyOf(request);
      const patientId = patientIdOf(body.patient);
      if (typeof body.source !== 'string')
        throw badRequest('source must be Condition/<id> or DiagnosticReport/<id>', ['source']);
      request.auditPatients = [patientId];
      return reply.code(201).send(await accessionCandidate(storeFor(db, request), patientId, body.source));
    });

    scope.post('/registry/casefinding/dismiss', access('update'), async (request) => {
      const body = bodyOf(request);
      const patientId = patientIdOf(body.patient);
      if (typeof body.source !== 'string')
        throw badRequest('source must be Condition/<id> or DiagnosticReport/<id>', ['source']);
      request.auditPatients = [patientId];
      await dismissCandidate(storeFor(db, request), patientId, body.source);
      return { dismissed: body.source };
    });

    scope.get('/registry/items', access('read'), async () => ({
      sections: SECTIONS,
      items: ITEMS.map((i) => ({ ...i, format: i.format === 'date' ? 'date' : i.format.source })),
    }));

    scope.get<{ Querystring: Query }>('/registry/abstracts', access('read'), async (request) => {
      const status = request.query.status ?? 'all';
      if (!['open', 'complete', 'all'].includes(status))
        throw badRequest('status must be open, complete or all', ['status']);
      const cases = await allCases(db, status === 'all' ? undefined : (status as 'open' | 'complete'));
      const abstracts = await listAbstracts(storeFor(db, request), cases);
      request.auditPatients = [...new Set(abstracts.map((a) => a.patient.slice('Patient/'.length)))];
      return { abstracts };
    });

    scope.get<{ Params: CaseParams }>(
      '/registry/abstracts/:patientId/:caseId',
      access('read'),
      async (request) => {
        const p = caseParams(request.params);
        request.auditPatients = [p.patientId];
        return readAbstract(storeFor(db, request), p.patientId, p.caseId);
      },
    );

    scope.put<{ Params: CaseParams }>(
      '/registry/abstracts/:patientId/:caseId',
      access('update'),
      async (request) => {
        const p = caseParams(request.params);
        request.auditPatients = [p.patientId];
        const values = parseValues(bodyOf(request).values);
        return saveAbstract(storeFor(db, request), p.patientId, p.caseId, values);
      },
    );

    scope.post<{ Params: CaseParams }>(
      '/registry/abstracts/:patientId/:caseId/edits',
      access('read'),
      async (request) => {
        const p = caseParams(request.params);
        request.auditPatients = [p.patientId];
        const values = parseValues(bodyOf(request).values);
        return { edits: await checkAbstract(storeFor(db, request), p.patientId, p.caseId, values) };
      },
    );

    scope.post<{ Params: CaseParams }>(
      '/registry/abstracts/:patientId/:caseId/complete',
      access('update'),
      async (request) => {
        const p = caseParams(request.params);
        request.auditPatients = [p.patientId];
        const store = storeFor(db, request);
        const sent = bodyOf(request).values;
        const values =
          sent === undefined ? (await readAbstract(store, p.patientId, p.caseId)).values : parseValues(sent);
        return saveAbstract(store, p.patientId, p.caseId, values, { complete: true });
      },
    );

    scope.get('/registry/follow-up', access('read'), async (request) => {
      await syncRegistry(db);
      const list = await followUpWorklist(storeFor(db, request));
      request.auditPatients = list.due.map((d) => d.patient.slice('Patient/'.length));
      return list;
    });

    scope.get<{ Querystring: Query }>('/registry/export/counts', access('read'), async (request) =>
      periodCounts(storeFor(db, request), parsePeriod(request.query.from, request.query.to)),
    );

    scope.get<{ Querystring: Query }>('/registry/export', access('export'), async (request, reply) => {
      const period = parsePeriod(request.query.from, request.query.to);
      const { xml, patientIds } = await exportPeriod(storeFor(db, request), period);
      request.auditPatients = patientIds;
      return reply
        .type('application/xml; charset=utf-8')
        .header('content-disposition', `attachment; filename="naaccr-${period.from}-${period.to}.xml"`)
        .send(xml);
    });

    scope.post('/registry/import', access('create'), async (request, reply) => {
      if (typeof request.body !== 'string')
        throw badRequest('Send the NAACCR XML document as application/xml');
      return reply.code(200).send(await importDocument(storeFor(db, request), request.body));
    });
  });
}
