import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/index.ts';
import { badRequest, unauthorized } from '../fhir/outcomes.ts';
import { storeFor } from '../fhir/routes.ts';
import { reportCatalogue, runReport } from './catalogue.ts';
import { reportCsv } from './csv.ts';

type Query = Record<string, string | undefined>;

/** Whether the caller asked for CSV: `Accept: text/csv` or `?format=csv`. */
function wantsCsv(accept: string | undefined, format: string | undefined): boolean {
  if (format !== undefined && format !== 'csv' && format !== 'json')
    throw badRequest('format must be csv or json', ['format']);
  if (format) return format === 'csv';
  return /\btext\/csv\b/i.test(accept ?? '');
}

/**
 * `GET /reports` (the reports the caller's role may read) and `GET /reports/<name>?from&to&...`
 * answering `{ columns, rows }` JSON, or CSV. The route hook audits each request; the records a
 * report counts are read through the caller's store, which authorises and audits them too.
 */
export function registerReportRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;

  app.get('/reports', { config: { access: { resource: 'Report', action: 'search' } } }, async (request) => {
    if (!request.ctx) throw unauthorized();
    return { reports: reportCatalogue(request.ctx.role) };
  });

  app.get<{ Params: { name: string }; Querystring: Query }>(
    '/reports/:name',
    { config: { access: { resource: 'Report', action: 'read' } } },
    async (request, reply) => {
      const { format, ...query } = request.query;
      const csv = wantsCsv(request.headers.accept, format);
      const result = await runReport({ db, store: storeFor(db, request) }, request.params.name, query);
      if (!csv) return result;
      return reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="${result.name}-${result.from}-${result.to}.csv"`,
        )
        .send(reportCsv(result));
    },
  );
}
