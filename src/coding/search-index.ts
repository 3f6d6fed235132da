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
  /** Scratch of one weight per row for merging a word's postings (reset after each use). */
  private readonly scratch: Uint8Array;
  /** 1 where the title says "unspecified": precomputed, as the test costs more than the scoring. */
  private readonly unspecified: Uint8Array;

  constructor(rows: CodeRow[]) {
    this.rows = rows;
    this.byKey = rows.map((_, i) => i).sort((a, b) => cmp(rows[a]!.key, rows[b]!.key) || a - b);
    const lists = new Map<string, number[]>();
    this.tokenCounts = new Uint16Array(rows.length);
    this.scratch = new Uint8Array(rows.length);
    this.lowerDisplays = rows.map((r) => r.display.toLowerCase());
    this.unspecified = Uint8Array.from(this.lowerDisplays, (d) => (d.includes('unspecified') ? 1 : 0));
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
    const found = this.intersect(matches, filter, qLower, useWords.length, limit);
    if (found.length < limit && matches.length >= 2) {
      // Relaxed pass: allow one word to miss (a word that appears nowhere, or a wrong word). The
      // full pass found fewer than `limit`, so asking each relaxed pass for `limit` more than that
      // is enough for the best `limit` of the union.
      const seen = new Set(found.map((f) => f.row));
      const wanted = limit + found.length;
      for (let skip = 0; skip < matches.length; skip++) {
        const rest = matches.filter((_, i) => i !== skip);
        for (const hit of this.intersect(rest, filter, qLower, useWords.length, wanted)) {
          if (seen.has(hit.row)) continue;
          seen.add(hit.row);
          found.push({ row: hit.row, score: hit.score - 10 });
        }
      }
    }
    return found.sort(byRank).slice(0, limit);
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

  /**
   * The best `limit` rows matching every word, best first. A common word ("fracture") matches tens
   * of thousands of titles, so rows are kept in a bounded top list and the phrase test (a string
   * search) runs only for a row whose best possible score could still enter it.
   */
  private intersect(
    matches: WordMatch[],
    filter: RowFilter,
    qLower: string,
    wordCount: number,
    limit: number,
  ): ScoredRow[] {
    if (matches.length === 0 || matches.some((m) => m.size === 0)) return [];
    const order = [...matches].sort((a, b) => a.size - b.size);
    const [first, ...others] = order;
    const top = new TopRows(limit);
    const candidates = this.candidatesOf(first!);
    for (let c = 0; c < candidates.ids.length; c++) {
      const id = candidates.ids[c]!;
      const firstWeight = candidates.weights[c]!;
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
      const known = total + coverage * 8 + this.unspecified[id]! * 1.5 + (row.billable ? 2 : 0);
      if (!top.couldTake(known + PHRASE_BONUS, row)) continue;
      const phrase = this.lowerDisplays[id]!.includes(qLower) ? PHRASE_BONUS : 0;
      top.offer({ row, score: known + phrase });
    }
    return top.rows;
  }

  /**
   * Row ids of a word's match with their best weight. A common word with its prefix forms
   * ("fracture", "fractured", "fractures") names some 20,000 rows: merged through a flat scratch
   * array, as a Map of that size cost most of the search.
   */
  private candidatesOf(match: WordMatch): { ids: ArrayLike<number>; weights: ArrayLike<number> } {
    const [only] = match.tokens;
    if (match.tokens.length === 1 && only) {
      return { ids: only.postings, weights: new Uint8Array(only.postings.length).fill(only.weight) };
    }
    const ids: number[] = [];
    for (const t of match.tokens) {
      for (const id of t.postings) {
        const had = this.scratch[id]!;
        if (had === 0) ids.push(id);
        if (had < t.weight) this.scratch[id] = t.weight;
      }
    }
    const weights = new Uint8Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      weights[i] = this.scratch[ids[i]!]!;
      this.scratch[ids[i]!] = 0;
    }
    return { ids, weights };
  }
}

const PHRASE_BONUS = 3;

/** Best first: higher score, then code key order (plain comparisons; localeCompare is slower). */
function byRank(a: ScoredRow, b: ScoredRow): number {
  return b.score - a.score || cmp(a.row.key, b.row.key);
}

/** The best `size` rows offered so far, kept in rank order (size is at most a few hundred). */
class TopRows {
  readonly rows: ScoredRow[] = [];
  constructor(private readonly size: number) {}

  /** Whether a row scoring at most `score` could still enter the list. */
  couldTake(score: number, row: CodeRow): boolean {
    if (this.rows.length < this.size) return true;
    return byRank({ row, score }, this.rows[this.rows.length - 1]!) < 0;
  }

  offer(hit: ScoredRow): void {
    if (!this.couldTake(hit.score, hit.row)) return;
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byRank(this.rows[mid]!, hit) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.rows.splice(lo, 0, hit);
    if (this.rows.length > this.size) this.rows.pop();
  }
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
