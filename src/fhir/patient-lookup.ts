import type { Encounter, Patient } from '@medplum/fhirtypes';
import { assertAllowed } from './access-check.ts';
import { accessOf, visibleColumn, visibleTo } from './access-filter.ts';
import { SqlParams } from './search/sql-params.ts';
import type { FhirStore } from './store.ts';

/**
 * Patient lookups that are not FHIR searches: the technician's search box (src/chart) looks
 * identifiers up exactly, names up fuzzily and narrows by birth date, then describes what it found.
 * The SQL against the store's tables lives here; what counts as a match, how it ranks and what
 * a row shows is the caller's. Nothing here writes an AuditEvent: the route that answers with the
 * patients audits them (it knows which it returned).
 *
 * Visibility goes through the one access filter (access-filter.ts). Two lookups deliberately
 * answer ids of patients the caller may not see, because a user who types a restricted patient's
 * MRN or name must be able to find the chart to break the glass: `identifierMatches` and
 * `fuzzyNameMatches` return ids and nothing else. `bornOn` answers only patients the caller may
 * see (a birth date would confirm a fact of a restricted chart), and `patientSummaries` hands
 * out a Patient's content and encounters only where the filter allows. Each lookup first checks
 * that the caller's role may search Patients, as the store's own methods do.
 */

/** Candidates a lookup returns at most, unless its caller asks for another bound. */
const DEFAULT_LIMIT = 200;

/** Ids of live Patients with an `identifier` whose value is exactly one of `values` (any system). */
export async function identifierMatches(
  store: FhirStore,
  values: readonly string[],
  limit = DEFAULT_LIMIT,
): Promise<string[]> {
  assertAllowed(store.ctx, 'Patient', 'search');
  if (values.length === 0) return [];
  const p = new SqlParams();
  const res = await store.db.query<{ resource_id: string }>(
    `SELECT DISTINCT resource_id FROM search_token
      WHERE resource_type = 'Patient' AND param = 'identifier' AND code = ANY(${p.add([...values], 'text[]')})
      LIMIT ${p.add(limit, 'int')}`,
    p.values,
  );
  return res.rows.map((r) => r.resource_id);
}

/** One typed name word: its spellings to compare, and which name part it was typed as. */
export interface NameLookupTerm {
  variants: readonly string[];
  role: 'any' | 'family' | 'given';
}

/** How a name comparison scores (0..1): the caller's ranking, applied inside the query. */
export interface NameWeights {
  /** Same Double Metaphone key (trigram similarity counts as itself). */
  metaphone: number;
  /** Same Soundex key. */
  soundex: number;
  /** Factor for a word typed as one part (family / given) found in the other. */
  otherPart: number;
  /** Factor for a match on a given name rather than the family name. */
  givenName: number;
}

/** A stored name row as compared: digits stripped (Synthea writes "Keeling57"), exactly as migration 0401 indexes it. */
const STORED_NAME = `btrim(regexp_replace(s.norm, '[0-9]+', '', 'g'))`;

/** The three ways a name can match, each answered by its own partial index (migration 0401). */
const NAME_LOOKUPS = [
  `${STORED_NAME} % t.variant`,
  `dmetaphone(${STORED_NAME}) = dmetaphone(t.variant)`,
  `soundex(${STORED_NAME}) = soundex(t.variant)`,
];

/**
 * Per Patient and term (its index in `terms`), the best score of any of the term's variants
 * against the Patient's `family` and `given` index rows: the greatest of pg_trgm `similarity()`,
 * `weights.metaphone` for a Double Metaphone key in common and `weights.soundex` for a Soundex
 * key in common, times `weights.otherPart` when the word was typed as the other name part and
 * `weights.givenName` for a given name. The `limit` Patients with the highest sum over the terms.
 * Variants are expected lower case without accents (the way `search_string.norm` is stored).
 */
