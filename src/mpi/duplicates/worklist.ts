import type { Patient, Task } from '@medplum/fhirtypes';
import { notFound } from '../../fhir/outcomes.ts';
import type { FhirStore } from '../../fhir/store.ts';
import type { Criterion } from '../../fhir/search/typed.ts';
import { DEFAULT_THRESHOLDS, scorePair, type FieldExplanation, type MatchModel } from '../model.ts';
import { historyAmong, type PairEvent } from './pair-history.ts';
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
  // Graded by the score shown (the current model), not the one the Task was written with.
  const grade = scored.matchProbability >= DEFAULT_THRESHOLDS.autoLink ? 'probable' : 'possible';
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

/** Three or more records linked by open pairs: reviewed together, as one person or several. */
export interface ReviewGroup {
  /** The Task of the group's oldest pair: the group's address on the worklist. */
  groupId: string;
  createdAt: string;
  records: PatientSummary[];
  pairs: MatchPair[];
}

export interface Worklist {
  /** Items (pairs and groups) waiting. */
  total: number;
  pairs: MatchPair[];
  groups: ReviewGroup[];
}

/**
 * The open pairs the caller may see, oldest first (created_at, task_id): from mpi_review (pairs
 * decided not to be duplicates left out), kept when their Task is open and the Task and both
 * patients pass the one access filter (record labels, the patient's labels, break-the-glass).
 */
async function openVisiblePairs(store: FhirStore): Promise<{ rows: ReviewRow[]; tasks: Map<string, Task> }> {
  const rows = await store.db.query<ReviewRow>(
    `SELECT r.patient_a, r.patient_b, r.task_id, r.created_at FROM mpi_review r
      WHERE NOT EXISTS (SELECT 1 FROM mpi_not_duplicate n WHERE n.patient_a = r.patient_a AND n.patient_b = r.patient_b)
      ORDER BY r.created_at, r.task_id`,
  );
  const tasks = await openTasks(
    store,
    rows.rows.map((r) => r.task_id),
  );
  const open = rows.rows.filter((r) => tasks.has(r.task_id));
  // Visibility decides without reading anyone; only the patients shown are read (and audited).
  const seen = await store.visibleIds(
    'Patient',
    open.flatMap((o) => [o.patient_a, o.patient_b]),
  );
  return { rows: open.filter((r) => seen.has(r.patient_a) && seen.has(r.patient_b)), tasks };
}

/** The open pairs split into connected records (union-find), each unit oldest pair first. */
function reviewUnits(rows: readonly ReviewRow[]): ReviewRow[][] {
  const parent = new Map<string, string>();
  const root = (x: string): string => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) ?? r;
    parent.set(x, r);
    return r;
  };
  for (const r of rows) {
    for (const id of [r.patient_a, r.patient_b]) if (!parent.has(id)) parent.set(id, id);
    const a = root(r.patient_a);
    const b = root(r.patient_b);
    if (a !== b) parent.set(b, a);
  }
  const units = new Map<string, ReviewRow[]>();
  for (const r of rows) {
    const key = root(r.patient_a);
    units.set(key, [...(units.get(key) ?? []), r]);
  }
  // rows are oldest first, so Map insertion order is the order of each unit's oldest pair.
  return [...units.values()];
}

async function readPatients(store: FhirStore, ids: readonly string[]): Promise<Map<string, Patient>> {
  const patients = new Map<string, Patient>();
  for (const r of await store.readMany('Patient', [...new Set(ids)]))
    if (r.resourceType === 'Patient' && r.id) patients.set(r.id, r);
  return patients;
}

function unitPairs(
  model: MatchModel,
  unit: readonly ReviewRow[],
  tasks: Map<string, Task>,
  patients: Map<string, Patient>,
): MatchPair[] {
  // A pair whose record was deleted or merged between the two reads drops off.
  return unit.flatMap((r) => {
    const task = tasks.get(r.task_id);
    const a = patients.get(r.patient_a);
    const b = patients.get(r.patient_b);
    return task && a && b ? [toPair(model, task, r.created_at, a, b)] : [];
  });
}

