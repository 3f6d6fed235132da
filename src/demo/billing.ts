import { createHash } from 'node:crypto';
import type {
  Account,
  Bundle,
  BundleEntry,
  Coverage,
  Encounter,
  Organization,
  Patient,
} from '@medplum/fhirtypes';
import { ORGANIZATION_ID } from './facility.ts';
import { Rng, weighted, type WeightedTable } from './prng.ts';

/**
 * What registration and charge capture add to a demo patient: the patient's insurance (a Coverage
 * with one of a handful of synthetic payers, or self-pay), a guarantor Account holding that
 * coverage, every visit billed to that account, and each finished visit's total charges. Seeded
 * by the patient's own id, so the same bundle always gets the same payer and charges, and the
 * generator's output (used by tests and benchmarks) stays as it is.
 */

export interface DemoPayer {
  /** Organization id; `self-pay` has no Organization (the patient pays). */
  id: string;
  name: string;
  kind: 'medicare' | 'medicaid' | 'commercial' | 'self-pay';
}

export const DEMO_PAYERS: readonly DemoPayer[] = [
  { id: 'payer-medicare', name: 'Medicare', kind: 'medicare' },
  { id: 'payer-medicaid', name: 'Ohio Medicaid', kind: 'medicaid' },
  { id: 'payer-buckeye', name: 'Buckeye Health Plan', kind: 'commercial' },
  { id: 'payer-summit', name: 'Summit Mutual Insurance', kind: 'commercial' },
  { id: 'self-pay', name: 'Self-pay', kind: 'self-pay' },
];

/** Encounter extension carrying the visit's total charges (Money, USD) from charge capture. */
export const TOTAL_CHARGES_URL = 'urn:custodian:fhir:total-charges';
const SELF_PAY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/coverage-selfpay';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const DAY_MS = 86_400_000;

/** A payer's Organization as the demo loads it (the reports bench seeds the same). */
export function payerOrganization(payer: { id: string; name: string }): Organization & { id: string } {
  return {
    resourceType: 'Organization',
    id: payer.id,
    active: true,
    type: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/organization-type',
            code: 'pay',
            display: 'Payer',
          },
        ],
      },
    ],
    name: payer.name,
  };
}

/** The payers' Organizations (self-pay has none); load once, before the patients. */
export function demoPayerBundle(): Bundle {
  const resources = DEMO_PAYERS.filter((p) => p.kind !== 'self-pay').map(payerOrganization);
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({
      resource,
      request: { method: 'PUT', url: `Organization/${resource.id ?? ''}` },
    })),
  };
}

const [MEDICARE, MEDICAID, BUCKEYE, SUMMIT, SELF_PAY] = DEMO_PAYERS as [
  DemoPayer,
  DemoPayer,
  DemoPayer,
  DemoPayer,
  DemoPayer,
];
/** The payer mix of a community hospital: mostly Medicare over 65, Medicaid for many children. */
const SENIOR_MIX: WeightedTable<DemoPayer> = weighted([
  [MEDICARE, 80],
  [BUCKEYE, 10],
  [SUMMIT, 8],
  [SELF_PAY, 2],
]);
const CHILD_MIX: WeightedTable<DemoPayer> = weighted([
  [MEDICAID, 45],
  [BUCKEYE, 30],
  [SUMMIT, 22],
  [SELF_PAY, 3],
]);
const ADULT_MIX: WeightedTable<DemoPayer> = weighted([
  [BUCKEYE, 38],
  [SUMMIT, 30],
  [MEDICAID, 18],
  [MEDICARE, 4],
  [SELF_PAY, 10],
]);

function payerFor(rng: Rng, age: number): DemoPayer {
  return rng.pickWeighted(age >= 65 ? SENIOR_MIX : age < 18 ? CHILD_MIX : ADULT_MIX);
}

/** A urn:uuid derived from the patient's, so reloading the same bundle changes nothing. */
function derivedUrn(patientUrn: string, what: string): string {
  const h = createHash('sha256').update(`${patientUrn}|${what}`).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function seedsOf(urn: string): number[] {
  const h = createHash('sha256').update(urn).digest();
  return [h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8)];
}

/** Total charges of a visit in whole dollars: room and care per day inpatient, a visit otherwise. */
function chargesFor(rng: Rng, encounter: Encounter): number {
  const cls = encounter.class?.code;
  if (cls === 'IMP') {
    const start = Date.parse(encounter.period?.start ?? '');
    const end = Date.parse(encounter.period?.end ?? '');
    const days = Math.max(1, Math.round((end - start) / DAY_MS));
    return rng.int(6_000, 11_000) + days * rng.int(2_400, 4_200);
  }
  if (cls === 'EMER') return rng.int(850, 4_600);
  return rng.int(140, 720);
}

