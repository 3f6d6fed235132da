import { randomUUID } from 'node:crypto';
import type { Resource, Task, TaskInput } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/index.ts';
import { isOutcomeError } from '../../fhir/outcomes.ts';
import type { FhirStore } from '../../fhir/store.ts';
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

/** Task statuses that keep a pair on the worklist. */
export const OPEN_STATUSES = ['requested', 'ready', 'in-progress'] as const;

export function isOpenTask(resource: Resource): resource is Task & { id: string } {
  return (
    resource.resourceType === 'Task' &&
    !!resource.id &&
    (OPEN_STATUSES as readonly string[]).includes(resource.status)
  );
}

/** An open review Task naming a patient, and the other patient of its pair. */
export interface OpenReview {
  taskId: string;
  otherId: string;
}

/**
 * The open review Tasks naming `patientId` that the caller may see: the pairs from mpi_review,
 * the Tasks through the caller's store. Read before the caller's transaction, which then locks
 * them with `closeReviewTasks` (a store read inside that transaction would wait for it).
 */
export async function openReviewsOf(store: FhirStore, patientId: string): Promise<OpenReview[]> {
  const res = await store.db.query<{ patient_a: string; patient_b: string; task_id: string }>(
    `SELECT patient_a, patient_b, task_id FROM mpi_review WHERE patient_a = $1 OR patient_b = $1`,
    [patientId],
  );
  if (res.rows.length === 0) return [];
  const open = new Set(
    (
      await store.readMany(
        'Task',
        res.rows.map((r) => r.task_id),
      )
    )
      .filter(isOpenTask)
      .map((t) => t.id),
  );
  return res.rows
    .filter((r) => open.has(r.task_id))
    .map((r) => ({ taskId: r.task_id, otherId: r.patient_a === patientId ? r.patient_b : r.patient_a }));
}

export interface ReviewClosure {
  before: Task & { id: string };
  after: Task & { id: string };
}

/** The current version of a Task, locked in `tx`; undefined when it has gone meanwhile. */
async function lockedTask(store: FhirStore, tx: Queryable, id: string): Promise<Resource | undefined> {
  try {
    return await store.readForUpdate(tx, 'Task', id);
  } catch (err) {
    if (isOutcomeError(err) && (err.status === 404 || err.status === 410)) return undefined;
    throw err;
  }
}

/**
 * Closes the open review Tasks `reviews` (from `openReviewsOf`) as `decide(otherPatient)` says:
 * each is locked in the caller's transaction and closed only if it is still open. Returns the
 * before and after versions; the caller writes them in its transaction.
 */
export async function closeReviewTasks(
  store: FhirStore,
  tx: Queryable,
  reviews: readonly OpenReview[],
  decide: (otherId: string) => { status: 'completed' | 'cancelled'; outcome: string } | undefined,
): Promise<ReviewClosure[]> {
  const closures: ReviewClosure[] = [];
  for (const review of reviews) {
    const decision = decide(review.otherId);
    if (!decision) continue;
    const before = await lockedTask(store, tx, review.taskId);
    if (!before || !isOpenTask(before)) continue;
    const after: Task & { id: string } = {
      ...before,
      status: decision.status,
      statusReason: { text: decision.outcome },
      output: [{ type: { text: 'decision' }, valueString: decision.outcome }],
      lastModified: new Date().toISOString(),
    };
    closures.push({ before, after });
  }
  return closures;
}
