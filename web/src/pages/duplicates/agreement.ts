import type { MatchPair } from './duplicates-api.ts';

/** Words for the engine's field names and agreement levels, shown next to the colour. */
export const FIELD_LABELS: Record<string, string> = {
  given_name: 'Given name',
  family_name: 'Family name',
  birth_date: 'Date of birth',
  identifier: 'SSN',
  street_number: 'Street number',
  address_1: 'Street',
  address_2: 'Address line 2',
  locality: 'City',
  postcode: 'ZIP code',
  state: 'State',
  phone: 'Phone',
};

export const LEVEL_LABELS: Record<string, string> = {
  exact: 'Same',
  close: 'Nearly the same',
  weak: 'Somewhat alike',
  different: 'Different',
  missing: 'Missing',
};

/**
 * A match probability as a percentage, never rounded up to 100 % (which would claim certainty
 * the model does not give): rounded down, with as many decimals as it takes to show the first
 * digit that is not a 9, up to six (99.9981 %, 99.999999 %).
 */
export function percent(p: number): string {
  if (p >= 1) return '100%';
  const decimals = p < 0.99 ? 0 : Math.min(Math.ceil(-Math.log10(1 - p)) - 1, 6);
  const factor = 10 ** decimals;
  return `${(Math.floor(p * 100 * factor) / factor).toFixed(decimals)}%`;
}

/** Words for a pair's history events. */
export const EVENT_LABELS: Record<string, string> = {
  scored: 'Found by the duplicate finder',
  merged: 'Merged',
  unmerged: 'Merge undone',
  'not-duplicate': 'Marked not a duplicate',
};

export function gradeLabel(grade: MatchPair['grade']): string {
  return grade === 'probable' ? 'Probable' : 'Possible';
}
