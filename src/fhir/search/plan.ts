import { badRequest } from '../outcomes.ts';
import { compositeKeyMatch } from './composite.ts';
import { storedAs, type ParamDef } from './definitions.ts';
import { likeLiteral } from './normalize.ts';
import type {
  CompositeValue,
  Filter,
  QuantityValue,
  RangeValue,
  ReferenceValue,
  TokenValue,
  ValueSetMembers,
} from './types.ts';

/**
 * The plan stage: each Filter becomes a condition tree over the index tables, still free of SQL
 * text. Conditions are relative to a scope: a resource (fhir_resource row) or, inside a chain,
 * a search_reference row whose target is the resource being tested.
 */
export type IndexTable =
  'search_token' | 'search_string' | 'search_date' | 'search_reference' | 'search_number';
export type SqlType = 'text' | 'timestamptz' | 'numeric';
export type Op = '=' | '<' | '<=' | '>' | '>=';

export type Cond =
  | { kind: 'and' | 'or'; items: Cond[] }
  | { kind: 'not'; item: Cond }
  | { kind: 'cmp'; column: string; op: Op; value: string; type: SqlType }
  | { kind: 'anyOf'; column: string; values: string[] }
  | { kind: 'like'; column: string; pattern: string }
  /** The stored value is a prefix of the given text (uri :above). */
  | { kind: 'prefixOf'; column: string; value: string }
  | { kind: 'isNull'; column: string }
  /** The id of the resource in scope (fhir_resource.id, or the chain's target_id). */
  | { kind: 'resourceId'; values: string[] }
  /**
   * The chain target in scope is one the caller may see: a chain must not match through a
   * restricted record (`DiagnosticReport?result.code=<HIV test>` would say what it holds).
   */
  | { kind: 'visible'; resourceType: string }
  | {
      kind: 'exists';
      table: IndexTable;
      resourceType: string;
      params: string[];
      /** LIKE patterns the param name may match instead (composite keys searched by code alone). */
      paramPatterns?: string[];
      where: Cond | undefined;
    }
  /**
   * Some resource of `sourceType` refers to the one in scope by one of `params` and matches
   * `where`, which is relative to that source resource (reverse chaining, `_has`).
   */
  | { kind: 'referredBy'; sourceType: string; params: string[]; targetType: string; where: Cond };

const and = (...items: Cond[]): Cond => (items.length === 1 ? (items[0] as Cond) : { kind: 'and', items });
const or = (items: Cond[]): Cond => (items.length === 1 ? (items[0] as Cond) : { kind: 'or', items });
const not = (item: Cond): Cond => ({ kind: 'not', item });
const text = (column: string, value: string, op: Op = '='): Cond => ({
  kind: 'cmp',
  column,
  op,
  value,
  type: 'text',
});
function exists(table: IndexTable, param: ParamDef, where?: Cond): Cond {
  const stored = storedAs(param);
  const narrowed = stored.targetType ? text('target_type', stored.targetType) : undefined;
  const all = [narrowed, where].filter((c): c is Cond => c !== undefined);
  return {
    kind: 'exists',
    table,
    resourceType: param.resourceType,
    params: stored.codes,
    where: all.length > 0 ? and(...all) : undefined,
  };
}

/**
 * A request's filters, one condition each, all to hold. Date criteria on a parameter that holds
 * at most one value per record (a discharge between two dates: `ge` and `eb` on Encounter.period)
 * are tested together on that one index row: one probe or one slice of the index instead of one
 * per criterion, which is what a report over a year of encounters spends its time on.
 */
export function planFilters(filters: readonly Filter[]): Cond[] {
  const conds: Cond[] = [];
  const dates = new Map<string, { at: number; param: ParamDef; values: RangeValue[][] }>();
  for (const filter of filters) {
    if (!onOneDateRow(filter)) {
      conds.push(planFilter(filter));
      continue;
    }
    const key = `${filter.param.resourceType}.${filter.param.code}`;
    const same = dates.get(key);
    if (same) same.values.push(filter.values);
    else {
      dates.set(key, { at: conds.length, param: filter.param, values: [filter.values] });
      conds.push(and());
    }
  }
  for (const { at, param, values } of dates.values())
    conds[at] = exists('search_date', param, and(...values.map((v) => dateCond(v, 'low', 'high'))));
  return conds;
}

