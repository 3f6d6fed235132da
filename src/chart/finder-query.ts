import { formalGivenName } from '../mpi/index.ts';

/**
 * A technician's free-text patient search, parsed: "keeling", "Keeling, Bob", "bob keeling 1991-07-08",
 * an MRN, or a birth date alone. Pure functions, testable without a database.
 */

/** Which name part a search word is compared with: after a comma the words are given names. */
export type NameRole = 'any' | 'family' | 'given';

export interface NameTerm {
  /** The word as typed, lower case and without accents. */
  word: string;
  role: NameRole;
  /** The word and its formal given name when it is a nickname (bob -> robert). */
  variants: string[];
}

export interface FinderQuery {
  names: NameTerm[];
  /** Words that may be identifiers (MRN, SSN, ...): anything with a digit that is not a date. */
  identifiers: string[];
  /** YYYY-MM-DD when the text or the birthdate parameter holds a date. */
  birthDate?: string;
}

/** Lower case, accents removed: the way the store normalises the string index it looks names up in. */
export function normalizeWord(value: string): string {
  return value.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().trim();
}

/** A date typed as YYYY-MM-DD, YYYYMMDD or M/D/YYYY (US order), as YYYY-MM-DD; undefined otherwise. */
export function parseBirthDate(text: string): string | undefined {
  const t = text.trim();
  let y: number, m: number, d: number;
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(t);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else {
    match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
    if (!match) return undefined;
    [m, d, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  }
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
    return undefined;
  return date.toISOString().slice(0, 10);
}

function nameTerm(word: string, role: NameRole): NameTerm {
  const formal = role === 'family' ? word : formalGivenName(word);
  return { word, role, variants: formal && formal !== word ? [word, formal] : [word] };
}

/** Splits the search text into name words, identifier candidates and a birth date. */
export function parseFinderQuery(text: string, birthdate?: string): FinderQuery {
  const query: FinderQuery = { names: [], identifiers: [] };
  if (birthdate) {
    const parsed = parseBirthDate(birthdate);
    if (parsed) query.birthDate = parsed;
  }
  const comma = text.indexOf(',');
  const parts: Array<[string, NameRole]> =
    comma >= 0
      ? [
          [text.slice(0, comma), 'family'],
          [text.slice(comma + 1), 'given'],
        ]
      : [[text, 'any']];
  for (const [part, role] of parts) {
    for (const raw of part.split(/\s+/).filter(Boolean)) {
      const date = parseBirthDate(raw);
      if (date) {
        query.birthDate ??= date;
        continue;
      }
      if (/\d/.test(raw)) {
        query.identifiers.push(raw);
        continue;
      }
      // Names keep letters only: "O'Brien" -> "obrien", "Smith-Jones" -> two words.
      for (const piece of normalizeWord(raw).split(/[-\s]+/)) {
        const word = piece.replace(/[^\p{L}]/gu, '');
        if (word.length >= 2 && !query.names.some((n) => n.word === word && n.role === role))
          query.names.push(nameTerm(word, role));
      }
    }
  }
  return query;
}
