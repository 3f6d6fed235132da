import { randomUUID } from 'node:crypto';
import type { Identifier, Patient, PatientLink, Resource, Task } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import { appendAudit } from '../fhir/audit-trail.ts';
import { badRequest, isOutcomeError, notFound, unprocessable } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import { medicalRecordNumber } from '../shared/index.ts';
import { recordPairEvents } from './duplicates/pair-history.ts';
import {
  closeReviewTasks,
  openReviewsOf,
  type OpenReview,
  taskPatients,
  type ReviewClosure,
} from './duplicates/review-tasks.ts';

/**
 * Patient merge and unmerge. A merge moves the source patient's whole compartment to the target
 * in one transaction and keeps the before-version of every resource it touched (table mpi_merge),
 * so an unmerge can put each one back exactly as it was, as a new version.
 */

export interface MergeResult {
  mergeId: string;
  sourceId: string;
  targetId: string;
  /** `Type/id` of every resource written (the two patients, moved resources, closed Tasks). */
  touched: string[];
}

export interface UnmergeResult {
  mergeId: string;
  sourceId: string;
  targetId: string;
  restored: string[];
}

interface BeforeVersion {
  type: string;
  id: string;
  content: Resource & { id: string };
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** A copy of a resource with every reference to Patient/from pointing at Patient/to. */
export function rewritePatientReferences<T>(value: T, from: string, to: string): T {
  const pattern = new RegExp(`(^|/)Patient/${from.replace(/[.]/g, '\\.')}(/_history/[^/]+)?$`);
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, inner] of Object.entries(v)) {
        out[k] =
          k === 'reference' && typeof inner === 'string' && pattern.test(inner)
            ? inner.replace(pattern, `$1Patient/${to}`)
            : walk(inner);
      }
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

const isMergedAway = (p: Patient): boolean => !!p.link?.some((l) => l.type === 'replaced-by');

function withLink(patient: Patient, link: PatientLink): Patient {
  const others = (patient.link ?? []).filter(
    (l) => !(l.type === link.type && l.other.reference === link.other.reference),
  );
  return { ...patient, link: [...others, link] };
}

/** meta as the store sets it (version, time) is not part of what a resource says. */
function withoutVersionMeta<T extends Resource>(resource: T): T {
  if (!resource.meta) return resource;
  const { versionId: _v, lastUpdated: _l, ...rest } = resource.meta;
  const copy = { ...resource };
  if (Object.keys(rest).length > 0) copy.meta = rest;
  else delete copy.meta;
  return copy;
}

/** The current version of a patient, locked until the merge's transaction ends. */
async function lockedPatient(store: FhirStore, tx: Queryable, id: string): Promise<Patient & { id: string }> {
  const patient = await store.readForUpdate(tx, 'Patient', id);
  if (patient.resourceType !== 'Patient') throw notFound(`Patient/${id} not found`);
  return patient;
}

const identifierKey = (i: Identifier): string => `${i.system ?? ''}|${i.value ?? ''}`;

/**
 * The source's identifiers the target does not hold yet, as `use: old` aliases: the retired MRN
 * still finds the survivor (search, a late result or a paper chart labelled with it).
 */
function aliasIdentifiers(source: Patient, target: Patient): Identifier[] {
  const held = new Set((target.identifier ?? []).map(identifierKey));
  return (source.identifier ?? [])
    .filter((i) => i.value && !held.has(identifierKey(i)))
    .map((i) => ({ ...i, use: 'old' as const }));
}

/** What a merge needs read before its transaction (a store read inside it would wait for it). */
interface PreparedMerge {
  sourceId: string;
  targetId: string;
  reviews: OpenReview[];
}

async function prepareMerge(store: FhirStore, sourceId: string, targetId: string): Promise<PreparedMerge> {
  if (!ID.test(sourceId) || !ID.test(targetId)) throw badRequest('Invalid patient id');
  if (sourceId === targetId) throw badRequest('A patient cannot be merged into itself');
  // Reads through the store: visibility rules (restricted records) apply, and they are audited.
  await store.read('Patient', sourceId);
  await store.read('Patient', targetId);
  return { sourceId, targetId, reviews: await openReviewsOf(store, sourceId) };
}

