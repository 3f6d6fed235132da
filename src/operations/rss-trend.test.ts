import { describe, expect, it } from 'vitest';
import { rssVerdict, type RssSample } from './rss-trend.ts';

const MB = 1024 * 1024;
/** One sample every 5 s for `minutes`, RSS in MB from `mbAt(minute)`. */
const run = (minutes: number, mbAt: (minute: number) => number): RssSample[] =>
  Array.from({ length: minutes * 12 }, (_, i) => ({ at: i * 5000, rss: mbAt((i * 5) / 60) * MB }));
const opts = { warmupMs: 2 * 60_000, allowedGrowth: 0.1, allowedSlopeMbPerMinute: 5 };

describe('RSS after warm-up', () => {
  it('memory that rises during warm-up and then holds has settled', () => {
    const v = rssVerdict(
      run(10, (m) => (m < 2 ? 300 + 100 * m : 500 + (m % 1 < 0.5 ? 3 : -3))),
      opts,
    );
    expect(v.growing).toBe(false);
    expect(v.byMinuteMb.length).toBe(10);
  });

  it('memory still rising 20 MB a minute at the end keeps growing', () => {
    const v = rssVerdict(
      run(10, (m) => 500 + 20 * m),
      opts,
    );
    expect(v.growing).toBe(true);
    expect(v.slopeMbPerMinute).toBeCloseTo(20, 0);
  });

  it('a steady rise that adds more than a tenth by the end keeps growing', () => {
    expect(
      rssVerdict(
        run(10, (m) => 200 + 6 * m),
        opts,
      ).growing,
    ).toBe(true);
  });

  it('a dip in the first minute after warm-up, then flat memory, is not growth', () => {
    const v = rssVerdict(
      run(10, (m) => (m >= 2 && m < 3.5 ? 705 : 760)),
      opts,
    );
    expect(v.slopeMbPerMinute).toBeGreaterThan(5);
    expect(v.growing).toBe(false);
  });

  it('one spike in the last minute is not growth', () => {
    const samples = run(10, () => 500);
    samples[samples.length - 3] = { at: samples[samples.length - 3]?.at ?? 0, rss: 900 * MB };
    expect(rssVerdict(samples, opts).growing).toBe(false);
  });
});
