import type { Queryable } from '../db/index.ts';
import { badRequest } from '../fhir/outcomes.ts';
import type { RetentionRule } from './schedule.ts';

/** The site's retention schedule, kept in `retention_rule` (migration 0801) and changed as a whole. */

interface RuleRow {
  id: string;
  record_type: string;
  adult_years: number;
  majority_age: number;
  minor_years: number;
  deceased_years: number | null;
  description: string;
}

export async function loadRules(db: Queryable): Promise<RetentionRule[]> {
  const res = await db.query<RuleRow>('SELECT * FROM retention_rule ORDER BY record_type, id');
  return res.rows.map((r) => ({
    id: r.id,
    recordType: r.record_type,
    adultYears: Number(r.adult_years),
    majorityAge: Number(r.majority_age),
    minorYears: Number(r.minor_years),
    ...(r.deceased_years === null ? {} : { deceasedYears: Number(r.deceased_years) }),
    description: r.description,
  }));
}

const years = (value: unknown, name: string, i: number): number => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100)
    throw badRequest(`rules[${i}].${name} must be a whole number of years (0-100)`, [`rules[${i}].${name}`]);
  return value;
};

/** Checks a schedule sent by a client: `{ rules: [...] }`, one rule for '*' at least. */
export function parseRules(body: unknown): RetentionRule[] {
  const list = (body as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(list) || list.length === 0 || list.length > 200)
    throw badRequest(`'rules' must be a list of retention rules`, ['rules']);
  const rules = list.map((raw: unknown, i): RetentionRule => {
    if (!raw || typeof raw !== 'object') throw badRequest(`rules[${i}] must be an object`, [`rules[${i}]`]);
    const r = raw as Record<string, unknown>;
    const text = (name: string, pattern: RegExp): string => {
      const v = r[name];
      if (typeof v !== 'string' || !pattern.test(v))
        throw badRequest(`rules[${i}].${name} is missing or malformed`, [`rules[${i}].${name}`]);
      return v;
    };
    return {
      id: text('id', /^[A-Za-z0-9\-.]{1,64}$/),
      recordType: text('recordType', /^(\*|[A-Z][A-Za-z]{1,63})$/),
      adultYears: years(r.adultYears, 'adultYears', i),
      majorityAge: r.majorityAge === undefined ? 18 : years(r.majorityAge, 'majorityAge', i),
      minorYears: years(r.minorYears, 'minorYears', i),
      ...(r.deceasedYears === undefined || r.deceasedYears === null
        ? {}
        : { deceasedYears: years(r.deceasedYears, 'deceasedYears', i) }),
      description: text('description', /^[^\n]{1,500}$/),
    };
  });
  if (new Set(rules.map((r) => r.id)).size !== rules.length)
    throw badRequest('Rule ids must differ', ['rules']);
  if (!rules.some((r) => r.recordType === '*'))
    throw badRequest(`One rule must cover every record (recordType '*')`, ['rules']);
  return rules;
}

export async function saveRules(tx: Queryable, rules: readonly RetentionRule[]): Promise<void> {
  await tx.query('DELETE FROM retention_rule');
  for (const r of rules)
    await tx.query(
      `INSERT INTO retention_rule (id, record_type, adult_years, majority_age, minor_years, deceased_years, description)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [r.id, r.recordType, r.adultYears, r.majorityAge, r.minorYears, r.deceasedYears ?? null, r.description],
    );
}
