import type { RequesterType } from './terms.ts';

/**
 * Fees for a release, by configurable rules. For the individual (164.524(c)(4)) only a
 * reasonable cost-based fee: copies made electronically at a per-page labour cost, never more than
 * the flat fee HHS accepts for electronic copies ($6.50, all inclusive). Disclosures for
 * treatment, payment, public health, law enforcement and court orders are free; attorneys and
 * subpoenas pay a base fee plus a per-page fee (state schedules differ: sites set their own).
 * Amounts are kept in cents.
 */

export interface FeeSchedule {
  baseCents: number;
  perPageCents: number;
  /** The most that may be charged (undefined: no cap). */
  capCents?: number;
  basis: string;
}

export type FeeRules = Record<RequesterType, FeeSchedule>;

const INDIVIDUAL: FeeSchedule = {
  baseCents: 0,
  perPageCents: 25,
  capCents: 650,
  basis: 'HIPAA cost-based fee for an electronic copy (45 CFR 164.524(c)(4)), at most $6.50',
};
const FREE = (basis: string): FeeSchedule => ({ baseCents: 0, perPageCents: 0, basis });
const THIRD_PARTY: FeeSchedule = {
  baseCents: 2500,
  perPageCents: 50,
  basis: 'Third-party copy fee: $25.00 plus $0.50 a page',
};

export const DEFAULT_FEES: FeeRules = {
  patient: INDIVIDUAL,
  'personal-representative': INDIVIDUAL,
  provider: FREE('No charge for continuity of care'),
  payer: FREE('No charge for payment and operations'),
  attorney: THIRD_PARTY,
  'law-enforcement': FREE('No charge: disclosure required by law'),
  'court-order': FREE('No charge: disclosure required by law'),
  subpoena: THIRD_PARTY,
  'public-health': FREE('No charge: public health reporting'),
};

export interface Fee {
  amountCents: number;
  /** Dollars, e.g. "6.50". */
  amount: string;
  currency: 'USD';
  basis: string;
}

export function feeFor(requesterType: RequesterType, pages: number, rules: FeeRules = DEFAULT_FEES): Fee {
  const schedule = rules[requesterType];
  const raw = schedule.baseCents + schedule.perPageCents * Math.max(0, pages);
  const amountCents = schedule.capCents === undefined ? raw : Math.min(raw, schedule.capCents);
  return { amountCents, amount: (amountCents / 100).toFixed(2), currency: 'USD', basis: schedule.basis };
}
