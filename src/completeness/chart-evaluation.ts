import type {
  DocumentReference,
  Encounter,
  HumanName,
  Practitioner,
  Procedure,
  Resource,
} from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import { isOutcomeError } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import { chartFacts, type ChartFacts, type Clinician } from './chart-facts.ts';
import { referencedId } from '../fhir/definitions.ts';
import {
  CLOSE_SYSTEM,
  deficiencyTaskId,
  newDeficiencyTask,
  transition,
  type DeficiencyTask,
} from './deficiency-task.ts';
import { evaluateChart, isDischarged, type Requirement } from './evaluate.ts';
import { currentRuleSet } from './rule-store.ts';

/**
 * Evaluates charts against the current rules and brings their deficiency Tasks in line: opens
 * what is missing, completes what arrived, reopens what went away, cancels what no rule asks for
 * any more (waived ones are left alone). Reads go through the store before the transaction; the
 * Tasks that change are locked and re-read inside it, so a waiver saved meanwhile is kept.
 */

export interface EvaluationRun {
  charts: number;
  opened: number;
  closed: number;
}

type WithId<T> = T & { id: string };

interface DeficiencyRow {
  task_id: string;
  encounter_id: string;
  status: string;
  closed_reason: string | null;
}

function nameOf(names: HumanName[] | undefined): string | undefined {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0];
  if (!n) return undefined;
  return n.text ?? [...(n.prefix ?? []), ...(n.given ?? []), n.family].filter(Boolean).join(' ');
}

function byEncounter<T extends Resource>(
  resources: readonly T[],
  refs: (r: T) => Array<string | undefined>,
): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of resources)
    for (const ref of refs(r)) {
      const id = ref ? /^Encounter\/(.+)$/.exec(ref)?.[1] : undefined;
      if (!id) continue;
      out.set(id, [...(out.get(id) ?? []), r]);
    }
  return out;
}

/** Fills in clinicians' names the references did not carry. */
async function nameClinicians(store: FhirStore, facts: ChartFacts[]): Promise<void> {
  const all: Clinician[] = [];
  for (const f of facts) {
    if (f.attending) all.push(f.attending);
    for (const d of f.documents) if (d.author) all.push(d.author);
    for (const p of f.procedures) if (p.performer) all.push(p.performer);
  }
  const unnamed = [...new Set(all.filter((c) => !c.name).map((c) => c.id))];
  if (unnamed.length === 0) return;
  const names = new Map<string, string>();
  for (const p of (await store.readMany('Practitioner', unnamed)) as Array<WithId<Practitioner>>) {
    const name = nameOf(p.name);
    if (name) names.set(p.id, name);
  }
  for (const c of all) if (!c.name && names.has(c.id)) c.name = names.get(c.id);
}

async function readCharts(store: FhirStore, encounterIds: readonly string[]): Promise<ChartFacts[]> {
  const encounters = (await store.readMany('Encounter', encounterIds)) as Array<WithId<Encounter>>;
  if (encounters.length === 0) return [];
  const refs = encounters.map((e) => `Encounter/${e.id}`);
  const docs = (
    await store.findAll({ type: 'DocumentReference', where: [{ param: 'encounter', references: refs }] })
  ).matches as Array<WithId<DocumentReference>>;
  const procedures = (
    await store.findAll({ type: 'Procedure', where: [{ param: 'encounter', references: refs }] })
  ).matches as Array<WithId<Procedure>>;
  const docsOf = byEncounter(docs, (d) => (d.context?.encounter ?? []).map((r) => r.reference));
  const proceduresOf = byEncounter(procedures, (p) => [p.encounter?.reference]);
  const facts = encounters.flatMap(
    (e) => chartFacts(e, docsOf.get(e.id) ?? [], proceduresOf.get(e.id) ?? []) ?? [],
  );
  await nameClinicians(store, facts);
  return facts;
}

async function existingRows(q: Queryable, encounterIds: readonly string[]): Promise<DeficiencyRow[]> {
  const res = await q.query<DeficiencyRow>(
    `SELECT task_id, encounter_id, status, closed_reason FROM completeness_deficiency WHERE encounter_id = ANY($1::text[])`,
    [encounterIds],
  );
  return res.rows;
}

/** Whether re-evaluating would change this Task (judged on our row; the Task itself decides in the transaction). */
function wouldChange(row: DeficiencyRow, met: boolean | undefined): boolean {
  if (row.status === 'cancelled' && row.closed_reason === 'waived') return false;
  if (met === false) return row.status !== 'requested';
  return row.status === 'requested';
}

interface Planned {
  task: DeficiencyTask;
  facts: ChartFacts | undefined;
  req: Requirement | undefined;
}

