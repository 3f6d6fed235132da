import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import type { TestServer } from '../testing/test-server.ts';
import {
  CODED_TAG,
  CODING_STATE_SYSTEM,
  CODING_TASK,
  DEFICIENCY_KIND_SYSTEM,
  DEFICIENCY_TASK,
  DUPLICATE_REVIEW_TASK,
  ICD10CM,
  CODING_EDIT_SYSTEM,
  ROI_OUTPUT_SYSTEM,
  ROI_STATUS_SYSTEM,
  ROI_TASK,
  TASK_SYSTEM,
  TOTAL_CHARGES_URL,
} from './record-terms.ts';

/**
 * A constructed data set with known report answers (the hand counts are in reports.test.ts):
 * encounters at known discharge ages, coding work items of two coders, coded diagnoses and
 * procedures over three months, duplicate-review Tasks, merges and not-duplicate decisions;
 * two patients (one covered by a payer, one self-pay), two attendings, visit charges, overrides
 * on the coding work items, and released ROI requests in April and May.
 * Written through the FHIR API as one transaction; the MPI's decision rows straight into its
 * tables, as the MPI writes them.
 */

const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const SCT = 'http://snomed.info/sct';

export interface ReportFixture {
  patientId: string;
  encounterIds: Record<string, string>;
}

function encounter(
  key: string,
  cls: string,
  status: 'finished' | 'in-progress',
  start: string,
  end: string | undefined,
  state: 'coded' | 'final' | undefined,
  type?: { code: string; display: string },
  bill: { patient?: string; attending?: string; charges?: number } = {},
): Resource {
  return {
    resourceType: 'Encounter',
    id: `rep-${key}`,
    ...(bill.charges !== undefined
      ? { extension: [{ url: TOTAL_CHARGES_URL, valueMoney: { value: bill.charges, currency: 'USD' } }] }
      : {}),
    status,
    class: { system: ACT, code: cls },
    ...(type ? { type: [{ coding: [{ system: SCT, ...type }] }] } : {}),
    subject: { reference: `Patient/${bill.patient ?? 'rep-patient'}` },
    ...(bill.attending
      ? { participant: [{ individual: { reference: `Practitioner/${bill.attending}` } }] }
      : {}),
    period: { start, ...(end ? { end } : {}) },
    ...(state ? { meta: { tag: [{ system: CODING_STATE_SYSTEM, code: state }] } } : {}),
  };
}

function codingTask(
  key: string,
  coder: string,
  modified: string,
  state: 'coded' | 'final',
  code = CODING_TASK,
  work?: { encounter: string; patient: string },
): Resource {
  return {
    resourceType: 'Task',
    id: `rep-task-${key}`,
    status: state === 'final' ? 'completed' : 'in-progress',
    intent: 'order',
    code: { coding: [{ system: TASK_SYSTEM, code }] },
    ...(work
      ? {
          focus: { reference: `Encounter/rep-${work.encounter}` },
          for: { reference: `Patient/${work.patient}` },
        }
      : {}),
    businessStatus: { coding: [{ system: CODING_STATE_SYSTEM, code: state }] },
    owner: { identifier: { system: 'urn:custodian:user', value: coder } },
    lastModified: modified,
  };
}

/** The overrides a coder gave finalizing the case of encounter `enc`, as the coding workflow records them. */
function overrides(key: string, enc: string, coder: string, at: string, kinds: string[]): Resource[] {
  return kinds.map((kind, i) => ({
    resourceType: 'DetectedIssue',
    id: `rep-override-${key}-${i}`,
    status: 'final',
    code: { coding: [{ system: CODING_EDIT_SYSTEM, code: kind }] },
    patient: { reference: 'Patient/rep-patient' },
    implicated: [{ reference: `Encounter/rep-${enc}` }],
    author: { identifier: { system: 'urn:custodian:user', value: coder } },
    identifiedDateTime: at,
    detail: 'Documented',
    mitigation: [{ action: { text: 'Overridden: Documented' }, date: at }],
  }));
}

