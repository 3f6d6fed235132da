import type { HumanName, Patient } from '@medplum/fhirtypes';
import type { RequestContext } from '../auth/access.ts';
import { deniedLabelsFor, medicalRecordNumber } from '../shared/index.ts';
import type { Queryable } from '../db/index.ts';
import { badRequest } from '../fhir/outcomes.ts';
import { formalGivenName } from '../mpi/index.ts';
import { normalizeWord, parseFinderQuery, type FinderQuery, type NameTerm } from './finder-query.ts';

/** One row of the finder's answer: enough to tell patients apart, or only "restricted". */
export type FoundPatient =
  | {
      id: string;
      restricted: false;
      score: number;
      matchedBy: MatchKind[];
      name: string;
      family?: string;
      given?: string;
      birthDate?: string;
      gender?: string;
      mrn?: string;
      lastEncounter?: { date: string; class?: string; type?: string };
    }
  /** A sensitive chart the caller may not see: only its id, so the user can break the glass. */
  | { id: string; restricted: true; score: number; matchedBy: MatchKind[] };

export type MatchKind = 'identifier' | 'name' | 'birthDate';

export interface FinderResult {
  total: number;
  results: FoundPatient[];
}

/** Name words scoring below this (0..1, mean over the words) are not shown. */
const MIN_NAME_SCORE = 0.35;
/** Candidates fetched per step before ranking; the answer is cut to `limit` afterwards. */
const CANDIDATES = 200;

interface Candidate {
  id: string;
  identifier: boolean;
  nameScores: Map<number, number>;
  birthDate: boolean;
}

/**
 * Finds patients from free text: an exact identifier (MRN) first, then names with typos and
 * nicknames (pg_trgm similarity, Double Metaphone and Soundex over the name index rows), optionally
 * narrowed by birth date. Sensitive charts the caller may not see come back as `restricted` rows
 * without name, dates or identifiers.
 */
export async function findPatients(
  q: Queryable,
  ctx: RequestContext,
  input: { text: string; birthdate?: string; limit?: number },
): Promise<FinderResult> {
  const query = parseFinderQuery(input.text, input.birthdate);
  if (query.names.length === 0 && query.identifiers.length === 0 && !query.birthDate) {
    throw badRequest('Type a name, an MRN or a birth date to search');
  }
  const limit = Math.min(Math.max(input.limit ?? 25, 1), 100);
  const candidates = new Map<string, Candidate>();
  const candidate = (id: string): Candidate => {
    let c = candidates.get(id);
    if (!c) candidates.set(id, (c = { id, identifier: false, nameScores: new Map(), birthDate: false }));
    return c;
  };
  for (const id of await identifierMatches(q, query.identifiers)) candidate(id).identifier = true;
  for (const row of await nameMatches(q, query.names)) candidate(row.id).nameScores.set(row.term, row.score);
  if (query.birthDate) {
    const born = await bornOn(q, query.birthDate, candidates.size > 0 ? [...candidates.keys()] : undefined);
    for (const id of born) candidate(id).birthDate = true;
  }
  const denied = deniedLabelsFor(ctx.role);
  const rows = await patientRows(q, [...candidates.keys()], denied);
  const found: FoundPatient[] = [];
  for (const row of rows) {
    const c = candidates.get(row.id);
    if (!c) continue;
    const score = rank(c, query, row.content);
    if (score === undefined) continue;
    const matchedBy: MatchKind[] = [];
    if (c.identifier) matchedBy.push('identifier');
    if (c.nameScores.size > 0) matchedBy.push('name');
    if (c.birthDate) matchedBy.push('birthDate');
    const restricted =
      row.security.some((l) => denied.includes(l)) && !ctx.brokenGlassPatients.includes(row.id);
    found.push(
      restricted
        ? { id: row.id, restricted: true, score, matchedBy }
        : describePatient(row, score, matchedBy),
    );
  }
  found.sort(
    (a, b) => b.score - a.score || sortName(a).localeCompare(sortName(b)) || a.id.localeCompare(b.id),
  );
  return { total: found.length, results: found.slice(0, limit) };
}

