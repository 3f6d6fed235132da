import { randomUUID } from 'node:crypto';
import type { Patient, PatientLink, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import { appendAudit } from '../fhir/audit-trail.ts';
import { badRequest, notFound, unprocessable } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import { closeReviewTasks, openReviewsOf, type ReviewClosure } from './duplicates/review-tasks.ts';

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

/**
 * Merges patient `sourceId` into `targetId`: every resource of the source's compartment is
 * rewritten to refer to the target, the source becomes inactive with a `replaced-by` link, the
 * target gets a `replaces` link (or becomes `resultPatient` when given), open duplicate-review
 * Tasks naming the source are closed. One transaction, audited as `merge`. Its signature fits
 * HL7 A40 intake (`PatientMerger`).
 */
export async function mergePatientRecords(
  store: FhirStore,
  sourceId: string,
  targetId: string,
  options: { resultPatient?: Patient } = {},
): Promise<MergeResult> {
  return store.audited('merge', `Patient/$merge ${sourceId} -> ${targetId}`, async () => {
    store.assertMay('Patient', 'merge');
    store.assertMay('Patient', 'update');
    if (!ID.test(sourceId) || !ID.test(targetId)) throw badRequest('Invalid patient id');
    if (sourceId === targetId) throw badRequest('A patient cannot be merged into itself');
    // Reads through the store: visibility rules (restricted records) apply, and they are audited.
    await store.read('Patient', sourceId);
    await store.read('Patient', targetId);
    // Read before the transaction (a store read inside it would wait for it), locked inside.
    const reviews = await openReviewsOf(store, sourceId);
    return store.db.transaction(async (tx) => {
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
      const newSource = withLink(
        { ...withoutVersionMeta(source), active: false },
        { other: { reference: `Patient/${targetId}` }, type: 'replaced-by' },
      );
      const base = options.resultPatient ? { ...options.resultPatient, id: targetId } : target;
      const newTarget = withLink(withoutVersionMeta(base), {
        other: { reference: `Patient/${sourceId}` },
        type: 'replaces',
      });
      writes.push(newSource as Patient & { id: string }, newTarget as Patient & { id: string });

      const closures: ReviewClosure[] = await closeReviewTasks(store, tx, reviews, (other) =>
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
      await tx.query(
        `INSERT INTO mpi_merge (id, source_id, target_id, merged_by, before_versions) VALUES ($1, $2, $3, $4, $5::jsonb)`,
        [mergeId, sourceId, targetId, store.ctx.username, JSON.stringify(before)],
      );
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
}

/**
 * Undoes a merge (by its id, or the latest merge of a source patient): every resource the merge
 * touched gets its pre-merge content back as a new version. Audited as `merge` (detail unmerge).
 */
export async function unmergePatients(
  store: FhirStore,
  which: { mergeId?: string; sourceId?: string },
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
      const restored = merge.before_versions.map((b) => withoutVersionMeta(b.content));
      for (const r of restored) store.assertMay(r.resourceType, 'update');
      await store.writeInTransaction(tx, restored, []);
      await tx.query(`UPDATE mpi_merge SET unmerged_at = now(), unmerged_by = $2 WHERE id = $1`, [
        merge.id,
        store.ctx.username,
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
