import { createHash } from 'node:crypto';
import type { DetectedIssue, Extension, Reference, Resource, Task } from '@medplum/fhirtypes';

/**
 * The coding work item of one encounter, kept as a FHIR Task: `code` urn:custodian:task|encounter-coding,
 * `focus` the Encounter, `for` the Patient, `owner` the coder the case is assigned to (who claimed it,
 * was assigned it, or last worked on it), `lastModified` when.
 * No Task means "uncoded". Saving codes makes it in-progress / coded; finalizing completed / final.
 * The Task also carries an append-only log of who coded and finalized when (productivity) and the
 * overrides given at finalization, so the whole workflow lives in the record store.
 */

export const TASK_SYSTEM = 'urn:custodian:task';
export const TASK_CODE = 'encounter-coding';
export const STATE_SYSTEM = 'urn:custodian:coding-state';
/** The same state in the Encounter's content (see withState). */
export const STATE_EXTENSION = 'urn:custodian:fhir:coding-state';
/** Marks resources written by coding (not clinical documentation). */
export const CODED_TAG = { system: 'urn:custodian:coding', code: 'coded', display: 'Coded by HIM' } as const;
export const USER_SYSTEM = 'urn:custodian:user';

const EVENT_URL = 'urn:custodian:fhir:coding-event';
const DISCHARGE_URL = 'urn:custodian:fhir:coding-discharge';
const OVERRIDE_URL = 'urn:custodian:fhir:coding-override';

export const CODING_STATES = ['uncoded', 'coded', 'final'] as const;
export type CodingState = (typeof CODING_STATES)[number];

const TASK_STATUS: Record<CodingState, Task['status']> = {
  uncoded: 'requested',
  coded: 'in-progress',
  final: 'completed',
};

export const CODING_ACTIONS = ['coded', 'finalized', 'reopened', 'assigned'] as const;
export type CodingAction = (typeof CODING_ACTIONS)[number];

export interface CodingEvent {
  action: CodingAction;
  coder: string;
  time: string;
  /** Why (a reopened case) or to whom (an assignment). */
  reason?: string | undefined;
  assignee?: string | undefined;
}

export interface Override {
  kind: string;
  codes: string[];
  reason: string;
  coder?: string | undefined;
  time?: string | undefined;
}

/** A resource id derived from the encounter's: one work item and one claim per encounter. */
export function derivedId(prefix: string, encounterId: string): string {
  const id = `${prefix}-${encounterId}`;
  if (id.length <= 64) return id;
  return `${prefix}-${createHash('sha256').update(encounterId).digest('hex').slice(0, 40)}`;
}

export const taskIdFor = (encounterId: string): string => derivedId('coding', encounterId);
export const claimIdFor = (encounterId: string): string => derivedId('claim', encounterId);

/** The coder as a logical reference: users are not Practitioner resources. */
export function userRef<T extends Resource = Resource>(username: string): Reference<T> {
  return { identifier: { system: USER_SYSTEM, value: username }, display: username };
}

/** DetectedIssue.code system of a coding edit overridden at finalization (the code is the edit kind). */
export const OVERRIDE_ISSUE_SYSTEM = 'urn:custodian:coding-edit';

/**
 * An override given at finalization as its own searchable record (DetectedIssue): the edit kind
 * (code), the encounter (implicated), the coder (author, by user name), when (identified) and the
 * reason (mitigation). Reports count these in the database; the work item's log keeps the same.
 */
export function overrideIssue(
  override: Override,
  index: number,
  change: { encounterId: string; patientId: string; coder: string; now: string },
): DetectedIssue {
  // One id per override of one finalization: a case reopened and finalized again adds new ones.
  const key = createHash('sha256').update(`${change.encounterId}|${change.now}|${index}`).digest('hex');
  return {
    resourceType: 'DetectedIssue',
    id: `coding-override-${key.slice(0, 40)}`,
    status: 'final',
    code: { coding: [{ system: OVERRIDE_ISSUE_SYSTEM, code: override.kind }], text: override.kind },
    patient: { reference: `Patient/${change.patientId}` },
    implicated: [{ reference: `Encounter/${change.encounterId}` }],
    author: userRef(change.coder),
    identifiedDateTime: change.now,
    ...(override.codes.length ? { evidence: [{ code: override.codes.map((c) => ({ text: c })) }] } : {}),
    detail: override.reason,
    mitigation: [
      { action: { text: `Overridden: ${override.reason}` }, date: change.now, author: userRef(change.coder) },
    ],
  };
}

export function stateOf(task: Task | undefined): CodingState {
  const code = task?.businessStatus?.coding?.find((c) => c.system === STATE_SYSTEM)?.code;
  return (CODING_STATES as readonly string[]).includes(code ?? '') ? (code as CodingState) : 'uncoded';
}

