import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../auth/access.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Db } from '../db/index.ts';
import { assertResourceType } from './definitions.ts';
import { writeSearchRows } from './search/index.ts';

export interface ReindexOptions {
  /** Only this resource type (all types when absent). */
  type?: string | undefined;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

interface StoredRow {
  resource_type: string;
  id: string;
  patient_id: string | null;
  content: Resource;
}

/**
 * Rebuilds the search index rows of current resources from their stored content. After an
 * upgrade changes what is indexed (a new modifier, a new parameter), older records become
 * findable the same way as new ones. Resources are not touched: no new versions. Each batch is
 * its own transaction, so a stopped run can simply be run again. One AuditEvent records who ran it.
 */
export async function reindexSearch(
  db: Db,
  ctx: RequestContext,
  options: ReindexOptions = {},
): Promise<{ resources: number }> {
  if (options.type) assertResourceType(options.type);
  const batchSize = options.batchSize ?? 1000;
  const typeFilter = options.type ? 'AND resource_type = $1' : '';
  const typeParams = options.type ? [options.type] : [];
  const counted = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM fhir_resource WHERE NOT deleted ${typeFilter}`,
    typeParams,
  );
  const total = Number(counted.rows[0]?.n ?? 0);
  let done = 0;
  let after = { type: '', id: '' };
  for (;;) {
    const n = typeParams.length;
    const rows = (
      await db.query<StoredRow>(
        `SELECT resource_type, id, patient_id, content FROM fhir_resource
          WHERE NOT deleted ${typeFilter} AND (resource_type, id) > ($${n + 1}, $${n + 2})
          ORDER BY resource_type, id LIMIT ${batchSize}`,
        [...typeParams, after.type, after.id],
      )
    ).rows;
    const last = rows[rows.length - 1];
    if (!last) break;
    await db.transaction((tx) =>
      writeSearchRows(
        tx,
        rows.map((r) => ({ resource: r.content, patientId: r.patient_id })),
      ),
    );
    done += rows.length;
    after = { type: last.resource_type, id: last.id };
    options.onProgress?.(done, total);
  }
  await recordAudit(db, [
    {
      action: 'admin',
      outcome: 'success',
      username: ctx.username,
      userId: ctx.userId,
      role: ctx.role,
      purpose: ctx.purpose,
      sourceAddress: ctx.sourceAddress,
      detail: `search index rebuilt for ${done} ${options.type ?? 'resources of every type'}`,
    },
  ]);
  return { resources: done };
}
