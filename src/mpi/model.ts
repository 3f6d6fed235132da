/**
 * The Fellegi-Sunter model: for every field and level, m = P(level | same person) and
 * u = P(level | different people). A pair's match weight is log2 of the prior odds plus, per field,
 * log2(m/u); its match probability follows from the weight. m, u and the prior are estimated by
 * EM from the unlabelled candidate pairs themselves, starting u from random pairs.
 */
import { compareRecords, fieldValue, unpackPattern } from './compare.ts';
import { FIELDS, LEVELS, MISSING } from './types.ts';
import type { Field, Level, StandardRecord } from './types.ts';

/** Number of levels that carry evidence (all but missing). */
const EVIDENCE_LEVELS = 4;
/** Probabilities never reach 0 or 1, so every weight stays finite. */
const FLOOR = 1e-6;

export interface MatchModel {
  /** Prior probability that a candidate pair is a match. */
  lambda: number;
  /** m[field][level] for the four evidence levels. */
  m: number[][];
  /** u[field][level] for the four evidence levels. */
  u: number[][];
  iterations: number;
  converged: boolean;
  /**
   * Field indexes that describe one fact between them and so count once: a household's street,
   * city, ZIP and phone agree together, and summing their weights as if independent would count
   * the same evidence five times. A group weighs as its strongest agreement, or, when none of its
   * fields agrees, its strongest disagreement. Absent: every field counts on its own.
   */
  groups?: number[][];
  /**
   * Lowest u used for a weight: the rate at which two different people's records agree on a value
   * by a clerical error (a copied SSN, a parent's phone, a placeholder birth date). Absent: none.
   */
  uFloor?: number;
}

/** Probability thresholds that sort scored pairs into decisions. */
export interface MatchThresholds {
  /** At or above: the same person, link without review. */
  autoLink: number;
  /** At or above (and below autoLink): a person should look at the pair. */
  review: number;
}

export const DEFAULT_THRESHOLDS: Readonly<MatchThresholds> = { autoLink: 0.9, review: 0.3 };

export type MatchDecision = 'link' | 'review' | 'non-match';

export function decide(probability: number, thresholds: MatchThresholds = DEFAULT_THRESHOLDS): MatchDecision {
  if (probability >= thresholds.autoLink) return 'link';
  if (probability >= thresholds.review) return 'review';
  return 'non-match';
}

/** How often each comparison pattern occurs: the sufficient statistic for EM. */
export type PatternCounts = Map<number, number>;

function normalise(values: number[]): number[] {
  const floored = values.map((v) => Math.max(v, FLOOR));
  const total = floored.reduce((s, v) => s + v, 0);
  return floored.map((v) => v / total);
}

/** Level frequencies per field among the given patterns (missing ignored). */
export function levelFrequencies(counts: PatternCounts): number[][] {
  const freq = FIELDS.map(() => new Array<number>(EVIDENCE_LEVELS).fill(0));
  const levels = new Uint8Array(FIELDS.length);
  for (const [pattern, count] of counts) {
    unpackPattern(pattern, levels);
    for (let f = 0; f < FIELDS.length; f++) {
      const l = levels[f] ?? MISSING;
      const row = freq[f];
      if (l !== MISSING && row) row[l] = (row[l] ?? 0) + count;
    }
  }
  // A field never observed gets a neutral (uniform) distribution.
  return freq.map((row) => (row.some((v) => v > 0) ? normalise(row) : row.map(() => 1 / EVIDENCE_LEVELS)));
}

/** A starting m: most matches agree exactly, few disagree. */
function initialM(): number[][] {
  return FIELDS.map(() => [0.85, 0.08, 0.04, 0.03]);
}

export interface EmOptions {
  maxIterations?: number;
  /** Stop when no parameter moves more than this. */
  tolerance?: number;
  /** Starting prior probability of a match among candidate pairs. */
  initialLambda?: number;
  /** Keep u at its random-pair estimate instead of re-estimating it from the candidates. */
  fixU?: boolean;
}

/**
 * Estimates m, u and the prior by expectation-maximisation over candidate-pair patterns.
 * `randomCounts` (patterns of random record pairs, nearly all non-matches) give the starting u.
 */
