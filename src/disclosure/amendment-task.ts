import type { Task, TaskInput } from '@medplum/fhirtypes';
import { TASK_SYSTEM } from './terms.ts';

/**
 * A request to amend the record (HIPAA 45 CFR 164.526) as a FHIR Task: `code`
 * urn:custodian:task|amendment, `for` the Patient, `focus` the first record named,
 * `businessStatus` the amendment status (Task.status follows it), `authoredOn` the date received,
 * `restriction.period.end` the due date, `owner.display` the author it was routed to, and the
 * rest as `input` entries under urn:custodian:amendment-input (one per record named, per person
 * to notify; text and dates by name).
 */

export const AMENDMENT_TASK_CODE = 'amendment';
export const AMENDMENT_INPUT_SYSTEM = 'urn:custodian:amendment-input';
export const AMENDMENT_STATUS_SYSTEM = 'urn:custodian:amendment-status';

export const AMENDMENT_STATUSES = ['received', 'routed', 'accepted', 'denied'] as const;
export type AmendmentStatus = (typeof AMENDMENT_STATUSES)[number];
export const OPEN_AMENDMENT_STATUSES: ReadonlySet<AmendmentStatus> = new Set(['received', 'routed']);

/**
 * The grounds 164.526(a)(2) allows for a denial: the information was not created by us (and its
 * originator can act), is not part of the designated record set, would not be open to the
 * patient's inspection under 164.524, or is accurate and complete.
 */
export const DENIAL_BASES = {
  'not-created-here': 'The information was not created by this facility',
  'not-in-record-set': 'The information is not part of the designated record set',
  'not-available-for-inspection': 'The information is not available for your inspection under 45 CFR 164.524',
  'accurate-and-complete': 'The information is accurate and complete',
} as const;
export type DenialBasis = keyof typeof DENIAL_BASES;

export const isDenialBasis = (value: unknown): value is DenialBasis =>
  typeof value === 'string' && Object.hasOwn(DENIAL_BASES, value);

const TASK_STATUS: Record<AmendmentStatus, Task['status']> = {
  received: 'requested',
  routed: 'in-progress',
  accepted: 'completed',
  denied: 'rejected',
};

export interface AmendmentRecord {
  id: string;
  versionId?: string;
  patientId: string;
  requesterName: string;
  received: string;
  firstDueDate: string;
  dueDate: string;
  /** References (`Type/id`) of the information the patient asks to amend. */
  records: string[];
  change: string;
  reason?: string;
  /** Persons the patient names to be told of an accepted amendment (164.526(c)(3)(i)). */
  notify: string[];
  status: AmendmentStatus;
  extension?: { notice: string; noticeSent: string };
  author?: string;
  routedOn?: string;
  decidedBy?: string;
  decidedOn?: string;
  /** Accepted: the appended correction (DocumentReference) and the versions the new ones supersede. */
  correction?: string;
  amendedVersions: string[];
  /** Accepted: everyone to be told (the persons named and known recipients of the old information). */
  noticeList: string[];
  denialBasis?: DenialBasis;
  denialExplanation?: string;
  disagreement?: { text: string; filed: string };
  rebuttal?: { text: string; filed: string; by: string };
}

const SCALARS = [
  'requesterName',
  'received',
  'firstDueDate',
  'change',
  'reason',
  'author',
  'routedOn',
  'decidedBy',
  'decidedOn',
  'correction',
  'denialBasis',
  'denialExplanation',
] as const;
const LISTS = ['records', 'notify', 'amendedVersions', 'noticeList'] as const;

type Scalar = (typeof SCALARS)[number];
type List = (typeof LISTS)[number];

const input = (code: string, valueString: string): TaskInput => ({
  type: { coding: [{ system: AMENDMENT_INPUT_SYSTEM, code }] },
  valueString,
});