export function ownerOf(task: Task | undefined): string | undefined {
  return task?.owner?.identifier?.value ?? task?.owner?.display;
}

export function eventsOf(task: Task): CodingEvent[] {
  return (task.extension ?? [])
    .filter((e) => e.url === EVENT_URL)
    .map((e) => {
      const action = sub(e, 'action')?.valueCode ?? '';
      return {
        action: (CODING_ACTIONS as readonly string[]).includes(action) ? (action as CodingAction) : 'coded',
        coder: sub(e, 'coder')?.valueString ?? '',
        time: sub(e, 'time')?.valueDateTime ?? '',
        reason: sub(e, 'reason')?.valueString,
        assignee: sub(e, 'assignee')?.valueString,
      };
    });
}

export function dischargeOf(task: Task): string | undefined {
  return task.extension?.find((e) => e.url === DISCHARGE_URL)?.valueDateTime;
}

export function overridesOf(task: Task | undefined): Override[] {
  return (task?.extension ?? [])
    .filter((e) => e.url === OVERRIDE_URL)
    .map((e) => ({
      kind: sub(e, 'kind')?.valueCode ?? '',
      codes: (e.extension ?? []).filter((x) => x.url === 'code').map((x) => x.valueString ?? ''),
      reason: sub(e, 'reason')?.valueString ?? '',
      coder: sub(e, 'coder')?.valueString,
      time: sub(e, 'time')?.valueDateTime,
    }));
}

function sub(ext: Extension, url: string): Extension | undefined {
  return ext.extension?.find((x) => x.url === url);
}

export interface TaskChange {
  encounterId: string;
  patientId: string;
  state: CodingState;
  coder: string;
  now: string;
  discharge: string;
  /** The resources the coding consists of (Condition, Procedure, Claim references). */
  outputs?: string[] | undefined;
  overrides?: Override[] | undefined;
  /** What happened; by default coded or finalized after the state. */
  action?: CodingAction | undefined;
  reason?: string | undefined;
  /** The coder the case is assigned to; by default the one who acts (null: unassigned). */
  assignee?: string | null | undefined;
}

/** The next version of the work item: state, owner, time, and one more event in the log. */
export function nextTask(previous: Task | undefined, change: TaskChange): Task {
  const { encounterId, patientId, state, coder, now } = change;
  const kept = (previous?.extension ?? []).filter(
    (e) => e.url === EVENT_URL || (e.url === OVERRIDE_URL && !change.overrides),
  );
  const action = change.action ?? (state === 'final' ? 'finalized' : 'coded');
  const assignee = change.assignee === undefined ? coder : change.assignee;
  const event: Extension = {
    url: EVENT_URL,
    extension: [
      { url: 'action', valueCode: action },
      { url: 'coder', valueString: coder },
      { url: 'time', valueDateTime: now },
      ...(change.reason ? [{ url: 'reason', valueString: change.reason }] : []),
      // An assignment without an assignee is a release.
      ...(action === 'assigned' && assignee ? [{ url: 'assignee', valueString: assignee }] : []),
    ],
  };
  const overrides: Extension[] = (change.overrides ?? []).map((o) => ({
    url: OVERRIDE_URL,
    extension: [
      { url: 'kind', valueCode: o.kind },
      ...o.codes.map((c) => ({ url: 'code', valueString: c })),
      { url: 'reason', valueString: o.reason },
      { url: 'coder', valueString: coder },
      { url: 'time', valueDateTime: now },
    ],
  }));
  const outputs = change.outputs ?? (previous?.output ?? []).map((o) => o.valueReference?.reference ?? '');
  return {
    resourceType: 'Task',
    id: taskIdFor(encounterId),
    extension: [{ url: DISCHARGE_URL, valueDateTime: change.discharge }, ...kept, event, ...overrides],
    status: TASK_STATUS[state] ?? 'requested',
    businessStatus: { coding: [{ system: STATE_SYSTEM, code: state }], text: state },
    intent: 'order',
    code: { coding: [{ system: TASK_SYSTEM, code: TASK_CODE, display: 'Encounter coding' }] },
    description: 'Assign ICD-10-CM / ICD-10-PCS / HCPCS codes to the encounter',
    focus: { reference: `Encounter/${encounterId}` },
    for: { reference: `Patient/${patientId}` },
    encounter: { reference: `Encounter/${encounterId}` },
    authoredOn: previous?.authoredOn ?? now,
    lastModified: now,
    ...(assignee ? { owner: userRef(assignee) } : {}),
    executionPeriod: {
      start: previous?.executionPeriod?.start ?? now,
      ...(state === 'final' ? { end: now } : {}),
    },
    ...(outputs.some(Boolean)
      ? {
          output: outputs
            .filter(Boolean)
            .map((ref) => ({ type: { text: ref.split('/')[0] ?? '' }, valueReference: { reference: ref } })),
        }
      : {}),
  };
}
