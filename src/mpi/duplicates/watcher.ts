import type { Db } from '../../db/index.ts';
import { scorePendingPatients, type ScoringOptions, type ScoringRun } from './scoring.ts';

export interface MpiWatcher {
  /** Runs a scoring round now (waits for a running one first). */
  runNow(): Promise<ScoringRun>;
  /** Stops the timer and waits for a running round to end. */
  stop(): Promise<void>;
}

/**
 * Scores new and changed patients every `intervalMs` (default 5 s). Rounds never overlap; a
 * failed round is reported through `onError` and retried at the next tick (the watermark only
 * moves after a batch is done).
 */
export function startMpiWatcher(
  db: Db,
  options: ScoringOptions & { intervalMs?: number; onError?: (err: unknown) => void } = {},
): MpiWatcher {
  let running: Promise<ScoringRun> | undefined;
  let stopped = false;
  const round = (): Promise<ScoringRun> => {
    if (running) return running.then(round);
    running = scorePendingPatients(db, options).finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    if (stopped || running) return;
    round().catch((err: unknown) => (options.onError ?? ((e) => console.error('mpi watcher:', e)))(err));
  }, options.intervalMs ?? 5000);
  timer.unref();
  return {
    runNow: round,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
