import type { Cond, IndexTable, SqlType } from './plan.ts';
import { tableOf } from './plan.ts';
import { storedAs } from './definitions.ts';
import type { Cursor, SearchAccess, SortKey } from './types.ts';
import { visibleTo } from '../access-filter.ts';
import type { SqlParams } from './sql-params.ts';

/** `col = $n` for one param name, `col = ANY($n)` for several (aliased parameters). */
export function paramIn(column: string, codes: string[], p: SqlParams): string {
  return codes.length === 1
    ? `${column} = ${p.add(codes[0], 'text')}`
    : `${column} = ANY(${p.add(codes, 'text[]')})`;
}

/** The param names of an `exists`: listed names, or LIKE patterns (composite keys by code alone). */
function paramMatch(
  column: string,
  cond: { params: string[]; paramPatterns?: string[] },
  p: SqlParams,
): string {
  const patterns = (cond.paramPatterns ?? []).map((pattern) => `${column} LIKE ${p.add(pattern, 'text')}`);
  const all = [...(cond.params.length > 0 ? [paramIn(column, cond.params, p)] : []), ...patterns];
  return all.length === 1 ? (all[0] as string) : `(${all.length > 0 ? all.join(' OR ') : 'false'})`;
}

/** What conditions are relative to: a table alias and its column holding the resource id. */
export interface Scope {
  alias: string;
  idColumn: string;
}

export const ROOT: Scope = { alias: 'r', idColumn: 'id' };

/**
 * SQL for a condition relative to `scope`. `access` applies to every resource a condition looks
 * through to (the sources of `_has`, the targets of chains), so a search never reveals what the
 * caller may not see.
 */
export function renderCond(cond: Cond, scope: Scope, p: SqlParams, access?: SearchAccess): string {
  const col = (name: string): string => `${scope.alias}.${name}`;
  switch (cond.kind) {
    case 'and':
    case 'or': {
      if (cond.items.length === 0) return cond.kind === 'and' ? 'TRUE' : 'FALSE';
      const joiner = cond.kind === 'and' ? ' AND ' : ' OR ';
      return `(${cond.items.map((c) => renderCond(c, scope, p, access)).join(joiner)})`;
    }
    case 'not':
      return `NOT ${renderCond(cond.item, scope, p, access)}`;
    case 'cmp':
      return `${col(cond.column)} ${cond.op} ${p.add(cond.value, cond.type)}`;
    case 'anyOf':
      return cond.values.length === 1
        ? `${col(cond.column)} = ${p.add(cond.values[0], 'text')}`
        : `${col(cond.column)} = ANY(${p.add(cond.values, 'text[]')})`;
    case 'like':
      return `${col(cond.column)} LIKE ${p.add(cond.pattern, 'text')}`;
    case 'prefixOf':
      return `starts_with(${p.add(cond.value, 'text')}, ${col(cond.column)})`;
    case 'isNull':
      return `${col(cond.column)} IS NULL`;
    case 'resourceId':
      return `${col(scope.idColumn)} = ANY(${p.add(cond.values, 'text[]')})`;
    case 'visible': {
      const target = p.alias();
      // The type is fixed here: a non-Binary target skips the Binary rule, so the check reads
      // only the primary key's columns (index-only, no heap visit per chained record).
      const visible = visibleTo(access, p, target, cond.resourceType);
      if (!visible) return 'TRUE';
      return (
        `EXISTS (SELECT 1 FROM fhir_resource ${target} WHERE ${target}.resource_type = ${p.add(cond.resourceType, 'text')}` +
        ` AND ${target}.id = ${col(scope.idColumn)} AND ${visible})`
      );
    }
    case 'exists': {
      const x = p.alias();
      const inner: Scope = { alias: x, idColumn: 'target_id' };
      const where = cond.where ? ` AND ${renderCond(cond.where, inner, p, access)}` : '';
      return (
        `EXISTS (SELECT 1 FROM ${cond.table} ${x} WHERE ${x}.resource_type = ${p.add(cond.resourceType, 'text')}` +
        ` AND ${x}.resource_id = ${col(scope.idColumn)} AND ${paramMatch(`${x}.param`, cond, p)}${where})`
      );
    }
    case 'referredBy': {
      const x = p.alias();
      const source = p.alias();
      const visible = visibleTo(access, p, source, cond.sourceType);
      return (
        `EXISTS (SELECT 1 FROM search_reference ${x} JOIN fhir_resource ${source}` +
        ` ON ${source}.resource_type = ${x}.resource_type AND ${source}.id = ${x}.resource_id` +
        ` WHERE ${x}.resource_type = ${p.add(cond.sourceType, 'text')} AND ${paramIn(`${x}.param`, cond.params, p)}` +
        ` AND ${x}.target_type = ${p.add(cond.targetType, 'text')} AND ${x}.target_id = ${col(scope.idColumn)}` +
        ` AND NOT ${source}.deleted${visible ? ` AND ${visible}` : ''}` +
        ` AND ${renderCond(cond.where, { alias: source, idColumn: 'id' }, p, access)})`
      );
    }
  }
}

export interface SortColumn {
  expr: string;
  type: SqlType;
  descending: boolean;
}

