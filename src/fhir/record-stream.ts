import type { Resource } from '@medplum/fhirtypes';
import { accessOf, visibleTo } from './access-filter.ts';
import { queueAudit } from './audit-trail.ts';
import type { AuditEntry } from './audit-event.ts';
import { storedResource } from './exact-json.ts';
import { badRequest } from './outcomes.ts';
import { parseSearch } from './search/index.ts';
import { planFilters } from './search/plan.ts';
import { renderCond, ROOT } from './search/sql.ts';
import { SqlParams } from './search/sql-params.ts';
import type { SearchRequest } from './search/types.ts';
import { resolveValueSets } from './search/value-set.ts';
import type { FhirStore } from './store.ts';

/**
 * Every record of a type as a stream of pages, for Bulk Data `$export` and `custodian export`:
 * each page is read after the last id of the one before (keyset paging on the primary key), so
 * memory holds one page however large the store, and no page is skipped or repeated while
 * records are written meanwhile. Each page passes the caller's role check (the same
 * `assertMay` every typed search goes through) and the one confidentiality filter, and is
 * audited as a search naming the patients it disclosed.
 */
export interface RecordScope {
  /**
   * Whose records: undefined every record of the type; 'any' every patient's (the Patient
   * records and the patient compartments, as `Patient/$export`); a list, those patients'.
   */
  patients?: 'any' | readonly string[];
  /** Only records changed after this instant (`_since`). */
  since?: string;
  /**
   * Search queries for this type (`_typeFilter`), ORed: a record matching any of them is kept.
   * Each is a FHIR search query string without the type (`status=final&code=...`).
   */
  filters?: readonly string[];
}

export const STREAM_PAGE_SIZE = 1000;

/** The pages of `type` in `scope`, `pageSize` records each, in id order. */
export async function* streamRecords(
  store: FhirStore,
  type: string,
  scope: RecordScope,
  pageSize = STREAM_PAGE_SIZE,
): AsyncGenerator<Resource[]> {
  const label = `${type}?_export`;
  const filters = await store.audited('export', label, () => parsedFilters(store, type, scope));
  // The AuditEvents are queued, not awaited page by page (a durable commit per page of 1,000
  // records was most of an export's time), several sharing a commit; all are durable before
  // the stream ends, and an export publishes nothing (a manifest, a finished folder) before that.
  const audits: Array<Promise<void>> = [];
  const pending = new PendingAudit(store, type, label);
  const queue = (): void => {
    const entry = pending.take();
    if (!entry) return;
    const written = queueAudit(store.db, [entry]);
    written.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    audits.push(written);
  };
  let after: string | undefined;
  for (;;) {
    const page = await store.audited('export', label, async () => {
      // Asked again for every page: an export outlives the moment it started.
      store.assertMay(type, 'search');
      const p = new SqlParams();
      const where = scopeConditions(store, type, scope, filters, p);
      if (after !== undefined) where.push(`r.id > ${p.add(after, 'text')}`);
      const rows = await store.db.query<PageRow>(
        `SELECT r.id, r.patient_id, r.content, r.content_text FROM fhir_resource r WHERE ${where.join(' AND ')} ` +
          `ORDER BY r.id LIMIT ${p.add(pageSize, 'int')}`,
        p.values,
      );
      pending.add(rows.rows);
      if (pending.full()) queue();
      return {
        records: rows.rows.map((r) => storedResource(r.content_text, r.content)),
        last: rows.rows[rows.rows.length - 1]?.id,
      };
    });
    // At most a few AuditEvents waiting: when the trail is slower than the pages, the export
    // waits for it rather than holding ever more entries in memory.
    while (audits.length > MAX_WAITING_AUDITS) await audits.shift();
    if (page.records.length > 0) yield page.records;
    if (page.records.length < pageSize || page.last === undefined) break;
    after = page.last;
  }
  queue();
  await Promise.all(audits);
}

