import type { Patient } from '@medplum/fhirtypes';
import type { Db, Queryable } from '../../db/index.ts';
import type { FhirStore } from '../../fhir/store.ts';
import { linkRecords } from '../link.ts';
import type { MatchModel } from '../model.ts';
import { patientToPersonRecord } from '../patient-record.ts';
import { FIELDS, type Field } from '../types.ts';

/**
 * The match model the store scores with, persisted in mpi_model (one row). With enough live
 * patients it is trained from them (u from random pairs, m by EM: the batch engine's training);
 * below that, a model with sensible hand-set probabilities is used so a small or new hospital
 * still gets a worklist. Retrained when the patient count has doubled since the last training.
 */

/** Patients needed before training from the data is trusted over the defaults. */
export const MIN_TRAINING_PATIENTS = 1000;

// Levels per field: exact, close, weak, different. m: how often the same person's two records
// agree at that level; u: how often two different people's records do. Field order = FIELDS.
const M: number[][] = [
  [0.88, 0.06, 0.03, 0.03], // given name
  [0.88, 0.06, 0.03, 0.03], // family name
  [0.93, 0.04, 0.01, 0.02], // birth date
  [0.95, 0.03, 0.01, 0.01], // identifier
  [0.85, 0.05, 0.02, 0.08], // street number
  [0.8, 0.08, 0.04, 0.08], // address 1
  [0.8, 0.05, 0.05, 0.1], // address 2
  [0.85, 0.05, 0.03, 0.07], // locality
  [0.85, 0.05, 0.02, 0.08], // postcode
  [0.95, 1e-6, 1e-6, 0.05], // state
  [0.8, 0.05, 0.02, 0.13], // phone
];
const U: number[][] = [
  [0.01, 0.003, 0.02, 0.967],
  [0.005, 0.002, 0.01, 0.983],
  [0.00005, 0.0005, 0.015, 0.98445],
  [1e-7, 1e-5, 1e-4, 0.9998899],
  [0.01, 0.02, 0.01, 0.96],
  [0.001, 0.002, 0.01, 0.987],
  [0.02, 0.01, 0.02, 0.95],
  [0.05, 0.01, 0.02, 0.92],
  [0.02, 0.03, 0.01, 0.94],
  [0.5, 1e-6, 1e-6, 0.5],
  [1e-5, 1e-4, 1e-3, 0.99889],
];

/** lambda is the prior that two records drawn from all pairs match: about 1 in 10,000 here. */
export const DEFAULT_STORE_MODEL: MatchModel = { lambda: 1e-4, m: M, u: U, iterations: 0, converged: true };

const CONTACT: readonly Field[] = [
  'street_number',
  'address_1',
  'address_2',
  'locality',
  'postcode',
  'state',
  'phone',
];

/**
 * How the record store weighs evidence, over whichever m and u it has: address and phone are one
 * fact (the household: relatives share them, so they count once), and no single agreement is
 * rarer than a clerical error (1 in 1,000). Without these a typical demo duplicate weighed 35 to
 * 80 bits and every pair showed 100 %; with them full agreement weighs about 30 bits, a typo
 * duplicate missing its SSN and phone about 15 and twins about 9, so the scores rank the pairs.
 */
export function reviewEvidence(model: MatchModel): MatchModel {
  return { ...model, groups: [CONTACT.map((f) => FIELDS.indexOf(f))], uFloor: 1e-3 };
}

export interface StoredModel {
  model: MatchModel;
  trainedOn: number;
  source: 'default' | 'trained';
}

const cache = new WeakMap<Db, { at: number; value: StoredModel }>();
const CACHE_MS = 30_000;

async function readModel(q: Queryable): Promise<StoredModel | undefined> {
  const res = await q.query<{ model: MatchModel; trained_on: number; source: string }>(
    `SELECT model, trained_on, source FROM mpi_model WHERE id = 1`,
  );
  const row = res.rows[0];
  return row
    ? {
        model: reviewEvidence(row.model),
        trainedOn: Number(row.trained_on),
        source: row.source === 'trained' ? 'trained' : 'default',
      }
    : undefined;
}

/** The current model (cached for a short while: $match must not read it on every call). */
export async function currentModel(db: Db): Promise<StoredModel> {
  const hit = cache.get(db);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
  const value = (await readModel(db)) ?? {
    model: reviewEvidence(DEFAULT_STORE_MODEL),
    trainedOn: 0,
    source: 'default',
  };
  cache.set(db, { at: Date.now(), value });
  return value;
}

/** Patients not marked inactive, as the caller's store shows them (the scoring store sees all). */
async function livePatients(store: FhirStore): Promise<Patient[]> {
  const found = await store.findAll(
    { type: 'Patient', where: [{ param: 'active', tokens: [{ code: 'false' }], not: true }] },
    Number.MAX_SAFE_INTEGER,
  );
  return found.matches.filter((r): r is Patient => r.resourceType === 'Patient');
}

/**
 * Trains (or keeps) the stored model: trains from the live patients when there are at least
 * `minPatients` and no trained model yet, or twice as many as the last training saw. The patients
 * are read through `store` (the duplicate finder's, which sees every record).
 */
export async function ensureModel(
  store: FhirStore,
  options: { minPatients?: number } = {},
): Promise<StoredModel> {
  const db = store.db;
  const min = options.minPatients ?? MIN_TRAINING_PATIENTS;
  const stored = await readModel(db);
  const n = await store.count({ type: 'Patient' });
  const due = n >= min && (!stored || stored.source !== 'trained' || n >= 2 * stored.trainedOn);
  if (!due) {
    const value = stored ?? {
      model: reviewEvidence(DEFAULT_STORE_MODEL),
      trainedOn: 0,
      source: 'default' as const,
    };
    cache.set(db, { at: Date.now(), value });
    return value;
  }
  const records = (await livePatients(store)).map(patientToPersonRecord);
  const { model } = linkRecords(records, undefined, { threshold: 0.99, seed: 7 });
  const value: StoredModel = { model: reviewEvidence(model), trainedOn: records.length, source: 'trained' };
  await db.query(
    `INSERT INTO mpi_model (id, model, trained_on, source, trained_at) VALUES (1, $1::jsonb, $2, 'trained', now())
     ON CONFLICT (id) DO UPDATE SET model = EXCLUDED.model, trained_on = EXCLUDED.trained_on,
       source = EXCLUDED.source, trained_at = EXCLUDED.trained_at`,
    [JSON.stringify(model), records.length],
  );
  cache.set(db, { at: Date.now(), value });
  return value;
}
