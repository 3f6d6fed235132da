import type { Db } from '../../db/db.ts';
import { badRequest } from '../outcomes.ts';
import { paramFor } from './definitions.ts';
import { renderWhere } from './search.ts';
import { SqlParams } from './sql-params.ts';
import type { SearchAccess, SearchRequest } from './types.ts';
import { resolveValueSets } from './value-set.ts';

/**
 * Counts of matching records grouped by index values, computed in the database (reports ask
 * "how many encounters per class", "which diagnosis codes, how often, per month"). The matches
 * are exactly a search's (same WHERE, same access filter); each grouping key is a LEFT JOIN on
 * the index rows of one parameter, so a record without a value falls in the `null` group.
 */
export type TallyKey =
  /** A token parameter's code (and its display), optionally of one system only. */
  | { token: string; system?: string }
  /** A reference parameter's target id. */
  | { reference: string }
  /** A date parameter truncated to the UTC day or month, of its start (default) or its end. */
  | { date: string; unit: 'day' | 'month'; end?: boolean };

export interface TallyRow {
  /** One value per key, `null` where the record has none. */
  keys: Array<string | null>;
  /** A token key's display where the index holds one (else null); null for other keys. */
  labels: Array<string | null>;
  count: number;
}

/** At most this many groups come back (largest first). */
export const MAX_TALLY_GROUPS = 10_000;

const TABLE = { token: 'search_token', reference: 'search_reference', date: 'search_date' } as const;

function keyTable(type: string, key: TallyKey): { table: string; param: string } {
  const kind = 'token' in key ? 'token' : 'reference' in key ? 'reference' : 'date';
  const name = 'token' in key ? key.token : 'reference' in key ? key.reference : key.date;
  // `owner:identifier` and the like are indexed as tokens under their own name.
  const base = name.split(':')[0] ?? name;
  const def = paramFor(type, base);
  if (!def) throw badRequest(`Unknown search parameter '${base}' for ${type}`);
  const expected = name.includes(':identifier') ? 'reference' : kind;
  if (def.type !== expected) throw badRequest(`${base} is not a ${kind} parameter of ${type}`);
  return { table: TABLE[kind], param: name };
}

function keySql(key: TallyKey, alias: string): { value: string; label: string } {
  if ('token' in key) return { value: `${alias}.code`, label: `min(${alias}.text_value)` };
  if ('reference' in key) return { value: `${alias}.target_id`, label: 'NULL' };
  const column = `${alias}.${key.end ? 'high' : 'low'}`;
  const format = key.unit === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM';
  return {
    value: `CASE WHEN isfinite(${column}) THEN to_char(${column} AT TIME ZONE 'UTC', '${format}') END`,
    label: 'NULL',
  };
}

export async function tallySearch(
  db: Db,
  request: SearchRequest,
  by: readonly TallyKey[],
  access?: SearchAccess,
): Promise<TallyRow[]> {
  if (by.length === 0 || by.length > 4) throw badRequest('A tally groups by one to four keys');
  request = await resolveValueSets(db, request);
  const p = new SqlParams();
  const joins: string[] = [];
  const values: string[] = [];
  const labels: string[] = [];
  by.forEach((key, i) => {
    const alias = `g${i}`;
    const { table, param } = keyTable(request.resourceType, key);
    const system = 'token' in key && key.system ? ` AND ${alias}.system = ${p.add(key.system, 'text')}` : '';
    joins.push(
      `LEFT JOIN ${table} ${alias} ON ${alias}.resource_type = r.resource_type AND ${alias}.resource_id = r.id ` +
        `AND ${alias}.param = ${p.add(param, 'text')}${system}`,
    );
    const sql = keySql(key, alias);
    values.push(`${sql.value} AS k${i}`);
    labels.push(`${sql.label} AS l${i}`);
  });
  const where = renderWhere(request, access, p);
  const groups = by.map((_, i) => `${i + 1}`).join(', ');
  const sql =
    `SELECT ${[...values, ...labels].join(', ')}, count(DISTINCT r.id)::int AS n FROM fhir_resource r ` +
    `${joins.join(' ')} WHERE ${where.join(' AND ')} GROUP BY ${groups} ` +
    `ORDER BY n DESC, ${groups} LIMIT ${p.add(MAX_TALLY_GROUPS, 'int')}`;
  // A tally over a whole slice is costed high enough to be JIT-compiled, and compiling its hash
  // joins took longer than running them (seconds at 100,000 patients): off for this statement's
  // own transaction.
  const rows = await db.transaction(async (tx) => {
    await tx.query('SET LOCAL jit = off');
    return tx.query<Record<string, string | number | null>>(sql, p.values);
  });
  return rows.rows.map((row) => ({
    keys: by.map((_, i) => (row[`k${i}`] ?? null) as string | null),
    labels: by.map((_, i) => (row[`l${i}`] ?? null) as string | null),
    count: Number(row.n ?? 0),
  }));
}
