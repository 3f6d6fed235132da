import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A PostgreSQL server of its own on loopback (Debian's postgresql binaries) that the crash test
 * may kill: killing the shared CI server would break every other test using it. Run as the
 * postgres user when we are root (initdb refuses root).
 */
export interface ThrowawayPostgres {
  url: string;
  /** SIGKILL of the postmaster: no checkpoint, no shutdown record; its backends die with it. */
  kill(): void;
  /** Starts it again on the same data folder (crash recovery replays the WAL); waits until it answers. */
  start(): void;
  /** Stops it and removes its data folder. */
  remove(): void;
}

function serverBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(a) - Number(b))
    .pop();
  return version ? join(root, version, 'bin') : undefined;
}

/** Whether this machine can run a throwaway server (the test is skipped otherwise). */
export const canRunThrowawayPostgres = (): boolean => serverBinaries() !== undefined;

/** The processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the 2nd field after the command name, which is in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/** Whether a process has ended (gone, or a zombie nobody reaped). */
function isDead(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function waitUntilDead(pids: number[]): void {
  const until = Date.now() + 10_000;
  // A synchronous wait of a few milliseconds at most: SIGKILL is immediate.
  while (!pids.every(isDead)) {
    if (Date.now() > until) throw new Error(`processes ${pids.join(', ')} survived SIGKILL`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

/** A port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = serverBinaries();
  if (!bin) throw new Error('no PostgreSQL server binaries in /usr/lib/postgresql');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'custodian-crash-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string): void => {
    execFileSync(asRoot ? 'su' : 'sh', asRoot ? ['postgres', '-c', cmd] : ['-c', cmd], { stdio: 'ignore' });
  };
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
  run(`${bin}/initdb -D ${dir} -A trust -U postgres --no-sync`);
  const start = (): void =>
    run(
      `${bin}/pg_ctl -D ${dir} -l ${dir}/server.log -o '-p ${String(port)} -k ${dir} -c listen_addresses=127.0.0.1' -w -t 120 start`,
    );
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${String(port)}/postgres`,
    kill: () => {
      const pid = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      // Its backends too, as a machine crash would: an orphaned backend still holding the shared
      // memory would make the restart wait for it.
      const backends = childrenOf(pid);
      process.kill(pid, 'SIGKILL');
      for (const child of backends) {
        try {
          process.kill(child, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      // Nobody may reap it here (no init in a container): once it is dead or a zombie, its lock
      // files are stale, as after a machine crash, and go, or the restart would wait for a zombie.
      waitUntilDead([pid, ...backends]);
      rmSync(join(dir, 'postmaster.pid'), { force: true });
      rmSync(join(dir, `.s.PGSQL.${String(port)}.lock`), { force: true });
    },
    start,
    remove: () => {
      try {
        run(`${bin}/pg_ctl -D ${dir} -m immediate stop`);
      } catch {
        // Already down (killed and not restarted).
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
