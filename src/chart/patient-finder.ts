import type { Encounter, HumanName, Patient } from '@medplum/fhirtypes';
import type { RequestContext } from '../auth/access.ts';
import { medicalRecordNumber } from '../shared/index.ts';
import type { Db } from '../db/index.ts';
import { badRequest } from '../fhir/outcomes.ts';
import {
  bornOn,
  fuzzyNameMatches,
  identifierMatches,
  patientSummaries,
  type NameWeights,
  type PatientSummary,
} from '../fhir/patient-lookup.ts';
import { FhirStore } from '../fhir/store.ts';
import { formalGivenName } from '../mpi/index.ts';
import { normalizeWord, parseFinderQuery, type FinderQuery } from './finder-query.ts';

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
      /** A record merged away (Patient.link replaced-by): its survivor, and "MRN x" as the merge named it. */
      mergedInto?: { id: string; display?: string };
    }
  /**
   * A chart the caller may not see: only its id, so the user can break the glass. No score and
   * no match detail either, which would tell which identifier, name or birth date it holds.
   */
  | { id: string; restricted: true; score: 0; matchedBy: [] };

export type MatchKind = 'identifier' | 'name' | 'birthDate';

export interface FinderResult {
  total: number;
  results: FoundPatient[];
}

/** Name words scoring below this (0..1, mean over the words) are not shown. */
const MIN_NAME_SCORE = 0.35;
/** Candidates fetched per step before ranking; the answer is cut to `limit` afterwards. */
const CANDIDATES = 200;
/**
 * How one typed name word scores against a stored name: trigram similarity, or a phonetic key
 * in common; half when typed as the other name part ("Family, Given"); a given name a little
 * below the family name.
 */
const NAME_WEIGHTS: NameWeights = { metaphone: 0.8, soundex: 0.6, otherPart: 0.5, givenName: 0.95 };

type VisiblePatient = Extract<PatientSummary, { visible: true }>;

interface Candidate {
  id: string;
  identifier: boolean;
  nameScores: Map<number, number>;
  birthDate: boolean;
}

/**
 * Finds patients from free text: an exact identifier (MRN) first, then names with typos and
 * nicknames (pg_trgm similarity, Double Metaphone and Soundex over the name index rows), optionally
 * narrowed by birth date. The store's lookups (src/fhir/patient-lookup.ts) apply the one access
 * filter; a chart the caller may not see comes back as a bare `restricted` row, found by its
 * identifier or name only (see README.md, "Restricted charts").
 */
export async function findPatients(
  db: Db,
  ctx: RequestContext,
  input: { text: string; birthdate?: string; limit?: number },
): Promise<FinderResult> {
  const query = parseFinderQuery(input.text, input.birthdate);
  if (query.names.length === 0 && query.identifiers.length === 0 && !query.birthDate) {
    throw badRequest('Type a name, an MRN or a birth date to search');
  }
  const store = new FhirStore(db, ctx);
  const limit = Math.min(Math.max(input.limit ?? 25, 1), 100);
  const candidates = new Map<string, Candidate>();
  const candidate = (id: string): Candidate => {
    let c = candidates.get(id);
    if (!c) candidates.set(id, (c = { id, identifier: false, nameScores: new Map(), birthDate: false }));
    return c;
  };
  // Identifiers as typed, upper and lower case.
  const ids = query.identifiers.flatMap((v) => [v, v.toUpperCase(), v.toLowerCase()]);
  for (const id of await identifierMatches(store, [...new Set(ids)], CANDIDATES))
    candidate(id).identifier = true;
  for (const row of await fuzzyNameMatches(store, query.names, NAME_WEIGHTS, CANDIDATES))
    candidate(row.id).nameScores.set(row.term, row.score);
  if (query.birthDate) {
    const among = candidates.size > 0 ? [...candidates.keys()] : undefined;
    for (const id of await bornOn(store, query.birthDate, among, CANDIDATES)) candidate(id).birthDate = true;
  }
  const visible: Array<Extract<FoundPatient, { restricted: false }>> = [];
  const restricted: FoundPatient[] = [];
  for (const summary of await patientSummaries(store, [...candidates.keys()])) {
    const c = candidates.get(summary.id);
    if (!c) continue;
    if (!summary.visible) {
      if (foundWithoutDetail(c, query))
        restricted.push({ id: c.id, restricted: true, score: 0, matchedBy: [] });
      continue;
    }
    const score = rank(c, query, summary.patient);
    if (score === undefined) continue;
    const matchedBy: MatchKind[] = [];
    if (c.identifier) matchedBy.push('identifier');
    if (c.nameScores.size > 0) matchedBy.push('name');
    if (c.birthDate) matchedBy.push('birthDate');
    visible.push(describePatient(summary, score, matchedBy));
  }
  visible.sort(
    (a, b) => b.score - a.score || sortName(a).localeCompare(sortName(b)) || a.id.localeCompare(b.id),
  );
  // Restricted rows follow in id order: their order must not rank them either.
  restricted.sort((a, b) => a.id.localeCompare(b.id));
  const found = [...visible, ...restricted];
  return { total: found.length, results: found.slice(0, limit) };
}

