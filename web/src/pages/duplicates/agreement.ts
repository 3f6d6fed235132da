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

export const percent = (p: number): string => `${(p * 100).toFixed(p >= 0.995 && p < 1 ? 1 : 0)}%`;

export function gradeLabel(grade: MatchPair['grade']): string {
  return grade === 'probable' ? 'Probable' : 'Possible';
}
