import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import { visibleTo } from './access-filter.ts';
import { storedResource } from './exact-json.ts';
import { SqlParams } from './search/sql-params.ts';
import type { SearchAccess } from './search/types.ts';

/** One record of a chart, in the order `$everything` pages it: its own records, then what they refer to. */
export interface ChartKey {
  type: string;
  id: string;
}

/**
 * A patient's chart as the caller may see it, as keys: the compartment's own records (not the
 * Patient, not the access trail) and what they refer to outside it (practitioners,
 * organisations, locations, medications), reached through the index keys so the lookup stays
 * proportional to one chart. Both pass the one access filter. Contents are read a page at a
 * time (`chartRecords`).
 */
export async function compartmentKeys(
  q: Queryable,
  patientId: string,
  access: SearchAccess,
): Promise<{ own: ChartKey[]; referenced: ChartKey[] }> {
  const p = new SqlParams();
  const patient = p.add(patientId, 'text');
  const ownVisible = visibleTo(access, p, 'o');
  const ownSql = `FROM fhir_resource o WHERE o.patient_id = ${patient} AND NOT o.deleted
      AND o.resource_type NOT IN ('Patient', 'AuditEvent')${ownVisible ? ` AND ${ownVisible}` : ''}`;
  const own = await q.query<{ type: string; id: string }>(
    `SELECT o.resource_type AS type, o.id ${ownSql} ORDER BY o.resource_type, o.id`,
    p.values,
  );
  const refVisible = visibleTo(access, p, 'r');
  const referenced = await q.query<{ type: string; id: string }>(
    `SELECT r.resource_type AS type, r.id FROM fhir_resource r
       JOIN (SELECT DISTINCT x.target_type, x.target_id
               FROM search_reference x JOIN fhir_resource o ON x.resource_type = o.resource_type AND x.resource_id = o.id
              WHERE o.patient_id = ${patient} AND NOT o.deleted AND o.resource_type NOT IN ('Patient', 'AuditEvent')
                ${ownVisible ? ` AND ${ownVisible}` : ''}) ref
         ON r.resource_type = ref.target_type AND r.id = ref.target_id
      WHERE NOT r.deleted AND r.patient_id IS NULL${refVisible ? ` AND ${refVisible}` : ''}
      ORDER BY r.resource_type, r.id`,
    p.values,
  );
  const keys = (rows: Array<{ type: string; id: string }>): ChartKey[] =>
    rows.map((r) => ({ type: r.type, id: r.id }));
  return { own: keys(own.rows), referenced: keys(referenced.rows) };
}

/** The current contents of these records, in the order given, under the access filter. */
export async function chartRecords(
  q: Queryable,
  keys: ChartKey[],
  access: SearchAccess,
): Promise<Resource[]> {
  if (keys.length === 0) return [];
  const p = new SqlParams();
  const types = p.add(
    keys.map((k) => k.type),
    'text[]',
  );
  const idList = p.add(
    keys.map((k) => k.id),
    'text[]',
  );
  const visible = visibleTo(access, p, 'r');
  const res = await q.query<{ content: Resource; content_text: string | null }>(
    `SELECT r.content, r.content_text FROM unnest(${types}, ${idList}) WITH ORDINALITY AS k(type, id, n)
       JOIN fhir_resource r ON r.resource_type = k.type AND r.id = k.id
      WHERE NOT r.deleted${visible ? ` AND ${visible}` : ''}
      ORDER BY k.n`,
    p.values,
  );
  return res.rows.map((r) => storedResource(r.content_text, r.content));
}

/**
 * Every live record of a patient's compartment (not the Patient, not the access trail), locked
 * for update, whatever its labels: a merge must move the whole chart, and the caller's right to
 * merge the two patients was checked on the patients themselves.
 */
export async function lockCompartment(
  tx: Queryable,
  patientId: string,
): Promise<Array<Resource & { id: string }>> {
  const res = await tx.query<{ content: Resource & { id: string } }>(
    `SELECT content FROM fhir_resource
      WHERE patient_id = $1 AND NOT deleted AND resource_type NOT IN ('Patient', 'AuditEvent')
      ORDER BY resource_type, id FOR UPDATE`,
    [patientId],
  );
  return res.rows.map((r) => r.content);
}
