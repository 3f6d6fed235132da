import type { Bundle, BundleEntry, Patient } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import type { FhirStore } from '../fhir/store.ts';
import { DEFAULT_THRESHOLDS, scorePair, type MatchThresholds } from './model.ts';
import { currentModel } from './duplicates/model-store.ts';
import { isLinkable, patientBlockKeys, standardPatient } from './patient-record.ts';

/** FHIR match grades (http://hl7.org/fhir/match-grade). */
export type MatchGrade = 'certain' | 'probable' | 'possible' | 'certainly-not';
export const MATCH_GRADE_URL = 'http://hl7.org/fhir/StructureDefinition/match-grade';
/** At or above: `certain` (the auto-link threshold gives `probable`, review `possible`). */
export const CERTAIN = 0.99;

export function matchGrade(p: number, thresholds: MatchThresholds = DEFAULT_THRESHOLDS): MatchGrade {
  if (p >= CERTAIN) return 'certain';
  if (p >= thresholds.autoLink) return 'probable';
  if (p >= thresholds.review) return 'possible';
  return 'certainly-not';
}

/** Most candidates a $match looks at: blocks are small, this only guards against a runaway key. */
const MAX_CANDIDATES = 2000;

export interface MatchCandidate {
  patient: Patient;
  score: number;
  grade: MatchGrade;
}

/** Patients sharing a blocking key with `input` (candidates, not yet scored). */
export async function candidatePatients(
  q: Queryable,
  input: Patient,
): Promise<Array<{ id: string; content: Patient }>> {
  const record = standardPatient({ ...input, id: input.id ?? '' });
  const keys = patientBlockKeys(record);
  if (keys.length === 0) return [];
  const rows = await q.query<{ id: string; content: Patient }>(
    `SELECT r.id, r.content FROM fhir_resource r
      WHERE r.resource_type = 'Patient' AND NOT r.deleted AND r.id IN (
        SELECT patient_id FROM mpi_block_key WHERE key = ANY($1::text[]) LIMIT ${MAX_CANDIDATES})`,
    [keys],
  );
  return rows.rows;
}

/**
 * Patient/$match: candidates for a Patient, each with its match probability as search.score and
 * the match-grade extension. `onlyCertainMatches` keeps the certain ones; `count` caps the answer.
 * Results go through the caller's store (a search by _id), so access rules and audit apply.
 */
export async function matchPatient(
  store: FhirStore,
  input: Patient,
  options: { onlyCertainMatches?: boolean; count?: number } = {},
): Promise<Bundle> {
  return store.audited('operation', 'Patient/$match', async () => {
    store.assertMay('Patient', 'search');
    const { model } = await currentModel(store.db);
    const record = standardPatient({ ...input, id: input.id ?? '' });
    const scored: MatchCandidate[] = [];
    for (const row of await candidatePatients(store.db, input)) {
      if (!isLinkable(row.content) || row.id === input.id) continue;
      const p = scorePair(model, record, standardPatient(row.content)).matchProbability;
      const grade = matchGrade(p);
      if (grade === 'certainly-not' || (options.onlyCertainMatches && grade !== 'certain')) continue;
      scored.push({ patient: row.content, score: p, grade });
    }
    scored.sort((a, b) => b.score - a.score);
    const top = scored.slice(0, Math.max(1, Math.min(options.count ?? 10, 100)));
    const visible = new Map<string, Patient>();
    if (top.length > 0) {
      const bundle = await store.search(
        'Patient',
        new URLSearchParams({
          _id: top.map((c) => c.patient.id ?? '').join(','),
          _count: String(top.length),
        }),
        { lenient: false },
      );
      for (const e of bundle.entry ?? [])
        if (e.resource?.id) visible.set(e.resource.id, e.resource as Patient);
    }
    const entry: BundleEntry[] = top
      .filter((c) => visible.has(c.patient.id ?? ''))
      .map((c) => ({
        fullUrl: `${store.baseUrl}/Patient/${c.patient.id ?? ''}`,
        resource: visible.get(c.patient.id ?? ''),
        search: {
          mode: 'match',
          score: Math.round(c.score * 1e6) / 1e6,
          extension: [{ url: MATCH_GRADE_URL, valueCode: c.grade }],
        },
      }));
    return { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry };
  });
}
