import { describe, expect, it } from 'vitest';
import { startChangeWatcher } from './change-watcher.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A round that takes `ms` and counts how many rounds ever ran at once. */
function slowRounds(ms: number) {
  const seen = { started: 0, finished: 0, atOnce: 0, mostAtOnce: 0 };
  const round = async (): Promise<number> => {
    seen.started += 1;
    seen.atOnce += 1;
    seen.mostAtOnce = Math.max(seen.mostAtOnce, seen.atOnce);
    await sleep(ms);
    seen.atOnce -= 1;
    seen.finished += 1;
    return seen.finished;
  };
  return { seen, round };
}

describe('a change watcher', () => {
  it('runs rounds on its timer, never two at once, and stop waits for the running one', async () => {
    const { seen, round } = slowRounds(30);
    const watcher = startChangeWatcher('test watcher', round, { intervalMs: 5 });
    await sleep(200);
    expect(seen.started).toBeGreaterThan(1);
    expect(seen.mostAtOnce).toBe(1);
    await watcher.stop();
    expect(seen.atOnce).toBe(0);
    const after = seen.started;
    await sleep(60);
    expect(seen.started).toBe(after);
  });

  it('runNow runs a round of its own after the running one', async () => {
    const { seen, round } = slowRounds(40);
    const watcher = startChangeWatcher('test watcher', round, { intervalMs: 60_000 });
    const first = watcher.runNow();
    const second = watcher.runNow();
    expect(await first).toBe(1);
    expect(await second).toBe(2);
    expect(seen.mostAtOnce).toBe(1);
    await watcher.stop();
  });

  it('reports a failed round and tries again at the next tick; runNow still runs after a failure', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const watcher = startChangeWatcher(
      'test watcher',
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('database closed');
        return calls;
      },
      { intervalMs: 10, onError: (err) => errors.push(err) },
    );
    await sleep(100);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('database closed');
    expect(calls).toBeGreaterThan(1);
    await watcher.stop();

    let failNext = true;
    const manual = startChangeWatcher(
      'test watcher',
      async () => {
        if (failNext) {
          failNext = false;
          throw new Error('first fails');
        }
        return 'ran';
      },
      { intervalMs: 60_000 },
    );
    const failing = manual.runNow();
    const next = manual.runNow();
    await expect(failing).rejects.toThrow('first fails');
    await expect(next).resolves.toBe('ran');
    await manual.stop();
  });
});
