import type { Patient, Resource, Task } from '@medplum/fhirtypes';
import type { RequestContext } from '../../auth/access.ts';
import type { Db, Queryable } from '../../db/index.ts';
import { FhirStore, type ChangedRecord } from '../../fhir/store.ts';
import {
  DEFAULT_THRESHOLDS,
  scorePair,
  type MatchModel,
  type MatchThresholds,
  type ScoredPair,
} from '../model.ts';
import type { StandardRecord } from '../types.ts';
import { ensureModel } from './model-store.ts';
import { pairKey } from './not-duplicate.ts';
import { isLinkable, patientBlockKeys, standardPatient } from '../patient-record.ts';
import { recordPairEvents } from './pair-history.ts';
import { orderedPair, reviewTask, type ReviewGrade } from './review-tasks.ts';

/**
 * On-write duplicate detection. Every Patient written since the last run (the store's change
 * feed after a watermark, whoever wrote it: API, import, HL7) gets its blocking keys
 * refreshed in mpi_block_key and is scored against the patients sharing a key; pairs in the
 * review band become duplicate-review Tasks. Nothing is merged automatically.
 */

/** The duplicate finder acts as a system user; the Tasks it writes are audited under it. */
export const MPI_CONTEXT: RequestContext = {
  userId: 'mpi',
  username: 'mpi:duplicate-finder',
  role: 'system',
  purpose: 'HOPERAT',
  sourceAddress: 'mpi-watcher',
  tokenId: 'mpi',
  brokenGlassPatients: [],
};

const WATERMARK = 'scoring';
const EPOCH = '1970-01-01T00:00:00.000Z';

export interface ScoringOptions {
  thresholds?: MatchThresholds;
  /** Patients needed before the model is trained from the data (else the defaults). */
  minTrainingPatients?: number;
  /** Patients handled per round (default 2,000). */
  batchSize?: number;
  /**
   * On a PostgreSQL server several connections write at once, and a transaction can commit after
   * another one that was stamped later: a watermark at the newest row would skip it for good.
   * With a settle time the stored watermark stays that many milliseconds behind the clock; rows
   * inside the window are scored now and again next round (harmless: block keys are replaced and
   * a pair gets one Task). 0 (the default) trusts stamp order, as PGlite's serial writes allow.
   */
  settleMs?: number;
}

export interface ScoringRun {
  patients: number;
  pairsScored: number;
  tasksCreated: number;
  model: 'default' | 'trained';
}

/** A patient as the change feed answers it: deleted ones have no content. */
interface PatientChange {
  id: string;
  deleted: boolean;
  content: Resource | null;
}

const asPatient = (r: Resource | null): Patient | null => (r?.resourceType === 'Patient' ? r : null);

async function readWatermark(q: Queryable): Promise<{ updated: string; lastId: string }> {
  const res = await q.query<{ updated: Date | string; last_id: string }>(
    `SELECT updated, last_id FROM mpi_state WHERE name = $1`,
    [WATERMARK],
  );
  const row = res.rows[0];
  return row
    ? { updated: new Date(row.updated).toISOString(), lastId: row.last_id }
    : { updated: EPOCH, lastId: '' };
}

async function writeWatermark(q: Queryable, row: ChangedRecord): Promise<void> {
  await q.query(
    `INSERT INTO mpi_state (name, updated, last_id) VALUES ($1, $2::timestamptz, $3)
     ON CONFLICT (name) DO UPDATE SET updated = EXCLUDED.updated, last_id = EXCLUDED.last_id`,
    [WATERMARK, row.lastUpdated, row.id],
  );
}

/** Replaces the stored blocking keys of these patients (none for merged, inactive or deleted). */
export async function refreshBlockKeys(q: Queryable, rows: readonly PatientChange[]): Promise<void> {
  const ids: string[] = [];
  const keys: string[] = [];
  for (const row of rows) {
    const patient = asPatient(row.content);
    if (row.deleted || !isLinkable(patient)) continue;
    for (const key of patientBlockKeys(standardPatient(patient))) {
      ids.push(row.id);
      keys.push(key);
    }
  }
  await q.query(`DELETE FROM mpi_block_key WHERE patient_id = ANY($1::text[])`, [rows.map((r) => r.id)]);
  if (ids.length > 0)
    await q.query(
      `INSERT INTO mpi_block_key (patient_id, key) SELECT * FROM unnest($1::text[], $2::text[])`,
      [ids, keys],
    );
}

/** Pairs already on the worklist or decided not to be duplicates, among pairs naming these patients. */
async function settledPairs(q: Queryable, ids: readonly string[]): Promise<Set<string>> {
  const res = await q.query<{ patient_a: string; patient_b: string }>(
    `SELECT patient_a, patient_b FROM mpi_review WHERE patient_a = ANY($1::text[]) OR patient_b = ANY($1::text[])
     UNION SELECT patient_a, patient_b FROM mpi_not_duplicate WHERE patient_a = ANY($1::text[]) OR patient_b = ANY($1::text[])`,
    [ids],
  );
  return new Set(res.rows.map((r) => pairKey(r.patient_a, r.patient_b)));
}

