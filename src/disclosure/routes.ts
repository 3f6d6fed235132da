import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Action } from '../shared/index.ts';
import type { Db } from '../db/index.ts';
import { badRequest } from '../fhir/outcomes.ts';
import { storeFor } from '../fhir/routes.ts';
import { HIPAA_CLOCK, today, type ClockRules } from './legal-clock.ts';
import {
  attachAuthorization,
  closeRequest,
  createRequest,
  denyRequest,
  extendRequest,
  getRequest,
  listRequests,
  reviewRequest,
  type QueueFilter,
  type QueueSelection,
  type ReleaseRequest,
  type WorkflowOptions,
} from './requests.ts';
import { isRequestStatus } from './terms.ts';
import { packetOf, previewRelease, releaseRequest, type ReleaseOptions } from './release.ts';
import type { FeeRules } from './fees.ts';
import { accountingCsv, accountingOf, accountingPdf, recordDisclosure } from './accounting.ts';
import { isCalendarDate } from './legal-clock.ts';
import { registerAmendmentRoutes } from './amendment-routes.ts';

export interface DisclosureDeps {
  db: Db;
  /** The legal clock (HIPAA by default; `clockRulesFor(state)` for a state's stricter rules). */
  clock?: ClockRules;
  /** Fee rules (DEFAULT_FEES by default). */
  fees?: FeeRules;
}

type Params = { id: string };
type Query = Record<string, string | undefined>;

/**
 * Every route declares the `Disclosure` pseudo-resource (src/shared/policy.ts: the ROI roles
 * only); the server's hooks authenticate, authorise and audit each call, naming the patient it
 * touched, and the store audits each record it reads or writes under the caller's name.
 */
const access = (action: Action) => ({ config: { access: { resource: 'Disclosure', action } } });

