import { accessOf } from './access-filter.ts';
import { flushAudit, queueAudit } from './audit-trail.ts';
import {
  aggregateSearch,
  type AggregateRow,
  type DatePoint,
  type DaySpan,
  type Measure,
} from './search/aggregate.ts';
import { describeSpec, typedSearchRequest, type SearchSpec } from './search/typed.ts';
import type { FhirStore } from './store.ts';
import type { TallySpec } from './tally.ts';

export type { AggregateRow, DatePoint, DaySpan, Measure };

/** A tally that also computes figures per group (sums, percentiles of day spans, counts over). */
export interface AggregateSpec extends TallySpec {
  measures: Measure[];
}

/**
 * Per group of the records the caller may see matching a typed search: how many, and the
 * measures (src/fhir/search/aggregate.ts), computed in the database. Reports use it for money
 * and turnaround instead of reading records into Node. Checked and audited as a search of the
 * type, like tallyRecords; only figures come back.
 */
export async function aggregateRecords(store: FhirStore, spec: AggregateSpec): Promise<AggregateRow[]> {
  const search: SearchSpec = { type: spec.type, ...(spec.where ? { where: spec.where } : {}) };
  const query = `${describeSpec(search)} (aggregate by ${JSON.stringify(spec.by)}: ${JSON.stringify(spec.measures)})`;
  return store.audited('search', query, async () => {
    store.assertMay(spec.type, 'search');
    if (spec.type === 'AuditEvent') await flushAudit(store.db);
    const rows = await aggregateSearch(
      store.db,
      typedSearchRequest(search),
      spec.by,
      spec.measures,
      accessOf(store.ctx),
    );
    await queueAudit(store.db, [store.auditEntry('search', 'success', { query })]);
    return rows;
  });
}
