import { describe, expect, it } from 'vitest';
import { packPattern } from './compare.ts';
import {
  combineEstimates,
  decide,
  estimatePrior,
  levelFrequencies,
  patternScorer,
  scorePair,
  trainModel,
} from './model.ts';
import type { PatternCounts } from './model.ts';
import { seededRandom } from './random.ts';
import { standardiseRecord } from './standardise.ts';
import { FIELDS, MISSING } from './types.ts';

/** Draws level vectors from known m (matches) and u (non-matches) for the first four fields. */
function simulate(
  matches: number,
  nonMatches: number,
  m: number[][],
  u: number[][],
  seed: number,
): PatternCounts {
  const random = seededRandom(seed);
  const counts: PatternCounts = new Map();
  const levels = new Uint8Array(FIELDS.length).fill(MISSING);
  const draw = (probabilities: number[]): number => {
    let r = random();
    for (let l = 0; l < probabilities.length; l++) {
      r -= probabilities[l] ?? 0;
      if (r < 0) return l;
    }
    return probabilities.length - 1;
  };
  for (let k = 0; k < matches + nonMatches; k++) {
    const table = k < matches ? m : u;
    for (let f = 0; f < table.length; f++) levels[f] = draw(table[f] ?? []);
    const p = packPattern(levels);
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return counts;
}

const TRUE_M = [
  [0.8, 0.1, 0.05, 0.05],
  [0.85, 0.1, 0.03, 0.02],
  [0.9, 0.05, 0.03, 0.02],
  [0.7, 0.2, 0.05, 0.05],
];
const TRUE_U = [
  [0.02, 0.03, 0.15, 0.8],
  [0.01, 0.02, 0.07, 0.9],
  [0.05, 0.05, 0.2, 0.7],
  [0.1, 0.1, 0.2, 0.6],
];

describe('Fellegi-Sunter EM', () => {
  it('recovers m, u and the match prior from unlabelled patterns', () => {
    const candidates = simulate(2000, 8000, TRUE_M, TRUE_U, 1);
    const random = simulate(0, 5000, TRUE_M, TRUE_U, 2);
    const model = trainModel(candidates, random);
    expect(model.converged).toBe(true);
    expect(model.lambda).toBeCloseTo(0.2, 1);
    for (let f = 0; f < 4; f++) {
      for (let l = 0; l < 4; l++) {
        expect(Math.abs((model.m[f]?.[l] ?? 0) - (TRUE_M[f]?.[l] ?? 0))).toBeLessThan(0.04);
        expect(Math.abs((model.u[f]?.[l] ?? 0) - (TRUE_U[f]?.[l] ?? 0))).toBeLessThan(0.04);
      }
    }
    // Fields never observed stay neutral: weight 0 whatever the level.
    expect(model.m[9]).toEqual(model.u[9]);
  });

  it('estimates u from random pairs as level frequencies', () => {
    const random = simulate(0, 20000, TRUE_M, TRUE_U, 3);
    const u = levelFrequencies(random);
    expect(u[1]?.[3]).toBeCloseTo(0.9, 1);
  });

  it('scores agreement above disagreement and explains each field', () => {
    const model = trainModel(simulate(2000, 8000, TRUE_M, TRUE_U, 4), simulate(0, 5000, TRUE_M, TRUE_U, 5));
    const a = standardiseRecord({
      id: 'a',
      givenName: 'Kayla',
      familyName: 'Harrington',
      birthDate: '19150612',
      identifier: '9004242',
    });
    const same = scorePair(
      model,
      a,
      standardiseRecord({
        ...a,
        id: 'b',
        givenName: 'Kayla',
        familyName: 'Harington',
        birthDate: '19150612',
        identifier: '9004242',
      }),
    );
    const other = scorePair(
      model,
      a,
      standardiseRecord({
        id: 'c',
        givenName: 'Lachlan',
        familyName: 'Berry',
        birthDate: '19990219',
        identifier: '7364009',
      }),
    );
    expect(same.matchProbability).toBeGreaterThan(0.99);
    expect(same.decision).toBe('link');
    expect(other.matchProbability).toBeLessThan(0.01);
    expect(other.decision).toBe('non-match');
    const family = same.fields.find((f) => f.field === 'family_name');
    expect(family).toMatchObject({ valueA: 'harrington', valueB: 'harington', level: 'close' });
    expect(family?.weight).toBeGreaterThan(0);
    expect(same.fields.find((f) => f.field === 'phone')).toMatchObject({ level: 'missing', weight: 0 });
    expect(same.weight).toBeCloseTo(Math.log2(same.matchProbability / (1 - same.matchProbability)), 6);
    const score = patternScorer(model);
    expect(score(packPattern(new Uint8Array(FIELDS.length).fill(0)))).toBeGreaterThan(
      score(packPattern(new Uint8Array(FIELDS.length).fill(3))),
    );
  });

  it('combines per-rule m estimates and sets the prior over the whole comparison space', () => {
    const candidates = simulate(2000, 8000, TRUE_M, TRUE_U, 6);
    const random = simulate(0, 20000, TRUE_M, TRUE_U, 7);
    const u = levelFrequencies(random);
    const byRule = [
      { model: trainModel(candidates, random, { fixU: true, initialLambda: 0.5 }), masked: [0] },
      { model: trainModel(candidates, random, { fixU: true, initialLambda: 0.5 }), masked: [1] },
    ];
    const combined = combineEstimates(byRule, u);
    // A field masked by one rule takes its m from the other rule only.
    combined.m[0]?.forEach((v, l) => expect(v).toBeCloseTo(byRule[1]?.model.m[0]?.[l] ?? -1, 9));
    combined.m[1]?.forEach((v, l) => expect(v).toBeCloseTo(byRule[0]?.model.m[1]?.[l] ?? -1, 9));
    expect(combined.u).toBe(u);
    // 2,000 matches among 10,000 candidates drawn from 1,000,000 possible pairs.
    const model = estimatePrior(combined, candidates, 1_000_000);
    expect(model.lambda).toBeGreaterThan(0.0015);
    expect(model.lambda).toBeLessThan(0.0025);
  });

  it('sorts probabilities into decisions by threshold', () => {
    expect(decide(0.95)).toBe('link');
    expect(decide(0.5)).toBe('review');
    expect(decide(0.1)).toBe('non-match');
    expect(decide(0.5, { autoLink: 0.4, review: 0.2 })).toBe('link');
  });
});
