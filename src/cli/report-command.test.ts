import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../app/config.ts';
import { openDb } from '../db/index.ts';
import { FhirStore } from '../fhir/store.ts';
import { FIXTURE_RESOURCES, insertMpiDecisions } from '../reports/report-fixtures.ts';
import { cliContext } from './context.ts';
import { runCustodian } from '../testing/run-custodian.ts';

/**
 * `custodian report` on the reports' constructed data set (src/reports/report-fixtures.ts): the
 * same hand-counted answers as through HTTP, as a CSV file in a folder. One command only: each
 * starts node (JSON is the same result, printed by the same code as the HTTP route's).
 */
const dataDir = mkdtempSync(join(tmpdir(), 'custodian-report-'));

const custodian = (...args: string[]) =>
  runCustodian(args, {
    ...process.env,
    CUSTODIAN_DATA_DIR: dataDir,
    DATABASE_URL: '',
    CUSTODIAN_CODESETS_DIR: 'none',
  });

describe.skipIf(!!testDatabaseUrl())('custodian report', () => {
  beforeAll(async () => {
    const db = await openDb({ dataDir: join(dataDir, 'db') });
    try {
      await new FhirStore(db, cliContext()).saveAll(FIXTURE_RESOURCES);
      await insertMpiDecisions(db);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('writes a report as CSV into a folder, with a filter', async () => {
    const out = join(dataDir, 'warehouse');
    const r = await custodian(
      'report',
      'coding-productivity',
      '--from',
      '2025-03-01',
      '--to',
      '2025-03-31',
      '--filter',
      'coder=coder-a',
      '--out',
      out,
    );
    expect(r.status, r.stderr).toBe(0);
    const csv = readFileSync(join(out, 'coding-productivity-2025-03-01-2025-03-31.csv'), 'utf8');
    expect(csv).toBe('coder,day,finalized,inProgress,total\r\ncoder-a,2025-03-10,2,1,3\r\n');
  });
});
