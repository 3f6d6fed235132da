import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/index.ts';
import { storeFor } from '../fhir/routes.ts';
import { registerDocumentRoutes } from './documents/routes.ts';
import { delinquencyCsv, delinquencyReport, parseMonth } from './delinquency.ts';
import { currentRuleSet, saveRuleSet } from './rule-store.ts';
import { parseRuleSet } from './rules.ts';
import {
  oneOf,
  optionalText,
  optionalWholeNumber,
  requiredText,
  resourceId,
  wholeNumber,
} from './route-input.ts';
import { listDeficiencies, SORTS, waiveDeficiency } from './worklist.ts';

type Query = Record<string, string | undefined>;

/** HTTP adapters of chart completeness: the rules, the worklist, waivers and the delinquency report. */
export async function registerCompletenessRoutes(
  app: FastifyInstance,
  deps: { db: Db; maxDocumentBytes: number },
): Promise<void> {
  const { db } = deps;
  await registerDocumentRoutes(app, deps);

  app.get(
    '/completeness/rules',
    { config: { access: { resource: 'CompletenessRules', action: 'read' } } },
    async () => currentRuleSet(db),
  );

  app.put(
    '/completeness/rules',
    { config: { access: { resource: 'CompletenessRules', action: 'update' } } },
    async (request) => {
      const set = parseRuleSet(request.body);
      return saveRuleSet(db, set, request.ctx?.username ?? 'unknown');
    },
  );

  app.get<{ Querystring: Query }>(
    '/completeness/worklist',
    { config: { access: { resource: 'Task', action: 'search' } } },
    async (request) => {
      const q = request.query;
      const page = await listDeficiencies(storeFor(db, request), {
        status: oneOf(q.status, ['open', 'closed', 'all'] as const, 'status', 'open'),
        ...optional('service', optionalText(q.service, 'service')),
        ...optional('provider', optionalText(q.provider, 'provider')),
        ...optional('minAgeDays', optionalWholeNumber(q.minAgeDays, 'minAgeDays')),
        ...optional('maxAgeDays', optionalWholeNumber(q.maxAgeDays, 'maxAgeDays')),
        sort: oneOf(q.sort, SORTS, 'sort', 'age'),
        descending: oneOf(q.order, ['asc', 'desc'] as const, 'order', 'asc') === 'desc',
        limit: wholeNumber(q.limit, 'limit', 50, 1, 500),
        offset: wholeNumber(q.offset, 'offset', 0),
      });
      request.auditPatients = [...new Set(page.deficiencies.map((d) => d.patientId))];
      return page;
    },
  );

  app.post<{ Params: { id: string } }>(
    '/completeness/deficiencies/:id/waive',
    { config: { access: { resource: 'DeficiencyWaiver', action: 'update' } } },
    async (request) => {
      const id = resourceId(request.params.id, 'id');
      const body = (request.body ?? {}) as { reason?: unknown };
      const task = await waiveDeficiency(storeFor(db, request), id, requiredText(body.reason, 'reason'));
      const patient = /^Patient\/(.+)$/.exec(task.for?.reference ?? '')?.[1];
      if (patient) request.auditPatients = [patient];
      return task;
    },
  );

  app.get<{ Querystring: Query }>(
    '/completeness/delinquency',
    { config: { access: { resource: 'CompletenessReport', action: 'read' } } },
    async (request, reply) => {
      const month = parseMonth(request.query.month, new Date());
      const { settings } = await currentRuleSet(db);
      const report = await delinquencyReport(db, settings, month);
      if ((request.headers.accept ?? '').includes('text/csv'))
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="delinquency-${month}.csv"`)
          .send(delinquencyCsv(report));
      return report;
    },
  );
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