function diagnosis(
  key: string,
  code: string,
  display: string,
  recorded: string,
  options: { coded?: boolean; error?: boolean; encounter?: string } = {},
): Resource {
  return {
    resourceType: 'Condition',
    id: `rep-dx-${key}`,
    ...(options.encounter ? { encounter: { reference: `Encounter/rep-${options.encounter}` } } : {}),
    ...(options.coded === false ? {} : { meta: { tag: [{ ...CODED_TAG }] } }),
    ...(options.error
      ? {
          verificationStatus: {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
                code: 'entered-in-error',
              },
            ],
          },
        }
      : {}),
    code: { coding: [{ system: ICD10CM, code, display }] },
    subject: { reference: 'Patient/rep-patient' },
    recordedDate: recorded,
  };
}

function procedure(key: string, system: string, code: string, performed: string): Resource {
  return {
    resourceType: 'Procedure',
    id: `rep-px-${key}`,
    meta: { tag: [{ ...CODED_TAG }] },
    status: 'completed',
    code: { coding: [{ system, code }] },
    subject: { reference: 'Patient/rep-patient' },
    performedDateTime: performed,
  };
}

function review(key: string, authored: string, status: string): Resource {
  return {
    resourceType: 'Task',
    id: `rep-dup-${key}`,
    status,
    intent: 'order',
    code: { coding: [{ system: TASK_SYSTEM, code: DUPLICATE_REVIEW_TASK }] },
    authoredOn: authored,
  } as Resource;
}

/** A work-queue Task of another module (ROI request, chart deficiency) as that module writes it. */
function workTask(
  id: string,
  code: string,
  system: string,
  business: string,
  status: string,
  authored: string,
): Resource {
  return {
    resourceType: 'Task',
    id,
    status,
    intent: 'order',
    code: { coding: [{ system: TASK_SYSTEM, code }] },
    businessStatus: { coding: [{ system, code: business }] },
    for: { reference: 'Patient/rep-patient' },
    authoredOn: authored,
  } as Resource;
}

/** A released ROI request: received, released at, and its (possibly extended) due date. */
function releasedRequest(
  id: string,
  received: string,
  releasedAt: string,
  due: string,
  status = 'released',
): Resource {
  return {
    resourceType: 'Task',
    id,
    status: 'completed',
    intent: 'order',
    code: { coding: [{ system: TASK_SYSTEM, code: ROI_TASK }] },
    businessStatus: { coding: [{ system: ROI_STATUS_SYSTEM, code: status }] },
    for: { reference: 'Patient/rep-patient' },
    authoredOn: received,
    lastModified: `${releasedAt.slice(0, 10)}T12:00:00Z`,
    restriction: { period: { end: due } },
    // Where the ROI module keeps the release time for the index (and Task.output for the letter).
    executionPeriod: { end: releasedAt },
    output: [
      {
        type: { coding: [{ system: ROI_OUTPUT_SYSTEM, code: 'released-at' }] },
        valueDateTime: releasedAt,
      },
    ],
  };
}

const GENERAL = { code: '11429006', display: 'Consultation' };
const CARDIO = { code: '185349003', display: 'Encounter for check up' };

