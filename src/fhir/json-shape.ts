import { badRequest } from './outcomes.ts';

/**
 * Limits on the shape of JSON input, checked before anything recursive (the R4 validator, FHIRPath,
 * JSON.stringify) sees it: a body nested a few thousand levels deep overflows their stacks, and a
 * NUL character is refused by PostgreSQL in text and jsonb alike.
 */

/** Deepest nesting of arrays and objects accepted; real FHIR resources stay far below it. */
export const MAX_JSON_DEPTH = 100;

/** An unpaired UTF-16 surrogate: JSON.parse takes `"\ud800"`, PostgreSQL's jsonb refuses it (a 500). */
const LONE_SURROGATE = /\p{Cs}/u;

/** What is wrong with the shape of parsed JSON, or undefined when nothing is. Never recursive. */
export function jsonShapeProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return 'Text must not contain a NUL character (\\u0000)';
      if (LONE_SURROGATE.test(v)) return 'Text must not contain an unpaired surrogate (\\ud800-\\udfff)';
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return `The JSON is nested deeper than ${maxDepth} levels`;
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, depth + 1]);
      continue;
    }
    for (const [key, item] of Object.entries(v)) {
      if (key.includes('\u0000')) return 'A JSON property name must not contain a NUL character (\\u0000)';
      if (LONE_SURROGATE.test(key)) return 'A JSON property name must not contain an unpaired surrogate';
      stack.push([item, depth + 1]);
    }
  }
  return undefined;
}

/** Throws a 400 OperationOutcome when `value` is nested too deeply or holds a NUL character. */
export function assertJsonShape(value: unknown, maxDepth = MAX_JSON_DEPTH): void {
  const problem = jsonShapeProblem(value, maxDepth);
  if (problem) throw badRequest(problem);
}
