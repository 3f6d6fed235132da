import type { SummaryMode } from '../summary.ts';
import type { ParamDef } from './definitions.ts';

/** Comparison prefixes of date, number and quantity values. */
export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

export interface TokenValue {
  /** undefined: any system; null: explicitly no system (`|code`). */
  system?: string | null;
  /** undefined: any code (`system|`). */
  code?: string;
}

export interface RangeValue {
  prefix: Prefix;
  /** Lower and upper bound of the value at its precision (ISO instants or numbers as text). */
  low: string;
  high: string;
}

export interface QuantityValue extends RangeValue {
  /** The number as given (low/high are its implicit precision range). */
  value: string;
  system?: string;
  unit?: string;
}

export interface ReferenceValue {
  type?: string;
  id: string;
}

/** What a ValueSet stands for in a search (see value-set.ts). */
export interface ValueSetMembers {
  codes: Array<{ system: string; code: string }>;
  /** Codes under a prefix-hierarchy code (ICD-10 is-a / descendent-of); self: the code itself too. */
  below: Array<{ system: string; prefix: string; self: boolean }>;
  /** Whole code systems. */
  systems: string[];
  excluded: Array<{ system: string; code: string }>;
}

/** The second part of one searched composite pair, parsed as its own type's value. */
export type CompositeValue =
  | { type: 'token'; value: TokenValue }
  | { type: 'number'; value: QuantityValue }
  | { type: 'date'; value: RangeValue }
  | { type: 'string'; value: string };

/** One parameter occurrence: its values are ORed; filters in a request are ANDed. */
export type Filter =
  | {
      kind: 'token';
      param: ParamDef;
      modifier: 'none' | 'not' | 'text' | 'below' | 'above';
      values: TokenValue[];
      texts: string[];
    }
  /** `code:in=<ValueSet url>` / `code:not-in`; members are filled in before planning. */
  | { kind: 'valueSet'; param: ParamDef; negate: boolean; urls: string[]; members?: ValueSetMembers }
  | { kind: 'string'; param: ParamDef; modifier: 'none' | 'exact' | 'contains'; values: string[] }
  | { kind: 'uri'; param: ParamDef; modifier: 'none' | 'below' | 'above'; values: string[] }
  | { kind: 'date'; param: ParamDef; values: RangeValue[] }
  | { kind: 'number'; param: ParamDef; values: QuantityValue[] }
  | { kind: 'reference'; param: ParamDef; values: ReferenceValue[] }
  /** `code-value-quantity=<system>|<code>$<value>`: pairs ORed, each part matched on one element. */
  | { kind: 'composite'; param: ParamDef; pairs: Array<{ key: TokenValue; value: CompositeValue }> }
  | { kind: 'missing'; param: ParamDef; missing: boolean }
  | { kind: 'chain'; param: ParamDef; targets: Array<{ type: string; filter: Filter }> }
  /** `_has:Observation:patient:code=x`: resources some Observation refers to by `patient`, where that Observation matches. */
  | { kind: 'has'; param: ParamDef; targetType: string; filter: Filter; negate?: boolean }
  /** Every one of several filters, on the same record (typed chain and `_has` criteria with several conditions). */
  | { kind: 'all'; filters: Filter[] };

export interface SortKey {
  param: ParamDef;
  descending: boolean;
  /** A date parameter sorted by the end of its range both ways (default: start ascending, end descending). */
  end?: boolean;
}

export interface IncludeSpec {
  /** The resource type holding the reference parameter. */
  sourceType: string;
  param: ParamDef;
  targetType?: string;
  iterate: boolean;
}

/** Opaque paging position: the last row's sort values and id. */
export interface Cursor {
  values: Array<string | null>;
  id: string;
}

export interface SearchRequest {
  resourceType: string;
  filters: Filter[];
  sort: SortKey[];
  count: number;
  cursor?: Cursor;
  /** Matches to skip before the first page (typed searches only; a cursor, when given, wins). */
  offset?: number;
  /** `_summary=count` (or `_count=0`): only the total. */
  summaryCount: boolean;
  /** `_total=accurate`: compute the total even when it costs a count query. */
  totalAccurate: boolean;
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  elements?: string[];
  /** `_summary=true|text|data|false`: which part of each match to return. */
  summary?: SummaryMode;
  /** Parameters ignored in lenient mode (reported back to the client). */
  ignored: string[];
  /** The query as it should appear in Bundle links, without the cursor. */
  linkParams: Array<[string, string]>;
}

/** Who is asking, for the security-label filter in the WHERE clause. */
export interface SearchAccess {
  deniedLabels: string[];
  allowedPatients: string[];
  /** Only this patient's compartment (the patient itself and records whose patient it is). */
  compartment?: string;
}

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;