/**
 * A date criterion on a parameter with one index row per record (`single`, its own rows, not a
 * record column): several such criteria on one parameter may be tested on that one row.
 */
export function onOneDateRow(filter: Filter): filter is Extract<Filter, { kind: 'date' }> {
  return (
    filter.kind === 'date' &&
    filter.param.single === true &&
    filter.param.column === undefined &&
    !filter.param.indexedAs
  );
}

/**
 * The date criteria on parameter `code` taken out of `filters` when that parameter holds one
 * value per record, as one condition on its index row (columns `low`, `high`): a tally grouping
 * by that date tests them on the row it groups by (tally.ts, `groupSource`).
 */
export function takeDateCriteria(filters: readonly Filter[], code: string): { rest: Filter[]; where?: Cond } {
  const taken = filters.filter(
    (f): f is Extract<Filter, { kind: 'date' }> => onOneDateRow(f) && f.param.code === code,
  );
  if (taken.length === 0) return { rest: [...filters] };
  return {
    rest: filters.filter((f) => !(taken as Filter[]).includes(f)),
    where: and(...taken.map((f) => dateCond(f.values, 'low', 'high'))),
  };
}

export function planFilter(filter: Filter, inChain = false): Cond {
  switch (filter.kind) {
    case 'token':
      return planToken(filter.param, filter.modifier, filter.values, filter.texts);
    case 'valueSet': {
      if (!filter.members) throw new Error('ValueSet members are resolved before planning');
      const match = exists('search_token', filter.param, valueSetCond(filter.members));
      return filter.negate ? not(match) : match;
    }
    case 'string': {
      const values = filter.values.map((v): Cond => {
        if (filter.modifier === 'exact') return text('exact', v);
        const pattern = filter.modifier === 'contains' ? `%${likeLiteral(v)}%` : `${likeLiteral(v)}%`;
        return { kind: 'like', column: 'norm', pattern };
      });
      return exists('search_string', filter.param, or(values));
    }
    case 'uri': {
      const values = filter.values.map((v): Cond => {
        if (filter.modifier === 'below')
          return { kind: 'like', column: 'code', pattern: `${likeLiteral(v)}%` };
        if (filter.modifier === 'above') return { kind: 'prefixOf', column: 'code', value: v };
        return text('code', v);
      });
      return exists('search_token', filter.param, or(values));
    }
    case 'date':
      return planDate(filter.param, filter.values, inChain);
    case 'number':
      return exists('search_number', filter.param, or(filter.values.map(numberCond)));
    case 'reference':
      return exists('search_reference', filter.param, referenceCond(filter.values));
    case 'composite':
      return or(filter.pairs.map((pair) => compositePair(filter.param, pair.key, pair.value)));
    case 'missing': {
      if (filter.param.column) return filter.missing ? { kind: 'or', items: [] } : { kind: 'and', items: [] };
      const any = exists(tableOf(filter.param), filter.param);
      return filter.missing ? not(any) : any;
    }
    case 'has': {
      const stored = storedAs(filter.param);
      // An alias stored with a fixed target type (patient = subject of type Patient) refers to nothing else.
      if (stored.targetType && stored.targetType !== filter.targetType) return filter.negate ? and() : or([]);
      const referred: Cond = {
        kind: 'referredBy',
        sourceType: filter.param.resourceType,
        params: stored.codes,
        targetType: filter.targetType,
        where: planFilter(filter.filter),
      };
      return filter.negate ? not(referred) : referred;
    }
    case 'all':
      return and(...filter.filters.map((f) => planFilter(f, inChain)));
    case 'chain':
      return exists(
        'search_reference',
        filter.param,
        or(
          filter.targets.map((t) =>
            and(
              text('target_type', t.type),
              { kind: 'visible', resourceType: t.type },
              planFilter(t.filter, true),
            ),
          ),
        ),
      );
  }
}

export function tableOf(param: ParamDef): IndexTable {
  switch (param.type) {
    case 'token':
    case 'uri':
      return 'search_token';
    case 'string':
      return 'search_string';
    case 'date':
      return 'search_date';
    case 'reference':
      return 'search_reference';
    case 'number':
    case 'quantity':
      return 'search_number';
    case 'composite':
      // Composite rows live under keyed names (composite.ts); parsing refuses :missing for them.
      throw new Error(`${param.code} is a composite: its rows have no table of their own`);
  }
}