/** How many records of `type` a stream of `scope` will give (for progress), under the same checks. */
export async function countRecords(store: FhirStore, type: string, scope: RecordScope): Promise<number> {
  return store.audited('export', `${type}?_export (count)`, async () => {
    store.assertMay(type, 'search');
    const filters = await parsedFilters(store, type, scope);
    const p = new SqlParams();
    const where = scopeConditions(store, type, scope, filters, p);
    const rows = await store.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM fhir_resource r WHERE ${where.join(' AND ')}`,
      p.values,
    );
    return Number(rows.rows[0]?.n ?? 0);
  });
}

/**
 * The resource types the store holds any record of (deleted ones included), found by skipping
 * through the primary key's index rather than reading the table.
 */
export async function storedTypes(store: FhirStore): Promise<string[]> {
  const rows = await store.db.query<{ type: string }>(
    `WITH RECURSIVE t(type) AS (
       SELECT min(resource_type) FROM fhir_resource
       UNION ALL
       SELECT (SELECT min(resource_type) FROM fhir_resource WHERE resource_type > t.type) FROM t WHERE t.type IS NOT NULL)
     SELECT type FROM t WHERE type IS NOT NULL`,
  );
  return rows.rows.map((r) => r.type);
}

/** The `_typeFilter` queries parsed once, at the start: a malformed one is a 400 before any work. */
async function parsedFilters(store: FhirStore, type: string, scope: RecordScope): Promise<SearchRequest[]> {
  const out: SearchRequest[] = [];
  for (const query of scope.filters ?? []) {
    const request = parseSearch(type, new URLSearchParams(query), { lenient: false });
    if (
      request.sort.length > 0 ||
      request.include.length > 0 ||
      request.revinclude.length > 0 ||
      request.elements ||
      request.summary ||
      request.summaryCount ||
      request.cursor
    )
      throw badRequest(`_typeFilter '${type}?${query}' may hold search parameters only`, ['_typeFilter']);
    out.push(await resolveValueSets(store.db, request));
  }
  return out;
}

function scopeConditions(
  store: FhirStore,
  type: string,
  scope: RecordScope,
  filters: SearchRequest[],
  p: SqlParams,
): string[] {
  const where = [`r.resource_type = ${p.add(type, 'text')}`, 'NOT r.deleted'];
  const owner = type === 'Patient' ? 'r.id' : 'r.patient_id';
  if (scope.patients === 'any') where.push(`${owner} IS NOT NULL`);
  else if (scope.patients) where.push(`${owner} = ANY(${p.add(scope.patients, 'text[]')})`);
  if (scope.since) where.push(`r.last_updated > ${p.add(scope.since, 'timestamptz')}`);
  const access = accessOf(store.ctx);
  if (filters.length > 0) {
    const alternatives = filters.map((request) => {
      const conds = planFilters(request.filters).map((c) => renderCond(c, ROOT, p, access));
      return conds.length > 0 ? `(${conds.join(' AND ')})` : 'TRUE';
    });
    where.push(`(${alternatives.join(' OR ')})`);
  }
  const visible = visibleTo(access, p);
  if (visible) where.push(visible);
  return where;
}

interface PageRow {
  id: string;
  patient_id: string | null;
  content: Resource;
  content_text: string | null;
}

/** AuditEvents of an export queued and not yet known durable, at most. */
const MAX_WAITING_AUDITS = 4;

/**
 * Records per AuditEvent of an export: one event names the patients of this many records, as a
 * search page's does. (Naming patients costs about a millisecond each to write, more in larger
 * events: one event for 10,000 records took longer than ten of 1,000.)
 */
const RECORDS_PER_AUDIT = 1_000;

/** The export's pages not yet audited: the patients they disclosed and how many records. */
class PendingAudit {
  private patients = new Set<string>();
  private records = 0;

  constructor(
    private readonly store: FhirStore,
    private readonly type: string,
    private readonly label: string,
  ) {}

  add(rows: PageRow[]): void {
    for (const r of rows) {
      const owner = this.type === 'Patient' ? r.id : r.patient_id;
      if (owner) this.patients.add(owner);
    }
    this.records += rows.length;
  }

  full(): boolean {
    return this.records >= RECORDS_PER_AUDIT;
  }

  /** The AuditEvent naming every patient whose records the pages since the last one disclosed. */
  take(): AuditEntry | undefined {
    if (this.records === 0) return undefined;
    const entry = this.store.auditEntry('export', 'success', {
      query: this.label,
      patientIds: [...this.patients],
      detail: `${this.records} records exported`,
    });
    this.patients = new Set();
    this.records = 0;
    return entry;
  }
}
