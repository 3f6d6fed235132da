import { familyName, nicknameOf } from './names.ts';
import type { Sex } from './names.ts';
import { phoneNumber, pickPlace, streetLine, unitLine } from './places.ts';
import type { Rng } from './prng.ts';
import { weighted } from './prng.ts';
import { isValidDate } from './time.ts';
import type { Demographics } from './person.ts';

/**
 * Realistic registration errors for duplicate records: what happens when the same person is
 * registered again at another desk without the first record being found. The kinds and their
 * rough frequencies follow the published MPI error studies (typos and nicknames dominate, then
 * date-of-birth slips and name changes).
 */
export const DUPLICATE_ERRORS = [
  'name-transposition',
  'name-dropped-letter',
  'name-doubled-letter',
  'name-keyboard-neighbour',
  'nickname',
  'family-name-change',
  'birth-date-day-month-swap',
  'birth-date-digit',
  'missing-phone',
  'moved-address',
  'swapped-names',
  'missing-ssn',
  'ssn-digit',
] as const;

export type DuplicateError = (typeof DUPLICATE_ERRORS)[number];

/** The errors a duplicate may get on top of its SSN handling, with relative weights. */
const ERROR_WEIGHTS = weighted<DuplicateError>([
  ['name-transposition', 10],
  ['name-dropped-letter', 8],
  ['name-doubled-letter', 6],
  ['name-keyboard-neighbour', 9],
  ['nickname', 10],
  ['family-name-change', 7],
  ['birth-date-day-month-swap', 6],
  ['birth-date-digit', 8],
  ['missing-phone', 8],
  ['moved-address', 10],
  ['swapped-names', 3],
]);

/** QWERTY neighbours for keyboard slips. */
const NEIGHBOURS: Readonly<Record<string, string>> = {
  q: 'wa',
  w: 'qes',
  e: 'wrd',
  r: 'etf',
  t: 'ryg',
  y: 'tuh',
  u: 'yij',
  i: 'uok',
  o: 'ipl',
  p: 'o',
  a: 'qsz',
  s: 'awdz',
  d: 'sefx',
  f: 'drgc',
  g: 'fthv',
  h: 'gyjb',
  j: 'hukn',
  k: 'jilm',
  l: 'kop',
  z: 'asx',
  x: 'zsdc',
  c: 'xdfv',
  v: 'cfgb',
  b: 'vghn',
  n: 'bhjm',
  m: 'njk',
};

export interface DuplicateResult {
  demographics: Demographics;
  errors: DuplicateError[];
}

/** An altered copy of a person's demographics as a second registration would record them. */
export function makeDuplicate(rng: Rng, original: Demographics, sex: Sex): DuplicateResult {
  const d: Demographics = { ...original, line: [...original.line] };
  // A second registration rarely repeats the optional extras of the first.
  delete d.nickname;
  d.showMaiden = false;
  if (!rng.chance(0.3)) delete d.email;
  const middleFate = rng.next();
  if (middleFate < 0.5) delete d.middle;
  else if (d.middle && middleFate < 0.75) d.middle = d.middle.charAt(0);
  const errors: DuplicateError[] = [];
  applySsn(rng, d, errors);
  // One in ten duplicates is exact apart from the new MRN: the easy case an MPI must never miss.
  const count = rng.chance(0.1) ? 0 : rng.pickWeighted(COUNT);
  let current = d;
  for (let attempt = 0; errors.length < count + ssnErrors(errors) && attempt < 12; attempt++) {
    const kind = rng.pickWeighted(ERROR_WEIGHTS);
    if (errors.includes(kind)) continue;
    // Work on a copy and keep it only if the record now really differs from the original in
    // what this error touches (a second typo may undo the first; a new surname may be the same).
    const candidate: Demographics = { ...current, line: [...current.line] };
    if (apply(rng, candidate, kind, sex) && differs(kind, original, candidate)) {
      current = candidate;
      errors.push(kind);
    }
  }
  return { demographics: current, errors };
}

const COUNT = weighted<number>([
  [1, 50],
  [2, 35],
  [3, 15],
]);

function differs(kind: DuplicateError, a: Demographics, b: Demographics): boolean {
  switch (kind) {
    case 'birth-date-day-month-swap':
    case 'birth-date-digit':
      return a.birthDate !== b.birthDate;
    case 'missing-phone':
      return a.phone !== undefined && b.phone === undefined;
    case 'moved-address':
      return a.line.join('|') !== b.line.join('|') || a.postalCode !== b.postalCode;
    case 'missing-ssn':
    case 'ssn-digit':
      return a.ssn !== b.ssn;
    case 'name-transposition':
    case 'name-dropped-letter':
    case 'name-doubled-letter':
    case 'name-keyboard-neighbour':
    case 'nickname':
    case 'family-name-change':
    case 'swapped-names':
      return a.given !== b.given || a.family !== b.family;
    default: {
      const unknown: never = kind;
      throw new Error(`unknown duplicate error ${String(unknown)}`);
    }
  }
}

