import type { Patient, Task } from '@medplum/fhirtypes';
import { notFound } from '../../fhir/outcomes.ts';
import type { FhirStore } from '../../fhir/store.ts';
import type { Criterion } from '../../fhir/search/typed.ts';
import { scorePair, type FieldExplanation, type MatchModel } from '../model.ts';
import { currentModel } from './model-store.ts';
import { standardPatient } from '../patient-record.ts';
import {
  DUPLICATE_REVIEW,
  isOpenTask,
  OPEN_STATUSES,
  TASK_SYSTEM,
  taskPatients,
  type ReviewGrade,
} from './review-tasks.ts';

/** The key fields of a patient a reviewer compares, as display text. */
export interface PatientSummary {
  id: string;
  name: string;
  birthDate: string;
  gender: string;
  address: string;
  phone: string;
  mrn: string;
  ssn: string;
  active: boolean;
}

/** A `MatchPair` on the duplicate worklist: both records, the score and per-field agreement. */
export interface MatchPair {
  taskId: string;
  status: string;
  grade: ReviewGrade;
  /** Match probability with the current model and the records as they are now. */
  score: number;
  createdAt: string;
  a: PatientSummary;
  b: PatientSummary;
  fields: FieldExplanation[];
}

export function summarise(p: Patient): PatientSummary {
  const name = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
  const address = p.address?.[0];
  const ident = (system: RegExp): string =>
    p.identifier?.find((i) => i.system && system.test(i.system))?.value ??
    p.identifier?.find((i) => i.type?.coding?.some((c) => system.test(c.code ?? '')))?.value ??
    '';
  return {
    id: p.id ?? '',
    name: [name?.given?.join(' '), name?.family].filter(Boolean).join(' '),
    birthDate: p.birthDate ?? '',
    gender: p.gender ?? '',
    address: [address?.line?.join(', '), address?.city, address?.state, address?.postalCode]
      .filter(Boolean)
      .join(', '),
    phone: p.telecom?.find((t) => t.system === 'phone')?.value ?? '',
    mrn: ident(/mrn|^MR$/i),
    ssn: ident(/us-ssn|^SS$/i),
    active: p.active !== false,
  };
}

function toPair(model: MatchModel, task: Task, createdAt: Date | string, a: Patient, b: Patient): MatchPair {
  const scored = scorePair(model, standardPatient(a), standardPatient(b));
  const grade = task.businessStatus?.coding?.[0]?.code === 'probable' ? 'probable' : 'possible';
  return {
    taskId: task.id ?? '',
    status: task.status,
    grade,
    score: scored.matchProbability,
    createdAt: new Date(createdAt).toISOString(),
    a: summarise(a),
    b: summarise(b),
    fields: scored.fields,
  };
}

interface ReviewRow {
  patient_a: string;
  patient_b: string;
  task_id: string;
  created_at: Date | string;
}

/** Ids are looked up through the store this many at a time (one page of a typed search). */
const CHUNK = 1000;

/**
 * The open Tasks among `ids` the caller may see: `readMany` with the status asked of the search,
 * so the closed Tasks of decided pairs (most of mpi_review, in time) are never read.
 */
async function openTasks(store: FhirStore, ids: readonly string[]): Promise<Map<string, Task>> {
  const open = new Map<string, Task>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const chunk = unique.slice(i, i + CHUNK);
    const where: Criterion[] = [
      { param: '_id', tokens: chunk.map((code) => ({ code })) },
      { param: 'status', tokens: OPEN_STATUSES.map((code) => ({ code })) },
    ];
    for (const r of (await store.find({ type: 'Task', where, count: chunk.length })).matches)
      if (isOpenTask(r)) open.set(r.id, r);
  }
  return open;
}

/**
 * Open duplicate-review pairs, oldest first (created_at, task_id). The pairs come from
 * mpi_review (pairs decided not to be duplicates left out); their Tasks and both patients are
 * read through the caller's store, so a pair shows only when the Task is open and the Task and
 * both patients pass the one access filter (record labels, the patient's labels, break-the-glass
 * grants). The total counts those pairs only.
 */
export async function listWorklist(
  store: FhirStore,
  options: { limit?: number; offset?: number } = {},
): Promise<{ total: number; pairs: MatchPair[] }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  const offset = Math.max(options.offset ?? 0, 0);
  const rows = await store.db.query<ReviewRow>(
    `SELECT r.patient_a, r.patient_b, r.task_id, r.created_at FROM mpi_review r
      WHERE NOT EXISTS (SELECT 1 FROM mpi_not_duplicate n WHERE n.patient_a = r.patient_a AND n.patient_b = r.patient_b)
      ORDER BY r.created_at, r.task_id`,
  );
  const taskIds = rows.rows.map((r) => r.task_id);
  const tasks = await openTasks(store, taskIds);
  const open = rows.rows.filter((r) => tasks.has(r.task_id));
  // Visibility decides the count and the page without reading anyone; only the patients shown
  // on this page are read (and so audited as seen).
  const seen = await store.visibleIds(
    'Patient',
    open.flatMap((o) => [o.patient_a, o.patient_b]),
  );
  const visible = open.filter((r) => seen.has(r.patient_a) && seen.has(r.patient_b));
  const page = visible.slice(offset, offset + limit);
  const patients = new Map<string, Patient>();
  for (const r of await store.readMany(
    'Patient',
    page.flatMap((o) => [o.patient_a, o.patient_b]),
  ))
    if (r.resourceType === 'Patient' && r.id) patients.set(r.id, r);
  const { model } = await currentModel(store.db);
  // A pair whose record was deleted or merged between the two reads drops off this page.
  const pairs = page.flatMap((r) => {
    const task = tasks.get(r.task_id);
    const a = patients.get(r.patient_a);
    const b = patients.get(r.patient_b);
    return task && a && b ? [toPair(model, task, r.created_at, a, b)] : [];
  });
  return { total: visible.length, pairs };
}

/** One pair with both full records, read through the caller's store (access checked, audited). */
export async function pairDetail(
  store: FhirStore,
  taskId: string,
): Promise<MatchPair & { patientA: Patient; patientB: Patient }> {
  const task = (await store.read('Task', taskId)) as Task;
  const isReview = task.code?.coding?.some((c) => c.system === TASK_SYSTEM && c.code === DUPLICATE_REVIEW);
  const ids = isReview ? taskPatients(task) : undefined;
  if (!ids) throw notFound(`Task/${taskId} is not a duplicate review`);
  const a = (await store.read('Patient', ids[0])) as Patient;
  const b = (await store.read('Patient', ids[1])) as Patient;
  const created = await store.db.query<{ created_at: Date | string }>(
    `SELECT created_at FROM mpi_review WHERE task_id = $1`,
    [taskId],
  );
  const { model } = await currentModel(store.db);
  const pair = toPair(model, task, created.rows[0]?.created_at ?? task.authoredOn ?? new Date(), a, b);
  return { ...pair, patientA: a, patientB: b };
}
