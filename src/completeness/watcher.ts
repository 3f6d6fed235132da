import type { DocumentReference, Procedure } from '@medplum/fhirtypes';
import type { Db, Queryable } from '../db/index.ts';
import type { RequestContext } from '../fhir/request-context.ts';
import { startChangeWatcher, type ChangeWatcher, type ChangeWatcherOptions } from '../fhir/change-watcher.ts';
import { FhirStore, type ChangedRecord } from '../fhir/store.ts';
import { referencedId } from '../fhir/definitions.ts';
import { encountersOfDocument, evaluateCharts } from './chart-evaluation.ts';

/**
 * Rules run when an encounter is discharged and whenever its chart changes: the watcher follows
 * the store's change feed of Encounters, DocumentReferences and Procedures (whoever wrote them:
 * API, upload, HL7, import) and re-evaluates the charts they belong to.
 */

/** The completeness evaluator acts as a system user; the Tasks it writes are audited under it. */
export const COMPLETENESS_CONTEXT: RequestContext = {
  userId: 'completeness',
  username: 'completeness:chart-analysis',
  role: 'system',
  purpose: 'HOPERAT',
  sourceAddress: 'completeness-watcher',
  tokenId: 'completeness',
  brokenGlassPatients: [],
};

const FOLLOWED = ['Encounter', 'DocumentReference', 'Procedure'] as const;
const EPOCH = '1970-01-01T00:00:00.000Z';

export interface WatchOptions {
  /** Changed records read per batch (default 500). */
  batchSize?: number;
  /** As the MPI watcher: keep the watermark this far behind the clock on a PostgreSQL server. */
  settleMs?: number;
}

export interface CompletenessRun {
  changes: number;
  charts: number;
  opened: number;
  closed: number;
}

async function readWatermark(q: Queryable, type: string): Promise<{ lastUpdated: string; id: string }> {
  const res = await q.query<{ updated: Date | string; last_id: string }>(
    `SELECT updated, last_id FROM completeness_state WHERE name = $1`,
    [type],
  );
  const row = res.rows[0];
  return row
    ? { lastUpdated: new Date(row.updated).toISOString(), id: row.last_id }
    : { lastUpdated: EPOCH, id: '' };
}

async function writeWatermark(q: Queryable, type: string, row: ChangedRecord): Promise<void> {
  await q.query(
    `INSERT INTO completeness_state (name, updated, last_id) VALUES ($1, $2::timestamptz, $3)
     ON CONFLICT (name) DO UPDATE SET updated = EXCLUDED.updated, last_id = EXCLUDED.last_id`,
    [type, row.lastUpdated, row.id],
  );
}

/** Encounters a changed document belongs to now and was filed to before (a re-filed note leaves one chart). */
async function documentEncounters(q: Queryable, rows: readonly ChangedRecord[]): Promise<string[]> {
  const ids = rows.map((r) => r.id);
  const before = await q.query<{ encounter_ids: string[] }>(
    `SELECT encounter_ids FROM completeness_document_link WHERE document_id = ANY($1::text[])`,
    [ids],
  );
  const now = rows.map((r) => (r.deleted ? [] : encountersOfDocument(r.content as DocumentReference | null)));
  await q.query(
    `INSERT INTO completeness_document_link (document_id, patient_id, encounter_ids)
     SELECT d, p, string_to_array(e, ' ') FROM unnest($1::text[], $2::text[], $3::text[]) AS t(d, p, e)
     ON CONFLICT (document_id) DO UPDATE SET patient_id = EXCLUDED.patient_id, encounter_ids = EXCLUDED.encounter_ids`,
    [
      ids,
      rows.map((r) => referencedId((r.content as DocumentReference | null)?.subject, 'Patient') ?? null),
      now.map((e) => e.join(' ')),
    ],
  );
  return [...before.rows.flatMap((r) => r.encounter_ids.filter(Boolean)), ...now.flat()];
}

function encountersOf(type: (typeof FOLLOWED)[number], row: ChangedRecord): string[] {
  if (type === 'Encounter') return [row.id];
  const encounter = referencedId((row.content as Procedure | null)?.encounter, 'Encounter');
  return encounter ? [encounter] : [];
}

/**
 * One round: every followed record written since the last round, in batches; the charts they
 * touch are evaluated and the watermark moves after each batch (a crash repeats at most one).
 */
export async function evaluateChangedCharts(db: Db, options: WatchOptions = {}): Promise<CompletenessRun> {
  const store = new FhirStore(db, COMPLETENESS_CONTEXT);
  const batchSize = options.batchSize ?? 500;
  const horizon = options.settleMs ? Date.now() - options.settleMs : Infinity;
  const run: CompletenessRun = { changes: 0, charts: 0, opened: 0, closed: 0 };
  for (const type of FOLLOWED) {
    let cursor = await readWatermark(db, type);
    for (;;) {
      const rows = await store.changedSince(type, cursor, batchSize);
      if (rows.length === 0) break;
      const encounters =
        type === 'DocumentReference'
          ? await documentEncounters(db, rows)
          : rows.flatMap((r) => encountersOf(type, r));
      const done = await evaluateCharts(store, encounters);
      run.changes += rows.length;
      run.charts += done.charts;
      run.opened += done.opened;
      run.closed += done.closed;
      const settled = rows.filter((r) => Date.parse(r.lastUpdated) <= horizon);
      const last = settled[settled.length - 1];
      if (last) await writeWatermark(db, type, last);
      if (rows.length < batchSize || settled.length < rows.length) break;
      const tail = rows[rows.length - 1];
      if (!tail) break;
      cursor = { lastUpdated: tail.lastUpdated, id: tail.id };
    }
  }
  return run;
}

export type CompletenessWatcher = ChangeWatcher<CompletenessRun>;

/** Re-evaluates changed charts every `intervalMs` (default 5 s); see fhir/change-watcher.ts. */
export function startCompletenessWatcher(
  db: Db,
  options: WatchOptions & ChangeWatcherOptions = {},
): CompletenessWatcher {
  return startChangeWatcher('completeness watcher', () => evaluateChangedCharts(db, options), options);
}