const SORT_VALUE: Record<IndexTable, [string, string, SqlType]> = {
  // [column aggregated ascending (min), descending (max), type]: dates sort by start ascending,
  // by end descending.
  search_token: ['code', 'code', 'text'],
  search_string: ['norm', 'norm', 'text'],
  search_date: ['low', 'high', 'timestamptz'],
  search_reference: ['target_id', 'target_id', 'text'],
  search_number: ['value', 'value', 'numeric'],
};

/** A date sorted by the end of its range both ways (a discharge date: the end of an Encounter's period). */
const DATE_END_SORT: [string, string, SqlType] = ['high', 'high', 'timestamptz'];

/**
 * A sort key kept in an index table: the aggregate of its rows that orders the record (`min` of
 * the ascending column, `max` of the descending one, over alias `s`), and the rows' condition
 * apart from the owner.
 */
function sortSlice(
  { param, descending, end }: SortKey,
  p: SqlParams,
): {
  table: IndexTable;
  resourceType: string;
  aggregate: (alias: string) => string;
  rows: (alias: string) => string;
  type: SqlType;
} {
  const table = tableOf(param);
  const [asc, desc, type] = table === 'search_date' && end ? DATE_END_SORT : SORT_VALUE[table];
  const stored = storedAs(param);
  const resourceType = p.add(param.resourceType, 'text');
  const codes = stored.codes.length === 1 ? p.add(stored.codes[0], 'text') : p.add(stored.codes, 'text[]');
  const targetType = stored.targetType ? p.add(stored.targetType, 'text') : undefined;
  return {
    table,
    type,
    resourceType,
    aggregate: (s) => (descending ? `max(${s}.${desc})` : `min(${s}.${asc})`),
    rows: (s) =>
      `${s}.resource_type = ${resourceType} AND ${s}.param ${stored.codes.length === 1 ? `= ${codes}` : `= ANY(${codes})`}` +
      (targetType ? ` AND ${s}.target_type = ${targetType}` : ''),
  };
}

/** A sort key on one of the record's own columns, if it is one. */
function ownColumn({ param, descending }: SortKey): SortColumn | undefined {
  if (param.column === 'id') return { expr: 'r.id', type: 'text', descending };
  if (param.column === 'last_updated') return { expr: 'r.last_updated', type: 'timestamptz', descending };
  return undefined;
}

/** Sort keys as correlated subqueries: what the page's ORDER BY and keyset compare. */
export function sortColumns(sort: SortKey[], p: SqlParams): SortColumn[] {
  return sort.map((key) => {
    const own = ownColumn(key);
    if (own) return own;
    const slice = sortSlice(key, p);
    // The key's rows are picked by the aggregate's FILTER, not by WHERE: the subquery then reads
    // the record's own rows through the owner index. With the parameter in WHERE the planner
    // could take the (type, param) slice of the lookup index instead, estimated small (it
    // multiplies the two columns' frequencies), and filter the whole slice once per record: 7 s
    // for 500 of 8,890 DetectedIssues sorted by date at 100,000 patients.
    const expr =
      `(SELECT ${slice.aggregate('s')} FILTER (WHERE ${slice.rows('s')}) FROM ${slice.table} s ` +
      `WHERE s.resource_type = ${slice.resourceType} AND s.resource_id = r.id)`;
    return { expr, type: slice.type, descending: key.descending };
  });
}

/**
 * Sort keys as LEFT JOINs of their index rows (alias o<i>) beside each record, aggregated per
 * record (the query groups by the record): for a search that sorts much of its type, where the
 * joins read each key's index slice once, by hash, instead of probing it once per record.
 * Same values and order as `sortColumns`.
 */
export function sortJoins(sort: SortKey[], p: SqlParams): { joins: string[]; columns: SortColumn[] } {
  const joins: string[] = [];
  const columns = sort.map((key, i): SortColumn => {
    const own = ownColumn(key);
    if (own) return own;
    const slice = sortSlice(key, p);
    const alias = `o${i}`;
    joins.push(`LEFT JOIN ${slice.table} ${alias} ON ${slice.rows(alias)} AND ${alias}.resource_id = r.id`);
    return { expr: slice.aggregate(alias), type: slice.type, descending: key.descending };
  });
  return { joins, columns };
}

export function renderOrderBy(columns: SortColumn[]): string {
  const keys = columns.map((c) => `${c.expr} ${c.descending ? 'DESC' : 'ASC'} NULLS LAST`);
  return [...keys, 'r.id ASC'].join(', ');
}

/**
 * Rows strictly after the cursor in ORDER BY order (sort keys with NULLS LAST, then id): the
 * keyset condition that keeps paging stable while rows are inserted or deleted.
 */
export function renderKeyset(columns: SortColumn[], cursor: Cursor, p: SqlParams): string {
  const branches: string[] = [];
  const equalSoFar: string[] = [];
  columns.forEach((c, i) => {
    const value = cursor.values[i] ?? null;
    if (value !== null) {
      const v = p.add(value, c.type);
      branches.push(
        [...equalSoFar, `(${c.expr} ${c.descending ? '<' : '>'} ${v} OR ${c.expr} IS NULL)`].join(' AND '),
      );
      equalSoFar.push(`${c.expr} = ${v}`);
    } else {
      // Nothing sorts after NULL (NULLS LAST) except rows whose key is NULL too.
      equalSoFar.push(`${c.expr} IS NULL`);
    }
  });
  branches.push([...equalSoFar, `r.id > ${p.add(cursor.id, 'text')}`].join(' AND '));
  return `(${branches.map((b) => `(${b})`).join(' OR ')})`;
}