export function trainModel(
  candidates: PatternCounts,
  randomCounts: PatternCounts,
  options: EmOptions = {},
): MatchModel {
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-5;
  let lambda = options.initialLambda ?? 0.1;
  let m = initialM();
  let u = levelFrequencies(randomCounts);
  const entries = [...candidates.entries()].map(([pattern, count]) => ({
    levels: unpackPattern(pattern),
    count,
  }));
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations && !converged) {
    iterations++;
    const mSum = FIELDS.map(() => new Array<number>(EVIDENCE_LEVELS).fill(0));
    const uSum = FIELDS.map(() => new Array<number>(EVIDENCE_LEVELS).fill(0));
    let matchTotal = 0;
    let total = 0;
    for (const { levels, count } of entries) {
      // E step: posterior probability that pairs with this pattern are matches.
      let pm = lambda;
      let pu = 1 - lambda;
      for (let f = 0; f < FIELDS.length; f++) {
        const l = levels[f] ?? MISSING;
        if (l === MISSING) continue;
        pm *= m[f]?.[l] ?? 1;
        pu *= u[f]?.[l] ?? 1;
      }
      const g = pm / (pm + pu);
      matchTotal += g * count;
      total += count;
      for (let f = 0; f < FIELDS.length; f++) {
        const l = levels[f] ?? MISSING;
        if (l === MISSING) continue;
        const ms = mSum[f];
        const us = uSum[f];
        if (ms) ms[l] = (ms[l] ?? 0) + g * count;
        if (us) us[l] = (us[l] ?? 0) + (1 - g) * count;
      }
    }
    // M step.
    const newLambda = total > 0 ? matchTotal / total : lambda;
    const newM = mSum.map(normalise);
    const newU = options.fixU ? u : uSum.map(normalise);
    const delta = Math.max(Math.abs(newLambda - lambda), maxDelta(m, newM), maxDelta(u, newU));
    lambda = Math.min(Math.max(newLambda, FLOOR), 1 - FLOOR);
    m = newM;
    u = newU;
    converged = delta < tolerance;
  }
  return { lambda, m, u, iterations, converged };
}

/** One EM run on the pairs of a training blocking rule, and the fields that rule forces to agree. */
export interface RuleEstimate {
  model: MatchModel;
  /** Field indexes masked (treated as missing) because the rule's key is made of them. */
  masked: readonly number[];
}

/**
 * Combines per-rule estimates: a field's m is the average over the rules that did not mask it;
 * u is the random-pair u they all share. The prior is set later by estimatePrior.
 */
export function combineEstimates(estimates: readonly RuleEstimate[], u: number[][]): MatchModel {
  const m = FIELDS.map((_, f) => {
    const sources = estimates.filter((e) => !e.masked.includes(f));
    if (sources.length === 0) return u[f]?.slice() ?? [];
    const sum = new Array<number>(EVIDENCE_LEVELS).fill(0);
    for (const e of sources)
      for (let l = 0; l < EVIDENCE_LEVELS; l++) sum[l] = (sum[l] ?? 0) + (e.model.m[f]?.[l] ?? 0);
    return normalise(sum);
  });
  return {
    lambda: 0.5,
    m,
    u,
    iterations: Math.max(0, ...estimates.map((e) => e.model.iterations)),
    converged: estimates.every((e) => e.model.converged),
  };
}

/**
 * The prior probability that two records drawn from the whole comparison space (every pair, not
 * just candidates) are a match, by EM on the prior alone: pairs outside the candidates count as
 * non-matches. With u from random pairs this makes probabilities hold for any pair.
 */
