import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import { visibleTo } from './access-filter.ts';
import { SqlParams } from './search/sql-params.ts';
import type { SearchAccess } from './search/types.ts';

/**
 * A patient's chart as the caller may see it: the compartment's own records (not the Patient,
 * not the access trail) and what they refer to outside it (practitioners, organisations,
 * locations, medications), reached through the index keys so the lookup stays proportional to
 * one chart. Both pass the one access filter.
 */
export async function compartmentRecords(
  q: Queryable,
  patientId: string,
  access: SearchAccess,
): Promise<{ own: Resource[]; referenced: Resource[] }> {
  const p = new SqlParams();
  const patient = p.add(patientId, 'text');
  const ownVisible = visibleTo(access, p, 'o');
  const ownSql = `FROM fhir_resource o WHERE o.patient_id = ${patient} AND NOT o.deleted
      AND o.resource_type NOT IN ('Patient', 'AuditEvent')${ownVisible ? ` AND ${ownVisible}` : ''}`;
  const own = await q.query<{ content: Resource }>(
    `SELECT o.content ${ownSql} ORDER BY o.resource_type, o.id`,
    p.values,
  );
  const refVisible = visibleTo(access, p, 'r');
  const referenced = await q.query<{ content: Resource }>(
    `SELECT r.content FROM fhir_resource r
       JOIN (SELECT DISTINCT x.target_type, x.target_id
               FROM search_reference x JOIN fhir_resource o ON x.resource_type = o.resource_type AND x.resource_id = o.id
              WHERE o.patient_id = ${patient} AND NOT o.deleted AND o.resource_type NOT IN ('Patient', 'AuditEvent')
                ${ownVisible ? ` AND ${ownVisible}` : ''}) ref
         ON r.resource_type = ref.target_type AND r.id = ref.target_id
      WHERE NOT r.deleted AND r.patient_id IS NULL${refVisible ? ` AND ${refVisible}` : ''}
      ORDER BY r.resource_type, r.id`,
    p.values,
  );
  return { own: own.rows.map((r) => r.content), referenced: referenced.rows.map((r) => r.content) };
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
