import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../app/config.ts';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
import { openDb } from '../db/index.ts';
import { FhirStore } from '../fhir/store.ts';
import { cliContext } from './context.ts';
import { runCustodian } from '../testing/run-custodian.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'custodian-cli-'));

/** The real `custodian` command on this test's data folder. */
const custodian = (...args: string[]) =>
  runCustodian(
    args,
    { ...process.env, CUSTODIAN_DATA_DIR: dataDir, DATABASE_URL: '', CUSTODIAN_CODESETS_DIR: 'none' },
    { timeoutMs: 240_000 },
  );

/** How many versions of `type` the store holds, asked of the store (its history, at most 1,000). */
async function count(type: string): Promise<number> {
  const db = await openDb({ dataDir: join(dataDir, 'db') });
  try {
    const history = await new FhirStore(db, cliContext()).history(
      type,
      undefined,
      new URLSearchParams({ _count: '1000' }),
    );
    return history.entry?.length ?? 0;
  } finally {
    await db.close();
  }
}

// Each test runs the command several times, a node process each (7 s apiece on an idle two-core
// machine, three times that while the rest of the suite runs beside it): more than the suite's
// two minutes a test. A command itself is killed after four (runCustodian's timeoutMs above).
describe.skipIf(!!testDatabaseUrl())('custodian CLI', { timeout: 600_000 }, () => {
  it('prints help with its commands and settings', async () => {
    const r = await custodian('--help');
    expect(r.status).toBe(0);
    for (const word of [
      'start',
      'import',
      'demo',
      'user',
      'audit',
      'codes',
      'mpi',
      'DATABASE_URL',
      'CUSTODIAN_DATA_DIR',
    ])
      expect(r.stdout).toContain(word);
  });

  it('loads demo data idempotently', async () => {
    const first = await custodian('demo', '--patients', '4', '--seed', '11');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Loaded 4 patient records/);
    const patients = await count('Patient');
    expect(patients).toBe(4);
    const encounters = await count('Encounter');
    expect(encounters).toBeGreaterThan(0);
    expect((await custodian('demo', '--patients', '4', '--seed', '11')).status).toBe(0);
    expect(await count('Patient')).toBe(patients);
    expect(await count('Encounter')).toBe(encounters);
    const bad = await custodian('demo', '--patients', 'lots');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--patients must be a positive whole number/);

    // The search index can be rebuilt from the stored records; a wrong type is named.
    const reindex = await custodian('reindex', '--type', 'Patient');
    expect(reindex.status, reindex.stderr).toBe(0);
    expect(reindex.stdout).toContain(`Search index rebuilt for ${patients} resources.`);
    const wrong = await custodian('reindex', '--type', 'Patients');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain("Unknown resource type 'Patients'");
  });

  it.skipIf(!hasSharedTestdata)('imports files, reports failures per file and keeps going', async () => {
    const missing = await custodian('import', '/nonexistent/file.json');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/No such file or folder/);
    const r = await custodian(
      'import',
      sharedTestdata('fhir-r4-examples', 'Patient-example.json'),
      sharedTestdata('fhir-r4-examples', 'package.json'),
    );
    expect(r.stdout).toMatch(/Imported 1 resource from 2 files in \d+\.\d s \(\d+ a second\); 1 failure\./);
    expect(r.stdout).toMatch(/package\.json/);
    expect(r.status).toBe(2);
  });

  it('manages users with readable errors', async () => {
    const added = await custodian(
      'user',
      'add',
      'cli-coder',
      '--role',
      'coder',
      '--password',
      'a-long-enough-pass-1',
    );
    expect(added.status).toBe(0);
    const weak = await custodian('user', 'add', 'weakling', '--role', 'coder', '--password', 'short');
    expect(weak.status).toBe(1);
    expect(weak.stderr).toMatch(/at least 12 characters/);
    const role = await custodian('user', 'set-role', 'cli-coder', 'wizard');
    expect(role.status).toBe(1);
    expect(role.stderr).toMatch(/Unknown role/);
    expect((await custodian('user', 'disable', 'cli-coder')).status).toBe(0);
    expect((await custodian('user', 'list')).stdout).toMatch(/cli-coder\s+coder\s+disabled/);
    expect((await custodian('audit', 'verify')).status).toBe(0);
  });
});
