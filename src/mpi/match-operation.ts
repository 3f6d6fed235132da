import type { Bundle, BundleEntry, Patient } from '@medplum/fhirtypes';
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

/**
 * Patients sharing a blocking key with `input` (candidates, not yet scored): their ids from
 * mpi_block_key, the records through the caller's store, so a patient the caller may not see is
 * neither scored nor answered.
 */
export async function candidatePatients(store: FhirStore, input: Patient): Promise<Patient[]> {
  const record = standardPatient({ ...input, id: input.id ?? '' });
  const keys = patientBlockKeys(record);
  if (keys.length === 0) return [];
  const ids = await store.db.query<{ patient_id: string }>(
    `SELECT DISTINCT patient_id FROM mpi_block_key WHERE key = ANY($1::text[]) LIMIT ${MAX_CANDIDATES}`,
    [keys],
  );
  if (ids.rows.length === 0) return [];
  const candidates = ids.rows.map((r) => r.patient_id);
  const found = await store.readMany('Patient', candidates);
  return found.filter((r): r is Patient => r.resourceType === 'Patient');
}

/**
 * Patient/$match: candidates for a Patient, each with its match probability as search.score and
 * the match-grade extension. `onlyCertainMatches` keeps the certain ones; `count` caps the answer.
 * Candidates are read through the caller's store, so access rules and audit apply.
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
    for (const patient of await candidatePatients(store, input)) {
      if (!isLinkable(patient) || patient.id === input.id) continue;
      const p = scorePair(model, record, standardPatient(patient)).matchProbability;
      const grade = matchGrade(p);
      if (grade === 'certainly-not' || (options.onlyCertainMatches && grade !== 'certain')) continue;
      scored.push({ patient, score: p, grade });
    }
    scored.sort((a, b) => b.score - a.score);
    const top = scored.slice(0, Math.max(1, Math.min(options.count ?? 10, 100)));
    const entry: BundleEntry[] = top.map((c) => ({
      fullUrl: `${store.baseUrl}/Patient/${c.patient.id ?? ''}`,
      resource: c.patient,
      search: {
        mode: 'match',
        score: Math.round(c.score * 1e6) / 1e6,
        extension: [{ url: MATCH_GRADE_URL, valueCode: c.grade }],
      },
    }));
    return { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry };
  });
}
