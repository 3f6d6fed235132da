/**
 * Batch linkage: standardise, block, compare, estimate the model by EM, score. Works on plain
 * PersonRecords, so FEBRL files, FHIR Patients and HL7 messages all go through the same path.
 */
import { blockNumbers, DEFAULT_BLOCKING_RULES, forEachCandidatePair } from './blocking.ts';
import type { BlockingRule, BlockingStats } from './blocking.ts';
import { compareRecords, packPattern, unpackPattern } from './compare.ts';
import { combineEstimates, estimatePrior, levelFrequencies, patternScorer, trainModel } from './model.ts';
import type { EmOptions, MatchModel, PatternCounts, RuleEstimate } from './model.ts';
import { seededRandom } from './random.ts';
import { standardiseRecord } from './standardise.ts';
import { FIELDS, MISSING } from './types.ts';
import type { Field, PersonRecord, StandardRecord } from './types.ts';

/**
 * A blocking rule whose pairs train the model (Splink's approach): EM runs on the pairs sharing
 * the rule's key, with u fixed from random pairs, and estimates m for every field except those
 * the key forces to agree (masked). Rules on different fields estimate each other's m.
 */
export interface TrainingRule {
  rule: BlockingRule;
  masked: readonly Field[];
}

function defaultRule(name: string): BlockingRule {
  const rule = DEFAULT_BLOCKING_RULES.find((r) => r.name === name);
  if (!rule) throw new Error(`no default blocking rule ${name}`);
  return rule;
}

export const DEFAULT_TRAINING_RULES: readonly TrainingRule[] = [
  { rule: defaultRule('identifier'), masked: ['identifier'] },
  { rule: defaultRule('birth_date_initials'), masked: ['birth_date'] },
];

export type LinkStage = 'standardise' | 'compare' | 'train' | 'score';

export interface LinkOptions {
  /** Pairs at or above this match probability are returned (default 0.9). */
  threshold?: number;
  rules?: readonly BlockingRule[];
  trainingRules?: readonly TrainingRule[];
  maxBlockSize?: number;
  /** Random pairs drawn to estimate u (default 20 per record, between 50,000 and 200,000). */
  randomPairs?: number;
  seed?: number;
  em?: EmOptions;
  /** Called now and then with the stage, work done and work expected. */
  onProgress?: (stage: LinkStage, done: number, total: number) => void;
}

/** A linked pair: indexes into the input (a into A, b into B; both into A when de-duplicating). */
export interface LinkedPair {
  a: number;
  b: number;
  matchProbability: number;
}

export interface LinkResult {
  mode: 'dedupe' | 'link';
  model: MatchModel;
  pairs: LinkedPair[];
  candidatePairs: number;
  blocking: BlockingStats[];
  /** Distinct comparison patterns seen among candidates. */
  patterns: number;
  millis: Record<LinkStage, number>;
}

/** Candidate pairs and their comparison patterns, kept in growable typed arrays (12 bytes a pair). */
class PairStore {
  a: Int32Array = new Int32Array(1 << 16);
  b: Int32Array = new Int32Array(1 << 16);
  pattern: Int32Array = new Int32Array(1 << 16);
  size = 0;

  push(a: number, b: number, pattern: number): void {
    if (this.size === this.a.length) {
      const grow = (old: Int32Array): Int32Array => {
        const next = new Int32Array(old.length * 2);
        next.set(old);
        return next;
      };
      this.a = grow(this.a);
      this.b = grow(this.b);
      this.pattern = grow(this.pattern);
    }
    this.a[this.size] = a;
    this.b[this.size] = b;
    this.pattern[this.size] = pattern;
    this.size++;
  }
}

/** The pattern with some fields set to missing (levels is scratch space). */
function maskPattern(pattern: number, masked: readonly number[], levels: Uint8Array<ArrayBuffer>): number {
  unpackPattern(pattern, levels);
  for (const f of masked) levels[f] = MISSING;
  return packPattern(levels);
}

function countRandomPatterns(
  records: readonly StandardRecord[],
  countA: number,
  linking: boolean,
  samples: number,
  seed: number,
): PatternCounts {
  const random = seededRandom(seed);
  const counts: PatternCounts = new Map();
  const levels = new Uint8Array(FIELDS.length);
  const n = records.length;
  if (n < 2) return counts;
  for (let s = 0; s < samples; s++) {
    const i = Math.floor(random() * (linking ? countA : n));
    let j = linking ? countA + Math.floor(random() * (n - countA)) : Math.floor(random() * n);
    if (j === i) j = (j + 1) % n;
    const ra = records[i];
    const rb = records[j];
    if (!ra || !rb) continue;
    const p = packPattern(compareRecords(ra, rb, levels));
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return counts;
}

/**
 * Shares one copy of each repeated string (names, places, codes repeat a lot): a million
 * standardised records then take far less memory.
 */
function internFields(r: StandardRecord, pool: Map<string, string>): StandardRecord {
  const intern = (s: string): string => {
    const known = pool.get(s);
    if (known !== undefined) return known;
    pool.set(s, s);
    return s;
  };
  r.given = intern(r.given);
  r.givenFormal = intern(r.givenFormal);
  r.family = intern(r.family);
  r.givenPhonetic = intern(r.givenPhonetic);
  r.familyPhonetic = intern(r.familyPhonetic);
  r.locality = intern(r.locality);
  r.postcode = intern(r.postcode);
  r.state = intern(r.state);
  r.streetNumber = intern(r.streetNumber);
  return r;
}

/** Standardises records, reporting progress every 10,000. */
export function standardiseAll(
  records: readonly PersonRecord[],
  onProgress?: (done: number, total: number) => void,
): StandardRecord[] {
  const out = new Array<StandardRecord>(records.length);
  const pool = new Map<string, string>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r) out[i] = internFields(standardiseRecord(r), pool);
    if (onProgress && i % 10_000 === 0) onProgress(i, records.length);
  }
  onProgress?.(records.length, records.length);
  return out;
}

