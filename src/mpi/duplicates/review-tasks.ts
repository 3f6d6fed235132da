import { randomUUID } from 'node:crypto';
import type { Task, TaskInput } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/index.ts';
import type { ScoredPair } from '../model.ts';

/**
 * Duplicate-review work items. Each pair to review is a FHIR Task (code
 * urn:custodian:task|duplicate-review) naming both patients in Task.input, with the score and the
 * per-field explanation; table mpi_review indexes the pairs so one pair never gets two Tasks.
 * The Task has no `for`: it belongs to neither patient's compartment, so a merge does not move it.
 */

export const TASK_SYSTEM = 'urn:custodian:task';
export const DUPLICATE_REVIEW = 'duplicate-review';
export const GRADE_SYSTEM = 'urn:custodian:mpi-grade';

/** probable: at or above the auto-link threshold (still decided by a person); possible: review band. */
export type ReviewGrade = 'probable' | 'possible';

/** A pair in canonical order, so (a, b) and (b, a) are one pair. */
export function orderedPair(x: string, y: string): [string, string] {
  return x < y ? [x, y] : [y, x];
}

const input = (text: string, value: Omit<TaskInput, 'type'>): TaskInput => ({ type: { text }, ...value });

export function reviewTask(pair: ScoredPair, grade: ReviewGrade): Task & { id: string } {
  const [a, b] = orderedPair(pair.idA, pair.idB);
  const explanation = pair.fields.map((f) => ({
    field: f.field,
    level: f.level,
    weight: Math.round(f.weight * 100) / 100,
  }));
  return {
    resourceType: 'Task',
    id: randomUUID(),
    status: 'requested',
    intent: 'order',
    priority: grade === 'probable' ? 'urgent' : 'routine',
    code: { coding: [{ system: TASK_SYSTEM, code: DUPLICATE_REVIEW, display: 'Duplicate patient review' }] },
    businessStatus: { coding: [{ system: GRADE_SYSTEM, code: grade }], text: grade },
    description: `Possible duplicate patients (match probability ${pair.matchProbability.toFixed(3)})`,
    authoredOn: new Date().toISOString(),
    input: [
      input('patient-a', { valueReference: { reference: `Patient/${a}` } }),
      input('patient-b', { valueReference: { reference: `Patient/${b}` } }),
      input('score', { valueDecimal: Math.round(pair.matchProbability * 1e6) / 1e6 }),
      input('match-weight', { valueDecimal: Math.round(pair.weight * 100) / 100 }),
      input('explanation', { valueString: JSON.stringify(explanation) }),
    ],
  };
}

/** The two patient ids a review Task names. */
export function taskPatients(task: Task): [string, string] | undefined {
  const ref = (name: string): string | undefined =>
    task.input
      ?.find((i) => i.type.text === name)
      ?.valueReference?.reference?.split('/')
      .pop();
  const a = ref('patient-a');
  const b = ref('patient-b');
  return a && b ? [a, b] : undefined;
}

export interface ReviewClosure {
  before: Task & { id: string };
  after: Task & { id: string };
}

/**
 * Open review Tasks naming `patientId`, closed as `decide(otherPatient)` says. Returns the
 * before and after versions; the caller writes them in its transaction.
 */
export async function closeReviewTasks(
  tx: Queryable,
  patientId: string,
  decide: (otherId: string) => { status: 'completed' | 'cancelled'; outcome: string } | undefined,
): Promise<ReviewClosure[]> {
  const res = await tx.query<{ content: Task & { id: string }; patient_a: string; patient_b: string }>(
    `SELECT t.content, r.patient_a, r.patient_b FROM mpi_review r
       JOIN fhir_resource t ON t.resource_type = 'Task' AND t.id = r.task_id AND NOT t.deleted
      WHERE (r.patient_a = $1 OR r.patient_b = $1) AND t.content->>'status' IN ('requested', 'ready', 'in-progress')
      FOR UPDATE OF t`,
    [patientId],
  );
  const closures: ReviewClosure[] = [];
  for (const row of res.rows) {
    const other = row.patient_a === patientId ? row.patient_b : row.patient_a;
    const decision = decide(other);
    if (!decision) continue;
    const after: Task & { id: string } = {
      ...row.content,
      status: decision.status,
      statusReason: { text: decision.outcome },
      output: [{ type: { text: 'decision' }, valueString: decision.outcome }],
      lastModified: new Date().toISOString(),
    };
    closures.push({ before: row.content, after });
  }
  return closures;
}