function planToken(
  param: ParamDef,
  modifier: 'none' | 'not' | 'text' | 'below' | 'above',
  values: TokenValue[],
  texts: string[],
): Cond {
  if (param.column) {
    // _id: the resource's own id; a system part is meaningless there and ignored.
    const ids = values.map((v) => v.code).filter((c): c is string => c !== undefined);
    const cond: Cond = { kind: 'resourceId', values: ids };
    return modifier === 'not' ? not(cond) : cond;
  }
  if (modifier === 'text') {
    // Prefix of the display text or of any word in it.
    const words = texts.flatMap((t): Cond[] => [
      { kind: 'like', column: 'text_value', pattern: `${likeLiteral(t)}%` },
      { kind: 'like', column: 'text_value', pattern: `% ${likeLiteral(t)}%` },
    ]);
    return exists('search_token', param, or(words));
  }
  if (modifier === 'below') {
    // Only systems whose codes nest by prefix get here (see parse.ts): E11 is above E11.65.
    const below = values.map((v) =>
      and(text('system', v.system ?? ''), {
        kind: 'like',
        column: 'code',
        pattern: `${likeLiteral(v.code ?? '')}%`,
      }),
    );
    return exists('search_token', param, or(below));
  }
  if (modifier === 'above') {
    // The stored code is a prefix of the one asked for: E11 and E11.6 are above E11.65.
    const above = values.map((v) =>
      and(text('system', v.system ?? ''), { kind: 'prefixOf', column: 'code', value: v.code ?? '' }),
    );
    return exists('search_token', param, or(above));
  }
  const match = exists('search_token', param, tokenCond(values));
  return modifier === 'not' ? not(match) : match;
}

/** A token row matching any of `code`, `system|code`, `|code` or `system|`. */
function tokenCond(values: TokenValue[]): Cond {
  const bareCodes = values
    .filter((v) => v.system === undefined && v.code !== undefined)
    .map((v) => v.code as string);
  const conds: Cond[] = bareCodes.length > 0 ? [{ kind: 'anyOf', column: 'code', values: bareCodes }] : [];
  for (const v of values) {
    if (v.system === undefined) continue;
    const system: Cond = v.system === null ? { kind: 'isNull', column: 'system' } : text('system', v.system);
    conds.push(v.code === undefined ? system : and(text('code', v.code), system));
  }
  return or(conds);
}

/** One `first$second` pair: the second part's row stored under the first part's code. */
function compositePair(param: ParamDef, key: TokenValue, value: CompositeValue): Cond {
  const { names, patterns } = compositeKeyMatch(storedAs(param).codes, key);
  const [table, where]: [IndexTable, Cond] = (() => {
    switch (value.type) {
      case 'token':
        return ['search_token', tokenCond([value.value])];
      case 'number':
        return ['search_number', numberCond(value.value)];
      case 'date':
        return ['search_date', dateCond([value.value], 'low', 'high')];
      case 'string':
        return ['search_string', { kind: 'like', column: 'norm', pattern: `${likeLiteral(value.value)}%` }];
    }
  })();
  return {
    kind: 'exists',
    table,
    resourceType: param.resourceType,
    params: names,
    ...(patterns.length > 0 ? { paramPatterns: patterns } : {}),
    where,
  };
}

/** A token row whose system and code the ValueSet names (listed codes grouped by system). */
function valueSetCond(members: ValueSetMembers): Cond {
  const bySystem = new Map<string, string[]>();
  for (const c of members.codes) bySystem.set(c.system, [...(bySystem.get(c.system) ?? []), c.code]);
  const listed = [...bySystem].map(([system, codes]) =>
    and(text('system', system), { kind: 'anyOf', column: 'code', values: codes }),
  );
  const below = members.below.map((b) => {
    const under: Cond = { kind: 'like', column: 'code', pattern: `${likeLiteral(b.prefix)}%` };
    return and(text('system', b.system), b.self ? under : and(under, not(text('code', b.prefix))));
  });
  const systems = members.systems.map((s) => text('system', s));
  const included = or([...listed, ...below, ...systems]);
  if (members.excluded.length === 0) return included;
  const excluded = members.excluded.map((c) => and(text('system', c.system), text('code', c.code)));
  return and(included, not(or(excluded)));
}