export const FIXTURE_RESOURCES: Resource[] = [
  {
    resourceType: 'Patient',
    id: 'rep-patient',
    name: [{ family: 'Reportson', given: ['Rita'] }],
  },
  { resourceType: 'Patient', id: 'rep-patient-2', name: [{ family: 'Paysown', given: ['Sam'] }] },
  { resourceType: 'Practitioner', id: 'rep-dr-a', name: [{ family: 'Alpha' }] },
  { resourceType: 'Practitioner', id: 'rep-dr-b', name: [{ family: 'Bravo' }] },
  { resourceType: 'Organization', id: 'rep-payer-a', name: 'Acme Health Plan' },
  {
    resourceType: 'Coverage',
    id: 'rep-cov-1',
    status: 'active',
    beneficiary: { reference: 'Patient/rep-patient' },
    payor: [{ reference: 'Organization/rep-payer-a', display: 'Acme Health Plan' }],
    order: 1,
  },
  {
    resourceType: 'Coverage',
    id: 'rep-cov-2',
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-selfpay', code: 'pay' }] },
    beneficiary: { reference: 'Patient/rep-patient-2' },
    payor: [{ reference: 'Patient/rep-patient-2', display: 'Self-pay' }],
  },
  // prettier-ignore
  encounter('e1', 'IMP', 'finished', '2025-03-01T08:00:00Z', '2025-03-30T10:00:00Z', undefined, GENERAL, { attending: 'rep-dr-a', charges: 20000 }),
  // prettier-ignore
  encounter('e2', 'IMP', 'finished', '2025-03-20T08:00:00Z', '2025-03-25T10:00:00Z', 'coded', GENERAL, { attending: 'rep-dr-a', charges: 15000.5 }),
  // prettier-ignore
  encounter('e3', 'AMB', 'finished', '2025-03-10T08:00:00Z', '2025-03-10T09:00:00Z', undefined, CARDIO, { patient: 'rep-patient-2', attending: 'rep-dr-b', charges: 300 }),
  // prettier-ignore
  encounter('e4', 'EMER', 'finished', '2025-01-15T01:00:00Z', '2025-01-15T05:00:00Z', undefined, undefined, { patient: 'rep-patient-2', attending: 'rep-dr-b', charges: 1200 }),
  // prettier-ignore
  encounter('e5', 'IMP', 'finished', '2025-03-15T08:00:00Z', '2025-03-20T10:00:00Z', 'final', GENERAL, { attending: 'rep-dr-a', charges: 9000 }),
  encounter('e6', 'IMP', 'in-progress', '2025-03-28T08:00:00Z', undefined, undefined),
  // prettier-ignore
  encounter('e7', 'AMB', 'finished', '2024-10-30T08:00:00Z', '2024-11-01T09:00:00Z', undefined, CARDIO, { patient: 'rep-patient-2', charges: 250 }),
  codingTask('t1', 'coder-a', '2025-03-10T10:00:00Z', 'final', CODING_TASK, {
    encounter: 'e1',
    patient: 'rep-patient',
  }),
  ...overrides('t1', 'e1', 'coder-a', '2025-03-10T10:00:00Z', ['excludes1', 'age-conflict']),
  codingTask('t2', 'coder-a', '2025-03-10T15:00:00Z', 'final', CODING_TASK, {
    encounter: 'e2',
    patient: 'rep-patient',
  }),
  ...overrides('t2', 'e2', 'coder-a', '2025-03-10T15:00:00Z', ['excludes1']),
  codingTask('t3', 'coder-a', '2025-03-10T16:00:00Z', 'coded'),
  codingTask('t4', 'coder-b', '2025-03-11T09:00:00Z', 'final', CODING_TASK, {
    encounter: 'e3',
    patient: 'rep-patient-2',
  }),
  ...overrides('t4', 'e3', 'coder-b', '2025-03-11T09:00:00Z', ['excludes1']),
  codingTask('t5', 'coder-b', '2025-02-27T09:00:00Z', 'final', CODING_TASK, {
    encounter: 'e4',
    patient: 'rep-patient-2',
  }),
  ...overrides('t5', 'e4', 'coder-b', '2025-02-27T09:00:00Z', ['sex-conflict']),
  codingTask('t6', 'coder-b', '2025-03-11T09:30:00Z', 'final', 'chart-completion'),
  diagnosis('d1', 'E11.9', 'Type 2 diabetes mellitus without complications', '2025-01-10T10:00:00Z', {
    encounter: 'e1',
  }),
  diagnosis('d2', 'E11.9', 'Type 2 diabetes mellitus without complications', '2025-02-05T10:00:00Z'),
  diagnosis('d3', 'E11.9', 'Type 2 diabetes mellitus without complications', '2025-03-03T10:00:00Z'),
  diagnosis('d4', 'I10', 'Essential (primary) hypertension', '2025-01-20T10:00:00Z'),
  diagnosis('d5', 'I10', 'Essential (primary) hypertension', '2025-03-15T10:00:00Z', { encounter: 'e3' }),
  diagnosis('d6', 'J18.9', 'Pneumonia, unspecified organism', '2025-02-01T10:00:00Z'),
  diagnosis('d7', 'J18.9', 'Pneumonia, unspecified organism', '2025-02-02T10:00:00Z', { error: true }),
  diagnosis('d8', 'N39.0', 'Urinary tract infection, site not specified', '2025-02-02T10:00:00Z', {
    coded: false,
  }),
  diagnosis('d9', 'Z00.00', 'Encounter for general adult medical examination', '2024-12-31T10:00:00Z'),
  procedure('p1', 'http://www.cms.gov/Medicare/Coding/ICD10', '0DTJ4ZZ', '2025-02-10T10:00:00Z'),
  procedure('p2', 'http://www.cms.gov/Medicare/Coding/ICD10', '0DTJ4ZZ', '2025-03-10T10:00:00Z'),
  procedure(
    'p3',
    'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
    'G0439',
    '2025-01-10T10:00:00Z',
  ),
  review('r1', '2025-01-05T10:00:00Z', 'requested'),
  review('r2', '2025-01-20T10:00:00Z', 'completed'),
  review('r3', '2025-02-03T10:00:00Z', 'completed'),
  review('r4', '2025-03-01T10:00:00Z', 'cancelled'),
  review('r5', '2024-12-20T10:00:00Z', 'requested'),
  workTask('rep-roi-1', ROI_TASK, ROI_STATUS_SYSTEM, 'logged', 'requested', '2025-01-10T10:00:00Z'),
  workTask('rep-roi-2', ROI_TASK, ROI_STATUS_SYSTEM, 'completed', 'completed', '2025-01-12T10:00:00Z'),
  workTask('rep-roi-3', ROI_TASK, ROI_STATUS_SYSTEM, 'completed', 'completed', '2025-01-20T10:00:00Z'),
  workTask('rep-roi-4', ROI_TASK, ROI_STATUS_SYSTEM, 'in-review', 'in-progress', '2025-03-02T10:00:00Z'),
  // Released in April (10 days) and May (35 days, late; 45 days within its extension; 4 days),
  // one closed after its release; rep-roi-9 is still in review.
  releasedRequest('rep-roi-5', '2025-04-01', '2025-04-11T15:00:00Z', '2025-05-01'),
  releasedRequest('rep-roi-6', '2025-04-05', '2025-05-10T15:00:00Z', '2025-05-05'),
  releasedRequest('rep-roi-7', '2025-04-10', '2025-05-25T15:00:00Z', '2025-06-09', 'closed'),
  releasedRequest('rep-roi-8', '2025-05-02', '2025-05-06T15:00:00Z', '2025-06-01'),
  workTask('rep-roi-9', ROI_TASK, ROI_STATUS_SYSTEM, 'in-review', 'in-progress', '2025-05-20T10:00:00Z'),
  workTask(
    'rep-def-1',
    DEFICIENCY_TASK,
    DEFICIENCY_KIND_SYSTEM,
    'signature',
    'requested',
    '2025-03-01T10:00:00Z',
  ),
  workTask(
    'rep-def-2',
    DEFICIENCY_TASK,
    DEFICIENCY_KIND_SYSTEM,
    'signature',
    'completed',
    '2025-03-02T10:00:00Z',
  ),
  workTask(
    'rep-def-3',
    DEFICIENCY_TASK,
    DEFICIENCY_KIND_SYSTEM,
    'missing-document',
    'cancelled',
    '2025-03-03T10:00:00Z',
  ),
  workTask(
    'rep-def-4',
    DEFICIENCY_TASK,
    DEFICIENCY_KIND_SYSTEM,
    'missing-document',
    'requested',
    '2024-12-03T10:00:00Z',
  ),
];

