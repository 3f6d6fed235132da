import type { Patient, Task } from '@medplum/fhirtypes';
import { deniedLabelsFor } from '../../shared/index.ts';
import type { Db } from '../../db/index.ts';
import { notFound } from '../../fhir/outcomes.ts';
import type { FhirStore } from '../../fhir/store.ts';
import { scorePair, type FieldExplanation } from '../model.ts';
import { currentModel } from './model-store.ts';
import { standardPatient } from '../patient-record.ts';
import { DUPLICATE_REVIEW, TASK_SYSTEM, taskPatients, type ReviewGrade } from './review-tasks.ts';

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

async function toPair(
  db: Db,
  task: Task,
  createdAt: Date | string,
  a: Patient,
  b: Patient,
): Promise<MatchPair> {
  const { model } = await currentModel(db);
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

/**
 * Open duplicate-review pairs, oldest first. Pairs involving a record the caller may not see
 * (sensitive labels) are left out; pairs decided not to be duplicates never show.
 */
export async function listWorklist(
  store: FhirStore,
  options: { limit?: number; offset?: number } = {},
): Promise<{ total: number; pairs: MatchPair[] }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  const offset = Math.max(options.offset ?? 0, 0);
  const denied = deniedLabelsFor(store.ctx.role);
  const from = `FROM mpi_review r
      JOIN fhir_resource t ON t.resource_type = 'Task' AND t.id = r.task_id AND NOT t.deleted
      JOIN fhir_resource pa ON pa.resource_type = 'Patient' AND pa.id = r.patient_a AND NOT pa.deleted
      JOIN fhir_resource pb ON pb.resource_type = 'Patient' AND pb.id = r.patient_b AND NOT pb.deleted
     WHERE t.content->>'status' IN ('requested', 'ready', 'in-progress')
       AND NOT (pa.security && $1::text[]) AND NOT (pb.security && $1::text[])
       AND NOT EXISTS (SELECT 1 FROM mpi_not_duplicate n WHERE n.patient_a = r.patient_a AND n.patient_b = r.patient_b)`;
  const count = await store.db.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, [denied]);
  const rows = await store.db.query<{ task: Task; a: Patient; b: Patient; created_at: Date | string }>(
    `SELECT t.content AS task, pa.content AS a, pb.content AS b, r.created_at ${from}
      ORDER BY r.created_at, r.task_id LIMIT ${limit} OFFSET ${offset}`,
    [denied],
  );
  const pairs: MatchPair[] = [];
  for (const row of rows.rows) pairs.push(await toPair(store.db, row.task, row.created_at, row.a, row.b));
  return { total: Number(count.rows[0]?.n ?? 0), pairs };
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
  const pair = await toPair(
    store.db,
    task,
    created.rows[0]?.created_at ?? task.authoredOn ?? new Date(),
    a,
    b,
  );
  return { ...pair, patientA: a, patientB: b };
}
