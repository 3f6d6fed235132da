import type { Db } from '../../db/db.ts';
import { badRequest } from '../outcomes.ts';
import { paramFor, storedAs } from './definitions.ts';
import { renderWhere } from './search.ts';
import { SqlParams } from './sql-params.ts';
import {
  groupSource,
  keyValue,
  oneRowPerRecord,
  MAX_TALLY_GROUPS,
  querySlices,
  type TallyKey,
} from './tally.ts';
import type { SearchAccess, SearchRequest } from './types.ts';
import { resolveValueSets } from './value-set.ts';

/**
 * Figures over a search's matches per group, computed in the database: a tally (tally.ts) that
 * also adds up a number parameter (a DNFB bucket's charges) or takes a percentile of the days
 * between two dates of each record (an ROI request's received and released). The matches are a
 * search's (same WHERE, same access filter) and the groups a tally's.
 */

/** One date parameter of the record: its start (default: the earliest) or its end (the latest). */
export interface DatePoint {
  date: string;
  end?: boolean;
}

/** Whole UTC calendar days from one date of a record to another (negative when `to` is earlier). */
export interface DaySpan {
  from: DatePoint;
  to: DatePoint;
}

export type Measure =
  /** The total of a number or quantity parameter's values over the group's records (0 when none has one). */
  | { sum: string }
  /**
   * The nearest-rank percentile (`percentile_disc`: the smallest value at or above that share of
   * the ordered values; p in 0..1) of the span over the group's records that have both dates.
   */
  | { percentile: number; days: DaySpan }
  /** How many of the group's records have a span of more than `over` days. */
  | { countOver: number; days: DaySpan };

export interface AggregateRow {
  /** One value per key, `null` where the record has none. */
  keys: Array<string | null>;
  /** Matching records in the group. */
  count: number;
  /** One value per measure; a percentile is null when no record of the group has both dates. */
  values: Array<number | null>;
}

/** The one stored parameter name of a parameter of `type`, checked to be one of `kinds`. */
function storedParam(type: string, code: string, kinds: readonly string[]): string {
  const def = paramFor(type, code);
  if (!def) throw badRequest(`Unknown search parameter '${code}' for ${type}`);
  if (!kinds.includes(def.type))
    throw badRequest(`${code} is not a ${kinds.join(' or ')} parameter of ${type}`);
  const stored = storedAs(def).codes;
  if (stored.length !== 1 || !stored[0]) throw badRequest(`${code} of ${type} cannot be aggregated`);
  return stored[0];
}

/**
 * The per-record columns of the measures: each a LEFT JOIN of one parameter's index slice, added
 * up per record first (so a record with two values of a key is not summed twice within a group),
 * joined to the matching records by hash. A slice is read whole, whatever the matches: a DNFB of
 * a hundred thousand encounters is one scan, not a hundred thousand probes of the owner index.
 */
class RecordColumns {
  readonly columns: string[] = [];
  readonly joins: string[] = [];
  private readonly named = new Map<string, string>();
  constructor(
    private readonly type: string,
    private readonly p: SqlParams,
    private readonly typeParam: string,
  ) {}

  /**
   * One column from the per-record `figure` of a parameter's rows in `table`, as `value` of the
   * joined alias. Built only when new: a parameter added but never mentioned fails the statement.
   */
  private column(
    key: string,
    table: string,
    param: string,
    figure: string,
    value: (alias: string) => string,
  ): string {
    const held = this.named.get(key);
    if (held) return held;
    const alias = `j${this.joins.length}`;
    this.joins.push(
      `LEFT JOIN (SELECT resource_id, ${figure} AS v FROM ${table} WHERE resource_type = ${this.typeParam} ` +
        `AND param = ${this.p.add(param, 'text')} GROUP BY resource_id) ${alias} ON ${alias}.resource_id = x.id`,
    );
    const name = `v${this.columns.length}`;
    this.columns.push(`${value(alias)} AS ${name}`);
    this.named.set(key, name);
    return name;
  }