async function upsertRows(tx: Queryable, planned: readonly Planned[], now: string): Promise<void> {
  for (const { task, facts, req } of planned) {
    const closedReason = task.statusReason?.coding?.find((c) => c.system === CLOSE_SYSTEM)?.code ?? null;
    const closedAt = task.status === 'requested' ? null : now;
    if (!facts || !req) {
      await tx.query(
        `UPDATE completeness_deficiency SET status = $2, closed_at = $3, closed_reason = $4 WHERE task_id = $1`,
        [task.id, task.status, closedAt, closedReason],
      );
      continue;
    }
    await tx.query(
      `INSERT INTO completeness_deficiency (task_id, patient_id, encounter_id, rule_id, kind, target, description,
         owner_id, owner_name, service, status, deficient_since, due_at, discharged_at, closed_at, closed_reason)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)
       ON CONFLICT (task_id) DO UPDATE SET patient_id = EXCLUDED.patient_id, owner_id = EXCLUDED.owner_id,
         owner_name = EXCLUDED.owner_name, service = EXCLUDED.service, status = EXCLUDED.status,
         due_at = EXCLUDED.due_at, discharged_at = EXCLUDED.discharged_at, closed_at = EXCLUDED.closed_at,
         closed_reason = EXCLUDED.closed_reason`,
      [
        task.id,
        facts.patientId,
        facts.encounterId,
        req.ruleId,
        req.kind,
        req.target,
        req.description,
        req.owner?.id ?? null,
        req.owner?.name ?? null,
        facts.service,
        task.status,
        req.since,
        req.due,
        facts.dischargedAt ?? null,
        closedAt,
        closedReason,
      ],
    );
  }
}

async function upsertCharts(tx: Queryable, charts: readonly ChartFacts[]): Promise<void> {
  for (const f of charts)
    await tx.query(
      `INSERT INTO completeness_chart (encounter_id, patient_id, class_code, service, attending_id, attending_name,
         admitted_at, discharged_at, evaluated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8, now())
       ON CONFLICT (encounter_id) DO UPDATE SET patient_id = EXCLUDED.patient_id, class_code = EXCLUDED.class_code,
         service = EXCLUDED.service, attending_id = EXCLUDED.attending_id, attending_name = EXCLUDED.attending_name,
         admitted_at = EXCLUDED.admitted_at, discharged_at = EXCLUDED.discharged_at, evaluated_at = now()`,
      [
        f.encounterId,
        f.patientId,
        f.classCode,
        f.service,
        f.attending?.id ?? null,
        f.attending?.name ?? null,
        f.admittedAt ?? null,
        isDischarged(f) ? f.dischargedAt : null,
      ],
    );
}

async function lockedTask(store: FhirStore, tx: Queryable, id: string): Promise<DeficiencyTask | undefined> {
  try {
    return (await store.readForUpdate(tx, 'Task', id)) as DeficiencyTask;
  } catch (err) {
    if (isOutcomeError(err) && (err.status === 404 || err.status === 410)) return undefined;
    throw err;
  }
}

/**
 * Evaluates these encounters' charts (missing or deleted encounters cancel their open
 * deficiencies). `store` must see every record: a system context.
 */
export async function evaluateCharts(
  store: FhirStore,
  encounterIds: readonly string[],
  now: Date = new Date(),
): Promise<EvaluationRun> {
  const ids = [...new Set(encounterIds)];
  const run: EvaluationRun = { charts: 0, opened: 0, closed: 0 };
  if (ids.length === 0) return run;
  const at = now.toISOString();
  const ruleSet = await currentRuleSet(store.db);
  const charts = await readCharts(store, ids);
  const rows = new Map((await existingRows(store.db, ids)).map((r) => [r.task_id, r]));
  const creates: Planned[] = [];
  const changes = new Map<string, { met: boolean | undefined; facts?: ChartFacts; req?: Requirement }>();
  const required = new Set<string>();
  for (const facts of charts) {
    for (const req of evaluateChart(facts, ruleSet)) {
      const id = deficiencyTaskId(req.key);
      required.add(id);
      const row = rows.get(id);
      if (!row) {
        if (!req.met) creates.push({ task: newDeficiencyTask(facts, req, at), facts, req });
      } else if (wouldChange(row, req.met)) changes.set(id, { met: req.met, facts, req });
    }
  }
  for (const row of rows.values())
    if (!required.has(row.task_id) && wouldChange(row, undefined))
      changes.set(row.task_id, { met: undefined });
  run.charts = charts.length;
  await store.db.transaction(async (tx) => {
    const planned = [...creates];
    for (const [id, change] of changes) {
      const current = await lockedTask(store, tx, id);
      // A Task deleted through the API: opened again while the chart still lacks what it named.
      const next = current
        ? transition(current, change.met, at)
        : change.met === false && change.facts && change.req
          ? newDeficiencyTask(change.facts, change.req, at)
          : undefined;
      if (next) planned.push({ task: next, facts: change.facts, req: change.req });
    }
    if (planned.length > 0)
      await store.writeInTransaction(
        tx,
        planned.map((p) => p.task),
        [],
      );
    await upsertRows(tx, planned, at);
    await upsertCharts(tx, charts);
    run.opened = planned.filter((p) => p.task.status === 'requested').length;
    run.closed = planned.length - run.opened;
  });
  return run;
}

/** The encounters a document is filed to. */
export function encountersOfDocument(doc: DocumentReference | null): string[] {
  return (doc?.context?.encounter ?? []).flatMap((r) => referencedId(r, 'Encounter') ?? []);
}
