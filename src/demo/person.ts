import type { Patient } from '@medplum/fhirtypes';
import { ageBand, CHRONIC } from './clinical.ts';
import { SYSTEMS } from './codes.ts';
import { familyName, givenName, middleName, nicknameOf, suffix } from './names.ts';
import type { Sex } from './names.ts';
import { phoneNumber, pickPlace, streetLine, unitLine } from './places.ts';
import type { Rng } from './prng.ts';
import { DAY, isoDate } from './time.ts';

/** What a registration desk records about a person; duplicates are altered copies of this. */
export interface Demographics {
  given: string;
  middle?: string;
  family: string;
  suffix?: string;
  /** Recorded as a second HumanName with use `nickname`. */
  nickname?: string;
  /** Recorded as a HumanName with use `maiden` when `showMaiden`. */
  maidenName?: string;
  showMaiden: boolean;
  gender: 'male' | 'female' | 'unknown';
  birthDate: string;
  ssn?: string;
  line: string[];
  city: string;
  state: string;
  postalCode: string;
  phone?: string;
  phoneUse: 'home' | 'mobile';
  email?: string;
}

/** The real person behind one or more Patient records (the MPI ground truth). */
export interface Person {
  personId: string;
  sex: Sex;
  demographics: Demographics;
  chronic: string[];
  heightCm: number;
  weightKg: number;
}

/**
 * Age of hospital patients skews old: about 10% children, 25% 18-44, 30% 45-64, 35% 65+.
 */
function drawAge(rng: Rng): number {
  const x = rng.next();
  if (x < 0.1) return rng.int(0, 17);
  if (x < 0.35) return rng.int(18, 44);
  if (x < 0.65) return rng.int(45, 64);
  return Math.min(rng.int(65, 84) + (rng.chance(0.25) ? rng.int(0, 15) : 0), 104);
}

/** A fake SSN: the 9xx area is never issued as an SSN, so no value can belong to a real person. */
function fakeSsn(rng: Rng): string {
  return `9${rng.int(0, 99).toString().padStart(2, '0')}-${rng.int(1, 99).toString().padStart(2, '0')}-${rng.int(1, 9999).toString().padStart(4, '0')}`;
}

export function makePerson(rng: Rng, personId: string, referenceMs: number): Person {
  const sex: Sex = rng.chance(0.52) ? 'female' : 'male';
  const age = drawAge(rng);
  const birthMs = referenceMs - age * 365.25 * DAY - rng.int(0, 364) * DAY;
  const birthDate = isoDate(birthMs);
  const given = givenName(rng, sex);
  let family = familyName(rng);
  let maidenName: string | undefined;
  if (sex === 'female' && age >= 22 && rng.chance(0.45)) {
    maidenName = family;
    family = familyName(rng);
  }
  const place = pickPlace(rng);
  const unit = unitLine(rng);
  const nickname = rng.chance(0.08) ? nicknameOf(rng, given) : undefined;
  const demographics: Demographics = {
    given,
    family,
    gender: rng.chance(0.002) ? 'unknown' : sex,
    birthDate,
    line: unit ? [streetLine(rng), unit] : [streetLine(rng)],
    city: place.city,
    state: place.state,
    postalCode: rng.pick(place.zips),
    phoneUse: age >= 14 && rng.chance(0.7) ? 'mobile' : 'home',
    showMaiden: maidenName !== undefined && rng.chance(0.3),
  };
  const middle = middleName(rng, sex);
  if (middle) demographics.middle = middle;
  const sfx = suffix(rng, sex);
  if (sfx) demographics.suffix = sfx;
  if (nickname) demographics.nickname = nickname;
  if (maidenName) demographics.maidenName = maidenName;
  if (age >= 1 && rng.chance(0.75)) demographics.ssn = fakeSsn(rng);
  if (rng.chance(0.93)) demographics.phone = phoneNumber(rng, place);
  if (age >= 16 && rng.chance(0.45)) demographics.email = emailFor(rng, given, family);
  const { chronic, heightCm, weightKg } = physiology(rng, sex, age);
  return { personId, sex, demographics, chronic, heightCm, weightKg };
}