/**
 * More cases, in 2024 where no other report of the tests looks (loaded by reports.test.ts only):
 * DNFB encounters discharged July to September 2024 with charges in several buckets, some of a
 * patient whose coverage by the payer is cancelled; ROI requests released in July (four)
 * and August (five) 2024, some after their due date, one on it.
 */
export const MORE_CASES: Resource[] = [
  // rep-patient-2 pays for itself; its Acme coverage was cancelled.
  {
    resourceType: 'Coverage',
    id: 'rep-cov-3',
    status: 'cancelled',
    beneficiary: { reference: 'Patient/rep-patient-2' },
    payor: [{ reference: 'Organization/rep-payer-a', display: 'Acme Health Plan' }],
  },
  // prettier-ignore
  encounter('x1', 'IMP', 'finished', '2024-09-25T08:00:00Z', '2024-09-29T10:00:00Z', undefined, undefined, { charges: 100.25 }),
  // prettier-ignore
  encounter('x2', 'AMB', 'finished', '2024-09-28T20:00:00Z', '2024-09-28T23:00:00Z', 'coded', undefined, { patient: 'rep-patient-2', charges: 50 }),
  // prettier-ignore
  encounter('x3', 'IMP', 'finished', '2024-09-15T08:00:00Z', '2024-09-20T10:00:00Z', undefined, undefined, { charges: 1000 }),
  // prettier-ignore
  encounter('x4', 'AMB', 'finished', '2024-09-20T12:00:00Z', '2024-09-20T16:00:00Z', 'coded', undefined, { charges: 234.5 }),
  // prettier-ignore
  encounter('x5', 'AMB', 'finished', '2024-09-18T09:00:00Z', '2024-09-18T10:00:00Z', undefined, undefined, { patient: 'rep-patient-2' }),
  // prettier-ignore
  encounter('x6', 'IMP', 'finished', '2024-07-25T08:00:00Z', '2024-08-01T10:00:00Z', undefined, undefined, { patient: 'rep-patient-2', charges: 700.1 }),
  // prettier-ignore
  encounter('x7', 'IMP', 'finished', '2024-09-20T08:00:00Z', '2024-09-25T10:00:00Z', 'final', undefined, { charges: 5000 }),
  // July 2024: 2, 5, 9 and 30 days; the 30-day one past its due date, the 9-day one released on it.
  releasedRequest('rep-roi-x1', '2024-07-01', '2024-07-03T09:00:00Z', '2024-07-31'),
  releasedRequest('rep-roi-x2', '2024-07-01', '2024-07-06T09:00:00Z', '2024-07-31'),
  releasedRequest('rep-roi-x3', '2024-07-10', '2024-07-19T09:00:00Z', '2024-07-19'),
  releasedRequest('rep-roi-x4', '2024-06-30', '2024-07-30T09:00:00Z', '2024-07-29', 'closed'),
  // August 2024: 1, 3, 3, 8 and 40 days; the 40-day one and the 8-day one past their due dates.
  releasedRequest('rep-roi-x5', '2024-08-01', '2024-08-02T09:00:00Z', '2024-08-31'),
  releasedRequest('rep-roi-x6', '2024-08-05', '2024-08-08T09:00:00Z', '2024-09-04'),
  releasedRequest('rep-roi-x7', '2024-08-05', '2024-08-08T23:59:00Z', '2024-09-04'),
  releasedRequest('rep-roi-x8', '2024-08-10', '2024-08-18T09:00:00Z', '2024-08-17'),
  releasedRequest('rep-roi-x9', '2024-07-01', '2024-08-10T09:00:00Z', '2024-07-31'),
];

