import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from './request-context.ts';
import { recordAudit } from './audit-trail.ts';
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
      await db.query<{ resource_type: string; id: string }>(
        `SELECT resource_type, id FROM fhir_resource
          WHERE NOT deleted ${typeFilter} AND (resource_type, id) > ($${n + 1}, $${n + 2})
          ORDER BY resource_type, id LIMIT ${batchSize}`,
        [...typeParams, after.type, after.id],
      )
    ).rows;
    const last = rows[rows.length - 1];
    if (!last) break;
    await db.transaction(async (tx) => {
      // Lock the batch and index what is stored now: a write between reading the batch and this
      // transaction must not have its rows replaced by those of the content it replaced.
      const current = await tx.query<StoredRow>(
        `SELECT r.resource_type, r.id, r.patient_id, r.content FROM fhir_resource r
           JOIN unnest($1::text[], $2::text[]) AS k(t, i) ON r.resource_type = k.t AND r.id = k.i
          WHERE NOT r.deleted ORDER BY r.resource_type, r.id FOR UPDATE OF r`,
        [rows.map((r) => r.resource_type), rows.map((r) => r.id)],
      );
      await writeSearchRows(
        tx,
        current.rows.map((r) => ({ resource: r.content, patientId: r.patient_id })),
      );
    });
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
  // A full rebuild brings every record up to this version's index.
  if (!options.type) await setIndexVersion(db, SEARCH_INDEX_VERSION);
  return { resources: done };
}

/**
 * The version of what the search index holds. Raise it with every change that indexes more or
 * differently; stores built by an older version are rebuilt at start. 2: composite parameters;
 * 3: identifier types for `:of-type`; 4: the code system of required-bound codes (Patient.gender),
 * CodeableConcept.text beside each coding's display; 5: Custodian's own parameters
 * (custodian-parameters.ts: Encounter total-charges, Task restriction-period).
 */
export const SEARCH_INDEX_VERSION = 5;

/**
 * The resource types whose rows a version changed, when it changed only some (a new parameter of
 * one type): a store one such step behind reindexes those types, not the whole store. A version
 * not listed changed every type.
 */
export const INDEX_CHANGES: Readonly<Record<number, readonly string[]>> = {
  5: ['Encounter', 'Task'],
};

/** The types to reindex to bring a store from `from` to the current version (undefined: all). */
export function typesChangedSince(from: number): string[] | undefined {
  const types = new Set<string>();
  for (let version = from + 1; version <= SEARCH_INDEX_VERSION; version++) {
    const changed = INDEX_CHANGES[version];
    if (!changed) return undefined;
    for (const type of changed) types.add(type);
  }
  return [...types].sort();
}

async function indexVersion(db: Db): Promise<number> {
  const res = await db.query<{ version: number }>('SELECT version FROM search_index_state WHERE id = 1');
  return Number(res.rows[0]?.version ?? 1);
}

async function setIndexVersion(db: Db, version: number): Promise<void> {
  await db.query(
    `INSERT INTO search_index_state (id, version) VALUES (1, $1)
     ON CONFLICT (id) DO UPDATE SET version = excluded.version`,
    [version],
  );
}

/**
 * At start: rebuilds the search index when its rows were built by an older version of
 * Custodian, saying so and how far it has got. A store with nothing in it is simply marked
 * current. Returns how many resources were reindexed.
 */
export async function ensureSearchIndexCurrent(
  db: Db,
  ctx: RequestContext,
  log: (line: string) => void,
): Promise<number> {
  if ((await indexVersion(db)) >= SEARCH_INDEX_VERSION) return 0;
  const any = await db.query('SELECT 1 FROM fhir_resource LIMIT 1');
  if (any.rows.length === 0) {
    await setIndexVersion(db, SEARCH_INDEX_VERSION);
    return 0;
  }
  const from = await indexVersion(db);
  const types = typesChangedSince(from);
  log(
    `The search index was built by an older version of Custodian: rebuilding ${types ? types.join(', ') : 'it'} before serving.`,
  );
  let resources = 0;
  for (const type of types ?? [undefined]) {
    let lastTenth = 0;
    const label = type ? `${type} resources` : 'resources';
    const run = await reindexSearch(db, ctx, {
      type,
      onProgress: (done, total) => {
        if (done === total || Math.floor((done * 10) / total) > lastTenth) {
          lastTenth = Math.floor((done * 10) / total);
          log(`Rebuilding the search index for this version: ${done} of ${total} ${label}`);
        }
      },
    });
    resources += run.resources;
  }
  // A rebuild of every type marks the store current by itself; one of the changed types only here.
  if (types) await setIndexVersion(db, SEARCH_INDEX_VERSION);
  return resources;
}
