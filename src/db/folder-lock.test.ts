import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderInUse, folderHolder, lockFileOf, lockFolder, type FolderHolder } from './folder-lock.ts';
import { openPglite } from './pglite.ts';

const fresh = (): string => join(mkdtempSync(join(tmpdir(), 'custodian-lock-')), 'db');
const LOCK_MODULE = new URL('./folder-lock.ts', import.meta.url).href;

/**
 * A separate node process that tries to take `folder`, says `held` or `busy`, and keeps what it
 * got until its stdin closes.
 */
function contender(folder: string): { answer: Promise<string>; quit: () => Promise<void> } {
  const script = `
    const { register } = await import('tsx/esm/api');
    register();
    const { lockFolder } = await import(${JSON.stringify(LOCK_MODULE)});
    try {
      const lock = await lockFolder(${JSON.stringify(folder)}, 'contender');
      console.log('held');
      process.stdin.resume();
      process.stdin.on('end', () => void lock.release().then(() => process.exit(0)));
    } catch (err) {
      console.log(err.name === 'FolderInUse' ? 'busy' : 'error ' + err.message);
      process.exit(0);
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: process.cwd(),
  });
  const answer = new Promise<string>((resolve) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('close', () => resolve(out.trim()));
  });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    answer,
    quit: async () => {
      child.stdin.end();
      await closed;
    },
  };
}

/** A lock file as a process that has since gone would have left it. */
function leaveLock(folder: string, holder: Partial<FolderHolder>): void {
  writeFileSync(
    lockFileOf(folder),
    JSON.stringify({
      pid: 1,
      host: hostname(),
      bootId: null,
      processStart: null,
      holder: 'server',
      since: '2026-01-01T00:00:00.000Z',
      nonce: 'left-behind',
      ...holder,
    }),
  );
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid ?? 0;
}

describe('one owner of a data folder', () => {
  it('lets exactly one of several processes racing for a folder hold it', async () => {
    const folder = fresh();
    const racers = [contender(folder), contender(folder), contender(folder)];
    const answers = await Promise.all(racers.map((r) => r.answer));
    expect(answers.filter((a) => a === 'held')).toHaveLength(1);
    expect(answers.filter((a) => a === 'busy')).toHaveLength(2);
    // While it lives, this process is refused too, with the holder named.
    const refusal = await lockFolder(folder, 'test').catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(FolderInUse);
    expect((refusal as FolderInUse).message).toMatch(/in use by `contender` \(pid \d+, since /);
    await Promise.all(racers.map((r) => r.quit()));
    // Released on the way out: free again.
    expect(await folderHolder(folder)).toBeUndefined();
    const lock = await lockFolder(folder, 'test');
    await lock.release();
  });

  it('takes over the lock of a process that was killed, and of a pid reused since', async () => {
    const folder = fresh();
    await lockFolder(folder, 'first').then((l) => l.release());
    leaveLock(folder, { pid: await deadPid() });
    const afterKill = await lockFolder(folder, 'restart');
    expect(JSON.parse(readFileSync(lockFileOf(folder), 'utf8'))).toMatchObject({ holder: 'restart' });
    await afterKill.release();
    // The pid is alive but is another process now (started at another time).
    leaveLock(folder, { pid: process.pid === 1 ? 2 : 1, processStart: '1' });
    const afterReuse = await lockFolder(folder, 'restart');
    await afterReuse.release();
    // A lock from another machine (a shared disk) cannot be checked and is respected.
    leaveLock(folder, { host: 'another-machine' });
    await expect(lockFolder(folder, 'test')).rejects.toThrow(/pid 1 on another-machine/);
  });

  it('is taken by PGlite itself: an open of a held folder is refused before PGlite touches it', async () => {
    const folder = fresh();
    const server = await lockFolder(folder, 'server');
    await expect(openPglite(folder)).rejects.toThrow(/in use by the Custodian server/);
    // The refused open left the holder's lock alone.
    expect((await folderHolder(folder))?.nonce).toBe(server.holder.nonce);
    await server.release();
    expect(await folderHolder(folder)).toBeUndefined();
  });
});