const sortName = (p: FoundPatient): string =>
  p.restricted ? '\uffff' : `${p.family ?? ''} ${p.given ?? ''}`.toLowerCase();

/**
 * The ranking: an identifier match outranks any name match; names score the mean of each
 * word's best match (a nickname of the stored given name counts as 0.95); a birth date that
 * was asked for must match.
 */
function rank(c: Candidate, query: FinderQuery, patient: Patient): number | undefined {
  if (query.birthDate && !c.birthDate) return undefined;
  let nameScore = 0;
  if (query.names.length > 0) {
    const givens = givenNames(patient).map((g) => formalGivenName(g));
    let sum = 0;
    query.names.forEach((term, i) => {
      let s = c.nameScores.get(i) ?? 0;
      if (term.role !== 'family' && givens.includes(formalGivenName(term.word))) s = Math.max(s, 0.95);
      sum += s;
    });
    nameScore = sum / query.names.length;
    if (!c.identifier && nameScore < MIN_NAME_SCORE) return undefined;
  }
  if (!c.identifier && query.names.length === 0 && !c.birthDate) return undefined;
  return Math.round(((c.identifier ? 2 : 0) + nameScore + (c.birthDate ? 0.5 : 0)) * 1000) / 1000;
}

/** Stored given names without Synthea's digit suffixes, lower case. */
function givenNames(patient: Patient): string[] {
  return (patient.name ?? [])
    .flatMap((n) => n.given ?? [])
    .map((g) => normalizeWord(g).replace(/[^\p{L}]/gu, ''));
}

async function identifierMatches(q: Queryable, values: string[]): Promise<string[]> {
  if (values.length === 0) return [];
  const res = await q.query<{ resource_id: string }>(
    `SELECT DISTINCT resource_id FROM search_token
      WHERE resource_type = 'Patient' AND param = 'identifier' AND code = ANY($1::text[]) LIMIT ${CANDIDATES}`,
    [[...new Set([...values, ...values.map((v) => v.toUpperCase()), ...values.map((v) => v.toLowerCase())])]],
  );
  return res.rows.map((r) => r.resource_id);
}

/** A stored name row as the finder compares it: digits stripped, exactly as migration 0401 indexes it. */
const STORED_NAME = `btrim(regexp_replace(s.norm, '[0-9]+', '', 'g'))`;

/** The three ways a name can match, each answered by its own index (see migration 0401). */
const NAME_LOOKUPS = [
  `${STORED_NAME} % t.variant`,
  `dmetaphone(${STORED_NAME}) = dmetaphone(t.variant)`,
  `soundex(${STORED_NAME}) = soundex(t.variant)`,
];

/**
 * Per patient and search word, the best match over the patient's family and given names:
 * trigram similarity, or a phonetic key in common (Double Metaphone 0.8, Soundex 0.6). A word
 * typed as a family name ("Family, Given") counts half against a given name and vice versa.
 * Digits are stripped from stored names (Synthea writes "Keeling57").
 */
async function nameMatches(
  q: Queryable,
  terms: NameTerm[],
): Promise<Array<{ id: string; term: number; score: number }>> {
  if (terms.length === 0) return [];
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
  const res = await q.query<{ id: string; term: number; score: number }>(
    `WITH term(idx, variant, role) AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[])),
     cand AS (${NAME_LOOKUPS.map(
       (on) => `SELECT s.resource_id AS id, s.param, ${STORED_NAME} AS name, t.idx, t.variant, t.role
         FROM term t JOIN search_string s
           ON s.resource_type = 'Patient' AND s.param IN ('family', 'given') AND ${on}`,
     ).join('\n       UNION\n       ')}),
     hit AS (
       SELECT id, idx,
              GREATEST(similarity(name, variant),
                       CASE WHEN dmetaphone(name) = dmetaphone(variant) THEN 0.8 ELSE 0 END,
                       CASE WHEN soundex(name) = soundex(variant) THEN 0.6 ELSE 0 END)
              * CASE WHEN role = 'any' OR role = param THEN 1 ELSE 0.5 END
              * CASE WHEN param = 'family' THEN 1 ELSE 0.95 END AS score
         FROM cand WHERE name <> ''
     ),
     best AS (SELECT id, idx, max(score) AS score FROM hit GROUP BY id, idx),
     top AS (SELECT id FROM best GROUP BY id ORDER BY sum(score) DESC, id LIMIT ${CANDIDATES})
     SELECT b.id, b.idx AS term, b.score::float8 AS score FROM best b JOIN top USING (id)`,
    [idx, variants, roles],
  );
  return res.rows.map((r) => ({ id: r.id, term: Number(r.term), score: Number(r.score) }));
}

