/**
 * Whether a process's resident memory keeps growing after warm-up (issue #23 item 4, used by
 * `npm run soak`). Memory that rises while caches fill and then holds is fine; memory that is
 * still rising at the end of a long, steady load is a leak until shown otherwise.
 */
export interface RssSample {
  /** Milliseconds since the run began. */
  at: number;
  rss: number;
}

export interface RssVerdict {
  postWarmupMedianMb: number;
  lastMinuteMedianMb: number;
  /** Least-squares slope over the post-warm-up samples. */
  slopeMbPerMinute: number;
  /** Median of each minute of the run, warm-up included. */
  byMinuteMb: number[];
  growing: boolean;
}

const MB = 1024 * 1024;
const round1 = (x: number): number => Math.round(x * 10) / 10;

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Slope of the least-squares line through (x, y). */
function slope(points: Array<{ x: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

/**
 * Growing: the last minute's median is more than `allowedGrowth` above the first post-warm-up
 * minute's, and the line through the post-warm-up samples rises faster than
 * `allowedSlopeMbPerMinute`. Both: alone, the slope over a few minutes of a garbage-collected
 * process's sawtooth (±50 MB) follows one dip, and the medians one bad minute. Medians, so that
 * one collection's spike decides nothing.
 */
export function rssVerdict(
  samples: RssSample[],
  opts: { warmupMs: number; allowedGrowth: number; allowedSlopeMbPerMinute: number },
): RssVerdict {
  const settled = samples.filter((s) => s.at >= opts.warmupMs);
  const end = samples.at(-1)?.at ?? 0;
  const first = median(settled.filter((s) => s.at < opts.warmupMs + 60_000).map((s) => s.rss)) / MB;
  const last = median(settled.filter((s) => s.at > end - 60_000).map((s) => s.rss)) / MB;
  const perMinute = slope(settled.map((s) => ({ x: s.at / 60_000, y: s.rss / MB })));
  const minutes = Math.ceil(end / 60_000);
  const byMinuteMb = Array.from({ length: minutes }, (_, m) =>
    Math.round(
      median(samples.filter((s) => s.at >= m * 60_000 && s.at < (m + 1) * 60_000).map((s) => s.rss)) / MB,
    ),
  );
  return {
    postWarmupMedianMb: round1(first),
    lastMinuteMedianMb: round1(last),
    slopeMbPerMinute: round1(perMinute),
    byMinuteMb,
    growing:
      settled.length >= 2 &&
      last > first * (1 + opts.allowedGrowth) &&
      perMinute > opts.allowedSlopeMbPerMinute,
  };
}
