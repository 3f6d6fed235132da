import type { CodeRow } from './types.ts';

/** Words that help ranking when present but are never required to match. */
const OPTIONAL_WORDS = new Set([
  'a',
  'an',
  'and',
  'by',
  'for',
  'in',
  'of',
  'or',
  'the',
  'to',
  'with',
  'nos',
  'other',
]);

const MAX_PREFIX_TOKENS = 60;

export interface ScoredRow {
  row: CodeRow;
  score: number;
}

export type RowFilter = (row: CodeRow) => boolean;

interface WordMatch {
  /** Postings (sorted doc ids) of each vocabulary token this word matches, with its weight. */
  tokens: Array<{ postings: Int32Array; weight: number }>;
  size: number;
}

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/**
 * In-memory search over every loaded code: a sorted key array for code prefixes, an inverted
 * word index with prefix expansion, and a one-deletion neighbourhood of the vocabulary for typos
 * (the SymSpell idea: two words one edit apart share a one-character deletion).
 */
export class SearchIndex {
  readonly rows: CodeRow[];
  private readonly byKey: number[];
  private readonly postings = new Map<string, Int32Array>();
  private readonly vocab: string[];
  private readonly deletions = new Map<string, string[]>();
  private readonly tokenCounts: Uint16Array;
  private readonly lowerDisplays: string[];

  constructor(rows: CodeRow[]) {
    this.rows = rows;
    this.byKey = rows.map((_, i) => i).sort((a, b) => cmp(rows[a]!.key, rows[b]!.key) || a - b);
    const lists = new Map<string, number[]>();
    this.tokenCounts = new Uint16Array(rows.length);
    this.lowerDisplays = rows.map((r) => r.display.toLowerCase());
    rows.forEach((row, id) => {
      const tokens = new Set(tokenize(row.display));
      this.tokenCounts[id] = tokens.size;
      for (const t of tokens) {
        const list = lists.get(t);
        if (list) list.push(id);
        else lists.set(t, [id]);
      }
    });
    for (const [t, list] of lists) this.postings.set(t, Int32Array.from(list));
    this.vocab = [...lists.keys()].sort();
    for (const t of this.vocab) {
      if (t.length < 4 || /\d/.test(t)) continue;
      for (const d of deletes(t)) {
        const list = this.deletions.get(d);
        if (list) list.push(t);
        else this.deletions.set(d, [t]);
      }
    }
  }

