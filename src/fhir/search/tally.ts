import type { Db } from '../../db/db.ts';
import { badRequest } from '../outcomes.ts';
import { paramFor, storedAs } from './definitions.ts';
import { onOneDateRow, takeDateCriteria, type Cond } from './plan.ts';
import { renderWhere } from './search.ts';
import { renderCond } from './sql.ts';
import { SqlParams } from './sql-params.ts';
import type { Filter, SearchAccess, SearchRequest } from './types.ts';
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
  /** A token key's display, as the group's first record (by id) holding the value has it (else null); null for other keys. */
  labels: Array<string | null>;
  count: number;
}

/** At most this many groups come back (largest first). */
export const MAX_TALLY_GROUPS = 10_000;

const TABLE = { token: 'search_token', reference: 'search_reference', date: 'search_date' } as const;

/**
 * The index table, stored parameter names and implied target type of a grouping key (also used by
 * aggregate.ts): a parameter indexed as others (AuditEvent's patient: the agent and entity rows
 * that are Patients) is read from their rows.
 */
export function keyTable(
  type: string,
  key: TallyKey,
): { table: string; params: string[]; targetType?: string } {
  const kind = 'token' in key ? 'token' : 'reference' in key ? 'reference' : 'date';
  const name = 'token' in key ? key.token : 'reference' in key ? key.reference : key.date;
  // `owner:identifier` and the like are indexed as tokens under their own name.
  const base = name.split(':')[0] ?? name;
  const def = paramFor(type, base);
  if (!def) throw badRequest(`Unknown search parameter '${base}' for ${type}`);
  const expected = name.includes(':identifier') ? 'reference' : kind;
  if (def.type !== expected) throw badRequest(`${base} is not a ${kind} parameter of ${type}`);
  if (name !== base) return { table: TABLE[kind], params: [name] };
  const stored = storedAs(def);
  return {
    table: TABLE[kind],
    params: stored.codes,
    ...(stored.targetType ? { targetType: stored.targetType } : {}),
  };
}

/** A grouping key's value in SQL, from its joined index row `alias`. */
export function keyValue(key: TallyKey, alias: string): string {
  if ('token' in key) return `${alias}.code`;
  if ('reference' in key) return `${alias}.target_id`;
  const column = `${alias}.${key.end ? 'high' : 'low'}`;
  const format = key.unit === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM';
  return `CASE WHEN isfinite(${column}) THEN to_char(${column} AT TIME ZONE 'UTC', '${format}') END`;
}

/**
 * The join that sets group key `i`'s index rows (alias g<i>) beside each record: a LEFT JOIN, or
 * an inner one on the row that passes `within`; `name` is the key's parameter placeholder, for
 * later references to the same index slice.
 */
function keyJoin(type: string, key: TallyKey, i: number, p: SqlParams, within?: Cond): KeyJoin {
  const alias = `g${i}`;
  const { table, params, targetType } = keyTable(type, key);
  const name = params.length === 1 ? p.add(params[0], 'text') : `ANY(${p.add(params, 'text[]')})`;
  const target = targetType ? ` AND ${alias}.target_type = ${p.add(targetType, 'text')}` : '';
  const system = 'token' in key && key.system ? ` AND ${alias}.system = ${p.add(key.system, 'text')}` : '';
  const criteria = within ? ` AND ${renderCond(within, { alias, idColumn: 'resource_id' }, p)}` : '';
  return {
    alias,
    name,
    join:
      `${within ? 'JOIN' : 'LEFT JOIN'} ${table} ${alias} ON ${alias}.resource_type = r.resource_type ` +
      `AND ${alias}.resource_id = r.id AND ${alias}.param = ${name}${target}${system}${criteria}`,
  };
}

/**
 * Every key is a date with one index row per record (`single`): each record is then one row of
 * the joins, and counting rows counts records, with no DISTINCT to sort them for.
 */
export function oneRowPerRecord(type: string, by: readonly TallyKey[]): boolean {
  return by.every((key) => 'date' in key && paramFor(type, key.date)?.single === true);
}