const sortName = (p: { family?: string; given?: string }): string =>
  `${p.family ?? ''} ${p.given ?? ''}`.toLowerCase();

/**
 * The ranking: an identifier match outranks any name match; names score the mean of each
 * word's best match (a nickname of the stored given name counts as 0.95); a birth date that
 * was asked for must match.
 */
function rank(c: Candidate, query: FinderQuery, patient: Patient): number | undefined {
  if (query.birthDate && !c.birthDate) return undefined;
  const names = nameScore(c, query, givenNames(patient));
  if (!c.identifier && query.names.length > 0 && names < MIN_NAME_SCORE) return undefined;
  if (!c.identifier && query.names.length === 0 && !c.birthDate) return undefined;
  return Math.round(((c.identifier ? 2 : 0) + names + (c.birthDate ? 0.5 : 0)) * 1000) / 1000;
}

/**
 * Whether a chart the caller may not see is listed: when the identifier matched, or the name
 * would be shown by itself (scored on the index rows alone: its stored given names are not read).
 * The birth date plays no part, so the answer never confirms one (`bornOn` skips such charts).
 */
function foundWithoutDetail(c: Candidate, query: FinderQuery): boolean {
  if (c.identifier) return true;
  return query.names.length > 0 && nameScore(c, query, []) >= MIN_NAME_SCORE;
}

/** Mean over the typed name words of each word's best match; 0 when no name was typed. */
function nameScore(c: Candidate, query: FinderQuery, storedGivens: string[]): number {
  if (query.names.length === 0) return 0;
  const givens = storedGivens.map((g) => formalGivenName(g));
  let sum = 0;
  query.names.forEach((term, i) => {
    let s = c.nameScores.get(i) ?? 0;
    if (term.role !== 'family' && givens.includes(formalGivenName(term.word))) s = Math.max(s, 0.95);
    sum += s;
  });
  return sum / query.names.length;
}

/** Stored given names without Synthea's digit suffixes, lower case. */
function givenNames(patient: Patient): string[] {
  return (patient.name ?? [])
    .flatMap((n) => n.given ?? [])
    .map((g) => normalizeWord(g).replace(/[^\p{L}]/gu, ''));
}

function describePatient(
  summary: VisiblePatient,
  score: number,
  matchedBy: MatchKind[],
): Extract<FoundPatient, { restricted: false }> {
  const p = summary.patient;
  const name = officialName(p.name);
  const family = name?.family;
  const given = name?.given?.join(' ');
  const mrn = medicalRecordNumber(p.identifier);
  const survivor = p.link?.find((l) => l.type === 'replaced-by')?.other;
  const survivorId = survivor?.reference?.split('/').pop();
  return {
    id: summary.id,
    restricted: false,
    score,
    matchedBy,
    name: name ? [given, family].filter(Boolean).join(' ') || (name.text ?? '') : '(no name)',
    ...(family ? { family } : {}),
    ...(given ? { given } : {}),
    ...(p.birthDate ? { birthDate: p.birthDate } : {}),
    ...(p.gender ? { gender: p.gender } : {}),
    ...(mrn ? { mrn } : {}),
    ...(summary.lastEncounter ? describeEncounter(summary.lastEncounter) : {}),
    ...(survivorId
      ? { mergedInto: { id: survivorId, ...(survivor?.display ? { display: survivor.display } : {}) } }
      : {}),
  };
}

/** The latest encounter as the finder shows it: its start, class code and type. */
function describeEncounter(e: Encounter): {
  lastEncounter?: { date: string; class?: string; type?: string };
} {
  const date = e.period?.start;
  if (!date) return {};
  const cls = e.class?.code;
  const type = e.type?.[0]?.text ?? e.type?.[0]?.coding?.[0]?.display;
  return { lastEncounter: { date, ...(cls ? { class: cls } : {}), ...(type ? { type } : {}) } };
}

function officialName(names: HumanName[] | undefined): HumanName | undefined {
  return names?.find((n) => n.use === 'official') ?? names?.find((n) => n.use !== 'old') ?? names?.[0];
}