function ssnErrors(errors: readonly DuplicateError[]): number {
  return errors.filter((e) => e === 'missing-ssn' || e === 'ssn-digit').length;
}

function applySsn(rng: Rng, d: Demographics, errors: DuplicateError[]): void {
  if (!d.ssn) return;
  const x = rng.next();
  if (x < 0.35) {
    delete d.ssn;
    errors.push('missing-ssn');
  } else if (x < 0.45) {
    d.ssn = changeOneDigit(rng, d.ssn, 4);
    errors.push('ssn-digit');
  }
}

function apply(rng: Rng, d: Demographics, kind: DuplicateError, sex: Sex): boolean {
  switch (kind) {
    case 'name-transposition':
    case 'name-dropped-letter':
    case 'name-doubled-letter':
    case 'name-keyboard-neighbour': {
      const field = rng.chance(0.5) ? 'given' : 'family';
      const changed = typo(rng, d[field], kind);
      if (changed === d[field]) return false;
      d[field] = changed;
      return true;
    }
    case 'nickname': {
      const nick = nicknameOf(rng, d.given);
      if (!nick) return false;
      d.given = nick;
      return true;
    }
    case 'family-name-change':
      // Mostly women change family names at marriage; men do it far less often.
      if (sex === 'male' && !rng.chance(0.15)) return false;
      return changeFamily(rng, d);
    case 'birth-date-day-month-swap': {
      const [y, m, day] = d.birthDate.split('-');
      if (m === day) return false;
      const swapped = `${y}-${day}-${m}`;
      if (!isValidDate(swapped)) return false;
      d.birthDate = swapped;
      return true;
    }
    case 'birth-date-digit': {
      for (let i = 0; i < 6; i++) {
        const changed = changeOneDigit(rng, d.birthDate, 2);
        if (isValidDate(changed) && changed !== d.birthDate && changed < '2030') {
          d.birthDate = changed;
          return true;
        }
      }
      return false;
    }
    case 'missing-phone':
      if (!d.phone) return false;
      delete d.phone;
      return true;
    case 'moved-address': {
      const place = pickPlace(rng);
      const unit = unitLine(rng);
      d.line = unit ? [streetLine(rng), unit] : [streetLine(rng)];
      d.city = place.city;
      d.state = place.state;
      d.postalCode = rng.pick(place.zips);
      // People who move often change their landline too.
      if (d.phone && d.phoneUse === 'home' && rng.chance(0.7)) d.phone = phoneNumber(rng, place);
      return true;
    }
    case 'swapped-names': {
      const given = d.given;
      d.given = d.family;
      d.family = given;
      return true;
    }
    case 'missing-ssn':
    case 'ssn-digit':
      return false;
    default: {
      const unknown: never = kind;
      throw new Error(`unknown duplicate error ${String(unknown)}`);
    }
  }
}

/** Marriage, divorce or a hyphenated name: the same person under another family name. */
function changeFamily(rng: Rng, d: Demographics): boolean {
  if (d.maidenName && rng.chance(0.5)) {
    d.family = rng.chance(0.5) ? d.maidenName : `${d.maidenName}-${d.family}`;
    return true;
  }
  if (d.family.includes('-')) {
    d.family = d.family.split('-')[0] ?? d.family;
    return true;
  }
  d.family = rng.chance(0.4) ? `${d.family}-${familyName(rng)}` : familyName(rng);
  return true;
}

/** One keying slip in a name; the first letter survives, as it usually does in practice. */
export type TypoKind =
  'name-transposition' | 'name-dropped-letter' | 'name-doubled-letter' | 'name-keyboard-neighbour';

export function typo(rng: Rng, name: string, kind: TypoKind): string {
  if (name.length < 3) return name;
  const i = rng.int(1, name.length - 2);
  const a = name.charAt(i);
  const b = name.charAt(i + 1);
  switch (kind) {
    case 'name-transposition':
      return a === b ? name : name.slice(0, i) + b + a + name.slice(i + 2);
    case 'name-dropped-letter':
      return name.length < 4 ? name : name.slice(0, i) + name.slice(i + 1);
    case 'name-doubled-letter':
      return name.slice(0, i) + a + name.slice(i);
    case 'name-keyboard-neighbour': {
      const options = NEIGHBOURS[a.toLowerCase()];
      if (!options) return name;
      const c = options.charAt(rng.int(0, options.length - 1));
      return name.slice(0, i) + (a === a.toUpperCase() ? c.toUpperCase() : c) + name.slice(i + 1);
    }
    default: {
      const unknown: never = kind;
      throw new Error(`unknown typo ${String(unknown)}`);
    }
  }
}

/** Replaces one digit at or after `from` with its neighbour value (a slip of one key). */
function changeOneDigit(rng: Rng, value: string, from: number): string {
  const positions: number[] = [];
  for (let i = from; i < value.length; i++) if (/\d/.test(value.charAt(i))) positions.push(i);
  const p = rng.pick(positions);
  const digit = Number(value.charAt(p));
  const next = rng.chance(0.5) ? (digit + 1) % 10 : (digit + 9) % 10;
  return value.slice(0, p) + String(next) + value.slice(p + 1);
}
