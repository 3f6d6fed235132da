import { STATUSES } from '../disclosure/disclosure-words.ts';
import type { Range } from './reports-api.ts';

/**
 * Where a dashboard's tile or chart point leads: the worklist or records behind the number,
 * filtered to the point clicked and to the dashboard's own filters, with the URL parameters
 * each target page reads (and its list API answers to).
 */

/** The dashboard filter bar's encounter filters the coding worklist also knows. */
export interface EncounterFilters {
  service?: string;
  payer?: string;
}

const withQuery = (path: string, params: Record<string, string | undefined>): string => {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
};

/**
 * Whole days of an age bucket's label ("0-3 days", "15-30 days", "over 30 days", "61+"): the
 * reports name their buckets in words; the worklists filter by numbers.
 */
export function bucketDays(label: string): { min?: number; max?: number } {
  const range = /^(\d+)\s*-\s*(\d+)/.exec(label);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  const over = /^over\s+(\d+)/i.exec(label);
  if (over) return { min: Number(over[1]) + 1 };
  const plus = /^(\d+)\s*\+/.exec(label);
  if (plus) return { min: Number(plus[1]) };
  return {};
}

const text = (n: number | undefined): string | undefined => (n === undefined ? undefined : String(n));

/** The coding worklist of one DNFB age bucket (days since discharge), or of all of them. */
export function dnfbWorklistPath(bucket: string | undefined, filters: EncounterFilters): string {
  const days = bucket ? bucketDays(bucket) : {};
  // All DNFB is dnfbMin=0, said outright: without filters the worklist reopens the coder's last ones.
  return withQuery('/coding/worklist', {
    dnfbMin: text(days.min ?? 0),
    dnfbMax: text(days.max),
    service: filters.service,
    payer: filters.payer,
  });
}

/** The coding worklist of one encounter class and coding state (the backlog chart). */
export function backlogWorklistPath(
  state: 'uncoded' | 'coded' | undefined,
  encounterClass: string | undefined,
  filters: EncounterFilters,
): string {
  return withQuery('/coding/worklist', {
    state,
    class: encounterClass,
    service: filters.service,
    payer: filters.payer,
  });
}

/** The completeness worklist of one provider's open deficiencies, in one age bucket. */
export function deficienciesPath(provider: string | undefined, bucket: string | undefined): string {
  const days = bucket ? bucketDays(bucket) : {};
  return withQuery('/completeness', {
    provider,
    minAgeDays: text(days.min),
    maxAgeDays: text(days.max),
  });
}

/** The ROI queue of requests released in a month, late ones only when asked. */
export function releasedPath(month: string | undefined, late = false): string {
  return withQuery('/disclosure', {
    status: 'all',
    released: month,
    late: late ? 'true' : undefined,
  });
}

/** The ROI queue of requests received in a month, in one status (the volume chart). */
export function receivedPath(month: string | undefined, status?: string): string {
  // A status the queue does not know (a record written by another system) shows them all.
  const known = STATUSES.some(([code]) => code === status);
  return withQuery('/disclosure', { status: known ? status : 'all', received: month });
}

export type DuplicateStatus = 'open' | 'merged' | 'not-duplicate';

/** The duplicates worklist of one decision status, for pairs flagged or decided in a month. */
export function duplicatesPath(status: DuplicateStatus, month?: string): string {
  return withQuery('/duplicates', { status, month });
}

/** The break-the-glass review of the grants made in a period. */
export function breakGlassPath(range: Range): string {
  return withQuery('/reports/break-glass', { from: range.from, to: range.to });
}

/** The encounters made final in a range, one coder's when given (the Finalized tile and bars). */
export function finalizedPath(range: Range, coder?: string): string {
  return withQuery('/reports/finalized', { from: range.from, to: range.to, coder });
}

/** The coding edits overridden at finalization in a range, of one coder and edit kind when given. */
export function overridesPath(range: Range, point: { coder?: string; kind?: string } = {}): string {
  return withQuery('/reports/overrides', {
    from: range.from,
    to: range.to,
    coder: point.coder,
    kind: point.kind,
  });
}
