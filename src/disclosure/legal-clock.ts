import type { RequesterType } from './terms.ts';

/**
 * The legal clock of a release request: when the answer is due, whether it was extended, and
 * how close it is. HIPAA 164.524(b)(2): a patient's (or personal representative's) access
 * request is answered within 30 days of receipt, extendable once by 30 days with a written notice
 * sent before the first due date. Other requesters have no federal deadline; the site's rules
 * (state law, policy) set theirs. Dates are calendar dates (YYYY-MM-DD) counted in UTC, so a
 * month end or a leap day is just another day.
 */

export interface ClockRules {
  /** Days to answer, per requester type. */
  days: Record<RequesterType, number>;
  /** Days one extension adds (0: no extension allowed). */
  extensionDays: number;
  /** Warn this many days before the due date. */
  warnDays: number;
}

/** Federal defaults: 30 + 30 for access; the same 30 days as site policy for everyone else. */
export const HIPAA_CLOCK: ClockRules = {
  days: {
    patient: 30,
    'personal-representative': 30,
    provider: 30,
    payer: 30,
    attorney: 30,
    'law-enforcement': 30,
    'court-order': 30,
    subpoena: 30,
    'public-health': 30,
  },
  extensionDays: 30,
  warnDays: 5,
};

/**
 * State rules that are stricter than HIPAA for a patient's access (copies of records), chosen by
 * a site's state code. California Health & Safety Code 123110: copies within 15 days; Texas
 * Health & Safety Code 181.102: electronic records within 15 business days, taken as 15 days.
 */
export const STATE_CLOCKS: Record<string, Partial<Record<RequesterType, number>>> = {
  CA: { patient: 15, 'personal-representative': 15 },
  TX: { patient: 15, 'personal-representative': 15 },
};

/** The clock rules for a state (unknown or absent: HIPAA alone). */
export function clockRulesFor(state?: string): ClockRules {
  const stricter = state ? STATE_CLOCKS[state.toUpperCase()] : undefined;
  if (!stricter) return HIPAA_CLOCK;
  return { ...HIPAA_CLOCK, days: { ...HIPAA_CLOCK.days, ...stricter } };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD (2023-02-29 is not one). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  const m = DATE.exec(date);
  if (!m) throw new Error(`not a date: ${date}`);
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days));
  return d.toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Today's date in UTC. */
export function today(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** The first due date of a request received on `received`. */
export function firstDueDate(received: string, requesterType: RequesterType, rules = HIPAA_CLOCK): string {
  return addDays(received, rules.days[requesterType]);
}

/** The due date after the one extension. */
export function extendedDueDate(firstDue: string, rules = HIPAA_CLOCK): string {
  return addDays(firstDue, rules.extensionDays);
}

export type ClockState = 'on-time' | 'near-due' | 'due-today' | 'overdue' | 'stopped';

export interface Clock {
  dueDate: string;
  /** Days left until the due date (negative: days overdue); absent once stopped. */
  daysLeft?: number;
  state: ClockState;
}

/** Where a request stands against its due date on `asOf`; a closed request's clock is stopped. */
export function clockOf(dueDate: string, open: boolean, asOf: string, rules = HIPAA_CLOCK): Clock {
  if (!open) return { dueDate, state: 'stopped' };
  const daysLeft = daysBetween(asOf, dueDate);
  const state: ClockState =
    daysLeft < 0
      ? 'overdue'
      : daysLeft === 0
        ? 'due-today'
        : daysLeft <= rules.warnDays
          ? 'near-due'
          : 'on-time';
  return { dueDate, daysLeft, state };
}