/** Email addresses only on the reserved example domains (RFC 2606), never a real mailbox. */
export function emailFor(rng: Rng, given: string, family: string): string {
  const local = `${given}.${family}`.toLowerCase().replace(/[^a-z.]/g, '');
  const number = rng.chance(0.6) ? String(rng.int(1, 999)) : '';
  return `${local}${number}@${rng.pick(['example.com', 'example.org', 'example.net'])}`;
}

function physiology(
  rng: Rng,
  sex: Sex,
  age: number,
): { chronic: string[]; heightCm: number; weightKg: number } {
  const band = ageBand(age);
  const chronic: string[] = [];
  for (const c of CHRONIC) {
    const p = c.prevalence[band] * (sex === 'female' ? (c.femaleFactor ?? 1) : 1);
    if (rng.chance(p)) chronic.push(c.code);
  }
  // Diabetes and obesity pull blood pressure and lipids along, as they do in real populations.
  if (chronic.includes('E11.9') && !chronic.includes('I10') && rng.chance(0.5)) chronic.push('I10');
  const adultHeight = sex === 'female' ? rng.normal(162, 7, 140, 190) : rng.normal(176, 7.5, 150, 205);
  const heightCm = age >= 18 ? adultHeight : Math.min(adultHeight, 50 + age * 6.5 + rng.normal(0, 4));
  const bmi =
    age < 2
      ? rng.normal(16.5, 1)
      : chronic.includes('E66.9')
        ? rng.normal(35, 4, 30, 55)
        : rng.normal(age < 18 ? 19 : 26, 3, 15, 29.9);
  const weightKg = Math.round(bmi * (heightCm / 100) ** 2 * 10) / 10;
  return { chronic, heightCm: Math.round(heightCm * 10) / 10, weightKg };
}

export const MRN_TYPE = {
  coding: [{ system: SYSTEMS.v2IdentifierType, code: 'MR', display: 'Medical record number' }],
  text: 'MRN',
};
const SSN_TYPE = {
  coding: [{ system: SYSTEMS.v2IdentifierType, code: 'SS', display: 'Social Security number' }],
  text: 'SSN',
};

export function patientResource(
  d: Demographics,
  mrn: string,
  orgRef: string,
  gpRef: { reference: string; display: string },
): Patient {
  const patient: Patient = {
    resourceType: 'Patient',
    identifier: [
      { use: 'usual', type: MRN_TYPE, system: SYSTEMS.mrn, value: mrn, assigner: { reference: orgRef } },
    ],
    active: true,
    name: [
      {
        use: 'official',
        family: d.family,
        given: d.middle ? [d.given, d.middle] : [d.given],
        ...(d.suffix ? { suffix: [d.suffix] } : {}),
      },
    ],
    gender: d.gender,
    birthDate: d.birthDate,
    address: [
      {
        use: 'home',
        type: 'physical',
        line: d.line,
        city: d.city,
        state: d.state,
        postalCode: d.postalCode,
        country: 'US',
      },
    ],
    generalPractitioner: [gpRef],
    managingOrganization: { reference: orgRef },
  };
  if (d.ssn) patient.identifier?.push({ use: 'official', type: SSN_TYPE, system: SYSTEMS.ssn, value: d.ssn });
  if (d.nickname) patient.name?.push({ use: 'nickname', given: [d.nickname] });
  if (d.maidenName && d.showMaiden)
    patient.name?.push({ use: 'maiden', family: d.maidenName, given: [d.given] });
  const telecom: NonNullable<Patient['telecom']> = [];
  if (d.phone) telecom.push({ system: 'phone', value: d.phone, use: d.phoneUse });
  if (d.email) telecom.push({ system: 'email', value: d.email, use: 'home' });
  if (telecom.length > 0) patient.telecom = telecom;
  return patient;
}
