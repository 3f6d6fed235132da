import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/index.ts';
import { isCalendarDate, today } from '../disclosure/index.ts';
import { badRequest } from '../fhir/outcomes.ts';
import { storeFor } from '../fhir/routes.ts';
import type { Action } from '../shared/index.ts';
import {
  approveRun,
  certificateOf,
  destroyRun,
  dueCharts,
  getRun,
  listRuns,
  proposeRun,
} from './destruction-runs.ts';
import { registerHoldGuard } from './hold-guard.ts';
import { listHolds, placeHold, releaseHold } from './holds.ts';
import { patientRetention } from './patient-retention.ts';
import { loadRules, parseRules, saveRules } from './rules.ts';

type Params = { id: string };
type Query = Record<string, string | undefined>;

/**
 * Retention routes, each under a pseudo-resource of src/shared/policy.ts: `Retention` (the
 * schedule and patients' end dates), `LegalHold`, `DestructionRun` (proposed, approved by a
 * second person, destroyed). The server's hooks authorise and audit each call naming its
 * patients; the store audits the reads and the destruction itself.
 */
const access = (resource: string, action: Action) => ({ config: { access: { resource, action } } });

const patientIdOf = (value: string | undefined, name: string): string => {
  const id = value?.replace(/^Patient\//, '') ?? '';
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) throw badRequest(`'${name}' must be a patient id`, [name]);
  return id;
};

const asOfOf = (value: unknown): string => {
  if (value === undefined || value === null || value === '') return today();
  if (!isCalendarDate(value)) throw badRequest(`'asOf' must be a date written YYYY-MM-DD`, ['asOf']);
  return value;
};

export function registerRetentionRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;
  registerHoldGuard(app, db);

  app.get('/retention/rules', access('Retention', 'read'), async () => ({ rules: await loadRules(db) }));

  app.put('/retention/rules', access('Retention', 'update'), async (req) => {
    const rules = parseRules(req.body);
    await db.transaction((tx) => saveRules(tx, rules));
    return { rules: await loadRules(db) };
  });

  app.get<{ Params: Params }>('/retention/patients/:id', access('Retention', 'read'), async (req) => {
    const id = patientIdOf(req.params.id, 'id');
    req.auditPatients = [id];
    const retention = await patientRetention(storeFor(db, req), id, await loadRules(db));
    return { ...retention, holds: await listHolds(db, { patientId: id }) };
  });

  app.post('/retention/holds', access('LegalHold', 'create'), async (req, reply) => {
    const hold = await placeHold(storeFor(db, req), req.body);
    req.auditPatients = [hold.patientId];
    return reply.code(201).header('Location', `/retention/holds/${hold.id}`).send(hold);
  });

  app.get<{ Querystring: Query }>('/retention/holds', access('LegalHold', 'search'), async (req) => {
    const patientId = req.query.patient === undefined ? undefined : patientIdOf(req.query.patient, 'patient');
    const holds = await listHolds(db, {
      ...(patientId ? { patientId } : {}),
      all: req.query.status === 'all',
    });
    req.auditPatients = [...new Set(holds.map((h) => h.patientId))];
    return { holds };
  });

  app.delete<{ Params: Params }>('/retention/holds/:id', access('LegalHold', 'update'), async (req) => {
    const hold = await releaseHold(storeFor(db, req), req.params.id, req.body);
    req.auditPatients = [hold.patientId];
    return hold;
  });

  app.get<{ Querystring: Query }>('/retention/due', access('DestructionRun', 'read'), async (req) => {
    const due = await dueCharts(storeFor(db, req), asOfOf(req.query.asOf));
    req.auditPatients = due.map((d) => d.patientId);
    return { due };
  });

  app.post('/retention/destruction-runs', access('DestructionRun', 'create'), async (req, reply) => {
    const body = (req.body ?? {}) as { asOf?: unknown };
    if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a JSON object');
    const run = await proposeRun(storeFor(db, req), asOfOf(body.asOf));
    req.auditPatients = run.items.map((i) => i.patientId);
    return reply.code(201).header('Location', `/retention/destruction-runs/${run.id}`).send(run);
  });

  app.get('/retention/destruction-runs', access('DestructionRun', 'search'), async (req) => {
    const runs = await listRuns(db);
    req.auditPatients = [...new Set(runs.flatMap((r) => r.items.map((i) => i.patientId)))];
    return { runs };
  });

  app.get<{ Params: Params }>(
    '/retention/destruction-runs/:id',
    access('DestructionRun', 'read'),
    async (req) => {
      const run = await getRun(db, req.params.id);
      req.auditPatients = run.items.map((i) => i.patientId);
      return run;
    },
  );

  app.post<{ Params: Params }>(
    '/retention/destruction-runs/:id/approve',
    access('DestructionRun', 'update'),
    async (req) => {
      const run = await approveRun(storeFor(db, req), req.params.id);
      req.auditPatients = run.items.map((i) => i.patientId);
      return run;
    },
  );

  app.post<{ Params: Params }>(
    '/retention/destruction-runs/:id/destroy',
    access('DestructionRun', 'delete'),
    async (req) => {
      const run = await destroyRun(db, storeFor(db, req), req.params.id, req.body, today());
      req.auditPatients = run.items.map((i) => i.patientId);
      return run;
    },
  );

  app.get<{ Params: Params }>(
    '/retention/destruction-runs/:id/certificate',
    access('DestructionRun', 'read'),
    async (req, reply) => {
      const pdf = await certificateOf(db, req.params.id);
      return reply
        .type('application/pdf')
        .header('Content-Disposition', `inline; filename="certificate-of-destruction-${req.params.id}.pdf"`)
        .send(pdf);
    },
  );
}