/**
 * De-duplicates recordsA (when recordsB is absent) or links recordsA to recordsB. Returns every
 * pair at or above the threshold with its match probability, plus the trained model.
 */
export function linkRecords(
  recordsA: readonly PersonRecord[],
  recordsB: readonly PersonRecord[] | undefined,
  options: LinkOptions = {},
): LinkResult {
  const threshold = options.threshold ?? 0.9;
  const progress = options.onProgress;
  const millis: Record<LinkStage, number> = { standardise: 0, compare: 0, train: 0, score: 0 };
  const linking = recordsB !== undefined;
  const all = linking ? [...recordsA, ...recordsB] : recordsA;

  let t = performance.now();
  const standard = standardiseAll(all, progress ? (d, n) => progress('standardise', d, n) : undefined);
  millis.standardise = performance.now() - t;

  t = performance.now();
  let source: Uint8Array | undefined;
  if (linking) {
    source = new Uint8Array(standard.length);
    source.fill(1, recordsA.length);
  }
  const store = new PairStore();
  const candidateCounts: PatternCounts = new Map();
  const levels = new Uint8Array(FIELDS.length);
  const training = (options.trainingRules ?? DEFAULT_TRAINING_RULES).map((t) => ({
    blockOf: blockNumbers(standard, t.rule),
    masked: t.masked.map((f) => FIELDS.indexOf(f)),
    counts: new Map<number, number>(),
  }));
  const blocking = forEachCandidatePair(
    standard,
    (i, j) => {
      const ra = standard[i];
      const rb = standard[j];
      if (!ra || !rb) return;
      const p = packPattern(compareRecords(ra, rb, levels));
      candidateCounts.set(p, (candidateCounts.get(p) ?? 0) + 1);
      store.push(i, j, p);
      for (const t of training) {
        const b = t.blockOf[i] ?? -1;
        if (b < 0 || b !== t.blockOf[j]) continue;
        const masked = maskPattern(p, t.masked, levels);
        t.counts.set(masked, (t.counts.get(masked) ?? 0) + 1);
        unpackPattern(p, levels);
      }
    },
    {
      rules: options.rules,
      source,
      maxBlockSize: options.maxBlockSize,
      onRuleDone: progress ? (done, total) => progress('compare', done, total) : undefined,
    },
  );
  millis.compare = performance.now() - t;

  t = performance.now();
  progress?.('train', 0, 1);
  const randomCounts = countRandomPatterns(
    standard,
    recordsA.length,
    linking,
    options.randomPairs ?? Math.min(200_000, Math.max(50_000, 20 * all.length)),
    options.seed ?? 42,
  );
  const u = levelFrequencies(randomCounts);
  const estimates: RuleEstimate[] = training.map((t) => ({
    model: trainModel(t.counts, randomCounts, { initialLambda: 0.5, ...options.em, fixU: true }),
    masked: t.masked,
  }));
  const totalPairs = linking
    ? recordsA.length * (all.length - recordsA.length)
    : (all.length * (all.length - 1)) / 2;
  const model = estimatePrior(combineEstimates(estimates, u), candidateCounts, totalPairs);
  progress?.('train', 1, 1);
  millis.train = performance.now() - t;

  t = performance.now();
  const score = patternScorer(model);
  const pairs: LinkedPair[] = [];
  const offsetB = linking ? recordsA.length : 0;
  for (let k = 0; k < store.size; k++) {
    const p = score(store.pattern[k] ?? 0);
    if (p >= threshold)
      pairs.push({ a: store.a[k] ?? 0, b: (store.b[k] ?? 0) - offsetB, matchProbability: p });
    if (progress && (k & 0xfffff) === 0) progress('score', k, store.size);
  }
  progress?.('score', store.size, store.size);
  millis.score = performance.now() - t;

  return {
    mode: linking ? 'link' : 'dedupe',
    model,
    pairs,
    candidatePairs: store.size,
    blocking,
    patterns: candidateCounts.size,
    millis,
  };
}
