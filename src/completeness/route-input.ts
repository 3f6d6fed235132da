import { badRequest } from '../fhir/outcomes.ts';

/** Query and body values of the completeness routes, checked at the edge (400 naming the field). */

export function wholeNumber(
  value: unknown,
  name: string,
  fallback: number,
  min = 0,
  max = 1_000_000,
): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max))
    throw badRequest(`${name} must be a whole number from ${min} to ${max}`, [name]);
  return n;
}

export function optionalWholeNumber(value: unknown, name: string): number | undefined {
  return value === undefined || value === '' ? undefined : wholeNumber(value, name, 0);
}

export function optionalText(value: unknown, name: string, max = 200): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max)
    throw badRequest(`${name} must be text of at most ${max} characters`, [name]);
  return value;
}

export function requiredText(value: unknown, name: string, max = 2000): string {
  const text = optionalText(typeof value === 'string' ? value.trim() : value, name, max);
  if (text === undefined) throw badRequest(`${name} is required`, [name]);
  return text;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string, fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (!allowed.includes(value as T)) throw badRequest(`${name} must be one of ${allowed.join(', ')}`, [name]);
  return value as T;
}

/** A resource id (the store's id pattern). */
export function resourceId(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(value))
    throw badRequest(`${name} must be a resource id`, [name]);
  return value;
}