export function estimatePrior(
  model: MatchModel,
  candidates: PatternCounts,
  totalPairs: number,
  iterations = 100,
): MatchModel {
  const levels = new Uint8Array(FIELDS.length);
  const bayesFactors = [...candidates.entries()].map(([pattern, count]) => {
    unpackPattern(pattern, levels);
    let bits = 0;
    for (let f = 0; f < FIELDS.length; f++) bits += levelWeight(model, f, levels[f] ?? MISSING);
    return { factor: Math.pow(2, bits), count };
  });
  let lambda = Math.min(0.5, Math.max(FLOOR, candidates.size / Math.max(1, totalPairs)));
  for (let k = 0; k < iterations; k++) {
    const odds = lambda / (1 - lambda);
    let expected = 0;
    for (const { factor, count } of bayesFactors) expected += (count * odds * factor) / (1 + odds * factor);
    const next = Math.min(0.5, Math.max(1e-12, expected / Math.max(1, totalPairs)));
    if (Math.abs(next - lambda) < lambda * 1e-6) {
      lambda = next;
      break;
    }
    lambda = next;
  }
  return { ...model, lambda };
}

function maxDelta(a: number[][], b: number[][]): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const ra = a[i] ?? [];
    const rb = b[i] ?? [];
    for (let j = 0; j < ra.length; j++) d = Math.max(d, Math.abs((ra[j] ?? 0) - (rb[j] ?? 0)));
  }
  return d;
}

/** Match weight (log2 Bayes factor) of one field at one level; 0 for missing. */
export function levelWeight(model: MatchModel, field: number, level: number): number {
  if (level === MISSING) return 0;
  const m = model.m[field]?.[level] ?? 1;
  const u = Math.max(model.u[field]?.[level] ?? 1, model.uFloor ?? 0);
  return Math.log2(m / u);
}

/** Prior weight: log2 of the prior odds of a match. */
export function priorWeight(model: MatchModel): number {
  return Math.log2(model.lambda / (1 - model.lambda));
}

export function probabilityFromWeight(weight: number): number {
  return 1 / (1 + Math.pow(2, -weight));
}

/** Total match weight of a levels vector (prior included). */
export function totalWeight(model: MatchModel, levels: Uint8Array): number {
  let w = priorWeight(model);
  const grouped = new Set(model.groups?.flat());
  for (let f = 0; f < FIELDS.length; f++)
    if (!grouped.has(f)) w += levelWeight(model, f, levels[f] ?? MISSING);
  for (const group of model.groups ?? []) {
    const weights = group
      .filter((f) => (levels[f] ?? MISSING) !== MISSING)
      .map((f) => levelWeight(model, f, levels[f] ?? MISSING));
    if (weights.length === 0) continue;
    const best = Math.max(...weights);
    w += best > 0 ? best : Math.min(...weights);
  }
  return w;
}

/** A scorer that caches the probability of each comparison pattern (patterns repeat a lot). */
export function patternScorer(model: MatchModel): (pattern: number) => number {
  const cache = new Map<number, number>();
  const levels = new Uint8Array(FIELDS.length);
  return (pattern: number): number => {
    let p = cache.get(pattern);
    if (p === undefined) {
      p = probabilityFromWeight(totalWeight(model, unpackPattern(pattern, levels)));
      cache.set(pattern, p);
    }
    return p;
  };
}

export interface FieldExplanation {
  field: Field;
  valueA: string;
  valueB: string;
  level: Level;
  /** log2(m/u): positive is evidence for a match, negative against. */
  weight: number;
}

export interface ScoredPair {
  idA: string;
  idB: string;
  /** Prior plus field weights, in bits. */
  weight: number;
  matchProbability: number;
  decision: MatchDecision;
  fields: FieldExplanation[];
}

/** Scores one pair of records and explains the score field by field. */
export function scorePair(
  model: MatchModel,
  a: StandardRecord,
  b: StandardRecord,
  thresholds: MatchThresholds = DEFAULT_THRESHOLDS,
): ScoredPair {
  const levels = compareRecords(a, b, new Uint8Array(FIELDS.length));
  const fields = FIELDS.map((field, f): FieldExplanation => {
    const level = levels[f] ?? MISSING;
    return {
      field,
      valueA: fieldValue(a, field),
      valueB: fieldValue(b, field),
      level: LEVELS[level] ?? 'missing',
      weight: levelWeight(model, f, level),
    };
  });
  const weight = totalWeight(model, levels);
  const matchProbability = probabilityFromWeight(weight);
  return {
    idA: a.id,
    idB: b.id,
    weight,
    matchProbability,
    decision: decide(matchProbability, thresholds),
    fields,
  };
}
