import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A PostgreSQL server on loopback for the benchmarks, from Debian's postgresql package (run as
 * the postgres user). Returns undefined when no server binaries are installed.
 *
 * By default its data folder is throwaway: created in the temporary folder and removed when the
 * server stops. With `keepDir` the data lives in that folder and stays after the server stops, so
 * a benchmark can reuse a store it seeded before (seeding 100,000 patients takes long); an
 * existing cluster there is started as it is.
 */
export function startBenchPostgres(
  port = 55439,
  options: { keepDir?: string } = {},
): { url: string; stop(): void } | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort().pop();
  const bin = version ? join(root, version, 'bin') : '';
  if (!existsSync(join(bin, 'postgres'))) return undefined;
  const keep = options.keepDir;
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'custodian-bench-pg-'));
  const asPostgres = (cmd: string) => execFileSync('su', ['postgres', '-c', cmd], { stdio: 'ignore' });
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  if (fresh) {
    mkdirSync(dir, { recursive: true });
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
    asPostgres(`${bin}/initdb -D ${dir} -A trust -U postgres`);
  }
  const remove = () => {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  try {
    asPostgres(
      `${bin}/pg_ctl -D ${dir} -l ${dir}/server.log -o '-p ${port} -k /tmp -c listen_addresses=127.0.0.1 -c shared_buffers=512MB' -w start`,
    );
  } catch (e) {
    remove();
    throw e;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        asPostgres(`${bin}/pg_ctl -D ${dir} -m fast stop`);
      } finally {
        remove();
      }
    },
  };
}
