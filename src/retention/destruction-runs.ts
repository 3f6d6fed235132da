import { randomUUID } from 'node:crypto';
import type { Encounter, Patient } from '@medplum/fhirtypes';
import type { Db, Queryable } from '../db/index.ts';
import { destroyReleasedPackets } from '../disclosure/index.ts';
import { appendAudit } from '../fhir/audit-trail.ts';
import { badRequest, conflict, forbidden, notFound } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import { medicalRecordNumber } from '../shared/index.ts';
import { certificatePdf } from './certificate-pdf.ts';
import type { DestructionRun, RunItem, RunStatus } from './run-record.ts';

export type { DestructionRun, RunItem, RunStatus };
import { heldBy, listHolds } from './holds.ts';
import { factsOf, patientRetention, recordDate } from './patient-retention.ts';
import { loadRules } from './rules.ts';
import { retentionEnd } from './schedule.ts';
import { referencedId } from '../fhir/definitions.ts';

/**
 * The destruction run: what is past retention and under no hold (proposed), approved by a
 * second person, then destroyed in ONE transaction (every chart's content, all versions, through
 * the store; a chart found held or no longer due refuses the whole run, nothing destroyed), with a
 * certificate of destruction kept in `retention_destruction_run` (migration 0801).
 */

interface RunRow {
  id: string;
  as_of: string | Date;
  status: RunStatus;
  proposed_by: string;
  proposed_at: string | Date;
  approved_by: string | null;
  approved_at: string | Date | null;
  destroyed_by: string | null;
  destroyed_at: string | Date | null;
  method: string | null;
  items: RunItem[] | string;
  destroyed: DestructionRun['destroyed'] | string | null;
  has_certificate: boolean;
}

const iso = (v: string | Date): string => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function runOf(r: RunRow): DestructionRun {
  return {
    id: r.id,
    asOf: (r.as_of instanceof Date ? r.as_of.toISOString() : r.as_of).slice(0, 10),
    status: r.status,
    proposedBy: r.proposed_by,
    proposedAt: iso(r.proposed_at),
    ...(r.approved_by ? { approvedBy: r.approved_by } : {}),
    ...(r.approved_at ? { approvedAt: iso(r.approved_at) } : {}),
    ...(r.destroyed_by ? { destroyedBy: r.destroyed_by } : {}),
    ...(r.destroyed_at ? { destroyedAt: iso(r.destroyed_at) } : {}),
    ...(r.method ? { method: r.method } : {}),
    items: json(r.items),
    ...(r.destroyed ? { destroyed: json(r.destroyed) } : {}),
    hasCertificate: r.has_certificate,
  };
}

const COLUMNS = `id, as_of, status, proposed_by, proposed_at, approved_by, approved_at, destroyed_by, destroyed_at,
  method, items, destroyed, certificate IS NOT NULL AS has_certificate`;

async function loadRun(q: Queryable, id: string, lock = false): Promise<DestructionRun> {
  const res = await q.query<RunRow>(
    `SELECT ${COLUMNS} FROM retention_destruction_run WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  const row = res.rows[0];
  if (!row) throw notFound(`No destruction run ${id}`);
  return runOf(row);
}

export const getRun = (db: Queryable, id: string): Promise<DestructionRun> => loadRun(db, id);

export async function listRuns(db: Queryable): Promise<DestructionRun[]> {
  const res = await db.query<RunRow>(
    `SELECT ${COLUMNS} FROM retention_destruction_run ORDER BY proposed_at DESC`,
  );
  return res.rows.map(runOf);
}

/**
 * Charts past retention on `asOf` with no standing hold: every patient the caller may see, their
 * encounters read once, the rules' special record types counted per patient.
 */
export async function dueCharts(store: FhirStore, asOf: string): Promise<RunItem[]> {
  const rules = await loadRules(store.db);
  const patients = (await store.findAll({ type: 'Patient' })).matches as Patient[];
  const encounters = (await store.findAll({ type: 'Encounter' })).matches as Encounter[];
  const byPatient = new Map<string, Encounter[]>();
  for (const e of encounters) {
    const p = referencedId(e.subject, 'Patient');
    if (p) byPatient.set(p, [...(byPatient.get(p) ?? []), e]);
  }
  const held = new Set((await listHolds(store.db, {})).map((h) => h.patientId));
  const items: RunItem[] = [];
  for (const patient of patients) {
    const id = patient.id ?? '';
    if (held.has(id)) continue;
    // A cheap first pass on the chart-wide rule; the special record types are counted only then.
    const own = byPatient.get(id) ?? [];
    if (!retentionEnd(factsOf(patient, own, []), rules).retainUntil) continue;
    const end = await patientRetention(store, id, rules);
    if (!end.retainUntil || end.retainUntil >= asOf) continue;
    const dates = own
      .map((e) => recordDate(e))
      .filter((d): d is string => !!d)
      .sort();
    const name = patient.name?.[0];
    const mrn = medicalRecordNumber(patient.identifier);
    items.push({
      patientId: id,
      name: name?.text ?? ([...(name?.given ?? []), name?.family].filter(Boolean).join(' ') || '(no name)'),
      ...(mrn ? { mrn } : {}),
      ...(patient.birthDate ? { birthDate: patient.birthDate } : {}),
      ...(dates[0] ? { firstDate: dates[0] } : {}),
      ...(end.lastEncounter ? { lastEncounter: end.lastEncounter } : {}),
      retainUntil: end.retainUntil,
      rule: end.rule,
    });
  }
  return items.sort(
    (a, b) => a.retainUntil.localeCompare(b.retainUntil) || a.patientId.localeCompare(b.patientId),
  );
}

/** Proposes a run of what is due on `asOf` (nothing to propose is a 409). */
export async function proposeRun(store: FhirStore, asOf: string): Promise<DestructionRun> {
  const items = await dueCharts(store, asOf);
  if (items.length === 0) throw conflict(`No chart is past retention on ${asOf} and free of holds`);
  const id = randomUUID();
  await store.db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO retention_destruction_run (id, as_of, status, proposed_by, proposed_at, items)
       VALUES ($1, $2, 'proposed', $3, $4, $5::jsonb)`,
      [id, asOf, store.ctx.username, new Date().toISOString(), JSON.stringify(items)],
    );
    await appendAudit(tx, [
      store.auditEntry('create', 'success', {
        patientIds: items.map((i) => i.patientId),
        query: `destruction run ${id} proposed`,
        detail: `${items.length} charts past retention on ${asOf}`,
      }),
    ]);
  });
  return getRun(store.db, id);
}

