import type { Condition, DiagnosticReport } from '@medplum/fhirtypes';
import type { Db } from '../db/index.ts';
import { badRequest, notFound, unprocessable } from '../fhir/outcomes.ts';
import type { RequestContext } from '../fhir/request-context.ts';
import { FhirStore, type ChangedRecord } from '../fhir/store.ts';
import { casefindingFlag, ICD10CM_SYSTEM, siteKeyOf, type CaseFlag } from './casefinding-list.ts';
import { refreshLastContacts } from './follow-up.ts';
import { visiblePatientNames } from './patient-names.ts';
import { readWatermark, settledUpTo, settleMsOf, writeWatermark } from './registry-tables.ts';
import { referencedId } from '../fhir/definitions.ts';

/**
 * Casefinding: the store's change feed of Conditions and pathology reports (DiagnosticReport
 * conclusion codes) is scanned for ICD-10-CM codes on the casefinding list; each one lands in the
 * suspense queue, matched against the registry's cases of the same patient and primary site so a
 * second visit or a recurrence does not make a new case.
 */

/** Casefinding reads every record with the system's sight; what it shows is filtered per caller. */
export const REGISTRY_CONTEXT: RequestContext = {
  userId: 'registry',
  username: 'registry:casefinding',
  role: 'system',
  purpose: 'HOPERAT',
  sourceAddress: 'registry-casefinding',
  tokenId: 'registry',
  brokenGlassPatients: [],
};

export const CANDIDATE_STATUSES = ['new', 'review', 'matched', 'accessioned', 'dismissed'] as const;
export type CandidateStatus = (typeof CANDIDATE_STATUSES)[number];

export interface Candidate {
  patient: string;
  patientName: string;
  code: string;
  encounter: string | null;
  status: CandidateStatus;
  flag: CaseFlag;
  /** The Condition or DiagnosticReport the code was found in. */
  source: string;
  /** The registry case it was matched to or accessioned as. */
  caseId: string | null;
  siteKey: string;
  foundAt: string;
}

interface Found {
  patientId: string;
  source: string;
  code: string;
  encounterId: string | null;
  flag: CaseFlag;
  siteKey: string;
}

const FOLLOWED = ['Condition', 'DiagnosticReport'] as const;
const BATCH = 500;

/** A diagnosis entered in error or refuted (a coder's retired code), or a report entered in error. */
function withdrawn(r: Condition | DiagnosticReport): boolean {
  if (r.resourceType === 'DiagnosticReport')
    return r.status === 'entered-in-error' || r.status === 'cancelled';
  return !!r.verificationStatus?.coding?.some((c) => c.code === 'entered-in-error' || c.code === 'refuted');
}

/** The first ICD-10-CM code of a record that is on the casefinding list. */
function foundIn(row: ChangedRecord): Found | undefined {
  if (row.deleted || !row.content) return undefined;
  const r = row.content as Condition | DiagnosticReport;
  if (withdrawn(r)) return undefined;
  const codings =
    r.resourceType === 'Condition'
      ? (r.code?.coding ?? [])
      : (r.conclusionCode ?? []).flatMap((c) => c.coding ?? []);
  const patientId = referencedId(r.subject, 'Patient');
  if (!patientId) return undefined;
  for (const coding of codings) {
    if (coding.system !== ICD10CM_SYSTEM || !coding.code) continue;
    const flag = casefindingFlag(coding.code);
    if (!flag) continue;
    return {
      patientId,
      source: `${r.resourceType}/${row.id}`,
      code: coding.code,
      encounterId: referencedId(r.encounter, 'Encounter') ?? null,
      flag,
      siteKey: siteKeyOf(coding.code),
    };
  }
  return undefined;
}

