import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import { writeVersions, type VersionWrite } from './unchecked-storage.ts';

/**
 * Certified destruction of a patient's chart (records past retention, src/retention): the
 * content of every version of every record in the compartment is removed, the Patient's too.
 * What stays is a tombstone per record (type, id, patient, version count) and the audit trail,
 * which keeps the fact of the destruction, not the content. Audit events are never touched.
 */

export interface DestroyedRecord {
  reference: string;
  versions: number;
}

/**
 * Runs inside the caller's transaction: live records get a deleted version (their search rows go
 * with it), then every stored version loses its content. Answers what was destroyed.
 */
export async function destroyCompartment(tx: Queryable, patientId: string): Promise<DestroyedRecord[]> {
  const rows = await tx.query<{
    resource_type: string;
    id: string;
    version_id: string | number;
    deleted: boolean;
  }>(
    `SELECT resource_type, id, version_id, deleted FROM fhir_resource
      WHERE (patient_id = $1 OR (resource_type = 'Patient' AND id = $1)) AND resource_type <> 'AuditEvent'
      ORDER BY resource_type, id FOR UPDATE`,
    [patientId],
  );
  const tombstones: VersionWrite[] = rows.rows
    .filter((r) => !r.deleted)
    .map((r) => ({
      resource: { resourceType: r.resource_type, id: r.id } as Resource & { id: string },
      previousVersion: Number(r.version_id),
      deleted: true,
    }));
  await writeVersions(tx, tombstones);
  const types = rows.rows.map((r) => r.resource_type);
  const ids = rows.rows.map((r) => r.id);
  if (ids.length === 0) return [];
  await tx.query(
    `UPDATE fhir_resource_history h SET content = NULL, content_text = NULL
       FROM unnest($1::text[], $2::text[]) AS k(t, i)
      WHERE h.resource_type = k.t AND h.id = k.i AND h.content IS NOT NULL`,
    [types, ids],
  );
  const counts = await tx.query<{ t: string; i: string; n: string | number }>(
    `SELECT v.resource_type AS t, v.id AS i, count(*) AS n FROM fhir_resource_version v
       JOIN unnest($1::text[], $2::text[]) AS k(t, i) ON v.resource_type = k.t AND v.id = k.i
      GROUP BY v.resource_type, v.id ORDER BY 1, 2`,
    [types, ids],
  );
  return counts.rows.map((r) => ({ reference: `${r.t}/${r.i}`, versions: Number(r.n) }));
}
