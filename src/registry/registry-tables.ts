import type { Queryable } from '../db/index.ts';
import { itemById, type ItemValues } from './naaccr-items.ts';

/**
 * SQL over the registry's own tables (migration 0701_registry.sql): cases, their NAACCR items,
 * the suspense queue and the change-feed watermarks. Patient data itself is read through the store.
 */

export type CaseStatus = 'open' | 'complete';

export interface RegistryCase {
  patientId: string;
  caseId: string;
  siteKey: string;
  sourceCode: string | null;
  status: CaseStatus;
  createdAt: string;
  completedAt: string | null;
}

interface CaseRow {
  patient_id: string;
  case_id: string;
  site_key: string;
  source_code: string | null;
  status: CaseStatus;
  created_at: Date | string;
  completed_at: Date | string | null;
}

function caseOf(r: CaseRow): RegistryCase {
  return {
    patientId: r.patient_id,
    caseId: r.case_id,
    siteKey: r.site_key,
    sourceCode: r.source_code,
    status: r.status,
    createdAt: new Date(r.created_at).toISOString(),
    completedAt: r.completed_at ? new Date(r.completed_at).toISOString() : null,
  };
}

const CASE_COLUMNS = 'patient_id, case_id, site_key, source_code, status, created_at, completed_at';

export async function casesOfPatient(q: Queryable, patientId: string): Promise<RegistryCase[]> {
  const res = await q.query<CaseRow>(
    `SELECT ${CASE_COLUMNS} FROM registry_case WHERE patient_id = $1 ORDER BY created_at, case_id`,
    [patientId],
  );
  return res.rows.map(caseOf);
}

export async function allCases(q: Queryable, status?: CaseStatus): Promise<RegistryCase[]> {
  const res = await q.query<CaseRow>(
    `SELECT ${CASE_COLUMNS} FROM registry_case WHERE ($1::text IS NULL OR status = $1)
     ORDER BY created_at, patient_id, case_id`,
    [status ?? null],
  );
  return res.rows.map(caseOf);
}

export async function insertCase(
  q: Queryable,
  c: { patientId: string; caseId: string; siteKey: string; sourceCode: string | null; status: CaseStatus },
): Promise<void> {
  await q.query(
    `INSERT INTO registry_case (patient_id, case_id, site_key, source_code, status, completed_at)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 = 'complete' THEN now() END)`,
    [c.patientId, c.caseId, c.siteKey, c.sourceCode, c.status],
  );
}

export async function setCaseStatus(
  q: Queryable,
  patientId: string,
  caseId: string,
  status: CaseStatus,
  siteKey: string,
): Promise<void> {
  await q.query(
    `UPDATE registry_case SET status = $3, site_key = $4, updated_at = now(),
       completed_at = CASE WHEN $3 = 'complete' THEN now() END
     WHERE patient_id = $1 AND case_id = $2`,
    [patientId, caseId, status, siteKey],
  );
}

/** Items of a patient by case id ('' for the patient-level items). */
export async function itemsOfPatients(
  q: Queryable,
  patientIds: readonly string[],
): Promise<Map<string, Map<string, ItemValues>>> {
  const res = await q.query<{ patient_id: string; case_id: string; naaccr_id: string; value: string }>(
    `SELECT patient_id, case_id, naaccr_id, value FROM registry_item WHERE patient_id = ANY($1::text[])`,
    [patientIds],
  );
  const out = new Map<string, Map<string, ItemValues>>();
  for (const r of res.rows) {
    const byCase = out.get(r.patient_id) ?? new Map<string, ItemValues>();
    out.set(r.patient_id, byCase);
    const values = byCase.get(r.case_id) ?? {};
    byCase.set(r.case_id, values);
    values[r.naaccr_id] = r.value;
  }
  return out;
}

/**
 * Writes items of one case (or of the patient, case ''): each under its item number and XML id;
 * an empty value removes the item. Items the dictionary does not know are refused by the caller.
 */