/** The MPI's decisions of the data set, written as the MPI writes them. */
export async function insertMpiDecisions(db: Queryable): Promise<void> {
  await db.query(
    `INSERT INTO mpi_merge (id, source_id, target_id, merged_by, merged_at, before_versions, unmerged_at) VALUES
       ('rep-m1', 'a1', 'b1', 'admin', '2025-01-25T10:00:00Z', '[]', NULL),
       ('rep-m2', 'a2', 'b2', 'admin', '2025-02-10T10:00:00Z', '[]', '2025-02-11T10:00:00Z'),
       ('rep-m3', 'a3', 'b3', 'admin', '2025-03-02T10:00:00Z', '[]', NULL)`,
  );
  await db.query(
    `INSERT INTO mpi_not_duplicate (patient_a, patient_b, reason, decided_by, decided_at) VALUES
       ('a4', 'b4', 'twins', 'admin', '2025-02-04T10:00:00Z')`,
  );
}

/**
 * Writes the data set (and `more`) through the FHIR API; returns once every resource and decision
 * is stored.
 */
export async function loadReportFixture(server: TestServer, more: Resource[] = []): Promise<void> {
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [...FIXTURE_RESOURCES, ...more].map((resource): BundleEntry => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id ?? ''}` },
    })),
  };
  const res = await server.call('admin', 'POST', '/fhir/R4', bundle);
  if (res.status !== 200) throw new Error(`report fixture: ${res.status} ${await res.text()}`);
  await insertMpiDecisions(server.db);
}