function toGroup(
  unit: readonly ReviewRow[],
  pairs: MatchPair[],
  patients: Map<string, Patient>,
): ReviewGroup {
  const ids = [...new Set(unit.flatMap((r) => [r.patient_a, r.patient_b]))];
  return {
    groupId: unit[0]?.task_id ?? '',
    createdAt: new Date(unit[0]?.created_at ?? 0).toISOString(),
    records: ids.flatMap((id) => {
      const p = patients.get(id);
      return p ? [summarise(p)] : [];
    }),
    pairs: [...pairs].sort((x, y) => y.score - x.score),
  };
}

/**
 * The duplicate worklist, oldest first: a pair of records is one item; three or more records
 * linked by open pairs are one group, reviewed together rather than as separate pairs. Paged over
 * items; the total counts the items the caller may see. With a month, only pairs flagged in it.
 */
export async function listWorklist(
  store: FhirStore,
  options: { limit?: number; offset?: number; month?: string } = {},
): Promise<Worklist> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  const offset = Math.max(options.offset ?? 0, 0);
  const { rows, tasks } = await openVisiblePairs(store);
  // A month (YYYY-MM, UTC) keeps the pairs flagged in it: the dashboard's duplicate-rate point.
  const flagged = options.month
    ? rows.filter((r) => new Date(r.created_at).toISOString().startsWith(options.month ?? ''))
    : rows;
  const units = reviewUnits(flagged);
  const page = units.slice(offset, offset + limit);
  const patients = await readPatients(
    store,
    page.flatMap((u) => u.flatMap((o) => [o.patient_a, o.patient_b])),
  );
  const { model } = await currentModel(store.db);
  const pairs: MatchPair[] = [];
  const groups: ReviewGroup[] = [];
  for (const unit of page) {
    const scored = unitPairs(model, unit, tasks, patients);
    if (unit.length === 1) pairs.push(...scored);
    else groups.push(toGroup(unit, scored, patients));
  }
  return { total: units.length, pairs, groups };
}

/** Encounters in each patient's chart, counted through the caller's store. */
async function encounterCounts(store: FhirStore, ids: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const id of ids)
    counts[id] = await store.count({
      type: 'Encounter',
      where: [{ param: 'patient', references: [`Patient/${id}`] }],
    });
  return counts;
}

/** A merge between records of a pair or group that has not been undone: what Unmerge offers. */
export interface StandingMerge {
  mergeId: string;
  source: string;
  target: string;
  at: string;
  actor: string;
}

function standingMerges(history: readonly PairEvent[]): StandingMerge[] {
  const undone = new Set(history.filter((e) => e.event === 'unmerged').map((e) => String(e.detail.mergeId)));
  return history.flatMap((e) =>
    e.event === 'merged' && !undone.has(String(e.detail.mergeId))
      ? [
          {
            mergeId: String(e.detail.mergeId),
            source: String(e.detail.source),
            target: String(e.detail.target),
            at: e.at,
            actor: e.actor,
          },
        ]
      : [],
  );
}

/** What the review screens show besides the records: chart sizes, history, merges to undo. */
export interface ReviewContext {
  encounters: Record<string, number>;
  history: PairEvent[];
  merges: StandingMerge[];
}

async function reviewContext(store: FhirStore, ids: readonly string[]): Promise<ReviewContext> {
  const history = await historyAmong(store.db, ids);
  return { encounters: await encounterCounts(store, ids), history, merges: standingMerges(history) };
}

export type PairDetail = MatchPair & ReviewContext & { patientA: Patient; patientB: Patient };

/** One pair with both full records, read through the caller's store (access checked, audited). */
export async function pairDetail(store: FhirStore, taskId: string): Promise<PairDetail> {
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
  return { ...pair, ...(await reviewContext(store, ids)), patientA: a, patientB: b };
}

export type GroupDetail = ReviewGroup & ReviewContext;

/** The open group a pair's Task belongs to (404 when that pair is not in a group of three or more). */
export async function groupDetail(store: FhirStore, taskId: string): Promise<GroupDetail> {
  const { rows, tasks } = await openVisiblePairs(store);
  const unit = reviewUnits(rows).find((u) => u.some((r) => r.task_id === taskId));
  if (!unit || unit.length < 2) throw notFound(`Task/${taskId} is not in an open group of duplicates`);
  const ids = [...new Set(unit.flatMap((r) => [r.patient_a, r.patient_b]))];
  const patients = await readPatients(store, ids);
  const { model } = await currentModel(store.db);
  const group = toGroup(unit, unitPairs(model, unit, tasks, patients), patients);
  return { ...group, ...(await reviewContext(store, ids)) };
}
