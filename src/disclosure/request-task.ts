import type { Task, TaskInput, TaskOutput } from '@medplum/fhirtypes';
import type { Fee } from './fees.ts';
import type { RecordScope } from './selection.ts';
import {
  INPUT_SYSTEM,
  isRequesterType,
  isRequestStatus,
  OUTPUT_SYSTEM,
  ROI_TASK_CODE,
  STATUS_LABELS,
  STATUS_SYSTEM,
  TASK_STATUS,
  TASK_SYSTEM,
  type Delivery,
  type RequesterType,
  type RequestStatus,
} from './terms.ts';

/**
 * A release request as a FHIR Task: `code` urn:custodian:task|release-of-information, `for` the
 * Patient, `businessStatus` the ROI status (Task.status follows it), `authoredOn` the date
 * received, `restriction.period.end` the due date, `reasonCode.text` the purpose, and the rest
 * as typed `input` entries (system urn:custodian:roi-input); what was released as `output`, and
 * the release time also as `executionPeriod.end`.
 */

export interface RequestRecord {
  id: string;
  versionId?: string;
  patientId: string;
  requesterType: RequesterType;
  requesterName?: string;
  recipient: string;
  recipientAddress?: string;
  purpose: string;
  received: string;
  status: RequestStatus;
  firstDueDate: string;
  dueDate: string;
  extension?: { notice: string; noticeSent: string };
  authorizationId?: string;
  scope: RecordScope;
  delivery: Delivery[];
  denialReason?: string;
  closeReason?: string;
  released?: { at: string; pages: number; records: number; withheld: number; fee: Fee };
}

const coded = (system: string, code: string): TaskInput['type'] => ({ coding: [{ system, code }] });
const input = (code: string, value: Omit<TaskInput, 'type'>): TaskInput => ({
  type: coded(INPUT_SYSTEM, code),
  ...value,
});
const output = (code: string, value: Omit<TaskOutput, 'type'>): TaskOutput => ({
  type: coded(OUTPUT_SYSTEM, code),
  ...value,
});

export function taskOf(r: RequestRecord): Task & { id: string } {
  const inputs: TaskInput[] = [
    input('requester-type', { valueCode: r.requesterType }),
    input('recipient', { valueString: r.recipient }),
    input('received', { valueDate: r.received }),
    input('first-due', { valueDate: r.firstDueDate }),
    ...(r.requesterName ? [input('requester-name', { valueString: r.requesterName })] : []),
    ...(r.recipientAddress ? [input('recipient-address', { valueString: r.recipientAddress })] : []),
    ...(r.scope.from ? [input('date-from', { valueDate: r.scope.from })] : []),
    ...(r.scope.to ? [input('date-to', { valueDate: r.scope.to })] : []),
    ...(r.scope.types ?? []).map((t) => input('record-type', { valueCode: t })),
    ...(r.scope.encounters ?? []).map((e) =>
      input('encounter', { valueReference: { reference: `Encounter/${e}` } }),
    ),
    ...r.delivery.map((d) => input('delivery', { valueCode: d })),
    ...(r.authorizationId
      ? [input('authorization', { valueReference: { reference: `Consent/${r.authorizationId}` } })]
      : []),
    ...(r.extension
      ? [
          input('extension-notice', { valueString: r.extension.notice }),
          input('extension-notice-sent', { valueDate: r.extension.noticeSent }),
        ]
      : []),
    ...(r.closeReason ? [input('close-reason', { valueString: r.closeReason })] : []),
  ];
  const outputs: TaskOutput[] = r.released
    ? [
        output('released-at', { valueDateTime: r.released.at }),
        output('pages', { valueInteger: r.released.pages }),
        output('records', { valueInteger: r.released.records }),
        output('withheld', { valueInteger: r.released.withheld }),
        output('fee', { valueMoney: { value: r.released.fee.amountCents / 100, currency: 'USD' } }),
        output('fee-basis', { valueString: r.released.fee.basis }),
      ]
    : [];
  // A request closed after its release stays "completed" in FHIR terms.
  const status = r.status === 'closed' && r.released ? 'completed' : TASK_STATUS[r.status];
  return {
    resourceType: 'Task',
    id: r.id,
    status,
    intent: 'order',
    code: { coding: [{ system: TASK_SYSTEM, code: ROI_TASK_CODE, display: 'Release of information' }] },
    businessStatus: {
      coding: [{ system: STATUS_SYSTEM, code: r.status, display: STATUS_LABELS[r.status] }],
      text: STATUS_LABELS[r.status],
    },
    for: { reference: `Patient/${r.patientId}` },
    authoredOn: r.received,
    lastModified: new Date().toISOString(),
    ...(r.requesterName || r.recipient ? { requester: { display: r.requesterName ?? r.recipient } } : {}),
    reasonCode: { text: r.purpose },
    restriction: { period: { end: r.dueDate } },
    // The release time again where the index holds it (`period`): reports count turnaround in SQL.
    ...(r.released ? { executionPeriod: { end: r.released.at } } : {}),
    ...(r.denialReason ? { statusReason: { text: r.denialReason } } : {}),
    input: inputs,
    ...(outputs.length ? { output: outputs } : {}),
  };
}