export interface MergeOptions {
  resultPatient?: Patient;
  /** Why the records were judged one person (kept in the pair's history). */
  reason?: string;
}

/** One merge inside the caller's transaction; every write through the store. */
async function mergeInTransaction(
  store: FhirStore,
  tx: Queryable,
  prepared: PreparedMerge,
  options: MergeOptions,
): Promise<MergeResult> {
  const { sourceId, targetId } = prepared;
  const source = await lockedPatient(store, tx, sourceId);
  const target = await lockedPatient(store, tx, targetId);
  if (isMergedAway(source))
    throw unprocessable(`Patient/${sourceId} has already been merged into another patient`);
  if (isMergedAway(target))
    throw unprocessable(`Patient/${targetId} has been merged away; merge into its survivor instead`);
  if (options.resultPatient && options.resultPatient.id !== targetId)
    throw badRequest('result-patient must have the id of the target patient');

  const compartment = await store.lockCompartment(tx, sourceId);
  const before: BeforeVersion[] = [
    { type: 'Patient', id: sourceId, content: source },
    { type: 'Patient', id: targetId, content: target },
  ];
  const writes: Array<Resource & { id: string }> = [];
  for (const resource of compartment) {
    store.assertMay(resource.resourceType, 'update');
    before.push({ type: resource.resourceType, id: resource.id, content: resource });
    writes.push(withoutVersionMeta(rewritePatientReferences(resource, sourceId, targetId)));
  }
  // The retired record names its survivor's MRN, so search and the chart can say where it went
  // without reading the survivor.
  const targetMrn = medicalRecordNumber(target.identifier);
  const newSource = withLink(
    { ...withoutVersionMeta(source), active: false },
    {
      other: { reference: `Patient/${targetId}`, ...(targetMrn ? { display: `MRN ${targetMrn}` } : {}) },
      type: 'replaced-by',
    },
  );
  const base = options.resultPatient ? { ...options.resultPatient, id: targetId } : target;
  const aliases = aliasIdentifiers(source, base);
  const withAliases =
    aliases.length > 0 ? { ...base, identifier: [...(base.identifier ?? []), ...aliases] } : base;
  const newTarget = withLink(withoutVersionMeta(withAliases), {
    other: { reference: `Patient/${sourceId}` },
    type: 'replaces',
  });
  writes.push(newSource as Patient & { id: string }, newTarget as Patient & { id: string });

  const closures: ReviewClosure[] = await closeReviewTasks(store, tx, prepared.reviews, (other) =>
    other === targetId
      ? { status: 'completed', outcome: 'merged' }
      : { status: 'cancelled', outcome: 'source-merged' },
  );
  for (const c of closures) {
    before.push({ type: 'Task', id: c.before.id, content: c.before });
    writes.push(c.after);
  }

  await store.writeInTransaction(tx, writes, []);
  const mergeId = randomUUID();
  const reason = options.reason?.trim() || undefined;
  await tx.query(
    `INSERT INTO mpi_merge (id, source_id, target_id, merged_by, before_versions, reason, result_patient)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)`,
    [
      mergeId,
      sourceId,
      targetId,
      store.ctx.username,
      JSON.stringify(before),
      reason ?? null,
      !!options.resultPatient,
    ],
  );
  await recordPairEvents(tx, [
    {
      a: sourceId,
      b: targetId,
      event: 'merged',
      actor: store.ctx.username,
      ...(reason ? { reason } : {}),
      detail: { mergeId, source: sourceId, target: targetId, moved: compartment.length },
    },
  ]);
  const touched = before.map((b) => `${b.type}/${b.id}`);
  await appendAudit(tx, [
    store.auditEntry('merge', 'success', {
      patientIds: [sourceId, targetId],
      entities: touched,
      query: 'Patient/$merge',
      detail: `merge ${mergeId}: Patient/${sourceId} into Patient/${targetId}, ${compartment.length} resources moved`,
    }),
  ]);
  return { mergeId, sourceId, targetId, touched };
}

