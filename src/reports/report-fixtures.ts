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
  ROI_STATUS_SYSTEM,
  ROI_TASK,
  TASK_SYSTEM,
} from './record-terms.ts';

/**
 * A constructed data set with known report answers (the hand counts are in reports.test.ts):
 * encounters at known discharge ages, coding work items of two coders, coded diagnoses and
 * procedures over three months, duplicate-review Tasks, merges and not-duplicate decisions.
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
): Resource {
  return {
    resourceType: 'Encounter',
    id: `rep-${key}`,
    status,
    class: { system: ACT, code: cls },
    ...(type ? { type: [{ coding: [{ system: SCT, ...type }] }] } : {}),
    subject: { reference: 'Patient/rep-patient' },
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
): Resource {
  return {
    resourceType: 'Task',
    id: `rep-task-${key}`,
    status: state === 'final' ? 'completed' : 'in-progress',
    intent: 'order',
    code: { coding: [{ system: TASK_SYSTEM, code }] },
    businessStatus: { coding: [{ system: CODING_STATE_SYSTEM, code: state }] },
    owner: { identifier: { system: 'urn:custodian:user', value: coder } },
    lastModified: modified,
  };
}

function diagnosis(
  key: string,
  code: string,
  display: string,
  recorded: string,
  options: { coded?: boolean; error?: boolean } = {},
): Resource {
  return {
    resourceType: 'Condition',
    id: `rep-dx-${key}`,
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

const GENERAL = { code: '11429006', display: 'Consultation' };
const CARDIO = { code: '185349003', display: 'Encounter for check up' };

export const FIXTURE_RESOURCES: Resource[] = [
  {
    resourceType: 'Patient',
    id: 'rep-patient',
    name: [{ family: 'Reportson', given: ['Rita'] }],
  },
  encounter('e1', 'IMP', 'finished', '2025-03-01T08:00:00Z', '2025-03-30T10:00:00Z', undefined, GENERAL),
  encounter('e2', 'IMP', 'finished', '2025-03-20T08:00:00Z', '2025-03-25T10:00:00Z', 'coded', GENERAL),
  encounter('e3', 'AMB', 'finished', '2025-03-10T08:00:00Z', '2025-03-10T09:00:00Z', undefined, CARDIO),
  encounter('e4', 'EMER', 'finished', '2025-01-15T01:00:00Z', '2025-01-15T05:00:00Z', undefined),
  encounter('e5', 'IMP', 'finished', '2025-03-15T08:00:00Z', '2025-03-20T10:00:00Z', 'final', GENERAL),
  encounter('e6', 'IMP', 'in-progress', '2025-03-28T08:00:00Z', undefined, undefined),
  encounter('e7', 'AMB', 'finished', '2024-10-30T08:00:00Z', '2024-11-01T09:00:00Z', undefined, CARDIO),
  codingTask('t1', 'coder-a', '2025-03-10T10:00:00Z', 'final'),
  codingTask('t2', 'coder-a', '2025-03-10T15:00:00Z', 'final'),
  codingTask('t3', 'coder-a', '2025-03-10T16:00:00Z', 'coded'),
  codingTask('t4', 'coder-b', '2025-03-11T09:00:00Z', 'final'),
  codingTask('t5', 'coder-b', '2025-02-27T09:00:00Z', 'final'),
  codingTask('t6', 'coder-b', '2025-03-11T09:30:00Z', 'final', 'chart-completion'),
  diagnosis('d1', 'E11.9', 'Type 2 diabetes mellitus without complications', '2025-01-10T10:00:00Z'),
  diagnosis('d2', 'E11.9', 'Type 2 diabetes mellitus without complications', '2025-02-05T10:00:00Z'),
  diagnosis('d3', 'E11.9', 'Type 2 diabetes mellitus without complications', '2025-03-03T10:00:00Z'),
  diagnosis('d4', 'I10', 'Essential (primary) hypertension', '2025-01-20T10:00:00Z'),
  diagnosis('d5', 'I10', 'Essential (primary) hypertension', '2025-03-15T10:00:00Z'),
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

/** Writes the data set through the FHIR API; returns once every resource and decision is stored. */
export async function loadReportFixture(server: TestServer): Promise<void> {
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: FIXTURE_RESOURCES.map((resource): BundleEntry => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id ?? ''}` },
    })),
  };
  const res = await server.call('admin', 'POST', '/fhir/R4', bundle);
  if (res.status !== 200) throw new Error(`report fixture: ${res.status} ${await res.text()}`);
  await insertMpiDecisions(server.db);
}
