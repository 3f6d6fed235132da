import { afterAll, describe, expect, it } from 'vitest';
import { stopValidationWorkers, validateResources } from './validation-pool.ts';

afterAll(stopValidationWorkers);

const patient = (gender: string) => ({ resourceType: 'Patient', gender, name: [{ family: 'Pool' }] });

describe('validateResources', () => {
  it('answers per resource, on the workers for a batch and in place for a few, with the same findings', async () => {
    const batch = Array.from({ length: 50 }, (_, i) =>
      i === 3
        ? patient('neither')
        : i === 41
          ? { resourceType: 'Observation', status: 'final' }
          : patient('male'),
    );
    const onWorkers = await validateResources(batch);
    expect(onWorkers.map((r, i) => (r ? i : -1)).filter((i) => i >= 0)).toEqual([3, 41]);
    expect(onWorkers[3]?.status).toBe(400);
    expect(JSON.stringify(onWorkers[3]?.outcome)).toContain('neither');
    expect(JSON.stringify(onWorkers[41]?.outcome)).toContain('code');

    const inPlace = await validateResources([batch[3], batch[41], batch[0]]);
    expect(inPlace[0]?.outcome).toEqual(onWorkers[3]?.outcome);
    expect(inPlace[1]?.outcome).toEqual(onWorkers[41]?.outcome);
    expect(inPlace[2]).toBeUndefined();
  });

  it('keeps up with several batches at once', async () => {
    const batches = Array.from({ length: 6 }, (_, b) =>
      Array.from({ length: 20 }, (_, i) => patient(i === b ? 'neither' : 'female')),
    );
    const results = await Promise.all(batches.map((b) => validateResources(b)));
    results.forEach((r, b) => expect(r.findIndex((x) => x !== undefined)).toBe(b));
  });
});