/** Scores the changed patients against the patients that share a blocking key with them. */
async function scoreBatch(
  store: FhirStore,
  model: MatchModel,
  changed: readonly PatientChange[],
  thresholds: MatchThresholds,
): Promise<{ pairs: number; found: Array<{ pair: ScoredPair; grade: ReviewGrade }> }> {
  const q = store.db;
  const live = changed.filter((r) => !r.deleted && isLinkable(asPatient(r.content))).map((r) => r.id);
  if (live.length === 0) return { pairs: 0, found: [] };
  const candidates = await q.query<{ a: string; b: string }>(
    `SELECT DISTINCT k1.patient_id AS a, k2.patient_id AS b FROM mpi_block_key k1
       JOIN mpi_block_key k2 ON k2.key = k1.key AND k2.patient_id <> k1.patient_id
      WHERE k1.patient_id = ANY($1::text[])`,
    [live],
  );
  const ids = new Set<string>(live);
  for (const c of candidates.rows) ids.add(c.b);
  const records = new Map<string, StandardRecord>();
  for (const resource of await store.readMany('Patient', [...ids])) {
    const patient = asPatient(resource);
    if (patient?.id && isLinkable(patient)) records.set(patient.id, standardPatient(patient));
  }
  const settled = await settledPairs(q, [...ids]);
  const seen = new Set<string>();
  const found: Array<{ pair: ScoredPair; grade: ReviewGrade }> = [];
  for (const { a, b } of candidates.rows) {
    const key = pairKey(a, b);
    if (seen.has(key) || settled.has(key)) continue;
    seen.add(key);
    const [x, y] = orderedPair(a, b);
    const ra = records.get(x);
    const rb = records.get(y);
    if (!ra || !rb) continue;
    const pair = scorePair(model, ra, rb, thresholds);
    if (pair.matchProbability < thresholds.review) continue;
    found.push({ pair, grade: pair.matchProbability >= thresholds.autoLink ? 'probable' : 'possible' });
  }
  return { pairs: seen.size, found };
}

async function writeReviewTasks(
  store: FhirStore,
  found: ReadonlyArray<{ pair: ScoredPair; grade: ReviewGrade }>,
): Promise<number> {
  if (found.length === 0) return 0;
  const tasks: Array<Task & { id: string }> = found.map((f) => reviewTask(f.pair, f.grade));
  await store.db.transaction(async (tx) => {
    await store.writeInTransaction(tx, tasks, []);
    await tx.query(
      `INSERT INTO mpi_review (patient_a, patient_b, task_id, score, grade)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[])
       ON CONFLICT (patient_a, patient_b) DO NOTHING`,
      [
        found.map((f) => orderedPair(f.pair.idA, f.pair.idB)[0]),
        found.map((f) => orderedPair(f.pair.idA, f.pair.idB)[1]),
        tasks.map((t) => t.id),
        found.map((f) => f.pair.matchProbability),
        found.map((f) => f.grade),
      ],
    );
    await recordPairEvents(
      tx,
      found.map((f, n) => ({
        a: f.pair.idA,
        b: f.pair.idB,
        event: 'scored' as const,
        actor: store.ctx.username,
        detail: { score: f.pair.matchProbability, grade: f.grade, taskId: tasks[n]?.id },
      })),
    );
  });
  return tasks.length;
}

/**
 * One scoring run: handles every Patient written since the last run, in batches, and moves the
 * watermark after each batch (a crash repeats at most one batch; pairs never get two Tasks).
 * `patients` counts rows handled, including those inside the settle window handled again.
 */
export async function scorePendingPatients(db: Db, options: ScoringOptions = {}): Promise<ScoringRun> {
  const store = new FhirStore(db, MPI_CONTEXT);
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  const batchSize = options.batchSize ?? 2000;
  const stored = await ensureModel(store, { minPatients: options.minTrainingPatients });
  const run: ScoringRun = { patients: 0, pairsScored: 0, tasksCreated: 0, model: stored.source };
  const horizon = options.settleMs ? Date.now() - options.settleMs : Infinity;
  let cursor = await readWatermark(db);
  for (;;) {
    const rows = await store.changedSince(
      'Patient',
      { lastUpdated: cursor.updated, id: cursor.lastId },
      batchSize,
    );
    const last = rows[rows.length - 1];
    if (!last) break;
    await refreshBlockKeys(db, rows);
    const { pairs, found } = await scoreBatch(store, stored.model, rows, thresholds);
    run.tasksCreated += await writeReviewTasks(store, found);
    const settled = rows.findLast((r) => new Date(r.lastUpdated).getTime() <= horizon);
    if (settled) await writeWatermark(db, settled);
    cursor = { updated: last.lastUpdated, lastId: last.id };
    run.patients += rows.length;
    run.pairsScored += pairs;
  }
  return run;
}