export async function fuzzyNameMatches(
  store: FhirStore,
  terms: readonly NameLookupTerm[],
  weights: NameWeights,
  limit = DEFAULT_LIMIT,
): Promise<Array<{ id: string; term: number; score: number }>> {
  assertAllowed(store.ctx, 'Patient', 'search');
  const idx: number[] = [];
  const variants: string[] = [];
  const roles: string[] = [];
  terms.forEach((t, i) => {
    for (const v of t.variants) {
      idx.push(i);
      variants.push(v);
      roles.push(t.role);
    }
  });
  if (variants.length === 0) return [];
  const p = new SqlParams();
  const term = `SELECT * FROM unnest(${p.add(idx, 'int[]')}, ${p.add(variants, 'text[]')}, ${p.add(roles, 'text[]')})`;
  const res = await store.db.query<{ id: string; term: number; score: number }>(
    `WITH term(idx, variant, role) AS (${term}),
     cand AS (${NAME_LOOKUPS.map(
       (on) => `SELECT s.resource_id AS id, s.param, ${STORED_NAME} AS name, t.idx, t.variant, t.role
         FROM term t JOIN search_string s
           ON s.resource_type = 'Patient' AND s.param IN ('family', 'given') AND ${on}`,
     ).join('\n       UNION\n       ')}),
     hit AS (
       SELECT id, idx,
              GREATEST(similarity(name, variant),
                       CASE WHEN dmetaphone(name) = dmetaphone(variant) THEN ${p.add(weights.metaphone, 'float8')} ELSE 0 END,
                       CASE WHEN soundex(name) = soundex(variant) THEN ${p.add(weights.soundex, 'float8')} ELSE 0 END)
              * CASE WHEN role = 'any' OR role = param THEN 1 ELSE ${p.add(weights.otherPart, 'float8')} END
              * CASE WHEN param = 'family' THEN 1 ELSE ${p.add(weights.givenName, 'float8')} END AS score
         FROM cand WHERE name <> ''
     ),
     best AS (SELECT id, idx, max(score) AS score FROM hit GROUP BY id, idx),
     top AS (SELECT id FROM best GROUP BY id ORDER BY sum(score) DESC, id LIMIT ${p.add(limit, 'int')})
     SELECT b.id, b.idx AS term, b.score::float8 AS score FROM best b JOIN top USING (id)`,
    p.values,
  );
  return res.rows.map((r) => ({ id: r.id, term: Number(r.term), score: Number(r.score) }));
}

/**
 * Ids of live Patients the caller may see whose birth date covers `date` (YYYY-MM-DD), among
 * `among` when given. Patients hidden from the caller never match: the answer must not confirm
 * a restricted patient's birth date.
 */
export async function bornOn(
  store: FhirStore,
  date: string,
  among?: readonly string[],
  limit = DEFAULT_LIMIT,
): Promise<string[]> {
  assertAllowed(store.ctx, 'Patient', 'search');
  const p = new SqlParams();
  // search_date ranges cover the whole day (or month, or year) the birth date names.
  const noon = p.add(`${date}T12:00:00Z`, 'timestamptz');
  const conditions = [
    `d.resource_type = 'Patient'`,
    `d.param = 'birthdate'`,
    `d.low <= ${noon}`,
    `d.high >= ${noon}`,
    ...(among ? [`d.resource_id = ANY(${p.add([...among], 'text[]')})`] : []),
  ];
  const visible = visibleTo(accessOf(store.ctx), p, 'r');
  const res = await store.db.query<{ id: string }>(
    `SELECT DISTINCT r.id FROM search_date d
       JOIN fhir_resource r ON r.resource_type = 'Patient' AND r.id = d.resource_id AND NOT r.deleted
      WHERE ${conditions.join(' AND ')}${visible ? ` AND ${visible}` : ''}
      LIMIT ${p.add(limit, 'int')}`,
    p.values,
  );
  return res.rows.map((r) => r.id);
}

/** A live Patient as the caller may see it: its content and latest Encounter, or only that it is hidden. */
export type PatientSummary =
  { id: string; visible: true; patient: Patient; lastEncounter?: Encounter } | { id: string; visible: false };

/**
 * The current version of each live Patient among `ids` (in no particular order; unknown and
 * deleted ids are left out), whether the caller may see it (its labels, or a broken glass), and
 * its latest Encounter by `period.start` that the caller may see. A hidden Patient comes back as
 * `{ id, visible: false }` only.
 */
export async function patientSummaries(store: FhirStore, ids: readonly string[]): Promise<PatientSummary[]> {
  assertAllowed(store.ctx, 'Patient', 'search');
  if (ids.length === 0) return [];
  const access = accessOf(store.ctx);
  const p = new SqlParams();
  const patientVisible = visibleColumn(access, p, 'r');
  const encounterVisible = visibleTo(access, p, 'x');
  const res = await store.db.query<{
    id: string;
    visible: boolean;
    patient: Patient | null;
    encounter: Encounter | null;
  }>(
    `SELECT v.id, v.visible, CASE WHEN v.visible THEN v.content END AS patient, e.content AS encounter
       FROM (SELECT r.id, r.content, ${patientVisible} AS visible FROM fhir_resource r
              WHERE r.resource_type = 'Patient' AND r.id = ANY(${p.add([...ids], 'text[]')}) AND NOT r.deleted) v
       LEFT JOIN LATERAL (
         SELECT x.content FROM fhir_resource x
          WHERE v.visible AND x.patient_id = v.id AND x.resource_type = 'Encounter' AND NOT x.deleted
                ${encounterVisible ? `AND ${encounterVisible}` : ''}
          ORDER BY x.content->'period'->>'start' DESC NULLS LAST, x.id
          LIMIT 1
       ) e ON true`,
    p.values,
  );
  return res.rows.map((r) =>
    r.visible && r.patient
      ? {
          id: r.id,
          visible: true,
          patient: r.patient,
          ...(r.encounter ? { lastEncounter: r.encounter } : {}),
        }
      : { id: r.id, visible: false },
  );
}
