import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest globalSetup: every temporary folder a test makes (data folders, exports, backups, the
 * browser's profile) goes into one folder of this run, which its teardown removes. The test files'
 * processes inherit TMPDIR, and `os.tmpdir()` reads it; before, each run left its folders in /tmp.
 */
export function setup(): () => void {
  const folder = mkdtempSync(join(tmpdir(), 'custodian-tests-'));
  // Open to every user as /tmp itself is: a test runs PostgreSQL as its own user in a folder here.
  chmodSync(folder, 0o1777);
  process.env.TMPDIR = folder;
  return () => {
    try {
      rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      // A process a test left running may still write there: the run's result stands.
      console.warn(`Could not remove the test run's temporary folder ${folder}: ${String(err)}`);
    }
  };
}
