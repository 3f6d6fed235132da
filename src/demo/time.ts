/** Date arithmetic in UTC milliseconds: deterministic, no time zone of the machine involved. */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** FHIR date: YYYY-MM-DD. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** FHIR instant / dateTime in UTC without milliseconds. */
export function isoInstant(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

export function parseDate(value: string): number {
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new Error(`not a date: ${value}`);
  return ms;
}

/** Whole years between a birth date and a moment. */
export function ageAt(birthDate: string, ms: number): number {
  const at = isoDate(ms);
  let age = Number(at.slice(0, 4)) - Number(birthDate.slice(0, 4));
  if (at.slice(5) < birthDate.slice(5)) age -= 1;
  return age;
}

/** True when YYYY-MM-DD names a real calendar day. */
export function isValidDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(ms) && isoDate(ms) === value;
}