export interface KeyJoin {
  alias: string;
  join: string;
  /** The key's parameter placeholder (`$n`, or `ANY($n)` for several), for later references to the same index slice. */
  name: string;
}

/**
 * Where a tally's records come from (`from`, always aliased `r`), the grouping keys' joins, and
 * the request whose remaining criteria are the WHERE.
 *
 * A date key on a parameter with one value per record (a Condition's recorded date by month)
 * takes the criteria on that date into its join, an inner join on the one row that passes them:
 * the row grouped by is the row tested, and the slice is read once instead of twice.
 *
 * And when the criteria bound such a date (every report has its range), that date's index slice
 * stands in for `fhir_resource`: each of its rows is a live record (a deleted record's index rows
 * are removed with it) and carries the record's patient, so only the few records with security
 * labels are looked up for their labels, instead of joining every record of the type by hash
 * (half the time of a tally over 200,000 encounters). The access filter then reads the same
 * columns it reads from `fhir_resource` (Binary, whose visibility needs its content, is never
 * read this way). `few` keeps `fhir_resource` too: its matches are probed record by record.
 */
export function groupSource(
  request: SearchRequest,
  by: readonly TallyKey[],
  p: SqlParams,
  options: SliceOptions = {},
): { from: string; request: SearchRequest; joins: KeyJoin[] } {
  let filters = request.filters;
  const type = request.resourceType;
  const sliced = !options.few && type !== 'Binary' && !filters.some(onRecordColumn);
  let from = 'fhir_resource r';
  // The date key (or, failing one, the first date criterion) whose slice stands in for the records.
  const bounded = (code: string): boolean => filters.some((f) => onOneDateRow(f) && f.param.code === code);
  const driver = sliced ? by.findIndex((key) => 'date' in key && bounded(key.date)) : -1;
  const driverKey = driver >= 0 ? (by[driver] as { date: string }) : undefined;
  const driverCode = driverKey?.date ?? (sliced ? filters.find(onOneDateRow)?.param.code : undefined);
  if (driverCode) {
    const { rest, where } = takeDateCriteria(filters, driverCode);
    filters = rest;
    from = dateSliceRecords(type, driverCode, where as Cond, p);
  }
  const joins = by.map((key, i): KeyJoin => {
    if (i === driver) return { alias: 'r', join: '', name: '' };
    if (!('date' in key)) return keyJoin(type, key, i, p);
    const { rest, where } = takeDateCriteria(filters, key.date);
    filters = rest;
    return keyJoin(type, key, i, p, where);
  });
  return { from, request: { ...request, filters }, joins };
}

/** A criterion on a column of `fhir_resource` itself (`_lastUpdated`), which a date's slice does not carry. */
function onRecordColumn(filter: Filter): boolean {
  if (filter.kind === 'all') return filter.filters.some(onRecordColumn);
  return filter.kind === 'date' && filter.param.column !== undefined;
}

/**
 * The records whose date `code` passes `where`, read from that date's index slice with the
 * columns of `fhir_resource` the WHERE and the access filter read (and the date's `low` and
 * `high`, for a key grouping by it).
 */
function dateSliceRecords(type: string, code: string, where: Cond, p: SqlParams): string {
  const [param] = keyTable(type, { date: code, unit: 'day' }).params;
  const t = p.add(type, 'text');
  return (
    `(SELECT d.resource_type, d.resource_id AS id, d.patient_id, false AS deleted, ` +
    `coalesce(l.security, '{}'::text[]) AS security, d.low, d.high FROM search_date d ` +
    `LEFT JOIN fhir_resource l ON l.resource_type = d.resource_type AND l.id = d.resource_id ` +
    `AND l.security <> '{}'::text[] WHERE d.resource_type = ${t} AND d.param = ${p.add(param, 'text')} ` +
    `AND ${renderCond(where, { alias: 'd', idColumn: 'resource_id' }, p)}) r`
  );
}

