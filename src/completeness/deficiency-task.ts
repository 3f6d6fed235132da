import { createHash } from 'node:crypto';
import type { Task } from '@medplum/fhirtypes';
import type { ChartFacts } from './chart-facts.ts';
import type { Requirement } from './evaluate.ts';

/**
 * Deficiencies as FHIR Tasks: `code` urn:custodian:task|deficiency, `focus` the Encounter, `for`
 * the Patient, `owner` the responsible Practitioner, `restriction.period.end` the due date.
 * requested -> completed (the chart got what was missing) or cancelled (waived with a reason,
 * or no longer required). Pure functions over Task content.
 */

export const TASK_SYSTEM = 'urn:custodian:task';
export const DEFICIENCY_CODE = 'deficiency';
export const RULE_SYSTEM = 'urn:custodian:completeness-rule';
export const KIND_SYSTEM = 'urn:custodian:deficiency-kind';
export const KEY_SYSTEM = 'urn:custodian:deficiency';
/** statusReason codes: why a deficiency closed without the document. */
export const CLOSE_SYSTEM = 'urn:custodian:deficiency-close';

export type DeficiencyTask = Task & { id: string };

/** One Task per requirement, ever: its id is derived from the requirement's key. */
export function deficiencyTaskId(key: string): string {
  return `def-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

export function newDeficiencyTask(facts: ChartFacts, req: Requirement, now: string): DeficiencyTask {
  const task: DeficiencyTask = {
    resourceType: 'Task',
    id: deficiencyTaskId(req.key),
    identifier: [{ system: KEY_SYSTEM, value: req.key }],
    status: 'requested',
    intent: 'order',
    priority: 'routine',
    code: { coding: [{ system: TASK_SYSTEM, code: DEFICIENCY_CODE, display: 'Chart deficiency' }] },
    businessStatus: { coding: [{ system: KIND_SYSTEM, code: req.kind }] },
    description: req.description,
    focus: { reference: `Encounter/${facts.encounterId}` },
    for: { reference: `Patient/${facts.patientId}` },
    authoredOn: now,
    lastModified: now,
    reasonCode: { coding: [{ system: RULE_SYSTEM, code: req.ruleId }], text: req.description },
    restriction: { period: { start: req.since, end: req.due } },
  };
  if (req.owner)
    task.owner = {
      reference: `Practitioner/${req.owner.id}`,
      ...(req.owner.name ? { display: req.owner.name } : {}),
    };
  if (req.target !== 'encounter')
    task.input = [
      {
        type: { text: req.kind === 'unsigned' ? 'document to sign' : 'procedure' },
        valueReference: { reference: req.target },
      },
    ];
  return task;
}

function closeCode(task: Task): string | undefined {
  return task.statusReason?.coding?.find((c) => c.system === CLOSE_SYSTEM)?.code;
}

export function isWaived(task: Task): boolean {
  return task.status === 'cancelled' && closeCode(task) === 'waived';
}

/**
 * The Task after re-evaluation, or undefined when it stays as it is. `met` undefined: the rule
 * no longer asks for it (document re-filed away, procedure removed, encounter reopened).
 * A waived deficiency stays waived.
 */
export function transition(
  task: DeficiencyTask,
  met: boolean | undefined,
  now: string,
): DeficiencyTask | undefined {
  if (isWaived(task)) return undefined;
  const { statusReason: _reason, ...rest } = task;
  if (met === false) {
    if (task.status === 'requested') return undefined;
    return { ...rest, status: 'requested', lastModified: now };
  }
  if (task.status !== 'requested') return undefined;
  if (met) return { ...rest, status: 'completed', lastModified: now };
  return {
    ...rest,
    status: 'cancelled',
    lastModified: now,
    statusReason: {
      coding: [{ system: CLOSE_SYSTEM, code: 'not-required' }],
      text: 'No longer required by the completeness rules',
    },
  };
}

/** A deficiency waived by HIM staff: cancelled with the reason they gave. */
export function waive(task: DeficiencyTask, reason: string, by: string, now: string): DeficiencyTask {
  return {
    ...task,
    status: 'cancelled',
    lastModified: now,
    statusReason: { coding: [{ system: CLOSE_SYSTEM, code: 'waived' }], text: reason },
    note: [...(task.note ?? []), { authorString: by, time: now, text: `Waived: ${reason}` }],
  };
}

export function isDeficiencyTask(task: Task): boolean {
  return (task.code?.coding ?? []).some((c) => c.system === TASK_SYSTEM && c.code === DEFICIENCY_CODE);
}