/** The member number on the patient's insurance card: payer prefix and nine digits. */
function memberId(payer: DemoPayer, patientUrn: string): string {
  const digits = String(
    createHash('sha256').update(`member|${patientUrn}`).digest().readUInt32LE(0),
  ).padStart(9, '0');
  return `${payer.id.slice(6, 9).toUpperCase()}${digits.slice(-9)}`;
}

function coverage(patientUrn: string, payer: DemoPayer): Coverage {
  const selfPay = payer.kind === 'self-pay';
  return {
    resourceType: 'Coverage',
    status: 'active',
    type: selfPay
      ? { coding: [{ system: SELF_PAY_SYSTEM, code: 'pay', display: 'PAY' }], text: 'Self-pay' }
      : {
          coding: [
            payer.kind === 'commercial'
              ? { system: ACT_CODE, code: 'EHCPOL', display: 'extended healthcare' }
              : { system: ACT_CODE, code: 'PUBLICPOL', display: 'public healthcare' },
          ],
          text: payer.kind === 'commercial' ? 'Commercial' : payer.name,
        },
    ...(selfPay ? {} : { subscriberId: memberId(payer, patientUrn) }),
    beneficiary: { reference: patientUrn },
    relationship: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }],
    },
    // Self-pay: the patient is the payor (FHIR's way of saying nobody else pays).
    payor: [
      selfPay
        ? { reference: patientUrn, display: payer.name }
        : { reference: `Organization/${payer.id}`, display: payer.name },
    ],
    order: 1,
  };
}

function ageAt(patient: Patient, day: string): number {
  const born = Date.parse(patient.birthDate ?? '');
  if (Number.isNaN(born)) return 40;
  return Math.floor((Date.parse(day) - born) / (365.25 * DAY_MS));
}

/**
 * Adds the patient's Coverage and guarantor Account to a generated patient bundle, bills every
 * visit to the account (Encounter.account) and gives each finished visit its total charges.
 */
export function addDemoBilling(bundle: Bundle): Bundle {
  const entries = bundle.entry ?? [];
  const first = entries[0];
  const patient = first?.resource;
  if (!first?.fullUrl || patient?.resourceType !== 'Patient') return bundle;
  const patientUrn = first.fullUrl;
  const rng = new Rng(...seedsOf(patientUrn));
  const lastVisit = entries
    .map((e) => (e.resource?.resourceType === 'Encounter' ? (e.resource.period?.start ?? '') : ''))
    .reduce((a, b) => (b > a ? b : a), '');
  const payer = payerFor(rng, ageAt(patient, lastVisit.slice(0, 10) || '2026-01-01'));
  const coverageUrn = derivedUrn(patientUrn, 'coverage');
  const accountUrn = derivedUrn(patientUrn, 'account');
  const account: Account = {
    resourceType: 'Account',
    status: 'active',
    type: { coding: [{ system: ACT_CODE, code: 'PBILLACCT', display: 'patient billing account' }] },
    name: 'Patient billing account',
    subject: [{ reference: patientUrn }],
    coverage: [{ coverage: { reference: coverageUrn }, priority: 1 }],
    owner: { reference: `Organization/${ORGANIZATION_ID}` },
  };
  const billed = entries.map((entry): BundleEntry => {
    const resource = entry.resource;
    if (resource?.resourceType !== 'Encounter') return entry;
    const charges = resource.status === 'finished' ? chargesFor(rng, resource) : undefined;
    const encounter: Encounter = {
      ...resource,
      account: [{ reference: accountUrn }],
      ...(charges !== undefined
        ? {
            extension: [
              ...(resource.extension ?? []),
              { url: TOTAL_CHARGES_URL, valueMoney: { value: charges, currency: 'USD' } },
            ],
          }
        : {}),
    };
    return { ...entry, resource: encounter };
  });
  const post = (resource: Coverage | Account, fullUrl: string): BundleEntry => ({
    fullUrl,
    resource,
    request: { method: 'POST', url: resource.resourceType },
  });
  return {
    ...bundle,
    entry: [
      billed[0]!,
      post(coverage(patientUrn, payer), coverageUrn),
      post(account, accountUrn),
      ...billed.slice(1),
    ],
  };
}