export async function writeItems(
  q: Queryable,
  patientId: string,
  caseId: string,
  values: ItemValues,
): Promise<void> {
  const set = Object.entries(values).filter(([, v]) => v !== '');
  const cleared = Object.entries(values)
    .filter(([, v]) => v === '')
    .map(([id]) => itemById(id)?.number ?? -1);
  if (cleared.length > 0)
    await q.query(
      `DELETE FROM registry_item WHERE patient_id = $1 AND case_id = $2 AND item_number = ANY($3::int[])`,
      [patientId, caseId, cleared],
    );
  if (set.length === 0) return;
  await q.query(
    `INSERT INTO registry_item (patient_id, case_id, item_number, naaccr_id, value)
     SELECT $1, $2, n, i, v FROM unnest($3::int[], $4::text[], $5::text[]) AS t(n, i, v)
     ON CONFLICT (patient_id, case_id, item_number) DO UPDATE SET value = EXCLUDED.value, naaccr_id = EXCLUDED.naaccr_id`,
    [
      patientId,
      caseId,
      set.map(([id]) => itemById(id)?.number ?? -1),
      set.map(([id]) => id),
      set.map(([, v]) => v),
    ],
  );
}

/** Next free Patient ID Number (item 20): the registry numbers its patients 00000001, 00000002, ... */
export async function nextPatientIdNumber(q: Queryable): Promise<string> {
  const res = await q.query<{ n: number | null }>(
    `SELECT max(value::int) AS n FROM registry_item WHERE item_number = 20 AND value ~ '^[0-9]{8}$'`,
  );
  return String((res.rows[0]?.n ?? 0) + 1).padStart(8, '0');
}

/** The patient a Patient ID Number belongs to in this registry. */
export async function patientOfIdNumber(q: Queryable, idNumber: string): Promise<string | undefined> {
  const res = await q.query<{ patient_id: string }>(
    `SELECT patient_id FROM registry_item WHERE item_number = 20 AND case_id = '' AND value = $1 LIMIT 1`,
    [idNumber],
  );
  return res.rows[0]?.patient_id;
}

export async function readWatermark(
  q: Queryable,
  name: string,
): Promise<{ lastUpdated: string; id: string }> {
  const res = await q.query<{ updated: Date | string; last_id: string }>(
    `SELECT updated, last_id FROM registry_state WHERE name = $1`,
    [name],
  );
  const row = res.rows[0];
  return row
    ? { lastUpdated: new Date(row.updated).toISOString(), id: row.last_id }
    : { lastUpdated: '1970-01-01T00:00:00.000Z', id: '' };
}

export async function writeWatermark(
  q: Queryable,
  name: string,
  at: { lastUpdated: string; id: string },
): Promise<void> {
  await q.query(
    `INSERT INTO registry_state (name, updated, last_id) VALUES ($1, $2::timestamptz, $3)
     ON CONFLICT (name) DO UPDATE SET updated = EXCLUDED.updated, last_id = EXCLUDED.last_id`,
    [name, at.lastUpdated, at.id],
  );
}

/**
 * How far behind the clock the change-feed watermarks stay. The feed is ordered by lastUpdated
 * stamps, not commit order: on a PostgreSQL server a transaction can commit after a later-stamped
 * one, so rows of the last 15 s are read again next time (the registry's writes are idempotent).
 * PGlite runs one transaction at a time.
 */
export function settleMsOf(db: { dialect: string }): number {
  return db.dialect === 'postgres' ? 15_000 : 0;
}

/** The last row the watermark may move to: none newer than the settle window. */
export function settledUpTo<T extends { lastUpdated: string }>(
  rows: readonly T[],
  settleMs: number,
  now = Date.now(),
): T | undefined {
  return rows.filter((r) => Date.parse(r.lastUpdated) <= now - settleMs).at(-1);
}

/** ICD-O-3 codes loaded by the site, or undefined when none are (format checks only then). */
export async function loadedIcdO3(
  q: Queryable,
): Promise<{ sites: Set<string>; histologies: Set<string> } | undefined> {
  const res = await q.query<{ kind: string; code: string }>(`SELECT kind, code FROM registry_icdo3`);
  if (res.rows.length === 0) return undefined;
  const sites = new Set<string>();
  const histologies = new Set<string>();
  for (const r of res.rows) (r.kind === 'site' ? sites : histologies).add(r.code);
  return { sites, histologies };
}