/** FHIR date semantics over ranges: the stored [low, high] against the searched [low, high]. */
function planDate(param: ParamDef, values: RangeValue[], inChain: boolean): Cond {
  const onColumn = param.column !== undefined;
  if (onColumn && inChain) throw badRequest(`${param.code} cannot be used in a chain`);
  const [lowCol, highCol] = onColumn ? ['last_updated', 'last_updated'] : ['low', 'high'];
  const conds = dateCond(values, lowCol, highCol, onColumn);
  return onColumn ? conds : exists('search_date', param, conds);
}

/** Dates against stored [low, high] ranges (index rows) or one timestamp column (`_lastUpdated`). */
function dateCond(values: RangeValue[], lowCol: string, highCol: string, onColumn = false): Cond {
  const ts = (column: string, op: Op, value: string): Cond => ({
    kind: 'cmp',
    column,
    op,
    value,
    type: 'timestamptz',
  });
  const conds = values.map((v): Cond => {
    switch (v.prefix) {
      case 'eq':
        // low <= high always holds, so the two redundant bounds are free and give the
        // (param, low, high) index a closed range on low instead of an open one.
        return onColumn
          ? and(ts(lowCol, '>=', v.low), ts(highCol, '<=', v.high))
          : and(
              ts(lowCol, '>=', v.low),
              ts(lowCol, '<=', v.high),
              ts(highCol, '<=', v.high),
              ts(highCol, '>=', v.low),
            );
      case 'ne':
        return not(and(ts(lowCol, '>=', v.low), ts(highCol, '<=', v.high)));
      case 'gt':
        return ts(highCol, '>', v.high);
      case 'lt':
        return ts(lowCol, '<', v.low);
      case 'ge':
        return ts(highCol, '>=', v.low);
      case 'le':
        return ts(lowCol, '<=', v.high);
      case 'sa':
        return ts(lowCol, '>', v.high);
      case 'eb':
        return ts(highCol, '<', v.low);
      case 'ap': {
        const [low, high] = approximate(v);
        return and(ts(lowCol, '<=', high), ts(highCol, '>=', low));
      }
    }
  });
  return or(conds);
}

/** `ap`: the searched range widened by 10% of its distance from now, at least one day. */
function approximate(v: RangeValue): [string, string] {
  const low = Date.parse(v.low);
  const high = Date.parse(v.high);
  const margin = Math.max(Math.abs(Date.now() - low) * 0.1, 86_400_000);
  return [new Date(low - margin).toISOString(), new Date(high + margin).toISOString()];
}

function numberCond(v: QuantityValue): Cond {
  const num = (op: Op, value: string): Cond => ({ kind: 'cmp', column: 'value', op, value, type: 'numeric' });
  const inRange = and(num('>=', v.low), num('<', v.high));
  let cond: Cond;
  switch (v.prefix) {
    case 'eq':
      cond = inRange;
      break;
    case 'ne':
      cond = not(inRange);
      break;
    case 'gt':
    case 'sa':
      cond = num('>', v.value);
      break;
    case 'lt':
    case 'eb':
      cond = num('<', v.value);
      break;
    case 'ge':
      cond = num('>=', v.value);
      break;
    case 'le':
      cond = num('<=', v.value);
      break;
    case 'ap': {
      const n = Number(v.value);
      const margin = Math.abs(n) * 0.1;
      cond = and(num('>=', String(n - margin)), num('<=', String(n + margin)));
      break;
    }
  }
  const extra: Cond[] = [];
  if (v.system) extra.push(text('system', v.system));
  if (v.unit) extra.push(text('unit', v.unit));
  return and(cond, ...extra);
}

function referenceCond(values: ReferenceValue[]): Cond {
  const untyped = values.filter((v) => !v.type).map((v) => v.id);
  const conds: Cond[] = untyped.length > 0 ? [{ kind: 'anyOf', column: 'target_id', values: untyped }] : [];
  for (const v of values) {
    if (v.type) conds.push(and(text('target_id', v.id), text('target_type', v.type)));
  }
  return or(conds);
}