type Entry = TaskInput | TaskOutput;
const codeOf = (e: Entry): string | undefined => e.type.coding?.[0]?.code;
const one = <T extends Entry>(entries: T[] | undefined, code: string): T | undefined =>
  entries?.find((e) => codeOf(e) === code);
const all = <T extends Entry>(entries: T[] | undefined, code: string): T[] =>
  (entries ?? []).filter((e) => codeOf(e) === code);

/** Is this Task a release request? */
export function isRequestTask(task: Task): boolean {
  return !!task.code?.coding?.some((c) => c.system === TASK_SYSTEM && c.code === ROI_TASK_CODE);
}

/** The request a Task holds (undefined when the Task is not a well-formed release request). */
export function requestOf(task: Task): RequestRecord | undefined {
  if (!task.id || !isRequestTask(task)) return undefined;
  const status = task.businessStatus?.coding?.find((c) => c.system === STATUS_SYSTEM)?.code;
  const requesterType = one(task.input, 'requester-type')?.valueCode;
  const patientRef = task.for?.reference ?? '';
  if (!isRequestStatus(status) || !isRequesterType(requesterType) || !patientRef.startsWith('Patient/'))
    return undefined;
  const inputs = task.input;
  const text = (code: string): string | undefined => one(inputs, code)?.valueString;
  const date = (code: string): string | undefined => one(inputs, code)?.valueDate;
  const received = date('received') ?? task.authoredOn?.slice(0, 10) ?? '';
  const dueDate = task.restriction?.period?.end?.slice(0, 10) ?? '';
  const types = all(inputs, 'record-type').map((e) => e.valueCode ?? '');
  const encounters = all(inputs, 'encounter').map((e) =>
    (e.valueReference?.reference ?? '').replace(/^Encounter\//, ''),
  );
  const from = date('date-from');
  const to = date('date-to');
  const notice = text('extension-notice');
  const noticeSent = date('extension-notice-sent');
  const authorization = one(inputs, 'authorization')?.valueReference?.reference;
  const out = task.output;
  const releasedAt = one(out, 'released-at')?.valueDateTime;
  const int = (code: string): number => one(out, code)?.valueInteger ?? 0;
  const feeValue = one(out, 'fee')?.valueMoney?.value ?? 0;
  const feeCents = Math.round(feeValue * 100);
  const requesterName = text('requester-name');
  const recipientAddress = text('recipient-address');
  const closeReason = text('close-reason');
  return {
    id: task.id,
    ...(task.meta?.versionId ? { versionId: task.meta.versionId } : {}),
    patientId: patientRef.slice('Patient/'.length),
    requesterType,
    ...(requesterName ? { requesterName } : {}),
    recipient: text('recipient') ?? task.requester?.display ?? '',
    ...(recipientAddress ? { recipientAddress } : {}),
    purpose: task.reasonCode?.text ?? '',
    received,
    status,
    firstDueDate: date('first-due') ?? dueDate,
    dueDate,
    ...(notice && noticeSent ? { extension: { notice, noticeSent } } : {}),
    ...(authorization?.startsWith('Consent/')
      ? { authorizationId: authorization.slice('Consent/'.length) }
      : {}),
    scope: {
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(types.length ? { types } : {}),
      ...(encounters.length ? { encounters } : {}),
    },
    delivery: all(inputs, 'delivery')
      .map((e) => e.valueCode)
      .filter((d): d is Delivery => d === 'pdf' || d === 'bundle'),
    ...(task.statusReason?.text ? { denialReason: task.statusReason.text } : {}),
    ...(closeReason ? { closeReason } : {}),
    ...(releasedAt
      ? {
          released: {
            at: releasedAt,
            pages: int('pages'),
            records: int('records'),
            withheld: int('withheld'),
            fee: {
              amountCents: feeCents,
              amount: (feeCents / 100).toFixed(2),
              currency: 'USD' as const,
              basis: one(out, 'fee-basis')?.valueString ?? '',
            },
          },
        }
      : {}),
  };
}
