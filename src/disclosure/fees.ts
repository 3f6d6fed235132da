import { readFileSync } from 'node:fs';
import { REQUESTER_TYPES, type RequesterType } from './terms.ts';

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

/**
 * A site's fee schedules (`CUSTODIAN_ROI_FEES`): a JSON object whose keys are requester types and
 * whose values are schedules ({ "baseCents", "perPageCents", "capCents"?, "basis" }); the types it
 * leaves out keep DEFAULT_FEES. A file that cannot be read or holds anything else is an Error
 * naming the file and what is wrong, so the server does not start with a schedule it misread.
 */
export function feeRulesFromFile(path: string): FeeRules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`Fee schedule file ${path} cannot be read: ${(err as Error).message}`);
  }
  try {
    return feeRulesFrom(JSON.parse(text));
  } catch (err) {
    throw new Error(`Fee schedule file ${path}: ${(err as Error).message}`);
  }
}

/** DEFAULT_FEES with the schedules `value` gives (see feeRulesFromFile), checked. */
export function feeRulesFrom(value: unknown): FeeRules {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new Error('expected a JSON object of schedules by requester type');
  const rules: FeeRules = { ...DEFAULT_FEES };
  for (const [type, schedule] of Object.entries(value)) {
    if (!(REQUESTER_TYPES as readonly string[]).includes(type))
      throw new Error(`'${type}' is not a requester type (${REQUESTER_TYPES.join(', ')})`);
    rules[type as RequesterType] = scheduleFrom(type, schedule);
  }
  return rules;
}

function scheduleFrom(type: string, value: unknown): FeeSchedule {
  const s = (value ?? {}) as Record<string, unknown>;
  const cents = (name: string, optional = false): number | undefined => {
    const n = s[name];
    if (n === undefined && optional) return undefined;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
      throw new Error(`${type}.${name} must be a whole number of cents, 0 or more`);
    return n;
  };
  if (typeof s.basis !== 'string' || !s.basis.trim())
    throw new Error(`${type}.basis must say in words what the fee is based on`);
  const capCents = cents('capCents', true);
  return {
    baseCents: cents('baseCents') ?? 0,
    perPageCents: cents('perPageCents') ?? 0,
    ...(capCents === undefined ? {} : { capCents }),
    basis: s.basis,
  };
}