  /** Codes whose key starts with the given key prefix (no dot, upper case), in key order. */
  prefix(keyPrefix: string, filter: RowFilter, limit: number): CodeRow[] {
    const out: CodeRow[] = [];
    let lo = 0;
    let hi = this.byKey.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(this.rows[this.byKey[mid]!]!.key, keyPrefix) < 0) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.byKey.length && out.length < limit; i++) {
      const row = this.rows[this.byKey[i]!]!;
      if (!row.key.startsWith(keyPrefix)) break;
      if (filter(row)) out.push(row);
    }
    return out;
  }

  /** Word search: every required word must match (exactly, as a prefix, or one typo away). */
  words(q: string, filter: RowFilter, limit: number): ScoredRow[] {
    const words = tokenize(q);
    const required = words.filter((w) => !OPTIONAL_WORDS.has(w));
    const useWords = required.length > 0 ? required : words;
    if (useWords.length === 0) return [];
    const isLast = (i: number): boolean => i === useWords.length - 1;
    const matches = useWords.map((w, i) => this.matchWord(w, isLast(i) || w.length >= 4));
    const qLower = words.join(' ');
    let found = this.intersect(matches, filter, qLower, useWords.length);
    if (found.length < limit && matches.length >= 2) {
      // Relaxed pass: allow one word to miss (a word that appears nowhere, or a wrong word).
      const seen = new Set(found.map((f) => f.row));
      for (let skip = 0; skip < matches.length; skip++) {
        const rest = matches.filter((_, i) => i !== skip);
        for (const hit of this.intersect(rest, filter, qLower, useWords.length)) {
          if (seen.has(hit.row)) continue;
          seen.add(hit.row);
          found.push({ row: hit.row, score: hit.score - 10 });
        }
      }
    }
    // Plain comparisons: localeCompare costs more than the whole search on large result sets.
    found = found.sort((a, b) => b.score - a.score || cmp(a.row.key, b.row.key));
    return found.slice(0, limit);
  }

  private matchWord(word: string, allowPrefix: boolean): WordMatch {
    const tokens: WordMatch['tokens'] = [];
    const exact = this.postings.get(word);
    if (exact) tokens.push({ postings: exact, weight: 10 });
    if (allowPrefix && word.length >= 3) {
      let i = lowerBound(this.vocab, word);
      let n = 0;
      for (; i < this.vocab.length && n < MAX_PREFIX_TOKENS; i++) {
        const t = this.vocab[i]!;
        if (!t.startsWith(word)) break;
        if (t === word) continue;
        tokens.push({ postings: this.postings.get(t)!, weight: 8 });
        n++;
      }
    }
    if (!exact && word.length >= 4 && !/\d/.test(word)) {
      const maxDistance = word.length >= 8 ? 2 : 1;
      const candidates = new Set<string>(this.deletions.get(word) ?? []);
      for (const d of deletes(word)) {
        if (this.postings.has(d)) candidates.add(d);
        for (const t of this.deletions.get(d) ?? []) candidates.add(t);
      }
      for (const t of candidates) {
        if (t === word || damerau(word, t) > maxDistance) continue;
        tokens.push({ postings: this.postings.get(t)!, weight: 6 });
      }
    }
    return { tokens, size: tokens.reduce((n, t) => n + t.postings.length, 0) };
  }

  private intersect(matches: WordMatch[], filter: RowFilter, qLower: string, wordCount: number): ScoredRow[] {
    if (matches.length === 0 || matches.some((m) => m.size === 0)) return [];
    const order = [...matches].sort((a, b) => a.size - b.size);
    const [first, ...others] = order;
    const out: ScoredRow[] = [];
    for (const [id, firstWeight] of candidatesOf(first!)) {
      const row = this.rows[id]!;
      if (!filter(row)) continue;
      let total = firstWeight;
      let ok = true;
      for (const m of others) {
        let best = 0;
        for (const t of m.tokens) {
          if (t.weight > best && contains(t.postings, id)) best = t.weight;
        }
        if (best === 0) {
          ok = false;
          break;
        }
        total += best;
      }
      if (!ok) continue;
      // Prefer the display the query describes most completely (fewest extra words), then
      // the exact phrase, then billable codes over their headers, and among equals the
      // unspecified code: a query that names no detail means the condition unqualified.
      const coverage = wordCount / Math.max(wordCount, this.tokenCounts[id]!);
      const display = this.lowerDisplays[id]!;
      const phrase = display.includes(qLower) ? 3 : 0;
      const unspecified = display.includes('unspecified') ? 1.5 : 0;
      out.push({ row, score: total + coverage * 8 + phrase + unspecified + (row.billable ? 2 : 0) });
    }
    return out;
  }
}

/** Doc ids of a word's match with their best weight; a single token needs no de-duplication. */
function* candidatesOf(match: WordMatch): Iterable<[number, number]> {
  const [only] = match.tokens;
  if (match.tokens.length === 1 && only) {
    for (const id of only.postings) yield [id, only.weight];
    return;
  }
  const scores = new Map<number, number>();
  for (const t of match.tokens) {
    for (const id of t.postings) {
      if ((scores.get(id) ?? 0) < t.weight) scores.set(id, t.weight);
    }
  }
  yield* scores;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lowerBound(sorted: string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function contains(sorted: Int32Array, id: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v === id) return true;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function deletes(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1));
  return out;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transposition). */
export function damerau(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}