async function scan(db: Db, store: FhirStore, type: (typeof FOLLOWED)[number]): Promise<number> {
  let added = 0;
  for (;;) {
    const after = await readWatermark(db, `casefinding:${type}`);
    const rows = await store.changedSince(type, after, BATCH);
    const last = rows.at(-1);
    if (!last) return added;
    const settled = settledUpTo(rows, settleMsOf(db));
    const found = rows.map(foundIn).filter((f): f is Found => f !== undefined);
    const gone = rows
      .filter((r) => !found.some((f) => f.source === `${type}/${r.id}`))
      .map((r) => `${type}/${r.id}`);
    await db.transaction(async (tx) => {
      // A record no longer coded reportable (or deleted) leaves the queue unless already decided.
      if (gone.length > 0)
        await tx.query(
          `DELETE FROM registry_suspense WHERE source_ref = ANY($1::text[]) AND status IN ('new', 'review', 'matched')`,
          [gone],
        );
      if (found.length > 0) {
        const res = await tx.query(
          `INSERT INTO registry_suspense (patient_id, source_ref, code, encounter_id, flag, site_key, status, case_id)
           SELECT t.p, t.s, t.c, t.e, t.f, t.k,
                  CASE WHEN m.case_id IS NOT NULL THEN 'matched' WHEN t.f = 'review' THEN 'review' ELSE 'new' END,
                  m.case_id
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(p, s, c, e, f, k)
           LEFT JOIN LATERAL (
             SELECT case_id FROM registry_case rc WHERE rc.patient_id = t.p AND rc.site_key = t.k
             ORDER BY rc.created_at LIMIT 1
           ) m ON true
           ON CONFLICT (patient_id, source_ref) DO UPDATE SET code = EXCLUDED.code, site_key = EXCLUDED.site_key,
             flag = EXCLUDED.flag, encounter_id = EXCLUDED.encounter_id
           WHERE registry_suspense.status IN ('new', 'review')
           RETURNING 1`,
          [
            found.map((f) => f.patientId),
            found.map((f) => f.source),
            found.map((f) => f.code),
            found.map((f) => f.encounterId),
            found.map((f) => f.flag),
            found.map((f) => f.siteKey),
          ],
        );
        added += res.rows.length;
      }
      if (settled) await writeWatermark(tx, `casefinding:${type}`, settled);
    });
    // A full batch ending inside the settle window is read again next time, not now.
    if (rows.length < BATCH || settled !== last) return added;
  }
}

/** One sync at a time per database: a second caller waits for the running one, then runs its own. */
const running = new WeakMap<Db, Promise<void>>();

/** Brings the suspense queue and dates of last contact up to the store's latest writes. */
export async function syncRegistry(db: Db): Promise<void> {
  const before = running.get(db) ?? Promise.resolve();
  const next = before.then(async () => {
    const store = new FhirStore(db, REGISTRY_CONTEXT);
    for (const type of FOLLOWED) await scan(db, store, type);
    await refreshLastContacts(db, store);
  });
  const settled = next.catch(() => undefined);
  running.set(db, settled);
  await next;
}

interface SuspenseRow {
  patient_id: string;
  source_ref: string;
  code: string;
  encounter_id: string | null;
  flag: CaseFlag;
  site_key: string;
  status: CandidateStatus;
  case_id: string | null;
  found_at: Date | string;
}

/**
 * The suspense queue as the caller may see it: candidates of patients the caller cannot see are
 * left out (the store's access filter decides, through `visibleIds`).
 */
export async function listCandidates(
  store: FhirStore,
  statuses: readonly CandidateStatus[],
): Promise<Candidate[]> {
  const res = await store.db.query<SuspenseRow>(
    `SELECT patient_id, source_ref, code, encounter_id, flag, site_key, status, case_id, found_at
     FROM registry_suspense WHERE status = ANY($1::text[]) ORDER BY found_at, patient_id, source_ref LIMIT 5000`,
    [statuses],
  );
  const names = await visiblePatientNames(
    store,
    res.rows.map((r) => r.patient_id),
  );
  return res.rows
    .filter((r) => names.has(r.patient_id))
    .map((r) => ({
      patient: `Patient/${r.patient_id}`,
      patientName: names.get(r.patient_id) ?? '',
      code: r.code,
      encounter: r.encounter_id ? `Encounter/${r.encounter_id}` : null,
      status: r.status,
      flag: r.flag,
      source: r.source_ref,
      caseId: r.case_id,
      siteKey: r.site_key,
      foundAt: new Date(r.found_at).toISOString(),
    }));
}

/** The candidate, pending a decision, that the caller may see (404 otherwise, 422 when decided). */
export async function pendingCandidate(
  store: FhirStore,
  patientId: string,
  source: string,
): Promise<SuspenseRow> {
  if (!/^(Condition|DiagnosticReport)\/[A-Za-z0-9\-.]{1,64}$/.test(source))
    throw badRequest('source must be Condition/<id> or DiagnosticReport/<id>');
  const res = await store.db.query<SuspenseRow>(
    `SELECT patient_id, source_ref, code, encounter_id, flag, site_key, status, case_id, found_at
     FROM registry_suspense WHERE patient_id = $1 AND source_ref = $2`,
    [patientId, source],
  );
  const row = res.rows[0];
  if (!row || !(await store.visibleIds('Patient', [patientId])).has(patientId))
    throw notFound(`No casefinding candidate ${source} for Patient/${patientId}`);
  if (row.status !== 'new' && row.status !== 'review')
    throw unprocessable(`The candidate is already ${row.status}`);
  return row;
}

/** Not reportable after review: the candidate leaves the queue with who decided and when. */
export async function dismissCandidate(store: FhirStore, patientId: string, source: string): Promise<void> {
  await pendingCandidate(store, patientId, source);
  await store.db.query(
    `UPDATE registry_suspense SET status = 'dismissed', decided_by = $3, decided_at = now()
     WHERE patient_id = $1 AND source_ref = $2 AND status IN ('new', 'review')`,
    [patientId, source, store.ctx.username],
  );
}
