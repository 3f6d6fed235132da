import type { Patient, Task } from '@medplum/fhirtypes';
import { badRequest, conflict, notFound } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import { isDeficiencyTask, waive, type DeficiencyTask } from './deficiency-task.ts';

/**
 * The technician's completeness worklist and the provider's own deficiencies: filtered, sorted
 * and paged in SQL over completeness_deficiency, then narrowed to the Tasks the caller may see
 * (`visibleIds`, no content) and only the page shown is read through the caller's store (audited).
 */

export const SORTS = ['age', 'due', 'provider', 'service', 'rule'] as const;
export type WorklistSort = (typeof SORTS)[number];

export interface WorklistFilter {
  status: 'open' | 'closed' | 'all';
  service?: string;
  provider?: string;
  minAgeDays?: number;
  maxAgeDays?: number;
  sort: WorklistSort;
  descending: boolean;
  limit: number;
  offset: number;
}

export interface Deficiency {
  taskId: string;
  status: string;
  kind: string;
  ruleId: string;
  description: string;
  target: string;
  encounterId: string;
  patientId: string;
  patientName: string;
  mrn: string | undefined;
  ownerId: string | null;
  ownerName: string | null;
  service: string;
  dischargedAt: string | null;
  dueAt: string;
  /** Days since discharge. */
  ageDays: number | null;
  overdue: boolean;
  closedReason: string | null;
}

export interface WorklistPage {
  total: number;
  services: string[];
  providers: Array<{ id: string; name: string }>;
  deficiencies: Deficiency[];
}

const ORDER: Record<WorklistSort, string> = {
  age: 'discharged_at',
  due: 'due_at',
  provider: 'owner_name',
  service: 'service',
  rule: 'rule_id',
};

interface Row {
  task_id: string;
  status: string;
  kind: string;
  rule_id: string;
  description: string;
  target: string;
  encounter_id: string;
  patient_id: string;
  owner_id: string | null;
  owner_name: string | null;
  service: string;
  discharged_at: Date | string | null;
  due_at: Date | string;
  closed_reason: string | null;
}

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());

function patientName(p: Patient | undefined): string {
  const n = p?.name?.find((x) => x.use === 'official') ?? p?.name?.[0];
  if (!n) return 'Unknown patient';
  return n.text ?? [n.family, (n.given ?? []).join(' ')].filter(Boolean).join(', ');
}

const MRN_TYPE = 'MR';

function mrnOf(p: Patient | undefined): string | undefined {
  return (p?.identifier ?? []).find((i) => (i.type?.coding ?? []).some((c) => c.code === MRN_TYPE))?.value;
}

/** One page of deficiencies matching the filter, among those the caller may see. */
export async function listDeficiencies(
  store: FhirStore,
  filter: WorklistFilter,
  now = new Date(),
): Promise<WorklistPage> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.status === 'open') where.push(`status = 'requested'`);
  if (filter.status === 'closed') where.push(`status <> 'requested'`);
  if (filter.service) where.push(`service = ${add(filter.service)}`);
  if (filter.provider) where.push(`owner_id = ${add(filter.provider)}`);
  // Age is days since discharge, as on the delinquency report.
  if (filter.minAgeDays !== undefined)
    where.push(
      `discharged_at <= ${add(new Date(now.getTime() - filter.minAgeDays * 86_400_000).toISOString())}::timestamptz`,
    );
  if (filter.maxAgeDays !== undefined)
    where.push(
      `discharged_at >= ${add(new Date(now.getTime() - (filter.maxAgeDays + 1) * 86_400_000).toISOString())}::timestamptz`,
    );
  // The oldest chart has the earliest discharge: age descending is discharge ascending.
  const descending = filter.sort === 'age' ? !filter.descending : filter.descending;
  const sql = `SELECT task_id, status, kind, rule_id, description, target, encounter_id, patient_id, owner_id, owner_name,
                      service, discharged_at, due_at, closed_reason
                 FROM completeness_deficiency ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                ORDER BY ${ORDER[filter.sort]} ${descending ? 'DESC' : 'ASC'} NULLS LAST, task_id`;
  const rows = (await store.db.query<Row>(sql, params)).rows;
  // A deficiency shows when its Task and its patient pass the access filter (a restricted
  // patient's charts stay off the worklist until the glass is broken).
  const visible = await store.visibleIds(
    'Task',
    rows.map((r) => r.task_id),
  );
  const patientsSeen = await store.visibleIds(
    'Patient',
    rows.map((r) => r.patient_id),
  );
  const shown = rows.filter((r) => visible.has(r.task_id) && patientsSeen.has(r.patient_id));
  const page = shown.slice(filter.offset, filter.offset + filter.limit);
  const patients = new Map(
    (
      (await store.readMany('Patient', [...new Set(page.map((r) => r.patient_id))])) as Array<
        Patient & { id: string }
      >
    ).map((p) => [p.id, p]),
  );
  const facets = await store.db.query<{
    service: string;
    owner_id: string | null;
    owner_name: string | null;
  }>(`SELECT DISTINCT service, owner_id, owner_name FROM completeness_deficiency WHERE status = 'requested'`);
  const providers = new Map<string, string>();
  for (const f of facets.rows) if (f.owner_id) providers.set(f.owner_id, f.owner_name ?? f.owner_id);
  return {
    total: shown.length,
    services: [...new Set(facets.rows.map((f) => f.service))].sort(),
    providers: [...providers]
      .map(([id, name]) => ({ id, name }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    deficiencies: page.map((r) => {
      const discharged = iso(r.discharged_at);
      const due = iso(r.due_at) ?? '';
      return {
        taskId: r.task_id,
        status: r.status,
        kind: r.kind,
        ruleId: r.rule_id,
        description: r.description,
        target: r.target,
        encounterId: r.encounter_id,
        patientId: r.patient_id,
        patientName: patientName(patients.get(r.patient_id)),
        mrn: mrnOf(patients.get(r.patient_id)),
        ownerId: r.owner_id,
        ownerName: r.owner_name,
        service: r.service,
        dischargedAt: discharged,
        dueAt: due,
        ageDays: discharged ? Math.floor((now.getTime() - Date.parse(discharged)) / 86_400_000) : null,
        overdue: r.status === 'requested' && Date.parse(due) < now.getTime(),
        closedReason: r.closed_reason,
      };
    }),
  };
}

/** Waives an open deficiency: the Task is cancelled with the reason given, and stays so. */
export async function waiveDeficiency(store: FhirStore, taskId: string, reason: string): Promise<Task> {
  if (reason.trim().length < 3) throw badRequest('A reason for the waiver is required', ['reason']);
  store.assertMay('Task', 'update');
  const now = new Date().toISOString();
  return store.db.transaction(async (tx) => {
    const task = (await store.readForUpdate(tx, 'Task', taskId)) as DeficiencyTask;
    if (!isDeficiencyTask(task)) throw notFound(`Task/${taskId} is not a deficiency`);
    if (task.status !== 'requested') throw conflict(`Task/${taskId} is ${task.status}, not open`);
    const waived = waive(task, reason.trim(), store.ctx.username, now);
    await store.writeInTransaction(tx, [waived], []);
    await tx.query(
      `UPDATE completeness_deficiency SET status = 'cancelled', closed_at = $2, closed_reason = 'waived' WHERE task_id = $1`,
      [taskId, now],
    );
    return waived;
  });
}
