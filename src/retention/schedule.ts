/**
 * The retention schedule as data (AHIMA retention guidance, state laws): per record type, adults'
 * records are kept N years after the last encounter, minors' until the age of majority plus N
 * years (or the adult period, whichever ends later), a deceased patient's N years after death.
 * A chart is kept until the latest end of the rules for the record types it holds. Pure
 * functions over dates written YYYY-MM-DD (UTC calendar dates).
 */

export interface RetentionRule {
  id: string;
  /** A FHIR resource type, or '*' for every record of the chart. */
  recordType: string;
  adultYears: number;
  majorityAge: number;
  minorYears: number;
  /** When set, a deceased patient's records end this many years after death. */
  deceasedYears?: number;
  description: string;
}

export interface RetentionFacts {
  birthDate?: string;
  /** Date of death (a deceased flag without a date counts from the last encounter). */
  deceased?: { date?: string };
  /** The last encounter's date (its end, or its start while open). */
  lastEncounter?: string;
  /** Record types present in the chart. */
  recordTypes: ReadonlySet<string>;
}

export type RetentionBasis = 'adult' | 'minor' | 'deceased';

export interface RetentionEnd {
  /** Absent when no encounter is on record: such a chart is kept until someone reviews it. */
  retainUntil?: string;
  basis?: RetentionBasis;
  ruleId?: string;
  /** The rule in words, with the facts it was applied to. */
  rule: string;
}

/** `date` plus whole years; Feb 29 falls back to Feb 28 in a common year. */
export function addYears(date: string, years: number): string {
  const [y = 0, m = 1, d = 1] = date.slice(0, 10).split('-').map(Number);
  const target = new Date(Date.UTC(y + years, m - 1, d));
  if (target.getUTCMonth() !== m - 1)
    return new Date(Date.UTC(y + years, m - 1, d - 1)).toISOString().slice(0, 10);
  return target.toISOString().slice(0, 10);
}

/** Age in whole years on `on`. */
export function ageOn(birthDate: string, on: string): number {
  const years = Number(on.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return on.slice(5, 10) < birthDate.slice(5, 10) ? years - 1 : years;
}

function endOf(
  rule: RetentionRule,
  facts: RetentionFacts,
  last: string,
): { date: string; basis: RetentionBasis; words: string } {
  const deathDate = facts.deceased?.date?.slice(0, 10);
  if (facts.deceased && rule.deceasedYears !== undefined) {
    const from = deathDate ?? last;
    return {
      date: addYears(from, rule.deceasedYears),
      basis: 'deceased',
      words: `deceased: ${rule.deceasedYears} years after ${deathDate ? `death (${deathDate})` : `the last encounter (${last})`}`,
    };
  }
  const adult = addYears(last, rule.adultYears);
  if (facts.birthDate && ageOn(facts.birthDate, last) < rule.majorityAge) {
    const majority = addYears(facts.birthDate, rule.majorityAge + rule.minorYears);
    return {
      date: majority > adult ? majority : adult,
      basis: 'minor',
      words:
        `minor at the last encounter (${last}): to age ${rule.majorityAge + rule.minorYears} (${majority}) ` +
        `or ${rule.adultYears} years after it (${adult}), whichever is later`,
    };
  }
  return {
    date: adult,
    basis: 'adult',
    words: `adult: ${rule.adultYears} years after the last encounter (${last})`,
  };
}

/** The chart's retention end: the latest end among the rules for the record types it holds. */
export function retentionEnd(facts: RetentionFacts, rules: readonly RetentionRule[]): RetentionEnd {
  const last = facts.lastEncounter?.slice(0, 10);
  if (!last) return { rule: 'No encounter on record: kept until reviewed' };
  const applicable = rules.filter((r) => r.recordType === '*' || facts.recordTypes.has(r.recordType));
  let best: (ReturnType<typeof endOf> & { rule: RetentionRule }) | undefined;
  for (const rule of applicable) {
    const end = endOf(rule, facts, last);
    if (!best || end.date > best.date) best = { ...end, rule };
  }
  if (!best) return { rule: 'No retention rule applies: kept until reviewed' };
  return {
    retainUntil: best.date,
    basis: best.basis,
    ruleId: best.rule.id,
    rule: `${best.rule.id} (${best.rule.recordType === '*' ? 'medical record' : best.rule.recordType}), ${best.words}`,
  };
}
