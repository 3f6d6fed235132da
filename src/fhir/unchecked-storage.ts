import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import { patientOf } from './definitions.ts';
import { visibleColumn, visibleTo } from './access-filter.ts';
import { holdsExactNumbers, storedResource, stringifyExact } from './exact-json.ts';
import { conflict } from './outcomes.ts';
import { SqlParams } from './search/sql-params.ts';
import type { SearchAccess } from './search/types.ts';
import { deleteSearchRows, indexInsertCtes, writeSearchRows, type IndexItem } from './search/index.ts';

/**
 * Raw storage of resource versions: no access control, no audit. Only the store (store.ts)
 * and the audit log call these, always inside a transaction they own.
 */

export interface CurrentRow {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: Date | string;
  deleted: boolean;
  patient_id: string | null;
  content: Resource | null;
}

interface StoredRow extends CurrentRow {
  content_text: string | null;
}

/** The row with its content read from the exact text kept beside it, when one was (exact-json.ts). */
function withExactContent(row: StoredRow | undefined): CurrentRow | undefined {
  if (!row) return undefined;
  const { content_text: text, ...rest } = row;
  return { ...rest, content: storedResource(text, row.content) };
}

export interface VersionWrite {
  resource: Resource & { id: string };
  /** The version being replaced, 0 for a new resource. */
  previousVersion: number;
  deleted: boolean;
}

export const newId = (): string => randomUUID();

export function securityCodes(resource: Resource): string[] {
  return (resource.meta?.security ?? []).map((c) => c.code).filter((c): c is string => !!c);
}

export async function readCurrent(
  q: Queryable,
  type: string,
  id: string,
  lock = false,
): Promise<CurrentRow | undefined> {
  const res = await q.query<StoredRow>(
    `SELECT resource_type, id, version_id, last_updated, deleted, patient_id, content, content_text
       FROM fhir_resource WHERE resource_type = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`,
    [type, id],
  );
  return withExactContent(res.rows[0]);
}

/** The current version as stored JSON text, and whether the caller may see it (the access filter). */
export interface StoredJson {
  version_id: number;
  last_updated: Date | string;
  deleted: boolean;
  patient_id: string | null;
  visible: boolean;
  json: string | null;
}

/**
 * One query for a read: the stored JSON text is answered as it is (no parse and re-serialise),
 * with the access filter's verdict beside it, so a refusal (403) is told apart from a miss (404).
 */
export async function readCurrentJson(
  q: Queryable,
  type: string,
  id: string,
  access: SearchAccess,
): Promise<StoredJson | undefined> {
  const p = new SqlParams();
  const where = `r.resource_type = ${p.add(type, 'text')} AND r.id = ${p.add(id, 'text')}`;
  const visible = visibleColumn(access, p, 'r', type);
  const res = await q.query<StoredJson>(
    `SELECT r.version_id, r.last_updated, r.deleted, r.patient_id, coalesce(r.content_text, r.content::text) AS json,
            ${visible} AS visible FROM fhir_resource r WHERE ${where}`,
    p.values,
    { keep: true },
  );
  return res.rows[0];
}

/** Whether the caller may see the current version of a record (undefined: no such record). */
export async function isVisible(
  q: Queryable,
  type: string,
  id: string,
  access: SearchAccess,
): Promise<{ visible: boolean; owner: string | null } | undefined> {
  const p = new SqlParams();
  const where = `r.resource_type = ${p.add(type, 'text')} AND r.id = ${p.add(id, 'text')}`;
  const res = await q.query<{ visible: boolean; owner: string | null }>(
    `SELECT ${visibleColumn(access, p, 'r', type)} AS visible,
            COALESCE(r.patient_id, CASE WHEN r.resource_type = 'Patient' THEN r.id END) AS owner
       FROM fhir_resource r WHERE ${where}`,
    p.values,
  );
  return res.rows[0];
}

/** Which of these live records the access filter lets through (ids only, no content). */
export async function visibleIdsOf(
  q: Queryable,
  type: string,
  ids: readonly string[],
  access: SearchAccess,
): Promise<Set<string>> {
  const p = new SqlParams();
  const where = [
    `r.resource_type = ${p.add(type, 'text')}`,
    `r.id = ANY(${p.add(ids, 'text[]')})`,
    'NOT r.deleted',
  ];
  const visible = visibleTo(access, p, 'r', type);
  if (visible) where.push(visible);
  const res = await q.query<{ id: string }>(
    `SELECT r.id FROM fhir_resource r WHERE ${where.join(' AND ')}`,
    p.values,
  );
  return new Set(res.rows.map((r) => r.id));
}

