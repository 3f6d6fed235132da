import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Peak memory of one step of a benchmark (issue #23 item 4), for `npm run bench`'s results:
 * import, linkage and export. The peak resident set is the kernel's high-water mark (VmHWM),
 * reset before the step (writing 5 to /proc/self/clear_refs), so it also holds for a
 * synchronous step during which no timer could sample (the linkage). The heap is sampled every
 * 20 ms while the step awaits, and read again after a full collection when the process runs
 * with --expose-gc (what the step left behind). Measuring does not change what a step does.
 */
export interface MemoryFigures {
  rssBeforeMb: number;
  peakRssMb: number;
  heapBeforeMb: number;
  /** The largest heap sampled (for a synchronous step: the heap at its end). */
  peakHeapMb: number;
  /** After a full collection once the step is done; absent without --expose-gc. */
  heapAfterGcMb?: number;
}

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Resets the kernel's peak-RSS mark of this process; false where that cannot be done. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** VmHWM of this process in bytes (Linux), else the process's lifetime peak. */
function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m?.[1]) return Number(m[1]) * 1024;
  } catch {
    // Not Linux: fall through.
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Runs `step`, returning its value and the memory it took. */
export async function measureMemory<T>(
  step: () => T | Promise<T>,
): Promise<{ value: T; memory: MemoryFigures }> {
  global.gc?.();
  const before = process.memoryUsage();
  const reset = resetPeakRss();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sample = (): void => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  };
  const sampler = setInterval(sample, 20);
  let value: T;
  try {
    value = await step();
  } finally {
    clearInterval(sampler);
  }
  sample();
  // Without the reset, the high-water mark may be an earlier step's: the samples are used.
  if (reset) peakRss = Math.max(peakRss, peakRssBytes());
  const memory: MemoryFigures = {
    rssBeforeMb: mb(before.rss),
    peakRssMb: mb(peakRss),
    heapBeforeMb: mb(before.heapUsed),
    peakHeapMb: mb(peakHeap),
  };
  if (global.gc) {
    global.gc();
    memory.heapAfterGcMb = mb(process.memoryUsage().heapUsed);
  }
  return { value, memory };
}