export function amendmentTask(r: AmendmentRecord): Task & { id: string } {
  const inputs: TaskInput[] = [];
  for (const name of SCALARS) {
    const value = r[name];
    if (value) inputs.push(input(name, value));
  }
  for (const name of LISTS) for (const value of r[name]) inputs.push(input(name, value));
  if (r.extension)
    inputs.push(
      input('extensionNotice', r.extension.notice),
      input('extensionNoticeSent', r.extension.noticeSent),
    );
  if (r.disagreement)
    inputs.push(input('disagreement', r.disagreement.text), input('disagreementFiled', r.disagreement.filed));
  if (r.rebuttal)
    inputs.push(
      input('rebuttal', r.rebuttal.text),
      input('rebuttalFiled', r.rebuttal.filed),
      input('rebuttalBy', r.rebuttal.by),
    );
  return {
    resourceType: 'Task',
    id: r.id,
    status: TASK_STATUS[r.status],
    intent: 'order',
    code: { coding: [{ system: TASK_SYSTEM, code: AMENDMENT_TASK_CODE, display: 'Amendment request' }] },
    businessStatus: { coding: [{ system: AMENDMENT_STATUS_SYSTEM, code: r.status }], text: r.status },
    for: { reference: `Patient/${r.patientId}` },
    ...(r.records[0] ? { focus: { reference: r.records[0] } } : {}),
    authoredOn: r.received,
    lastModified: new Date().toISOString(),
    requester: { display: r.requesterName },
    description: r.change,
    restriction: { period: { end: r.dueDate } },
    ...(r.author ? { owner: { display: r.author } } : {}),
    input: inputs,
  };
}

export function isAmendmentTask(task: Task): boolean {
  return !!task.code?.coding?.some((c) => c.system === TASK_SYSTEM && c.code === AMENDMENT_TASK_CODE);
}

/** The amendment a Task holds (undefined when it is not a well-formed amendment request). */
export function amendmentOf(task: Task): AmendmentRecord | undefined {
  if (!task.id || !isAmendmentTask(task)) return undefined;
  const status = task.businessStatus?.coding?.find((c) => c.system === AMENDMENT_STATUS_SYSTEM)?.code;
  const patientRef = task.for?.reference ?? '';
  if (!AMENDMENT_STATUSES.includes(status as AmendmentStatus) || !patientRef.startsWith('Patient/'))
    return undefined;
  const values = new Map<string, string[]>();
  for (const i of task.input ?? []) {
    const code = i.type.coding?.find((c) => c.system === AMENDMENT_INPUT_SYSTEM)?.code;
    if (code && typeof i.valueString === 'string')
      values.set(code, [...(values.get(code) ?? []), i.valueString]);
  }
  const one = (code: string): string | undefined => values.get(code)?.[0];
  const list = (code: List): string[] => values.get(code) ?? [];
  const scalars: Partial<Record<Scalar, string>> = {};
  for (const name of SCALARS) {
    const value = one(name);
    if (value) scalars[name] = value;
  }
  const { denialBasis, requesterName, received, firstDueDate, change, ...rest } = scalars;
  const notice = one('extensionNotice');
  const noticeSent = one('extensionNoticeSent');
  const disagreement = one('disagreement');
  const rebuttal = one('rebuttal');
  return {
    ...rest,
    id: task.id,
    ...(task.meta?.versionId ? { versionId: task.meta.versionId } : {}),
    patientId: patientRef.slice('Patient/'.length),
    requesterName: requesterName ?? task.requester?.display ?? '',
    received: received ?? task.authoredOn?.slice(0, 10) ?? '',
    firstDueDate: firstDueDate ?? task.restriction?.period?.end ?? '',
    dueDate: task.restriction?.period?.end?.slice(0, 10) ?? '',
    change: change ?? task.description ?? '',
    status: status as AmendmentStatus,
    records: list('records'),
    notify: list('notify'),
    amendedVersions: list('amendedVersions'),
    noticeList: list('noticeList'),
    ...(isDenialBasis(denialBasis) ? { denialBasis } : {}),
    ...(notice && noticeSent ? { extension: { notice, noticeSent } } : {}),
    ...(disagreement ? { disagreement: { text: disagreement, filed: one('disagreementFiled') ?? '' } } : {}),
    ...(rebuttal
      ? { rebuttal: { text: rebuttal, filed: one('rebuttalFiled') ?? '', by: one('rebuttalBy') ?? '' } }
      : {}),
  };
}