/** A current version in change order: what background work (MPI scoring) follows. */
export interface ChangedRecord {
  id: string;
  lastUpdated: string;
  deleted: boolean;
  content: Resource | null;
}

/** Current versions of `type` written after `after`, in (last_updated, id) order, deleted ones too. */
export async function changedRecords(
  q: Queryable,
  type: string,
  after: { lastUpdated: string; id: string },
  limit: number,
): Promise<ChangedRecord[]> {
  const res = await q.query<{
    id: string;
    last_updated: Date | string;
    deleted: boolean;
    content: Resource | null;
  }>(
    // Written as one range of the (resource_type, last_updated, id) index: the row comparison
    // over all three columns starts the scan at the watermark, `resource_type <= $1` ends it
    // with the type. The plain form (`resource_type = $1 AND (last_updated, id) > ...`) let the
    // planner walk the last_updated index instead, through every record of every type written
    // since: 0.3-2.4 s a poll at 100,000 patients, where this takes 0.1-11 ms.
    `SELECT id, last_updated, deleted, content FROM fhir_resource
      WHERE (resource_type, last_updated, id) > ($1::text, $2::timestamptz, $3::text) AND resource_type <= $1::text
      ORDER BY resource_type, last_updated, id LIMIT $4`,
    [type, after.lastUpdated, after.id, limit],
  );
  return res.rows.map((r) => ({
    id: r.id,
    lastUpdated: new Date(r.last_updated).toISOString(),
    deleted: r.deleted,
    content: r.content,
  }));
}

export async function readVersion(
  q: Queryable,
  type: string,
  id: string,
  version: number,
): Promise<CurrentRow | undefined> {
  const res = await q.query<StoredRow>(
    `SELECT resource_type, id, version_id, last_updated, deleted, patient_id, content, content_text
       FROM fhir_resource_version WHERE resource_type = $1 AND id = $2 AND version_id = $3`,
    [type, id, version],
  );
  return withExactContent(res.rows[0]);
}

/**
 * Current version numbers of many resources at once, locked for update. With `withLabels`, also
 * each one's confidentiality labels and its patient's, so the caller can refuse to overwrite or
 * delete a record the user may not see (only asked for roles that have such labels).
 */
export async function lockCurrentVersions(
  q: Queryable,
  keys: ReadonlyArray<{ type: string; id: string }>,
  access?: SearchAccess,
): Promise<Map<string, LockedVersion>> {
  const found = new Map<string, LockedVersion>();
  if (keys.length === 0) return found;
  const p = new SqlParams();
  const types = p.add(
    keys.map((k) => k.type),
    'text[]',
  );
  const ids = p.add(
    keys.map((k) => k.id),
    'text[]',
  );
  const visible = visibleColumn(access, p);
  const res = await q.query<{
    resource_type: string;
    id: string;
    version_id: number;
    deleted: boolean;
    last_updated: Date | string;
    visible: boolean;
    owner: string | null;
  }>(
    `SELECT r.resource_type, r.id, r.version_id, r.deleted, r.last_updated, ${visible} AS visible,
            COALESCE(r.patient_id, CASE WHEN r.resource_type = 'Patient' THEN r.id END) AS owner
       FROM fhir_resource r
       JOIN unnest(${types}, ${ids}) AS k(t, i) ON r.resource_type = k.t AND r.id = k.i
      ORDER BY r.resource_type, r.id FOR UPDATE OF r`,
    p.values,
  );
  for (const r of res.rows) {
    found.set(`${r.resource_type}/${r.id}`, {
      version: Number(r.version_id),
      deleted: r.deleted,
      lastUpdated: new Date(r.last_updated).toISOString(),
      visible: r.visible,
      owner: r.owner,
    });
  }
  return found;
}

export interface LockedVersion {
  version: number;
  deleted: boolean;
  lastUpdated: string;
  /** Whether the caller passed to lockCurrentVersions may see it (always true without one). */
  visible: boolean;
  /** The patient whose record it is (itself for a Patient). */
  owner: string | null;
}

