/**
 * Field comparison: string similarity measures and the graded agreement level of each field.
 * Levels (exact / close / weak / different / missing) are what the Fellegi-Sunter model weighs.
 */
import { FIELDS, LEVEL_INDEX, MISSING } from './types.ts';
import type { DateParts, Field, StandardRecord } from './types.ts';

const EXACT = LEVEL_INDEX.exact;
const CLOSE = LEVEL_INDEX.close;
const WEAK = LEVEL_INDEX.weak;
const DIFFERENT = LEVEL_INDEX.different;

// Scratch buffers reused across calls: comparison runs millions of times in a batch. A slot is
// "set" when it holds the current generation number, which saves clearing them on every call.
const jw = { matchedA: new Int32Array(256), matchedB: new Int32Array(256), generation: 0 };

function jwScratch(la: number, lb: number): number {
  if (jw.matchedA.length < la) jw.matchedA = new Int32Array(la * 2);
  if (jw.matchedB.length < lb) jw.matchedB = new Int32Array(lb * 2);
  jw.generation++;
  if (jw.generation === 0x7fffffff) {
    jw.matchedA.fill(0);
    jw.matchedB.fill(0);
    jw.generation = 1;
  }
  return jw.generation;
}

/** Jaro-Winkler similarity in [0, 1] (prefix scale 0.1, up to 4 prefix characters). */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return a === '' ? 0 : 1;
  const la = a.length;
  const lb = b.length;
  if (la === 0 || lb === 0) return 0;
  const gen = jwScratch(la, lb);
  const matchedA = jw.matchedA;
  const matchedB = jw.matchedB;
  const window = Math.max(0, ((la > lb ? la : lb) >> 1) - 1);
  let matches = 0;
  for (let i = 0; i < la; i++) {
    const lo = i - window > 0 ? i - window : 0;
    const hi = i + window < lb - 1 ? i + window : lb - 1;
    const c = a.charCodeAt(i);
    for (let j = lo; j <= hi; j++) {
      if (matchedB[j] !== gen && b.charCodeAt(j) === c) {
        matchedA[i] = gen;
        matchedB[j] = gen;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  let k = 0;
  for (let i = 0; i < la; i++) {
    if (matchedA[i] !== gen) continue;
    while (matchedB[k] !== gen) k++;
    if (a.charCodeAt(i) !== b.charCodeAt(k)) transpositions++;
    k++;
  }
  const m = matches;
  const jaro = (m / la + m / lb + (m - transpositions / 2) / m) / 3;
  let prefix = 0;
  const maxPrefix = Math.min(4, la, lb);
  while (prefix < maxPrefix && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/**
 * Whether two strings are at most one edit apart (substitution, insertion, deletion or a swap of
 * neighbours): the common fast case of Damerau-Levenshtein <= 1.
 */
export function withinOneEdit(a: string, b: string): boolean {
  const la = a.length;
  const lb = b.length;
  if (la === lb) {
    let first = -1;
    let mismatches = 0;
    for (let i = 0; i < la; i++) {
      if (a.charCodeAt(i) !== b.charCodeAt(i)) {
        if (++mismatches > 2) return false;
        if (first < 0) first = i;
        else if (i !== first + 1) return false;
      }
    }
    if (mismatches < 2) return true;
    return a.charCodeAt(first) === b.charCodeAt(first + 1) && a.charCodeAt(first + 1) === b.charCodeAt(first);
  }
  if (Math.abs(la - lb) !== 1) return false;
  const [long, short] = la > lb ? [a, b] : [b, a];
  let i = 0;
  while (i < short.length && long.charCodeAt(i) === short.charCodeAt(i)) i++;
  return long.slice(i + 1) === short.slice(i);
}

let rowPrev2 = new Int32Array(64);
let rowPrev = new Int32Array(64);
let rowCur = new Int32Array(64);

/**
 * Damerau-Levenshtein distance (optimal string alignment: insert, delete, substitute, swap two
 * neighbours). Stops early and returns limit + 1 once the distance must exceed limit.
 */
export function damerauLevenshtein(a: string, b: string, limit = Number.MAX_SAFE_INTEGER): number {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > limit) return limit + 1;
  if (la === 0) return lb;
  if (lb === 0) return la;
  if (rowCur.length <= lb) {
    rowPrev2 = new Int32Array(lb * 2 + 1);
    rowPrev = new Int32Array(lb * 2 + 1);
    rowCur = new Int32Array(lb * 2 + 1);
  }
  for (let j = 0; j <= lb; j++) rowPrev[j] = j;
  for (let i = 1; i <= la; i++) {
    rowCur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= lb; j++) {
      const cb = b.charCodeAt(j - 1);
      const cost = ca === cb ? 0 : 1;
      let v = Math.min((rowPrev[j] ?? 0) + 1, (rowCur[j - 1] ?? 0) + 1, (rowPrev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) {
        v = Math.min(v, (rowPrev2[j - 2] ?? 0) + 1);
      }
      rowCur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    const t = rowPrev2;
    rowPrev2 = rowPrev;
    rowPrev = rowCur;
    rowCur = t;
  }
  return rowPrev[lb] ?? 0;
}

/** Level of two names: same (or same formal name), close spelling, sound-alike, different. */
export function compareNames(
  a: string,
  b: string,
  formalA: string,
  formalB: string,
  keyA: string,
  keyB: string,
): number {
  if (a === '' || b === '') return MISSING;
  if (a === b || formalA === formalB) return EXACT;
  let similarity = jaroWinkler(a, b);
  if (formalA !== a || formalB !== b) similarity = Math.max(similarity, jaroWinkler(formalA, formalB));
  if (similarity >= 0.92) return CLOSE;
  if (similarity >= 0.8 || (keyA !== '' && keyA === keyB)) return WEAK;
  return DIFFERENT;
}

/** Level of two free-text values (address lines, locality) by Jaro-Winkler similarity. */
export function compareText(a: string, b: string): number {
  if (a === '' || b === '') return MISSING;
  if (a === b) return EXACT;
  const similarity = jaroWinkler(a, b);
  if (similarity >= 0.9) return CLOSE;
  if (similarity >= 0.75) return WEAK;
  return DIFFERENT;
}

/** Level of two codes (postcode, street number, identifier, phone) by edit distance. */
export function compareCode(a: string, b: string, weakDistance = 1): number {
  if (a === '' || b === '') return MISSING;
  if (a === b) return EXACT;
  if (withinOneEdit(a, b)) return CLOSE;
  if (weakDistance >= 2 && damerauLevenshtein(a, b, 2) <= 2) return WEAK;
  return DIFFERENT;
}

/** Level of two codes that either agree or not (state, sex). */
export function compareExact(a: string, b: string): number {
  if (a === '' || b === '') return MISSING;
  return a === b ? EXACT : DIFFERENT;
}

/**
 * Level of two dates: the same; close (day and month transposed, one digit wrong, or two
 * neighbouring digits swapped); weak (same year); different.
 */
export function compareDates(a: DateParts, b: DateParts): number {
  if (a.digits === '' || b.digits === '') return MISSING;
  if (a.digits === b.digits) return EXACT;
  if (a.year === b.year && a.month !== null && a.month === b.day && a.day === b.month) return CLOSE;
  if (withinOneEdit(a.digits, b.digits)) return CLOSE;
  if (a.year !== null && a.year === b.year) return WEAK;
  return DIFFERENT;
}

/** Badness of a level for choosing between direct and swapped comparison. */
function score(x: number): number {
  return x === MISSING ? 3 : x;
}

/**
 * Compares two records field by field and writes one level per field (in FIELDS order) to out.
 * Swapped given/family names and swapped address lines are recognised: the swap is taken when it
 * agrees better, and counts at most as close.
 */
export function compareRecords(a: StandardRecord, b: StandardRecord, out: Uint8Array): Uint8Array {
  let given = compareNames(a.given, b.given, a.givenFormal, b.givenFormal, a.givenPhonetic, b.givenPhonetic);
  let family = compareNames(a.family, b.family, a.family, b.family, a.familyPhonetic, b.familyPhonetic);
  // A swap is only worth testing when a first letter crosses over (cheap, and rarely wrong).
  const crossed =
    a.given.charCodeAt(0) === b.family.charCodeAt(0) || a.family.charCodeAt(0) === b.given.charCodeAt(0);
  if (given + family >= 4 && crossed && a.given !== '' && b.family !== '') {
    const g2 = compareNames(a.given, b.family, a.givenFormal, b.family, a.givenPhonetic, b.familyPhonetic);
    const f2 = compareNames(a.family, b.given, a.family, b.givenFormal, a.familyPhonetic, b.givenPhonetic);
    if (score(g2) + score(f2) < score(given) + score(family)) {
      // Math.max keeps missing (the highest index) and caps agreement at close.
      given = Math.max(CLOSE, g2);
      family = Math.max(CLOSE, f2);
    }
  }
  let address1 = compareText(a.address1, b.address1);
  let address2 = compareText(a.address2, b.address2);
  const linesCrossed =
    a.address1.charCodeAt(0) === b.address2.charCodeAt(0) ||
    a.address2.charCodeAt(0) === b.address1.charCodeAt(0);
  if (address1 !== EXACT && linesCrossed && (a.address1 !== '' || a.address2 !== '')) {
    const s1 = compareText(a.address1, b.address2);
    const s2 = compareText(a.address2, b.address1);
    if (score(s1) + score(s2) < score(address1) + score(address2)) {
      address1 = Math.max(CLOSE, s1);
      address2 = Math.max(CLOSE, s2);
    }
  }
  out[0] = given;
  out[1] = family;
  out[2] = compareDates(a.birth, b.birth);
  out[3] = compareCode(a.identifier, b.identifier, 2);
  out[4] = compareCode(a.streetNumber, b.streetNumber);
  out[5] = address1;
  out[6] = address2;
  out[7] = compareText(a.locality, b.locality);
  out[8] = compareCode(a.postcode, b.postcode);
  out[9] = compareExact(a.state, b.state);
  out[10] = compareCode(a.phone, b.phone);
  return out;
}

/** Packs levels (one per field) into one integer, base 5: the comparison pattern. */
export function packPattern(levels: Uint8Array): number {
  let p = 0;
  for (let i = FIELDS.length - 1; i >= 0; i--) p = p * 5 + (levels[i] ?? MISSING);
  return p;
}

/** Unpacks a comparison pattern into levels. */
export function unpackPattern(pattern: number, out = new Uint8Array(FIELDS.length)): Uint8Array {
  let p = pattern;
  for (let i = 0; i < FIELDS.length; i++) {
    out[i] = p % 5;
    p = Math.floor(p / 5);
  }
  return out;
}

/** The standardised value(s) of a field as shown in an explanation. */
export function fieldValue(record: StandardRecord, field: Field): string {
  switch (field) {
    case 'given_name':
      return record.given;
    case 'family_name':
      return record.family;
    case 'birth_date':
      return record.birth.digits;
    case 'identifier':
      return record.identifier;
    case 'street_number':
      return record.streetNumber;
    case 'address_1':
      return record.address1;
    case 'address_2':
      return record.address2;
    case 'locality':
      return record.locality;
    case 'postcode':
      return record.postcode;
    case 'state':
      return record.state;
    case 'phone':
      return record.phone;
  }
}