export function registerDisclosureRoutes(app: FastifyInstance, deps: DisclosureDeps): void {
  const { db } = deps;
  const options = (): WorkflowOptions & ReleaseOptions => ({
    clock: deps.clock ?? HIPAA_CLOCK,
    asOf: today(),
    ...(deps.fees ? { fees: deps.fees } : {}),
  });
  const answer = (req: FastifyRequest, request: ReleaseRequest): ReleaseRequest => {
    req.auditPatients = [request.patient.id];
    return request;
  };

  app.post('/disclosure/requests', access('create'), async (req, reply) => {
    const created = await createRequest(storeFor(db, req), req.body, options());
    reply.code(201).header('Location', `/disclosure/requests/${created.id}`);
    return answer(req, created);
  });

  app.get<{ Querystring: Query }>('/disclosure/requests', access('search'), async (req) => {
    const status = parseQueueFilter(req.query.status);
    const patient = req.query.patient?.replace(/^Patient\//, '');
    if (patient !== undefined && !/^[A-Za-z0-9\-.]{1,64}$/.test(patient))
      throw badRequest(`'patient' must be a patient id`, ['patient']);
    const summary = req.query._summary;
    if (summary !== undefined && summary !== 'count')
      throw badRequest('_summary may only be count', ['_summary']);
    const result = await listRequests(
      storeFor(db, req),
      { status, ...(patient ? { patientId: patient } : {}), ...parseQueueNarrowing(req.query) },
      options(),
    );
    req.auditPatients = [...new Set(result.requests.map((r) => r.patient.id))];
    if (summary === 'count') return { total: result.total };
    return result;
  });

  app.get<{ Params: Params }>('/disclosure/requests/:id', access('read'), async (req) =>
    answer(req, await getRequest(storeFor(db, req), req.params.id, options())),
  );

  app.post<{ Params: Params }>('/disclosure/requests/:id/authorization', access('update'), async (req) =>
    answer(req, await attachAuthorization(storeFor(db, req), req.params.id, req.body, options())),
  );

  app.post<{ Params: Params }>('/disclosure/requests/:id/review', access('update'), async (req) =>
    answer(req, await reviewRequest(storeFor(db, req), req.params.id, req.body, options())),
  );

  app.post<{ Params: Params }>('/disclosure/requests/:id/extend', access('update'), async (req) =>
    answer(req, await extendRequest(storeFor(db, req), req.params.id, req.body, options())),
  );

  app.post<{ Params: Params }>('/disclosure/requests/:id/deny', access('update'), async (req) =>
    answer(req, await denyRequest(storeFor(db, req), req.params.id, req.body, options())),
  );

  app.get<{ Params: Params }>('/disclosure/requests/:id/preview', access('read'), async (req) => {
    const preview = await previewRelease(db, storeFor(db, req), req.params.id, options());
    req.auditPatients = preview.patientId ? [preview.patientId] : [];
    return preview;
  });

  app.get<{ Params: Params }>('/disclosure/requests/:id/packet', access('read'), async (req, reply) => {
    const packet = await packetOf(db, storeFor(db, req), req.params.id, options());
    req.auditPatients = [packet.patientId];
    const name = `release-${req.params.id}${packet.draft ? '-draft' : ''}.pdf`;
    return reply
      .type('application/pdf')
      .header('Content-Disposition', `inline; filename="${name}"`)
      .send(packet.pdf);
  });

  app.get<{ Params: Params }>('/disclosure/requests/:id/bundle', access('read'), async (req, reply) => {
    const packet = await packetOf(db, storeFor(db, req), req.params.id, options());
    req.auditPatients = [packet.patientId];
    return reply.type('application/fhir+json; charset=utf-8').send(packet.bundle);
  });

  app.post<{ Params: Params }>('/disclosure/requests/:id/release', access('disclose'), async (req) => {
    const result = await releaseRequest(db, storeFor(db, req), req.params.id, options());
    req.auditPatients = [result.patientId];
    return result;
  });

  app.get<{ Querystring: Query }>('/disclosure/accounting', access('read'), async (req, reply) => {
    const patient = req.query.patient?.replace(/^Patient\//, '') ?? '';
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(patient))
      throw badRequest(`'patient' must be a patient id`, ['patient']);
    const asOf = req.query.asOf ?? today();
    if (!isCalendarDate(asOf)) throw badRequest(`'asOf' must be a date written YYYY-MM-DD`, ['asOf']);
    if (req.query.format && !['json', 'pdf', 'csv'].includes(req.query.format))
      throw badRequest(`'format' must be json, pdf or csv`, ['format']);
    req.auditPatients = [patient];
    const accounting = await accountingOf(db, storeFor(db, req), patient, asOf);
    if (wants(req, 'pdf'))
      return reply
        .type('application/pdf')
        .header('Content-Disposition', `inline; filename="accounting-${patient}.pdf"`)
        .send(await accountingPdf(accounting));
    if (wants(req, 'csv'))
      return reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="accounting-${patient}.csv"`)
        .send(accountingCsv(accounting));
    return accounting;
  });

  app.post('/disclosure/disclosures', access('disclose'), async (req, reply) => {
    const recorded = await recordDisclosure(db, storeFor(db, req), req.body, today());
    req.auditPatients = [recorded.patientId];
    return reply.code(201).send(recorded);
  });

  app.post<{ Params: Params }>('/disclosure/requests/:id/close', access('update'), async (req) =>
    answer(req, await closeRequest(storeFor(db, req), req.params.id, req.body, options())),
  );

  registerAmendmentRoutes(app, db);
}

function wants(req: FastifyRequest, type: 'pdf' | 'csv'): boolean {
  const format = (req.query as Query).format;
  if (format) return format === type;
  return (req.headers.accept ?? '').includes(type === 'pdf' ? 'application/pdf' : 'text/csv');
}

function parseQueueFilter(value: string | undefined): QueueFilter {
  if (value === undefined || value === '' || value === 'open') return 'open';
  if (value === 'all' || isRequestStatus(value)) return value;
  throw badRequest(`'status' must be open, all or a request status`, ['status']);
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The dashboards' narrowing of the queue: `received` / `released` month and `late=true`. */
function parseQueueNarrowing(query: Query): Omit<QueueSelection, 'status' | 'patientId'> {
  const month = (name: 'received' | 'released'): string | undefined => {
    const value = query[name];
    if (value === undefined || value === '') return undefined;
    if (!MONTH.test(value)) throw badRequest(`'${name}' must be a month (YYYY-MM)`, [name]);
    return value;
  };
  const late = query.late;
  if (late !== undefined && late !== '' && late !== 'true' && late !== 'false')
    throw badRequest(`'late' must be true or false`, ['late']);
  const receivedMonth = month('received');
  const releasedMonth = month('released');
  return {
    ...(receivedMonth ? { receivedMonth } : {}),
    ...(releasedMonth ? { releasedMonth } : {}),
    ...(late === 'true' ? { late: true } : {}),
  };
}