/**
 * Which of these resources are identical (apart from version bookkeeping in meta: labels and
 * tags count as content) to their stored current version:
 * writing them again would only add a version, so re-imports leave them alone.
 */
export async function unchangedResources(
  q: Queryable,
  resources: ReadonlyArray<Resource & { id: string }>,
): Promise<Set<string>> {
  if (resources.length === 0) return new Set();
  const res = await q.query<{ t: string; i: string }>(
    `SELECT k.t, k.i FROM unnest($1::text[], $2::text[], $3::text[]) AS k(t, i, c)
       JOIN fhir_resource r ON r.resource_type = k.t AND r.id = k.i
      WHERE NOT r.deleted AND (r.content - 'meta') = (k.c::jsonb - 'meta')
        AND (r.content #> '{meta,security}') IS NOT DISTINCT FROM (k.c::jsonb #> '{meta,security}')
        AND (r.content #> '{meta,tag}') IS NOT DISTINCT FROM (k.c::jsonb #> '{meta,tag}')`,
    [
      resources.map((r) => r.resourceType),
      resources.map((r) => r.id),
      resources.map((r) => JSON.stringify(r)),
    ],
  );
  return new Set(res.rows.map((r) => `${r.t}/${r.i}`));
}

/** The columns of fhir_resource rows for new versions, as unnest() takes them. */
interface VersionColumns {
  type: string[];
  id: string[];
  version: number[];
  deleted: boolean[];
  patient: (string | null)[];
  security: string[];
  content: (Resource | null)[];
  exact: (string | null)[];
}

/**
 * The rows of new versions, column by column, and the live ones to index. Sets meta.versionId
 * and meta.lastUpdated in place; adds each version's patient to `patients`.
 */
function versionColumns(
  writes: VersionWrite[],
  stampOf: (w: VersionWrite) => string,
  patients: Set<string>,
): { cols: VersionColumns; live: IndexItem[] } {
  const cols: VersionColumns = {
    type: [],
    id: [],
    version: [],
    deleted: [],
    patient: [],
    security: [],
    content: [],
    exact: [],
  };
  const live: IndexItem[] = [];
  for (const w of writes) {
    const version = w.previousVersion + 1;
    w.resource.meta = { ...w.resource.meta, versionId: String(version), lastUpdated: stampOf(w) };
    const patientId = patientOf(w.resource);
    if (patientId) patients.add(patientId);
    cols.type.push(w.resource.resourceType);
    cols.id.push(w.resource.id);
    cols.version.push(version);
    cols.deleted.push(w.deleted);
    cols.patient.push(patientId);
    // Arrays of arrays don't pass through unnest; send the labels as one JSON text per row.
    cols.security.push(JSON.stringify(w.deleted ? [] : securityCodes(w.resource)));
    cols.content.push(w.deleted ? null : w.resource);
    cols.exact.push(!w.deleted && holdsExactNumbers(w.resource) ? stringifyExact(w.resource) : null);
    if (!w.deleted) live.push({ resource: w.resource, patientId, isNew: w.previousVersion === 0 });
  }
  return { cols, live };
}

/**
 * First versions of resources that cannot exist yet (fresh random ids: the audit trail's
 * AuditEvents, filed from its inbox), each stamped with its own `meta.lastUpdated` (when it was
 * recorded), their index rows and whatever `more` adds, in ONE statement of data-modifying CTEs.
 * `more` gets the parameter list to append its values to and answers its CTEs. A clash with an
 * existing id fails the statement (the primary key), never overwrites.
 */
export async function insertFirstVersions(
  q: Queryable,
  resources: ReadonlyArray<Resource & { id: string; meta: { lastUpdated: string } }>,
  more: (params: unknown[]) => string[] = () => [],
): Promise<void> {
  if (resources.length === 0) return;
  const stamps = resources.map((r) => r.meta.lastUpdated);
  const writes = resources.map((resource) => ({ resource, previousVersion: 0, deleted: false }));
  const { cols, live } = versionColumns(writes, (w) => w.resource.meta?.lastUpdated ?? '', new Set());
  const params: unknown[] = [
    cols.type,
    cols.id,
    cols.patient,
    cols.security,
    JSON.stringify(cols.content),
    stamps,
    cols.exact,
  ];
  const ctes = [
    `ins_fhir_resource AS (INSERT INTO fhir_resource (resource_type, id, version_id, last_updated, deleted, patient_id,
                                 security, content, content_text)
     SELECT t, i, 1, u, false, p, ARRAY(SELECT jsonb_array_elements_text(s::jsonb)), c.value, e
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $7::text[], $6::timestamptz[])
            WITH ORDINALITY AS x(t, i, p, s, e, u, n)
       JOIN jsonb_array_elements($5::jsonb) WITH ORDINALITY AS c(value, n) ON c.n = x.n)`,
    ...indexInsertCtes(live, params),
    ...more(params),
  ];
  const sql = `WITH ${ctes.join(',\n')} SELECT 1`;
  // Kept prepared on a PostgreSQL server too (PGlite keeps every statement prepared): the text
  // depends only on which index tables get rows, so a handful of texts serve every event.
  await q.query(sql, params, { keep: true });
}