/** Patients born on the date, among `among` when given (search_date ranges cover the whole day). */
async function bornOn(q: Queryable, date: string, among: string[] | undefined): Promise<string[]> {
  const res = await q.query<{ resource_id: string }>(
    `SELECT DISTINCT resource_id FROM search_date
      WHERE resource_type = 'Patient' AND param = 'birthdate' AND low <= $1::timestamptz AND high >= $1::timestamptz
        ${among ? 'AND resource_id = ANY($2::text[])' : ''} LIMIT ${CANDIDATES}`,
    among ? [`${date}T12:00:00Z`, among] : [`${date}T12:00:00Z`],
  );
  return res.rows.map((r) => r.resource_id);
}

interface PatientRow {
  id: string;
  security: string[];
  content: Patient;
  encounter_start: string | null;
  encounter_class: string | null;
  encounter_type: string | null;
}

/** The candidates' current Patient versions and each one's latest encounter not itself labelled sensitive. */
async function patientRows(q: Queryable, ids: string[], denied: string[]): Promise<PatientRow[]> {
  if (ids.length === 0) return [];
  const res = await q.query<PatientRow>(
    `SELECT p.id, p.security, p.content, e.start AS encounter_start, e.class AS encounter_class, e.type AS encounter_type
       FROM fhir_resource p
       LEFT JOIN LATERAL (
         SELECT x.content->'period'->>'start' AS start, x.content->'class'->>'code' AS class,
                COALESCE(x.content->'type'->0->>'text', x.content->'type'->0->'coding'->0->>'display') AS type
           FROM fhir_resource x
          WHERE x.patient_id = p.id AND x.resource_type = 'Encounter' AND NOT x.deleted AND NOT (x.security && $2::text[])
          ORDER BY x.content->'period'->>'start' DESC NULLS LAST LIMIT 1
       ) e ON true
      WHERE p.resource_type = 'Patient' AND p.id = ANY($1::text[]) AND NOT p.deleted`,
    [ids, denied],
  );
  return res.rows;
}

function describePatient(row: PatientRow, score: number, matchedBy: MatchKind[]): FoundPatient {
  const p = row.content;
  const name = officialName(p.name);
  const family = name?.family;
  const given = name?.given?.join(' ');
  const mrn = medicalRecordNumber(p.identifier);
  return {
    id: row.id,
    restricted: false,
    score,
    matchedBy,
    name: name ? [given, family].filter(Boolean).join(' ') || (name.text ?? '') : '(no name)',
    ...(family ? { family } : {}),
    ...(given ? { given } : {}),
    ...(p.birthDate ? { birthDate: p.birthDate } : {}),
    ...(p.gender ? { gender: p.gender } : {}),
    ...(mrn ? { mrn } : {}),
    ...(row.encounter_start
      ? {
          lastEncounter: {
            date: row.encounter_start,
            ...(row.encounter_class ? { class: row.encounter_class } : {}),
            ...(row.encounter_type ? { type: row.encounter_type } : {}),
          },
        }
      : {}),
  };
}

function officialName(names: HumanName[] | undefined): HumanName | undefined {
  return names?.find((n) => n.use === 'official') ?? names?.find((n) => n.use !== 'old') ?? names?.[0];
}
