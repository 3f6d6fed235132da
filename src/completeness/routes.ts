import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/index.ts';
import type { Practitioner } from '@medplum/fhirtypes';
import { notFound } from '../fhir/outcomes.ts';
import { storeFor } from '../fhir/routes.ts';
import type { FhirStore } from '../fhir/store.ts';
import { practitionerOf } from './documents/indexing.ts';
import { answerQuery, listQueries, parseQuery, sendQuery } from './queries.ts';
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
import { referencedId } from '../fhir/definitions.ts';

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
      const patient = referencedId(task.for, 'Patient');
      if (patient) request.auditPatients = [patient];
      return task;
    },
  );

  app.post(
    '/completeness/queries',
    { config: { access: { resource: 'PhysicianQuery', action: 'create' } } },
    async (request, reply) => {
      const body = (request.body ?? {}) as { provider?: unknown };
      const provider =
        body.provider === undefined
          ? undefined
          : resourceId(
              typeof body.provider === 'string' ? body.provider.replace(/^Practitioner\//, '') : '',
              'provider',
            );
      const task = await sendQuery(storeFor(db, request), parseQuery(request.body), provider);
      const patient = referencedId(task.for, 'Patient');
      if (patient) request.auditPatients = [patient];
      return reply.code(201).send(task);
    },
  );

  app.get<{ Querystring: Query }>(
    '/completeness/queries',
    { config: { access: { resource: 'Task', action: 'search' } } },
    async (request) => {
      const result = await listQueries(storeFor(db, request), {
        owner: optionalText(request.query.provider, 'provider'),
        status: oneOf(request.query.status, ['open', 'answered', 'all'] as const, 'status', 'all'),
      });
      request.auditPatients = [...new Set(result.queries.map((q) => q.patientId))];
      return result;
    },
  );

  app.post<{ Params: { id: string } }>(
    '/completeness/queries/:id/answer',
    { config: { access: { resource: 'PhysicianQuery', action: 'update' } } },
    async (request) => {
      const body = (request.body ?? {}) as { option?: unknown; text?: unknown };
      const done = await answerQuery(storeFor(db, request), resourceId(request.params.id, 'id'), {
        option: requiredText(body.option, 'option', 300),
        text: optionalText(body.text, 'text', 2000),
      });
      const patient = referencedId(done.task.for, 'Patient');
      if (patient) request.auditPatients = [patient];
      return done;
    },
  );

  app.get<{ Querystring: Query }>(
    '/completeness/inbox',
    { config: { access: { resource: 'Task', action: 'search' } } },
    async (request) => {
      const store = storeFor(db, request);
      const practitioner = await inboxOwner(store, optionalText(request.query.practitioner, 'practitioner'));
      const deficiencies = await listDeficiencies(store, {
        status: 'open',
        provider: practitioner.id,
        sort: 'due',
        descending: false,
        limit: wholeNumber(request.query.limit, 'limit', 100, 1, 500),
        offset: wholeNumber(request.query.offset, 'offset', 0),
      });
      const queries = await listQueries(store, { owner: practitioner.id, status: 'open' });
      request.auditPatients = [
        ...new Set([
          ...deficiencies.deficiencies.map((d) => d.patientId),
          ...queries.queries.map((q) => q.patientId),
        ]),
      ];
      return { practitioner, deficiencies, queries: queries.queries };
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

/** The practitioner whose inbox is asked for: `practitioner=<id>`, else the signed-in user's own. */
async function inboxOwner(
  store: FhirStore,
  asked: string | undefined,
): Promise<{ id: string; name: string }> {
  if (asked) {
    const p = (await store.read('Practitioner', resourceId(asked, 'practitioner'))) as Practitioner;
    return { id: asked, name: nameOf(p) };
  }
  const me = await practitionerOf(store);
  if (!me)
    throw notFound(
      `User ${store.ctx.username} is not linked to a Practitioner (identifier urn:custodian:user|${store.ctx.username}); give practitioner=<id>`,
    );
  return { id: me.id, name: nameOf(me) };
}

function nameOf(p: Practitioner): string {
  const n = p.name?.[0];
  return n
    ? (n.text ?? [...(n.prefix ?? []), ...(n.given ?? []), n.family].filter(Boolean).join(' '))
    : (p.id ?? '');
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
