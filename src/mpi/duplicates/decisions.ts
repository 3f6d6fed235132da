import type { Patient } from '@medplum/fhirtypes';
import type { FhirStore } from '../../fhir/store.ts';
import { summarise, type PatientSummary } from './worklist.ts';

/** What became of a pair of records: merged (and not undone), or decided not to be one person. */
export type DecisionKind = 'merged' | 'not-duplicate';

/** A decided pair, as the duplicates screen lists it behind the dashboard's duplicate rate. */
export interface DecidedPair {
  kind: DecisionKind;
  /** For a merge: the record merged away (source), then the one kept (target). */
  a: PatientSummary;
  b: PatientSummary;
  decidedBy: string;
  decidedAt: string;
  reason?: string;
}

interface DecisionRow {
  a: string;
  b: string;
  decided_by: string;
  decided_at: Date | string;
  reason: string | null;
}

/**
 * The decision tables (src/db/migrations/0301_mpi.sql), newest first, in one month (UTC) when
 * given: the same rows the duplicate-rate report counts (merges undone left out).
 */
const SQL: Record<DecisionKind, string> = {
  merged: `SELECT source_id AS a, target_id AS b, merged_by AS decided_by, merged_at AS decided_at, NULL AS reason
             FROM mpi_merge WHERE unmerged_at IS NULL
              AND ($1::text IS NULL OR to_char(merged_at AT TIME ZONE 'UTC', 'YYYY-MM') = $1)
            ORDER BY merged_at DESC, id`,
  'not-duplicate': `SELECT patient_a AS a, patient_b AS b, decided_by, decided_at, reason
             FROM mpi_not_duplicate
            WHERE ($1::text IS NULL OR to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM') = $1)
            ORDER BY decided_at DESC, patient_a, patient_b`,
};

/**
 * Pairs merged or decided not duplicates, newest first, paged. Only pairs whose two records the
 * caller may see are listed and counted (the same access filter as the worklist's); only the
 * records shown are read, so only they are audited.
 */
export async function listDecisions(
  store: FhirStore,
  options: { kind: DecisionKind; month?: string; limit?: number; offset?: number },
): Promise<{ total: number; decisions: DecidedPair[] }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  const offset = Math.max(options.offset ?? 0, 0);
  const rows = (await store.db.query<DecisionRow>(SQL[options.kind], [options.month ?? null])).rows;
  const seen = await store.visibleIds(
    'Patient',
    rows.flatMap((r) => [r.a, r.b]),
  );
  const visible = rows.filter((r) => seen.has(r.a) && seen.has(r.b));
  const page = visible.slice(offset, offset + limit);
  const patients = new Map<string, Patient>();
  const ids = [...new Set(page.flatMap((r) => [r.a, r.b]))];
  for (const p of await store.readMany('Patient', ids))
    if (p.resourceType === 'Patient' && p.id) patients.set(p.id, p);
  const decisions = page.flatMap((r): DecidedPair[] => {
    const a = patients.get(r.a);
    const b = patients.get(r.b);
    if (!a || !b) return [];
    return [
      {
        kind: options.kind,
        a: summarise(a),
        b: summarise(b),
        decidedBy: r.decided_by,
        decidedAt: new Date(r.decided_at).toISOString(),
        ...(r.reason ? { reason: r.reason } : {}),
      },
    ];
  });
  return { total: visible.length, decisions };
}
