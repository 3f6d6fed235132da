import { createHash } from 'node:crypto';
import type { Bundle, BundleEntry, Condition, Encounter, Patient } from '@medplum/fhirtypes';
import { ICD10CM_SYSTEM } from './casefinding-list.ts';

/**
 * Demo cancer patients: first start passes each demo patient's bundle through `demoCancerCases()`,
 * which gives every 25th patient (the first one included) a coded cancer diagnosis on their first
 * visit and the same code again on a later visit, so `npm start` opens with a non-empty suspense
 * queue and a second visit the registry matches to the case. Deterministic: the same seed gives
 * the same patients, codes and ids.
 */

const EVERY = 25;

interface DemoCode {
  code: string;
  display: string;
  /** Only for patients of this administrative gender. */
  gender?: Patient['gender'];
}

const CODES: readonly DemoCode[] = [
  {
    code: 'C50.911',
    display: 'Malignant neoplasm of unspecified site of right female breast',
    gender: 'female',
  },
  { code: 'C34.11', display: 'Malignant neoplasm of upper lobe, right bronchus or lung' },
  { code: 'C18.7', display: 'Malignant neoplasm of sigmoid colon' },
  { code: 'C61', display: 'Malignant neoplasm of prostate', gender: 'male' },
  { code: 'C43.5', display: 'Malignant melanoma of trunk' },
  { code: 'D05.12', display: 'Intraductal carcinoma in situ of left breast', gender: 'female' },
  { code: 'C67.9', display: 'Malignant neoplasm of bladder, unspecified' },
];

/** A UUID derived from a text, so the added Condition has the same id on every load. */
function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function conditionFor(patientUrl: string, encounter: BundleEntry, code: DemoCode): BundleEntry {
  const start = (encounter.resource as Encounter).period?.start;
  const fullUrl = `urn:uuid:${uuidOf(`${encounter.fullUrl ?? ''} registry ${code.code}`)}`;
  const condition: Condition = {
    resourceType: 'Condition',
    clinicalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
    },
    verificationStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }],
    },
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis' },
        ],
      },
    ],
    code: {
      coding: [{ system: ICD10CM_SYSTEM, code: code.code, display: code.display }],
      text: code.display,
    },
    subject: { reference: patientUrl },
    encounter: { reference: encounter.fullUrl ?? '' },
    ...(start ? { onsetDateTime: start, recordedDate: start } : {}),
  };
  return { fullUrl, resource: condition, request: { method: 'POST', url: 'Condition' } };
}

/** A bundle preparation step with its own count of the patients it has seen. */
export function demoCancerCases(): (bundle: Bundle) => Bundle {
  let seen = 0;
  return (bundle) => {
    const index = seen++;
    if (index % EVERY !== 0) return bundle;
    const entries = bundle.entry ?? [];
    const patient = entries.find((e) => e.resource?.resourceType === 'Patient');
    const visits = entries
      .filter((e) => e.resource?.resourceType === 'Encounter' && e.resource.period?.start)
      .sort((a, b) =>
        ((a.resource as Encounter).period?.start ?? '').localeCompare(
          (b.resource as Encounter).period?.start ?? '',
        ),
      );
    const first = visits[0];
    if (!patient?.fullUrl || !first) return bundle;
    const gender = (patient.resource as Patient).gender;
    const fitting = CODES.filter((c) => !c.gender || c.gender === gender);
    const code = fitting[(index / EVERY) % fitting.length] ?? CODES[1];
    if (!code) return bundle;
    const added = [conditionFor(patient.fullUrl, first, code)];
    const later = visits.at(-1);
    if (later && later !== first) added.push(conditionFor(patient.fullUrl, later, code));
    return { ...bundle, entry: [...entries, ...added] };
  };
}
