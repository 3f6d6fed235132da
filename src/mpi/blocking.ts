/**
 * Blocking: which pairs are worth comparing. Each rule maps a standardised record to a key
 * (a plain string, or '' for none); two records are a candidate pair when they share a key under
 * at least one rule. Keys are pure functions of one record so that the store can keep them as
 * columns (one indexed column per rule) and run the same rules as SQL equality joins.
 *
 * A pair found by several rules is produced once: under rule k it is skipped when an earlier rule
 * already put both records in the same block. Memory is O(records x rules) plus the pairs.
 */
import type { StandardRecord } from './types.ts';

export interface BlockingRule {
  name: string;
  /** The blocking key of a record, '' when the record has no key under this rule. */
  key: (r: StandardRecord) => string;
}

function year(r: StandardRecord): string {
  return r.birth.year === null ? '' : String(r.birth.year);
}

function both(a: string, b: string): string {
  return a === '' || b === '' ? '' : a + '|' + b;
}

/** Initials of both names in alphabetical order, so swapped given and family names agree. */
function initials(r: StandardRecord): string {
  const g = r.given.slice(0, 1);
  const f = r.family.slice(0, 1);
  return g < f ? g + f : f + g;
}

/** Both phonetic keys in alphabetical order (swap tolerant). */
function phonetics(r: StandardRecord): string {
  if (r.givenPhonetic === '' || r.familyPhonetic === '') return '';
  return r.givenPhonetic < r.familyPhonetic
    ? r.givenPhonetic + '|' + r.familyPhonetic
    : r.familyPhonetic + '|' + r.givenPhonetic;
}

function dob(r: StandardRecord): string {
  return r.birth.digits.length === 8 ? r.birth.digits : '';
}

/** The first word of the street line, spaces removed ("bedford street" -> bedford). */
function streetName(r: StandardRecord): string {
  const line = r.address1;
  const space = line.indexOf(' ');
  return space < 0 ? line : line.slice(0, space);
}

/**
 * The default rules. Each key joins facts so that blocks stay small even with a million patients
 * (common given names and big postcodes are never a key on their own): the expected pairs of a
 * rule grow with the sum of squared key frequencies.
 */
export const DEFAULT_BLOCKING_RULES: readonly BlockingRule[] = [
  { name: 'identifier', key: (r) => (r.identifier.length >= 4 ? r.identifier : '') },
  { name: 'birth_date_initials', key: (r) => both(dob(r), initials(r)) },
  { name: 'birth_date_postcode', key: (r) => both(dob(r), r.postcode) },
  { name: 'birth_date_street_number', key: (r) => both(dob(r), r.streetNumber) },
  {
    name: 'family_phonetic_birth_year_given_initial',
    key: (r) => both(both(r.familyPhonetic, year(r)), r.given.slice(0, 1)),
  },
  {
    name: 'given_phonetic_birth_year_family_prefix',
    key: (r) => both(both(r.givenPhonetic, year(r)), r.family.length >= 2 ? r.family.slice(0, 2) : ''),
  },
  {
    name: 'name_phonetics_birth_month',
    key: (r) => both(phonetics(r), r.birth.month === null ? '' : String(r.birth.month)),
  },
  { name: 'postcode_family_phonetic', key: (r) => both(r.postcode, r.familyPhonetic) },
  {
    name: 'locality_given_phonetic_family_initial',
    key: (r) => both(both(r.locality.replace(/ /g, ''), r.givenPhonetic), r.family.slice(0, 1)),
  },
  { name: 'street_number_street_name', key: (r) => both(r.streetNumber, streetName(r)) },
  { name: 'phone', key: (r) => (r.phone.length >= 6 ? r.phone : '') },
];

/** Computes every rule's key for one record, e.g. to store them as columns. */
export function blockingKeys(
  record: StandardRecord,
  rules: readonly BlockingRule[] = DEFAULT_BLOCKING_RULES,
): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const rule of rules) keys[rule.name] = rule.key(record);
  return keys;
}

/** Records of one rule grouped by key: members of block b are order[start[b] .. start[b+1]). */
interface RuleBlocks {
  /** Block number of each record, -1 when it has no key. */
  blockOf: Int32Array;
  start: Int32Array;
  order: Int32Array;
}

function groupByKey(records: readonly StandardRecord[], rule: BlockingRule): RuleBlocks {
  const n = records.length;
  const blockOf = new Int32Array(n);
  const ids = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const record = records[i];
    const key = record ? rule.key(record) : '';
    if (key === '') {
      blockOf[i] = -1;
      continue;
    }
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      ids.set(key, id);
    }
    blockOf[i] = id;
  }
  // Counting sort of records by block number.
  const blocks = ids.size;
  const start = new Int32Array(blocks + 1);
  for (let i = 0; i < n; i++) {
    const b = blockOf[i] ?? -1;
    if (b >= 0) start[b + 1] = (start[b + 1] ?? 0) + 1;
  }
  for (let b = 0; b < blocks; b++) start[b + 1] = (start[b + 1] ?? 0) + (start[b] ?? 0);
  const fill = start.slice(0, blocks);
  const order = new Int32Array(start[blocks] ?? 0);
  for (let i = 0; i < n; i++) {
    const b = blockOf[i] ?? -1;
    if (b >= 0) {
      const at = fill[b] ?? 0;
      order[at] = i;
      fill[b] = at + 1;
    }
  }
  return { blockOf, start, order };
}

