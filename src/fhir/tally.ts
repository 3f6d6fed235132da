import { accessOf } from './access-filter.ts';
import { flushAudit, queueAudit } from './audit-trail.ts';
import { tallySearch, type TallyKey, type TallyRow } from './search/tally.ts';
import { describeSpec, typedSearchRequest, type SearchSpec } from './search/typed.ts';
import type { FhirStore } from './store.ts';

export type { TallyKey, TallyRow };

/** A typed search whose matches are counted per group instead of returned. */
export interface TallySpec {
  type: string;
  where?: SearchSpec['where'];
  by: TallyKey[];
  /** The criteria match a few thousand records at most: probe them one by one (SliceOptions). */
  few?: boolean;
}

/**
 * How many records the caller may see match a typed search, per value of one to four index
 * keys (src/fhir/search/tally.ts), counted in the database. Reports use it instead of reading
 * records into Node. Checked like a search of the type and audited as one; only counts come
 * back, so no patient is named in the audit entry.
 */
export async function tallyRecords(store: FhirStore, spec: TallySpec): Promise<TallyRow[]> {
  const search: SearchSpec = { type: spec.type, ...(spec.where ? { where: spec.where } : {}) };
  const query = `${describeSpec(search)} (tally by ${JSON.stringify(spec.by)})`;
  return store.audited('search', query, async () => {
    store.assertMay(spec.type, 'search');
    // The trail's own recent reads must be counted too.
    if (spec.type === 'AuditEvent') await flushAudit(store.db);
    const rows = await tallySearch(store.db, typedSearchRequest(search), spec.by, accessOf(store.ctx), {
      few: spec.few,
    });
    await queueAudit(store.db, [store.auditEntry('search', 'success', { query })]);
    return rows;
  });
}