/** The second person's approval: never the proposer's own. */
export async function approveRun(store: FhirStore, id: string): Promise<DestructionRun> {
  await store.db.transaction(async (tx) => {
    const run = await loadRun(tx, id, true);
    if (run.status !== 'proposed')
      throw conflict(`The run is ${run.status}; only a proposed run is approved`);
    if (run.proposedBy === store.ctx.username)
      throw forbidden('A destruction run is approved by a second person, not by the one who proposed it');
    await tx.query(
      `UPDATE retention_destruction_run SET status = 'approved', approved_by = $2, approved_at = $3 WHERE id = $1`,
      [id, store.ctx.username, new Date().toISOString()],
    );
    await appendAudit(tx, [
      store.auditEntry('update', 'success', {
        patientIds: run.items.map((i) => i.patientId),
        query: `destruction run ${id} approved`,
      }),
    ]);
  });
  return getRun(store.db, id);
}

/**
 * Destroys an approved run in one transaction. Holds are locked against new ones meanwhile; each
 * chart is checked again (held, or no longer due) right before it is destroyed, and any such
 * chart refuses the whole run: the transaction is undone and nothing is destroyed.
 */
export async function destroyRun(
  db: Db,
  store: FhirStore,
  id: string,
  body: unknown,
  asOf: string,
): Promise<DestructionRun> {
  const raw = (body ?? {}) as { method?: unknown };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('The body must be a JSON object');
  const method = raw.method ?? 'Deleted from the electronic record store (content of every version removed)';
  if (typeof method !== 'string' || method.trim() === '' || method.length > 300)
    throw badRequest(`'method' must be text`, ['method']);
  store.assertMay('Patient', 'delete');
  const before = await getRun(db, id);
  if (before.status !== 'approved')
    throw conflict(`The run is ${before.status}; only an approved run is destroyed`);
  const rules = await loadRules(db);
  // Due dates are read again now (a new encounter since the proposal extends retention).
  const ends = new Map<string, string | undefined>();
  for (const item of before.items)
    ends.set(item.patientId, (await patientRetention(store, item.patientId, rules)).retainUntil);
  await db.transaction(async (tx) => {
    await tx.query('LOCK TABLE retention_hold IN SHARE MODE');
    const run = await loadRun(tx, id, true);
    if (run.status !== 'approved')
      throw conflict(`The run is ${run.status}; only an approved run is destroyed`);
    const destroyed: NonNullable<DestructionRun['destroyed']> = [];
    for (const item of run.items) {
      const holds = await listHolds(tx, { patientId: item.patientId });
      if (holds.length > 0) throw heldBy(holds, `Patient/${item.patientId}`);
      const end = ends.get(item.patientId);
      if (!end || end >= asOf)
        throw conflict(
          `Patient/${item.patientId} is no longer past retention (kept until ${end ?? 'reviewed'}); propose a new run`,
        );
      const records = await store.destroyChart(
        tx,
        item.patientId,
        `destruction run ${id}, approved by ${run.approvedBy ?? ''}`,
      );
      // The copies kept of what was released from the chart go with it.
      const releasedCopies = await destroyReleasedPackets(tx, item.patientId);
      destroyed.push({
        patientId: item.patientId,
        records: records.length,
        versions: records.reduce((n, r) => n + r.versions, 0),
        ...(releasedCopies > 0 ? { releasedCopies } : {}),
      });
    }
    const at = new Date().toISOString();
    const done: DestructionRun = {
      ...run,
      status: 'destroyed',
      destroyedBy: store.ctx.username,
      destroyedAt: at,
      method: method.trim(),
      destroyed,
    };
    const pdf = await certificatePdf(done);
    await tx.query(
      `UPDATE retention_destruction_run SET status = 'destroyed', destroyed_by = $2, destroyed_at = $3, method = $4,
         destroyed = $5::jsonb, certificate = $6 WHERE id = $1`,
      [id, done.destroyedBy, at, done.method, JSON.stringify(destroyed), pdf],
    );
  });
  return getRun(db, id);
}

export async function certificateOf(db: Queryable, id: string): Promise<Buffer> {
  const res = await db.query<{ certificate: Uint8Array | null }>(
    'SELECT certificate FROM retention_destruction_run WHERE id = $1',
    [id],
  );
  const row = res.rows[0];
  if (!row) throw notFound(`No destruction run ${id}`);
  if (!row.certificate) throw conflict('The run has not been carried out; it has no certificate yet');
  return Buffer.from(row.certificate);
}