/**
 * Writes new versions of many resources in a handful of statements: the replaced version to
 * history, the current row and the search index rows. Sets meta.versionId and meta.lastUpdated in place.
 * Answers the patients whose compartments the written versions are in (for the audit trail).
 */
export async function writeVersions(
  q: Queryable,
  writes: VersionWrite[],
  now = new Date(),
): Promise<ReadonlySet<string>> {
  const patients = new Set<string>();
  if (writes.length === 0) return patients;
  const stamp = now.toISOString();
  const { cols, live } = versionColumns(writes, () => stamp, patients);
  const params = [
    cols.type,
    cols.id,
    cols.version,
    cols.deleted,
    cols.patient,
    cols.security,
    // The documents travel as one JSON array: PostgreSQL parses it once, where a text[] of
    // documents would be escaped element by element and parsed twice (a third of a bulk write).
    JSON.stringify(cols.content),
    stamp,
    cols.exact,
  ];
  // The versions being replaced move to the history table first (it holds superseded versions
  // only; fhir_resource_version is the view of all). New resources have nothing to move.
  const replaced = writes.filter((w) => w.previousVersion > 0);
  if (replaced.length > 0)
    await q.query(
      `INSERT INTO fhir_resource_history (resource_type, id, version_id, last_updated, deleted, patient_id, content, content_text)
       SELECT r.resource_type, r.id, r.version_id, r.last_updated, r.deleted, r.patient_id, r.content, r.content_text
         FROM fhir_resource r JOIN unnest($1::text[], $2::text[]) AS k(t, i) ON r.resource_type = k.t AND r.id = k.i`,
      [replaced.map((w) => w.resource.resourceType), replaced.map((w) => w.resource.id)],
    );
  // A tombstone keeps the labels and patient of the version it deletes: every version of a record
  // is judged by its current row (access-filter.ts), and a deleted record's history stays as
  // guarded as the record was.
  // A row is replaced only if it is still the version the caller read: two writers creating the
  // same new id at once must not both succeed, the second would silently erase the first.
  const written = await q.query(
    `INSERT INTO fhir_resource (resource_type, id, version_id, last_updated, deleted, patient_id, security, content,
                                content_text)
     SELECT t, i, v, $8::timestamptz, d, p, ARRAY(SELECT jsonb_array_elements_text(s::jsonb)), NULLIF(c.value, 'null'), e
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::boolean[], $5::text[], $6::text[], $9::text[])
              WITH ORDINALITY AS x(t, i, v, d, p, s, e, n)
       JOIN jsonb_array_elements($7::jsonb) WITH ORDINALITY AS c(value, n) ON c.n = x.n
     ON CONFLICT (resource_type, id) DO UPDATE SET version_id = EXCLUDED.version_id,
       last_updated = EXCLUDED.last_updated, deleted = EXCLUDED.deleted,
       patient_id = CASE WHEN EXCLUDED.deleted THEN fhir_resource.patient_id ELSE EXCLUDED.patient_id END,
       security = CASE WHEN EXCLUDED.deleted THEN fhir_resource.security ELSE EXCLUDED.security END,
       content = EXCLUDED.content, content_text = EXCLUDED.content_text
       WHERE fhir_resource.version_id = EXCLUDED.version_id - 1
     RETURNING 1`,
    params,
  );
  if (written.rows.length !== writes.length) {
    throw conflict('Another writer changed or created one of these resources at the same time; try again');
  }
  for (const w of writes) if (w.deleted) await deleteSearchRows(q, w.resource.resourceType, w.resource.id);
  await writeSearchRows(q, live);
  return patients;
}
