/**
 * Standardisation: turns raw strings into comparable ones. Pure functions, one per kind of value,
 * so that the store can call the same ones when it indexes a Patient.
 */
import { formalGivenName } from './nicknames.ts';
import { nysiis } from './phonetic.ts';
import type { DateParts, PersonRecord, StandardRecord } from './types.ts';

const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'prof', 'sir', 'rev', 'mx', 'jr', 'sr']);

/** Lower case, accents removed, apostrophes dropped, other punctuation a space, spaces collapsed. */
export function cleanText(raw: string | undefined | null): string {
  if (raw === undefined || raw === null) return '';
  // Decomposing accents is costly; plain ASCII (most input) skips it.
  const ascii = /^[\x20-\x7e]*$/.test(raw);
  return (ascii ? raw : raw.normalize('NFD').replace(/[\u0300-\u036f]/g, ''))
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** A name: cleaned, digits and titles removed (O'Brien -> obrien, "Dr. José" -> jose). */
export function standardiseName(raw: string | undefined | null): string {
  return cleanText(raw)
    .replace(/[0-9]/g, ' ')
    .split(' ')
    .filter((t) => t !== '' && !TITLES.has(t))
    .join(' ');
}

/** The formal form of a standardised given name: its first word through the nickname table. */
export function formalName(given: string): string {
  const space = given.indexOf(' ');
  const first = space < 0 ? given : given.slice(0, space);
  const formal = formalGivenName(first);
  return space < 0 ? formal : formal + given.slice(space);
}

/** Phonetic key (NYSIIS) of a standardised name's first word, '' for none. */
export function phoneticKey(name: string): string {
  const space = name.indexOf(' ');
  return nysiis(space < 0 ? name : name.slice(0, space));
}

function validDay(year: number | null, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year ?? 2000, month, 0)).getUTCDate();
  return day <= days;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function fromParts(year: number, month: number, day: number): DateParts {
  // A month above 12 with a day that could be a month is a transposed day/month: swap them.
  if (month > 12 && day >= 1 && day <= 12) [month, day] = [day, month];
  const valid = validDay(year, month, day);
  return {
    year: year > 0 ? year : null,
    month: month >= 1 && month <= 12 ? month : null,
    day: valid ? day : null,
    digits: pad(year, 4) + pad(month, 2) + pad(day, 2),
  };
}

const EMPTY_DATE: DateParts = { year: null, month: null, day: null, digits: '' };

/**
 * Parses a birth date: YYYYMMDD, YYYY-MM-DD (also with / or .), DD/MM/YYYY (day first, as outside
 * the US; pass monthFirst for MM/DD/YYYY). A transposed day and month is detected and swapped.
 */
export function parseDate(raw: string | undefined | null, monthFirst = false): DateParts {
  const s = (raw ?? '').trim();
  if (s === '') return EMPTY_DATE;
  if (/^\d{8}$/.test(s)) {
    const first4 = Number(s.slice(0, 4));
    if (first4 >= 1800 && first4 <= 2200)
      return fromParts(first4, Number(s.slice(4, 6)), Number(s.slice(6, 8)));
    const a = Number(s.slice(0, 2));
    const b = Number(s.slice(2, 4));
    const year = Number(s.slice(4, 8));
    return monthFirst ? fromParts(year, a, b) : fromParts(year, b, a);
  }
  const parts = s.split(/[^0-9]+/).filter((p) => p !== '');
  if (parts.length !== 3) return EMPTY_DATE;
  const [p0 = '', p1 = '', p2 = ''] = parts;
  if (p0.length === 4) return fromParts(Number(p0), Number(p1), Number(p2));
  let year = Number(p2);
  if (p2.length <= 2) year += year > 30 ? 1900 : 2000;
  return monthFirst ? fromParts(year, Number(p0), Number(p1)) : fromParts(year, Number(p1), Number(p0));
}

/** Street-type and common address abbreviations, expanded so "st" and "street" agree. */
const ADDRESS_WORDS: Readonly<Record<string, string>> = {
  st: 'street',
  str: 'street',
  rd: 'road',
  ave: 'avenue',
  av: 'avenue',
  avn: 'avenue',
  cres: 'crescent',
  cr: 'crescent',
  cresc: 'crescent',
  pl: 'place',
  ct: 'court',
  crt: 'court',
  cct: 'circuit',
  cir: 'circuit',
  dr: 'drive',
  drv: 'drive',
  hwy: 'highway',
  pde: 'parade',
  tce: 'terrace',
  ter: 'terrace',
  cl: 'close',
  gr: 'grove',
  gve: 'grove',
  ln: 'lane',
  la: 'lane',
  blvd: 'boulevard',
  bvd: 'boulevard',
  sq: 'square',
  esp: 'esplanade',
  wy: 'way',
  cv: 'cove',
  cnr: 'corner',
  mt: 'mount',
  nth: 'north',
  sth: 'south',
  e: 'east',
  w: 'west',
  n: 'north',
  s: 'south',
  apt: 'apartment',
  flt: 'flat',
  u: 'unit',
  lvl: 'level',
  bldg: 'building',
  pt: 'point',
  pk: 'park',
  gdns: 'gardens',
  hts: 'heights',
  vlg: 'village',
  vlge: 'village',
  retrmnt: 'retirement',
  po: 'po',
  pob: 'po box',
};

/** An address line: cleaned, abbreviations expanded (12 Smith St. -> 12 smith street). */
export function standardiseAddress(raw: string | undefined | null): string {
  const text = cleanText(raw);
  if (text === '') return '';
  return text
    .split(' ')
    .map((t) => ADDRESS_WORDS[t] ?? t)
    .join(' ');
}

/** Digits only; a phone keeps its last ten digits so a country prefix does not matter. */
export function standardisePhone(raw: string | undefined | null): string {
  const digits = (raw ?? '').replace(/\D/g, '');
  return digits.length > 10 ? digits.slice(-10) : digits;
}

/** An identifier: letters and digits only, upper case (123-45-6789 -> 123456789). */
export function standardiseIdentifier(raw: string | undefined | null): string {
  return (raw ?? '').toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** A short code (postcode, state, street number): cleaned, spaces removed. */
export function standardiseCode(raw: string | undefined | null): string {
  return cleanText(raw).replace(/ /g, '');
}

/** Standardises every field of a record. */
export function standardiseRecord(record: PersonRecord): StandardRecord {
  const given = standardiseName(record.givenName);
  const family = standardiseName(record.familyName);
  return {
    id: record.id,
    given,
    givenFormal: formalName(given),
    family,
    givenPhonetic: phoneticKey(given),
    familyPhonetic: phoneticKey(family),
    birth: parseDate(record.birthDate),
    streetNumber: standardiseCode(record.streetNumber),
    address1: standardiseAddress(record.addressLine1),
    address2: standardiseAddress(record.addressLine2),
    locality: cleanText(record.locality),
    postcode: standardiseCode(record.postcode),
    state: standardiseCode(record.state),
    phone: standardisePhone(record.phone),
    identifier: standardiseIdentifier(record.identifier),
  };
}
