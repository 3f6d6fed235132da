import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { badRequest } from '../fhir/outcomes.ts';
import { storeFor } from '../fhir/routes.ts';
import type { FhirStore } from '../fhir/store.ts';
import { codingProductivity, parseRange } from './productivity.ts';
import {
  assignEncounterCoding,
  finalizeEncounterCoding,
  getEncounterCoding,
  reopenEncounterCoding,
  saveEncounterCoding,
} from './workflow.ts';
import {
  codingWorklist,
  parseWorklistClass,
  parseWorklistSort,
  parseWorklistState,
  WORKLIST_MAX,
  worklistCount,
} from './worklist.ts';

type Query = Record<string, string | undefined>;
type Params = { id: string };

/** Every route goes through the caller's FhirStore, which authorises and audits each access. */
const route = (action: 'read' | 'search' | 'update') => ({
  config: { access: { resource: 'CodingWork', action }, auditedByStore: true },
});

/** HTTP adapter over the encounter coding workflow (worklist, coding screen, productivity). */
export function registerWorkflowRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;

  app.get<{ Querystring: Query }>('/coding/worklist', route('search'), async (req) => {
    const store = storeFor(db, req);
    const { count, ...options } = await checked(store, 'search', req, () => {
      const q = req.query;
      if (q._summary !== undefined && q._summary !== 'count')
        throw badRequest('_summary may only be count', ['_summary']);
      return {
        state: parseWorklistState(q.state),
        limit: parseLimit(q.limit),
        offset: whole(q.offset, 'offset', 0, 1_000_000),
        class: parseWorklistClass(q.class),
        service: q.service || undefined,
        ageMin: whole(q.ageMin, 'ageMin', 0, 130),
        ageMax: whole(q.ageMax, 'ageMax', 0, 130),
        dnfbMin: whole(q.dnfbMin, 'dnfbMin', 0, 36_500),
        dnfbMax: whole(q.dnfbMax, 'dnfbMax', 0, 36_500),
        payer: q.payer || undefined,
        coder: q.coder || undefined,
        sort: parseWorklistSort(q.sort),
        facets: flag(q.facets, 'facets'),
        count: q._summary === 'count',
      };
    });
    if (count) return { total: await worklistCount(store, options.state) };
    return codingWorklist(store, options);
  });

  app.get<{ Params: Params }>('/coding/encounters/:id', route('read'), async (req) =>
    getEncounterCoding(db, storeFor(db, req), req.params.id),
  );

  app.put<{ Params: Params }>('/coding/encounters/:id/codes', route('update'), async (req) =>
    saveEncounterCoding(db, storeFor(db, req), req.params.id, req.body),
  );

  app.post<{ Params: Params }>('/coding/encounters/:id/finalize', route('update'), async (req) =>
    finalizeEncounterCoding(db, storeFor(db, req), req.params.id, req.body),
  );

  app.post<{ Params: Params }>('/coding/encounters/:id/reopen', route('update'), async (req) =>
    reopenEncounterCoding(storeFor(db, req), req.params.id, req.body),
  );

  app.post<{ Params: Params }>('/coding/encounters/:id/assign', route('update'), async (req) =>
    assignEncounterCoding(storeFor(db, req), req.params.id, req.body),
  );

  app.get<{ Querystring: Query }>('/coding/productivity', route('search'), async (req) => {
    const store = storeFor(db, req);
    const range = await checked(store, 'search', req, () => parseRange(req.query.from, req.query.to));
    return codingProductivity(store, range);
  });
}

/**
 * Parses query parameters inside the store's audit wrapper: these routes opt out of the server's
 * audit hook (the store audits its own calls), so a request refused before any store call must
 * still leave an AuditEvent.
 */
function checked<T>(store: FhirStore, action: 'search', req: FastifyRequest, parse: () => T): Promise<T> {
  return store.audited(action, `${req.method} ${req.url}`, async () => parse());
}

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > WORKLIST_MAX)
    throw badRequest(`limit must be a whole number from 1 to ${WORKLIST_MAX}`, ['limit']);
  return n;
}

/** `1`/`true` or `0`/`false` (absent: false). */
function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw badRequest(`${name} must be 1 or 0`, [name]);
}

function whole(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw badRequest(`${name} must be a whole number from ${min} to ${max}`, [name]);
  return n;
}
