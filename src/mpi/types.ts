/**
 * Record shapes the linkage engine works on. They are plain data so that a FHIR Patient, a FEBRL
 * CSV row or an HL7 PID segment can all be turned into a PersonRecord and linked the same way.
 */

/** A person as it arrives: raw, unstandardised strings (any may be missing). */
export interface PersonRecord {
  id: string;
  givenName?: string;
  familyName?: string;
  /** Any common date form: YYYYMMDD, YYYY-MM-DD, DD/MM/YYYY. */
  birthDate?: string;
  streetNumber?: string;
  addressLine1?: string;
  addressLine2?: string;
  /** Suburb, town or city. */
  locality?: string;
  postcode?: string;
  state?: string;
  phone?: string;
  /** A national or insurance identifier (FEBRL soc_sec_id, SSN, Medicare number...). */
  identifier?: string;
}

/** A parsed date; parts are null when that part could not be read. */
export interface DateParts {
  year: number | null;
  month: number | null;
  day: number | null;
  /** Eight digits YYYYMMDD (possibly not a real date), or '' when nothing could be read. */
  digits: string;
}

/** A record after standardisation: every string lower case, trimmed, '' when missing. */
export interface StandardRecord {
  id: string;
  given: string;
  /** Given name with a nickname replaced by its formal name (bob -> robert). */
  givenFormal: string;
  family: string;
  givenPhonetic: string;
  familyPhonetic: string;
  birth: DateParts;
  streetNumber: string;
  address1: string;
  address2: string;
  locality: string;
  postcode: string;
  state: string;
  phone: string;
  identifier: string;
}

/** Agreement levels of one field, best first. `missing` means either side had no value. */
export const LEVELS = ['exact', 'close', 'weak', 'different', 'missing'] as const;
export type Level = (typeof LEVELS)[number];
export const LEVEL_INDEX: Readonly<Record<Level, number>> = {
  exact: 0,
  close: 1,
  weak: 2,
  different: 3,
  missing: 4,
};
/** The index of the `missing` level: it carries no evidence (weight 0). */
export const MISSING = 4;

/** The compared fields, in the order their levels are packed into a comparison pattern. */
export const FIELDS = [
  'given_name',
  'family_name',
  'birth_date',
  'identifier',
  'street_number',
  'address_1',
  'address_2',
  'locality',
  'postcode',
  'state',
  'phone',
] as const;
export type Field = (typeof FIELDS)[number];
