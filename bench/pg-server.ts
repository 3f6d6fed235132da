import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PostgreSQL server on loopback for the benchmarks, from Debian's postgresql
 * package (run as the postgres user). Returns undefined when no server binaries are installed.
 */
export function startBenchPostgres(port = 55439): { url: string; stop(): void } | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort().pop();
  const bin = version ? join(root, version, 'bin') : '';
  if (!existsSync(join(bin, 'postgres'))) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'custodian-bench-pg-'));
  const asPostgres = (cmd: string) => execFileSync('su', ['postgres', '-c', cmd], { stdio: 'ignore' });
  chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
  asPostgres(`${bin}/initdb -D ${dir} -A trust -U postgres`);
  asPostgres(
    `${bin}/pg_ctl -D ${dir} -l ${dir}/server.log -o '-p ${port} -k /tmp -c listen_addresses=127.0.0.1 -c shared_buffers=512MB' -w start`,
  );
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => asPostgres(`${bin}/pg_ctl -D ${dir} -m fast stop`),
  };
}