function assertMayMerge(store: FhirStore): void {
  store.assertMay('Patient', 'merge');
  store.assertMay('Patient', 'update');
}

/**
 * Merges patient `sourceId` into `targetId`: every resource of the source's compartment is
 * rewritten to refer to the target, the source becomes inactive with a `replaced-by` link (naming
 * the survivor's MRN), the target gets a `replaces` link and the source's identifiers as `old`
 * aliases (or becomes `resultPatient` when given), open duplicate-review Tasks naming the source
 * are closed, the pair's history records it. One transaction, audited as `merge`. Its signature
 * fits HL7 A40 intake (`PatientMerger`).
 */
export async function mergePatientRecords(
  store: FhirStore,
  sourceId: string,
  targetId: string,
  options: MergeOptions = {},
): Promise<MergeResult> {
  return store.audited('merge', `Patient/$merge ${sourceId} -> ${targetId}`, async () => {
    assertMayMerge(store);
    const prepared = await prepareMerge(store, sourceId, targetId);
    return store.db.transaction(async (tx) => mergeInTransaction(store, tx, prepared, options));
  });
}

/**
 * Merges several records of one person into the survivor `targetId`, all or none: one
 * transaction, one merge (and one unmergeable mpi_merge row) per source, in the order given.
 */
export async function mergePatientGroup(
  store: FhirStore,
  targetId: string,
  sourceIds: readonly string[],
  options: { reason?: string } = {},
): Promise<MergeResult[]> {
  return store.audited('merge', `Patient/$merge ${sourceIds.join(',')} -> ${targetId}`, async () => {
    assertMayMerge(store);
    if (sourceIds.length === 0) throw badRequest('Name at least one record to merge into the survivor');
    if (new Set(sourceIds).size !== sourceIds.length) throw badRequest('A record is named twice');
    const prepared: PreparedMerge[] = [];
    for (const sourceId of sourceIds) prepared.push(await prepareMerge(store, sourceId, targetId));
    return store.db.transaction(async (tx) => {
      const done: MergeResult[] = [];
      for (const p of prepared) done.push(await mergeInTransaction(store, tx, p, options));
      return done;
    });
  });
}

/** `mergePatientRecords` without options or result: the shape HL7 A40 intake takes (`PatientMerger`). */
export async function mergePatients(store: FhirStore, sourceId: string, targetId: string): Promise<void> {
  await mergePatientRecords(store, sourceId, targetId);
}

interface MergeRow {
  id: string;
  source_id: string;
  target_id: string;
  unmerged_at: Date | string | null;
  before_versions: BeforeVersion[];
  result_patient: boolean;
}

/**
 * The survivor as it is now without what the merge added (its `replaces` link and the aliases
 * of the source's identifiers), so a later merge into the same survivor, or an edit since, is
 * kept. A merge given a result-patient replaced the survivor's content: that one goes back whole.
 */
async function survivorWithoutMerge(
  store: FhirStore,
  tx: Queryable,
  merge: MergeRow,
  before: Patient,
  source: Patient,
): Promise<Patient & { id: string }> {
  if (merge.result_patient) return { ...withoutVersionMeta(before), id: merge.target_id };
  const current = withoutVersionMeta(await lockedPatient(store, tx, merge.target_id));
  const added = new Set(aliasIdentifiers(source, before).map(identifierKey));
  const identifier = (current.identifier ?? []).filter(
    (i) => !(i.use === 'old' && added.has(identifierKey(i))),
  );
  const link = (current.link ?? []).filter(
    (l) => !(l.type === 'replaces' && l.other.reference === `Patient/${merge.source_id}`),
  );
  const { identifier: _i, link: _l, ...rest } = current;
  return {
    ...rest,
    ...(identifier.length > 0 ? { identifier } : {}),
    ...(link.length > 0 ? { link } : {}),
    id: merge.target_id,
  };
}

/**
 * Whether a review Task the merge closed pairs the source with a third record merged away since
 * (into anyone): reopened, it would offer a merge that can no longer happen, so it stays closed.
 */
