/**
 * Value normalisation shared by indexing (write side) and parsing (query side), so both sides
 * of every comparison are produced by the same code.
 */

/** Lower case with accents removed: how string search values are stored and compared. */
export function normalizeString(value: string): string {
  return value.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().trim();
}

/** An instant range as ISO strings; `-infinity`/`infinity` for open ends (PostgreSQL literals). */
export interface DateRange {
  low: string;
  high: string;
}

export const NEG_INFINITY = '-infinity';
export const POS_INFINITY = 'infinity';

const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * The range a FHIR date, dateTime or instant covers at its precision:
 * `1970-03` is 1970-03-01T00:00:00.000Z .. 1970-03-31T23:59:59.999Z.
 * A time without a zone is read as UTC. Undefined when the text is not a valid date.
 */
export function dateRange(text: string): DateRange | undefined {
  const m = DATE_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  const offsetMs = zoneOffsetMs(zone);
  if (offsetMs === undefined) return undefined;
  const low = utc(year, month - 1, day, hour, minute, second, millis) - offsetMs;
  const high = rangeEnd(low, { year, month, mo, d, h, s, frac });
  return { low: new Date(low).toISOString(), high: new Date(high).toISOString() };
}

interface Parts {
  year: number;
  month: number;
  mo: string | undefined;
  d: string | undefined;
  h: string | undefined;
  s: string | undefined;
  frac: string | undefined;
}

function rangeEnd(low: number, p: Parts): number {
  if (p.mo === undefined) return utc(p.year + 1, 0, 1) - 1;
  if (p.d === undefined) return utc(p.year, p.month, 1) - 1;
  if (p.h === undefined) return low + 86_400_000 - 1;
  if (p.s === undefined) return low + 60_000 - 1;
  if (p.frac === undefined) return low + 1000 - 1;
  const digits = Math.min(p.frac.length, 3);
  return low + 10 ** (3 - digits) - 1;
}

function daysInMonth(year: number, month: number): number {
  return new Date(utc(year, month, 0)).getUTCDate();
}

/** Date.UTC without its mapping of years 0..99 to 1900..1999 (FHIR years are literal). */
function utc(year: number, monthIndex: number, day: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

function zoneOffsetMs(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 14 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes) * 60_000;
}

/** A reference target: `Patient/123`, `http://x/fhir/Patient/123/_history/2`, or opaque. */
export interface ReferenceTarget {
  type: string | null;
  id: string;
}

const TYPE_ID = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/**
 * Splits a reference string into target type and id. Relative and absolute `Type/id` forms
 * give both; anything else (urn:uuid:, canonical URLs) is kept whole as an id with no type.
 * Contained references (`#x`) have no target and give undefined.
 */
export function parseReference(reference: string): ReferenceTarget | undefined {
  if (!reference || reference.startsWith('#')) return undefined;
  const m = TYPE_ID.exec(reference);
  if (m?.[1] && m[2]) return { type: m[1], id: m[2] };
  return { type: null, id: reference.split('|')[0] ?? reference };
}

/** Escapes LIKE wildcards so user text is matched literally (backslash is the default escape). */
export function likeLiteral(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
