import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Action } from '../shared/index.ts';
import type { Db } from '../db/index.ts';
import { badRequest, conflict } from '../fhir/outcomes.ts';
import { storeFor } from '../fhir/routes.ts';
import { denialLetterPdf } from './amendment-letter.ts';
import {
  acceptAmendment,
  createAmendment,
  denyAmendment,
  extendAmendment,
  fileDisagreement,
  fileRebuttal,
  getAmendment,
  isAmendmentFilter,
  listAmendments,
  routeAmendment,
  type AmendmentView,
} from './amendments.ts';
import { today } from './legal-clock.ts';

type Params = { id: string };
type Query = Record<string, string | undefined>;

/**
 * Amendment requests: pseudo-resource `Amendment` (src/shared/policy.ts: HIM and ROI staff
 * handle them, the author decides); the server's hooks authorise and audit every call naming
 * the patient, and the store audits each record read or written under the caller's name.
 */
const access = (action: Action) => ({ config: { access: { resource: 'Amendment', action } } });

export function registerAmendmentRoutes(app: FastifyInstance, db: Db): void {
  const options = () => ({ asOf: today() });
  const answer = (req: FastifyRequest, a: AmendmentView): AmendmentView => {
    req.auditPatients = [a.patient.id];
    return a;
  };

  app.post('/disclosure/amendments', access('create'), async (req, reply) => {
    const created = await createAmendment(storeFor(db, req), req.body, options());
    reply.code(201).header('Location', `/disclosure/amendments/${created.id}`);
    return answer(req, created);
  });

  app.get<{ Querystring: Query }>('/disclosure/amendments', access('search'), async (req) => {
    const status = req.query.status || 'open';
    if (!isAmendmentFilter(status)) throw badRequest(`'status' must be open, all or a status`, ['status']);
    const patient = req.query.patient?.replace(/^Patient\//, '');
    if (patient !== undefined && !/^[A-Za-z0-9\-.]{1,64}$/.test(patient))
      throw badRequest(`'patient' must be a patient id`, ['patient']);
    const result = await listAmendments(
      storeFor(db, req),
      { status, ...(patient ? { patientId: patient } : {}) },
      options(),
    );
    req.auditPatients = [...new Set(result.amendments.map((a) => a.patient.id))];
    return result;
  });

  app.get<{ Params: Params }>('/disclosure/amendments/:id', access('read'), async (req) =>
    answer(req, await getAmendment(storeFor(db, req), req.params.id, options())),
  );

  const steps = {
    extend: extendAmendment,
    route: routeAmendment,
    accept: acceptAmendment,
    deny: denyAmendment,
    disagreement: fileDisagreement,
    rebuttal: fileRebuttal,
  } as const;
  for (const [step, work] of Object.entries(steps))
    app.post<{ Params: Params }>(`/disclosure/amendments/:id/${step}`, access('update'), async (req) =>
      answer(req, await work(storeFor(db, req), req.params.id, req.body, options())),
    );

  app.get<{ Params: Params }>('/disclosure/amendments/:id/letter', access('read'), async (req, reply) => {
    const amendment = answer(req, await getAmendment(storeFor(db, req), req.params.id, options()));
    if (amendment.status !== 'denied') throw conflict('Only a denied request has a denial letter');
    return reply
      .type('application/pdf')
      .header('Content-Disposition', `inline; filename="amendment-denial-${amendment.id}.pdf"`)
      .send(await denialLetterPdf(amendment));
  });
}
