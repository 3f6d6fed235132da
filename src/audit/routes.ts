import type { FastifyInstance } from 'fastify';
import { listBreakGlass, reviewBreakGlass } from '../auth/break-glass.ts';
import type { Db } from '../db/index.ts';
import { badRequest, unauthorized } from '../fhir/outcomes.ts';
import { accessReport } from './access-report.ts';
import { flushAudit, verifyAuditChain } from '../fhir/audit-trail.ts';

/** The privacy officer's views of the audit trail. */
export function registerAuditRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;
  const read = { access: { resource: 'AuditEvent', action: 'read' } } as const;

  app.get<{ Querystring: { patient?: string } }>(
    '/audit/access-report',
    { config: read },
    async (request) => {
      const patient = request.query.patient;
      if (!patient || !/^[A-Za-z0-9\-.]{1,64}$/.test(patient)) throw badRequest('?patient=<id> is required');
      request.auditPatients = [patient];
      return { patient, lines: await accessReport(db, patient) };
    },
  );

  app.get<{ Querystring: { unreviewed?: string; _summary?: string } }>(
    '/audit/break-glass',
    { config: read },
    async (request) => {
      const grants = await listBreakGlass(db, { unreviewedOnly: request.query.unreviewed === 'true' });
      // The home page's tile: how many grants wait for review (the list holds at most 500).
      if (request.query._summary === 'count') return { total: grants.length };
      return { grants };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/audit/break-glass/:id/review',
    { config: { access: { resource: 'BreakGlassReview', action: 'update' } } },
    async (request) => {
      if (!request.ctx) throw unauthorized();
      const note = (request.body as { note?: unknown } | undefined)?.note;
      return reviewBreakGlass(db, request.params.id, request.ctx, typeof note === 'string' ? note : '');
    },
  );

  app.get('/audit/verify', { config: read }, async () => {
    await flushAudit(db);
    return verifyAuditChain(db);
  });
}
