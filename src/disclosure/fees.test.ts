import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FEES, feeFor, feeRulesFrom, feeRulesFromFile } from './fees.ts';
import { openTestDb } from '../testing/test-db.ts';
import { startTestServer } from '../testing/test-server.ts';

const folder = mkdtempSync(join(tmpdir(), 'custodian-fees-'));
const file = (name: string, text: string): string => {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
};

describe('fee schedules set by the site (CUSTODIAN_ROI_FEES)', () => {
  it('replace the schedules they name and keep the defaults for the rest', () => {
    const rules = feeRulesFromFile(
      file(
        'fees.json',
        JSON.stringify({
          attorney: { baseCents: 1000, perPageCents: 10, capCents: 2000, basis: 'State schedule' },
        }),
      ),
    );
    expect(feeFor('attorney', 50, rules)).toEqual({
      amountCents: 1500,
      amount: '15.00',
      currency: 'USD',
      basis: 'State schedule',
    });
    expect(feeFor('attorney', 500, rules).amountCents).toBe(2000);
    expect(rules.patient).toEqual(DEFAULT_FEES.patient);
    expect(feeFor('attorney', 50).amountCents).toBe(2500 + 50 * 50);
  });

  it('refuse a schedule they cannot read, naming what is wrong', () => {
    for (const [value, problem] of [
      [[], /JSON object/],
      [{ lawyer: { baseCents: 1, perPageCents: 1, basis: 'x' } }, /'lawyer' is not a requester type/],
      [{ attorney: { baseCents: -1, perPageCents: 1, basis: 'x' } }, /attorney.baseCents must be a whole/],
      [{ attorney: { baseCents: 1.5, perPageCents: 1, basis: 'x' } }, /attorney.baseCents/],
      [{ attorney: { baseCents: 1, perPageCents: '2', basis: 'x' } }, /attorney.perPageCents/],
      [{ attorney: { baseCents: 1, perPageCents: 1 } }, /attorney.basis must say/],
      [{ attorney: null }, /attorney.basis/],
    ] as const)
      expect(() => feeRulesFrom(value)).toThrow(problem);
    expect(() => feeRulesFromFile(file('bad.json', '{ not json'))).toThrow(/bad\.json/);
    expect(() => feeRulesFromFile(join(folder, 'missing.json'))).toThrow(/cannot be read/);
  });

  it('are read when the server starts, which refuses a bad file instead of starting with it', async () => {
    const db = await openTestDb();
    const roiFeesFile = file('start.json', '{"attorney": {"baseCents": -5, "basis": "x"}}');
    await expect(startTestServer({ db, config: { roiFeesFile } })).rejects.toThrow(
      /start\.json: attorney.baseCents/,
    );
    await db.close();
  });
});