/** How a tally's matches are met: by slices (the default) or record by record. */
export interface SliceOptions {
  /**
   * The criteria match a few thousand records at most, of a type that has many (the MPI's
   * duplicate reviews among every Task): probing the index for each match beats scanning every
   * slice whole, ten to one at 100,000 patients (1.6 s against 0.16 s for the duplicate reviews
   * of a year). The caller knows; the planner's estimates do not (they are what misled it).
   */
  few?: boolean;
}

/**
 * Runs a statement that reads whole slices of the index (every Encounter's status), as tallies
 * and aggregates do: hash joins over index-only scans. Probing record by record, which the
 * planner picks when it misjudges how many records pass two criteria together, took seconds per
 * 100,000 records; and a plan costed this high is JIT-compiled, which took longer than running
 * it. Both settings hold for this transaction only; `few` leaves the planner its nested loops.
 */
export async function querySlices(
  db: Db,
  sql: string,
  values: unknown[],
  options: SliceOptions = {},
): Promise<Array<Record<string, string | number | null>>> {
  return db.transaction(async (tx) => {
    await tx.query('SET LOCAL jit = off');
    if (!options.few) await tx.query('SET LOCAL enable_nestloop = off');
    return (await tx.query<Record<string, string | number | null>>(sql, values)).rows;
  });
}

export async function tallySearch(
  db: Db,
  request: SearchRequest,
  by: readonly TallyKey[],
  access?: SearchAccess,
  options: SliceOptions = {},
): Promise<TallyRow[]> {
  if (by.length === 0 || by.length > 4) throw badRequest('A tally groups by one to four keys');
  request = await resolveValueSets(db, request);
  const p = new SqlParams();
  // Added when first used: PostgreSQL refuses a parameter the statement never mentions.
  let typeParam: string | undefined;
  const type = (): string => (typeParam ??= p.add(request.resourceType, 'text'));
  const joins: string[] = [];
  const values: string[] = [];
  const reps: string[] = [];
  const labels: string[] = [];
  const grouped = groupSource(request, by, p, options);
  by.forEach((key, i) => {
    const { alias, join, name } = grouped.joins[i] as KeyJoin;
    if (join) joins.push(join);
    values.push(`${keyValue(key, alias)} AS k${i}`);
    if (!('token' in key)) {
      labels.push(`NULL AS l${i}`);
      return;
    }
    // The display is free text the lookup index cannot carry, so it is read after grouping, from
    // the group's first record that has the value (one probe per group, not one per record).
    reps.push(`min(r.id) FILTER (WHERE ${alias}.resource_id IS NOT NULL) AS rep${i}`);
    const labelSystem = key.system ? ` AND t.system = ${p.add(key.system, 'text')}` : '';
    labels.push(
      `(SELECT min(t.text_value) FROM search_token t WHERE t.resource_type = ${type()} AND t.resource_id = g.rep${i} ` +
        `AND t.param = ${name} AND t.code IS NOT DISTINCT FROM g.k${i}${labelSystem}) AS l${i}`,
    );
  });
  const where = renderWhere(grouped.request, access, p);
  const groups = by.map((_, i) => `${i + 1}`).join(', ');
  const keys = by.map((_, i) => `g.k${i}`).join(', ');
  const sql =
    `SELECT ${keys}, ${labels.join(', ')}, g.n FROM (SELECT ${[...values, ...reps].join(', ')}, count(${oneRowPerRecord(request.resourceType, by) ? '*' : 'DISTINCT r.id'})::int AS n ` +
    `FROM ${grouped.from} ${joins.join(' ')} WHERE ${where.join(' AND ')} GROUP BY ${groups}) g ` +
    `ORDER BY g.n DESC, ${keys} LIMIT ${p.add(MAX_TALLY_GROUPS, 'int')}`;
  const rows = await querySlices(db, sql, p.values, options);
  return rows.map((row) => ({
    keys: by.map((_, i) => (row[`k${i}`] ?? null) as string | null),
    labels: by.map((_, i) => (row[`l${i}`] ?? null) as string | null),
    count: Number(row.n ?? 0),
  }));
}
