import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../app/config.ts';
import { runCustodian, startCustodian } from '../testing/run-custodian.ts';

/**
 * Issue #23 items 1 and 3 with real processes: while `custodian start` holds the embedded data
 * folder, a second server and a command that would open the folder are refused saying what to
 * do; user administration, audit verification and backup go through the server; after the
 * server is killed (its lock left behind) a restore takes the folder and brings the backup back.
 * Few commands, each a node process of its own: they are slow.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'custodian-running-'));
const env = {
  ...process.env,
  CUSTODIAN_DATA_DIR: dataDir,
  DATABASE_URL: '',
  CUSTODIAN_CODESETS_DIR: 'none',
  CUSTODIAN_DEMO: '0',
  CUSTODIAN_PORT: '0',
  CUSTODIAN_MLLP_PORT: '0',
  CUSTODIAN_ADMIN_PASSWORD: 'correct-horse-battery-9',
};
const children: ChildProcess[] = [];

const custodian = (...args: string[]) =>
  runCustodian(args, env, { onSpawn: (child) => children.push(child) });

/** `custodian start`, resolved once it says it runs. */
const startServer = async (): Promise<ChildProcess> =>
  (await startCustodian(env, { onSpawn: (child) => children.push(child) })).child;

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

// Several node processes in one test (the server and a command at a time beside it): a minute and
// a half while the rest of the suite runs beside it, close to the suite's two minutes a test.
describe.skipIf(!!testDatabaseUrl())('custodian while the server runs', { timeout: 600_000 }, () => {
  it('refuses a second owner, goes through the server, and restores after a kill', async () => {
    const server = await startServer();

    const [second, demo, verify, added] = await Promise.all([
      custodian('start'),
      custodian('demo', '--patients', '1'),
      custodian('audit', 'verify'),
      custodian(
        'user',
        'add',
        'night-clerk',
        '--role',
        'him-technician',
        '--password',
        'a-long-enough-pass-1',
      ),
    ]);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(
      /in use by the Custodian server \(pid \d+.*already runs on this data folder at http/,
    );
    expect(demo.status).toBe(1);
    expect(demo.stderr).toMatch(/in use by the Custodian server.*Stop the server first/);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/through the running server[\s\S]*Audit trail intact/);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/through the running server[\s\S]*Added night-clerk/);

    const file = join(dataDir, 'nightly.backup');
    const backup = await custodian('backup', file);
    expect(backup.status, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/through the running server/);

    // Killed: its lock file stays behind, naming a dead process. The restore takes over.
    server.kill('SIGKILL');
    await new Promise((resolve) => server.on('close', resolve));
    const restore = await custodian('restore', file);
    expect(restore.status, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(
      /Audit trail intact[\s\S]*Restored .*nightly\.backup.* is kept in .*before-restore/,
    );
  }, 240_000);
});