export interface BlockingOptions {
  rules?: readonly BlockingRule[];
  /**
   * When given, a pair is only produced between records of different sources (linking two files);
   * otherwise every pair within a block is produced (de-duplication).
   */
  source?: Uint8Array;
  /**
   * Blocks larger than this are not compared in full: their records are sorted by name and each is
   * compared with its next `windowSize` neighbours (sorted neighbourhood), so a very common key
   * cannot explode the pair count.
   */
  maxBlockSize?: number;
  windowSize?: number;
  /** Called after each rule with the rules done and the rule count (for progress bars). */
  onRuleDone?: (done: number, total: number) => void;
}

export interface BlockingStats {
  rule: string;
  blocks: number;
  largestBlock: number;
  oversizedBlocks: number;
  pairs: number;
}

/** Block number of every record under one rule (-1: no key); equal numbers mean equal keys. */
export function blockNumbers(records: readonly StandardRecord[], rule: BlockingRule): Int32Array {
  return groupByKey(records, rule).blockOf;
}

/** Sorts the members of an oversized block by name and date of birth (sorted neighbourhood). */
function sortByName(records: readonly StandardRecord[], members: Int32Array): number[] {
  const keyed = Array.from(members, (i) => {
    const r = records[i];
    return { i, key: r ? r.family + ' ' + r.given + ' ' + r.birth.digits : '' };
  });
  keyed.sort((p, q) => (p.key < q.key ? -1 : p.key > q.key ? 1 : p.i - q.i));
  return keyed.map((k) => k.i);
}

/**
 * Calls emit(i, j) once for every candidate pair (record indexes; i < j in de-duplication, and
 * source[i] = 0, source[j] = 1 when linking). Returns per-rule statistics.
 */
export function forEachCandidatePair(
  records: readonly StandardRecord[],
  emit: (i: number, j: number) => void,
  options: BlockingOptions = {},
): BlockingStats[] {
  const rules = options.rules ?? DEFAULT_BLOCKING_RULES;
  const maxBlock = options.maxBlockSize ?? 100;
  const windowSize = options.windowSize ?? 10;
  const source = options.source;
  const n = records.length;
  /** Per earlier rule: block numbers, and each record's rank in its block when that was oversized. */
  const earlier: { blockOf: Int32Array; rank: Int32Array }[] = [];
  const stats: BlockingStats[] = [];

  // True when an earlier rule already produced (i, j): same block, and within the window if the
  // block was oversized. Recomputing this beats remembering millions of pairs.
  const seenBefore = (i: number, j: number): boolean => {
    for (const { blockOf, rank } of earlier) {
      const b = blockOf[i] ?? -1;
      if (b < 0 || b !== blockOf[j]) continue;
      const ri = rank[i] ?? -1;
      if (ri < 0 || Math.abs(ri - (rank[j] ?? 0)) <= windowSize) return true;
    }
    return false;
  };

  for (const rule of rules) {
    const blocks = groupByKey(records, rule);
    const rank = new Int32Array(n).fill(-1);
    const blockCount = blocks.start.length - 1;
    const stat: BlockingStats = {
      rule: rule.name,
      blocks: blockCount,
      largestBlock: 0,
      oversizedBlocks: 0,
      pairs: 0,
    };
    const offer = (x: number, y: number): void => {
      let i = x;
      let j = y;
      if (source) {
        if (source[i] === source[j]) return;
        if (source[i] === 1) [i, j] = [j, i];
      } else if (i > j) [i, j] = [j, i];
      if (seenBefore(i, j)) return;
      stat.pairs++;
      emit(i, j);
    };
    for (let b = 0; b < blockCount; b++) {
      const from = blocks.start[b] ?? 0;
      const to = blocks.start[b + 1] ?? 0;
      const size = to - from;
      if (size > stat.largestBlock) stat.largestBlock = size;
      if (size < 2) continue;
      if (size <= maxBlock) {
        for (let x = from; x < to; x++) {
          for (let y = x + 1; y < to; y++) offer(blocks.order[x] ?? 0, blocks.order[y] ?? 0);
        }
        continue;
      }
      stat.oversizedBlocks++;
      const members = sortByName(records, blocks.order.subarray(from, to));
      members.forEach((i, position) => (rank[i] = position));
      for (let x = 0; x < members.length; x++) {
        for (let y = x + 1; y <= x + windowSize && y < members.length; y++)
          offer(members[x] ?? 0, members[y] ?? 0);
      }
    }
    earlier.push({ blockOf: blocks.blockOf, rank });
    stats.push(stat);
    options.onRuleDone?.(stats.length, rules.length);
  }
  return stats;
}
