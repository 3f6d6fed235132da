/**
 * Phonetic keys for names, written here so batch linkage needs no database round trip.
 * NYSIIS (New York State Identification and Intelligence System, Taft 1970) is the main key:
 * it separates names better than Soundex. Soundex matches PostgreSQL's fuzzystrmatch soundex()
 * so the store can compute the same key in SQL.
 */

const VOWELS = new Set(['A', 'E', 'I', 'O', 'U']);

function isVowel(c: string | undefined): boolean {
  return c !== undefined && VOWELS.has(c);
}

/** Rewrites the start and the end of the name (NYSIIS steps 1 and 2). */
function nysiisEnds(name: string): string {
  let s = name;
  if (s.startsWith('MAC')) s = 'MCC' + s.slice(3);
  else if (s.startsWith('KN')) s = 'NN' + s.slice(2);
  else if (s.startsWith('K')) s = 'C' + s.slice(1);
  else if (s.startsWith('PH') || s.startsWith('PF')) s = 'FF' + s.slice(2);
  else if (s.startsWith('SCH')) s = 'SSS' + s.slice(3);
  if (s.endsWith('EE') || s.endsWith('IE')) s = s.slice(0, -2) + 'Y';
  else if (/(DT|RT|RD|NT|ND)$/.test(s)) s = s.slice(0, -2) + 'D';
  return s;
}

/** NYSIIS key of a name (letters only are used), at most maxLength characters (0 = no limit). */
export function nysiis(input: string, maxLength = 6): string {
  const letters = input.toUpperCase().replace(/[^A-Z]/g, '');
  if (letters === '') return '';
  const chars = nysiisEnds(letters).split('');
  let key = chars[0] ?? '';
  for (let i = 1; i < chars.length; i++) {
    const c = chars[i] ?? '';
    const next = chars[i + 1];
    let replacement: string[];
    if (c === 'E' && next === 'V') replacement = ['A', 'F'];
    else if (isVowel(c)) replacement = ['A'];
    else if (c === 'Q') replacement = ['G'];
    else if (c === 'Z') replacement = ['S'];
    else if (c === 'M') replacement = ['N'];
    else if (c === 'K') replacement = next === 'N' ? ['N'] : ['C'];
    else if (c === 'S' && next === 'C' && chars[i + 2] === 'H') replacement = ['S', 'S', 'S'];
    else if (c === 'P' && next === 'H') replacement = ['F', 'F'];
    else if (c === 'H' && (!isVowel(chars[i - 1]) || !isVowel(next))) replacement = [chars[i - 1] ?? c];
    else if (c === 'W' && isVowel(chars[i - 1])) replacement = [chars[i - 1] ?? c];
    else replacement = [c];
    // The rewritten letters replace the originals so later rules see them (as the algorithm says).
    for (let j = 0; j < replacement.length; j++) chars[i + j] = replacement[j] ?? '';
    const current = chars[i] ?? '';
    if (current !== key[key.length - 1]) key += current;
  }
  if (key.length > 1 && key.endsWith('S')) key = key.slice(0, -1);
  if (key.length > 2 && key.endsWith('AY')) key = key.slice(0, -2) + 'Y';
  if (key.length > 1 && key.endsWith('A')) key = key.slice(0, -1);
  return maxLength > 0 ? key.slice(0, maxLength) : key;
}

const SOUNDEX_CODES: Readonly<Record<string, string>> = {
  B: '1',
  F: '1',
  P: '1',
  V: '1',
  C: '2',
  G: '2',
  J: '2',
  K: '2',
  Q: '2',
  S: '2',
  X: '2',
  Z: '2',
  D: '3',
  T: '3',
  L: '4',
  M: '5',
  N: '5',
  R: '6',
};

/** American Soundex, the same as PostgreSQL fuzzystrmatch soundex() for ASCII letters. */
export function soundex(input: string): string {
  const letters = input.toUpperCase().replace(/[^A-Z]/g, '');
  if (letters === '') return '';
  let out = letters[0] ?? '';
  let last = SOUNDEX_CODES[out] ?? '';
  for (let i = 1; i < letters.length && out.length < 4; i++) {
    const c = letters[i] ?? '';
    const code = SOUNDEX_CODES[c] ?? '';
    if (code !== '' && code !== last) out += code;
    // H and W do not separate equal codes; vowels do.
    if (c !== 'H' && c !== 'W') last = code;
  }
  return out.padEnd(4, '0');
}