  sum(code: string): string {
    const stored = storedParam(this.type, code, ['number', 'quantity']);
    return this.column(`sum:${code}`, 'search_number', stored, 'sum(value)', (a) => `${a}.v`);
  }

  /** The UTC day of a date point, NULL when absent or open-ended. */
  day(point: DatePoint): string {
    const stored = storedParam(this.type, point.date, ['date']);
    return this.column(
      `day:${point.date}:${point.end ? 'end' : 'start'}`,
      'search_date',
      stored,
      point.end ? 'max(high)' : 'min(low)',
      (a) => `CASE WHEN isfinite(${a}.v) THEN (${a}.v AT TIME ZONE 'UTC')::date END`,
    );
  }

  span(days: DaySpan): string {
    return `(m.${this.day(days.to)} - m.${this.day(days.from)})`;
  }
}

function measureSql(measure: Measure, columns: RecordColumns, p: SqlParams): string {
  if ('sum' in measure) return `coalesce(sum(m.${columns.sum(measure.sum)}), 0)`;
  if ('percentile' in measure) {
    if (!(measure.percentile >= 0 && measure.percentile <= 1))
      throw badRequest('A percentile is between 0 and 1');
    return `percentile_disc(${p.add(measure.percentile, 'float8')}) WITHIN GROUP (ORDER BY ${columns.span(measure.days)})`;
  }
  return `count(*) FILTER (WHERE ${columns.span(measure.days)} > ${p.add(measure.countOver, 'int')})`;
}

export async function aggregateSearch(
  db: Db,
  request: SearchRequest,
  by: readonly TallyKey[],
  measures: readonly Measure[],
  access?: SearchAccess,
): Promise<AggregateRow[]> {
  if (by.length === 0 || by.length > 4) throw badRequest('An aggregate groups by one to four keys');
  if (measures.length === 0 || measures.length > 8)
    throw badRequest('An aggregate computes one to eight measures');
  request = await resolveValueSets(db, request);
  const p = new SqlParams();
  const type = p.add(request.resourceType, 'text');
  const grouped = groupSource(request, by, p);
  const joins = grouped.joins.map((j) => j.join).filter(Boolean);
  const keys = by.map((key, i) => `${keyValue(key, grouped.joins[i]?.alias ?? '')} AS k${i}`);
  const where = renderWhere(grouped.request, access, p);
  const columns = new RecordColumns(request.resourceType, p, type);
  const figures = measures.map((m, i) => `${measureSql(m, columns, p)} AS f${i}`);
  const keyNames = by.map((_, i) => `m.k${i}`).join(', ');
  // Records and their groups first (a record once per group), then each record's own figures,
  // then the groups' totals. OFFSET 0 keeps the figures a subquery of their own: flattened, the
  // planner would compute a day once for each measure that names it.
  const matches =
    `SELECT ${oneRowPerRecord(request.resourceType, by) ? '' : 'DISTINCT '}r.id, ${keys.join(', ')} FROM ${grouped.from} ${joins.join(' ')} ` +
    `WHERE ${where.join(' AND ')}`;
  const sql =
    `SELECT ${keyNames}, count(*)::int AS n, ${figures.join(', ')} ` +
    `FROM (SELECT x.*, ${columns.columns.join(', ')} FROM (${matches}) x ${columns.joins.join(' ')} OFFSET 0) m ` +
    `GROUP BY ${keyNames} ORDER BY n DESC, ${keyNames} LIMIT ${p.add(MAX_TALLY_GROUPS, 'int')}`;
  const rows = await querySlices(db, sql, p.values);
  return rows.map((row) => ({
    keys: by.map((_, i) => (row[`k${i}`] ?? null) as string | null),
    count: Number(row.n ?? 0),
    values: measures.map((_, i) => {
      const value = row[`f${i}`];
      return value === null || value === undefined ? null : Number(value);
    }),
  }));
}