async function namesMergedAwayPatient(
  store: FhirStore,
  tx: Queryable,
  task: Task,
  merge: MergeRow,
): Promise<boolean> {
  const other = taskPatients(task)?.find((id) => id !== merge.source_id && id !== merge.target_id);
  if (!other) return false;
  try {
    const patient = await store.readForUpdate(tx, 'Patient', other);
    return patient.resourceType === 'Patient' && isMergedAway(patient);
  } catch (err) {
    // A record deleted since: nothing to review either.
    if (isOutcomeError(err) && (err.status === 404 || err.status === 410)) return true;
    throw err;
  }
}

/**
 * Undoes a merge (by its id, or the latest merge of a source patient): every resource the merge
 * touched gets its pre-merge content back as a new version. Audited as `merge` (detail unmerge).
 */
export async function unmergePatients(
  store: FhirStore,
  which: { mergeId?: string; sourceId?: string; reason?: string },
): Promise<UnmergeResult> {
  const label = which.mergeId ?? which.sourceId ?? '';
  return store.audited('merge', `Patient/$unmerge ${label}`, async () => {
    store.assertMay('Patient', 'merge');
    store.assertMay('Patient', 'update');
    if (!which.mergeId && !which.sourceId)
      throw badRequest('Name the merge (merge-id) or the source-patient');
    return store.db.transaction(async (tx) => {
      const res = which.mergeId
        ? await tx.query<MergeRow>(`SELECT * FROM mpi_merge WHERE id = $1 FOR UPDATE`, [which.mergeId])
        : await tx.query<MergeRow>(
            `SELECT * FROM mpi_merge WHERE source_id = $1 ORDER BY merged_at DESC LIMIT 1 FOR UPDATE`,
            [which.sourceId],
          );
      const merge = res.rows[0];
      if (!merge) throw notFound(`No merge found for ${label}`);
      if (merge.unmerged_at) throw unprocessable(`Merge ${merge.id} has already been undone`);
      const isPatient = (b: BeforeVersion, id: string): boolean => b.type === 'Patient' && b.id === id;
      const beforeTarget = merge.before_versions.find((b) => isPatient(b, merge.target_id));
      const beforeSource = merge.before_versions.find((b) => isPatient(b, merge.source_id));
      const restored: Array<Resource & { id: string }> = [];
      for (const b of merge.before_versions) {
        if (b.type === 'Task' && (await namesMergedAwayPatient(store, tx, b.content as Task, merge)))
          continue;
        if (isPatient(b, merge.target_id) && beforeTarget && beforeSource)
          restored.push(
            await survivorWithoutMerge(
              store,
              tx,
              merge,
              beforeTarget.content as Patient,
              beforeSource.content as Patient,
            ),
          );
        else restored.push(withoutVersionMeta(b.content));
      }
      for (const r of restored) store.assertMay(r.resourceType, 'update');
      await store.writeInTransaction(tx, restored, []);
      const reason = which.reason?.trim() || null;
      await tx.query(
        `UPDATE mpi_merge SET unmerged_at = now(), unmerged_by = $2, unmerge_reason = $3 WHERE id = $1`,
        [merge.id, store.ctx.username, reason],
      );
      await recordPairEvents(tx, [
        {
          a: merge.source_id,
          b: merge.target_id,
          event: 'unmerged',
          actor: store.ctx.username,
          ...(reason ? { reason } : {}),
          detail: { mergeId: merge.id, source: merge.source_id, target: merge.target_id },
        },
      ]);
      const entities = restored.map((r) => `${r.resourceType}/${r.id}`);
      await appendAudit(tx, [
        store.auditEntry('merge', 'success', {
          patientIds: [merge.source_id, merge.target_id],
          entities,
          query: 'Patient/$unmerge',
          detail: `unmerge ${merge.id}: Patient/${merge.source_id} separated from Patient/${merge.target_id}`,
        }),
      ]);
      return { mergeId: merge.id, sourceId: merge.source_id, targetId: merge.target_id, restored: entities };
    });
  });
}
