/**
 * The timer of background work that follows the store's change feed (`FhirStore.changedSince`):
 * MPI duplicate scoring and chart completeness. A round runs every `intervalMs`, never two at
 * once: a tick that finds one running is skipped, and the round itself catches up on everything
 * written since its watermark. A failed round is reported and the next tick tries again (the
 * watermark moves only after a batch is done).
 */
export interface ChangeWatcher<Run> {
  /** Runs a round now, after the running one if any (whether that one succeeds or fails). */
  runNow(): Promise<Run>;
  /** Stops the timer and waits for a running round to end. */
  stop(): Promise<void>;
}

export interface ChangeWatcherOptions {
  /** Time between rounds (default 5 s). */
  intervalMs?: number;
  /** Told of a failed timed round (default: logged on stderr with `name`). */
  onError?: (err: unknown) => void;
}

export function startChangeWatcher<Run>(
  name: string,
  round: () => Promise<Run>,
  options: ChangeWatcherOptions = {},
): ChangeWatcher<Run> {
  let running: Promise<Run> | undefined;
  let stopped = false;
  const runNow = (): Promise<Run> => {
    if (running) return running.then(runNow, runNow);
    running = round().finally(() => {
      running = undefined;
    });
    return running;
  };
  const report = options.onError ?? ((err: unknown) => console.error(`${name}:`, err));
  const timer = setInterval(() => {
    if (stopped || running) return;
    runNow().catch(report);
  }, options.intervalMs ?? 5000);
  // A watcher alone must not keep a finished command or test alive.
  timer.unref();
  return {
    runNow,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
