import { describe, expect, it } from 'vitest';
import { settledUpTo, settleMsOf } from './registry-tables.ts';

describe('change-feed watermarks', () => {
  const now = Date.parse('2026-01-01T00:01:00Z');
  const rows = ['2026-01-01T00:00:00Z', '2026-01-01T00:00:40Z', '2026-01-01T00:00:55Z'].map(
    (lastUpdated) => ({
      lastUpdated,
    }),
  );

  it('stay behind the settle window on a PostgreSQL server, so late commits are read again', () => {
    expect(settledUpTo(rows, settleMsOf({ dialect: 'postgres' }), now)).toBe(rows[1]);
    expect(settledUpTo(rows.slice(2), settleMsOf({ dialect: 'postgres' }), now)).toBeUndefined();
  });

  it('follow the feed to its end on PGlite, which commits one transaction at a time', () => {
    expect(settledUpTo(rows, settleMsOf({ dialect: 'pglite' }), now)).toBe(rows[2]);
  });
});
