import { describe, expect, it } from 'vitest';
import { assertValidResource } from './definitions.ts';
import { jsonShapeProblem, MAX_JSON_DEPTH } from './json-shape.ts';
import { OutcomeError } from './outcomes.ts';

/** `depth` arrays nested inside each other, built without recursion. */
function nested(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i += 1) v = [v];
  return v;
}

describe('jsonShapeProblem', () => {
  it('takes nesting up to the limit and refuses one level more', () => {
    expect(jsonShapeProblem(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonShapeProblem(nested(MAX_JSON_DEPTH + 1))).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
    expect(jsonShapeProblem(nested(1_000_000))).toContain('deeper than');
  });

  it('refuses a NUL in a value or a property name, anywhere', () => {
    expect(jsonShapeProblem({ a: [{ b: 'ok' }] })).toBeUndefined();
    expect(jsonShapeProblem({ a: [{ b: 'no\u0000' }] })).toContain('NUL');
    expect(jsonShapeProblem({ a: [{ ['k\u0000']: 1 }] })).toContain('NUL');
  });
});

describe('assertValidResource', () => {
  it('answers 400 for a deeply nested resource that does not come over HTTP (imports, messages)', () => {
    const resource = { resourceType: 'Patient', name: [{ given: nested(50_000) }] };
    let thrown: unknown;
    try {
      assertValidResource(resource);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OutcomeError);
    expect((thrown as OutcomeError).status).toBe(400);
  });
});
