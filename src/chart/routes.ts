import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/index.ts';
import { unauthorized } from '../fhir/outcomes.ts';
import { findPatients } from './patient-finder.ts';

type FinderQuerystring = { q?: string; birthdate?: string; limit?: string };

/**
 * Chart routes for the web application. The finder is not a FHIR search (fuzzy matching), so it
 * uses the store's patient lookups, which write no AuditEvent; the server's onResponse hook
 * audits it, naming every patient it returned (restricted rows included).
 */
export function registerChartRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;
  app.get<{ Querystring: FinderQuerystring }>(
    '/chart/patients',
    { config: { access: { resource: 'Patient', action: 'search' } } },
    async (request) => {
      if (!request.ctx) throw unauthorized();
      const { q = '', birthdate, limit } = request.query;
      const result = await findPatients(db, request.ctx, {
        text: q,
        ...(birthdate ? { birthdate } : {}),
        ...(limit && /^\d+$/.test(limit) ? { limit: Number(limit) } : {}),
      });
      request.auditPatients = result.results.map((r) => r.id);
      return result;
    },
  );
}
