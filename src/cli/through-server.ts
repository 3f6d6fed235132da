import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../app/config.ts';
import { generatePassword } from '../auth/users.ts';
import { findRunningServer, serverJson, type RunningServerNote } from '../operations/index.ts';

/**
 * While the server runs it alone holds the embedded database (src/db/folder-lock.ts). The
 * commands that make sense meanwhile go through it, as the local operator (src/operations):
 * user administration, import, reindex, codes load, audit verify (and backup, in
 * backup-commands.ts). Every other command that opens the database is refused by the folder
 * lock, saying to stop the server first.
 */

type Run = (server: RunningServerNote, args: unknown[], opts: Record<string, unknown>) => Promise<void>;

interface User {
  username: string;
  role: string;
  disabled: boolean;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const user = (v: unknown): string => encodeURIComponent(text(v));

const THROUGH_SERVER: Record<string, Run> = {
  'user add': async (s, [username], opts) => {
    const password = text(opts.password) || generatePassword();
    await serverJson(s, 'POST', '/admin/users', {
      username,
      password,
      role: opts.role,
      ...(opts.name ? { displayName: opts.name } : {}),
    });
    console.log(
      `Added ${text(username)} (${text(opts.role)}).${opts.password ? '' : ` Password: ${password}`}`,
    );
  },
  'user set-role': async (s, [username, role]) => {
    await serverJson(s, 'PUT', `/admin/users/${user(username)}/role`, { role });
    console.log(`${text(username)} is now ${text(role)}.`);
  },
  'user disable': async (s, [username], opts) => {
    await serverJson(s, 'POST', `/admin/users/${user(username)}/disable`, {
      enable: opts.enable ? 'true' : 'false',
    });
    console.log(`${text(username)} is ${opts.enable ? 'enabled' : 'disabled; their tokens are revoked'}.`);
  },
  'user reset-password': async (s, [username], opts) => {
    const password = text(opts.password) || generatePassword();
    await serverJson(s, 'POST', `/admin/users/${user(username)}/password`, { password });
    console.log(`Password of ${text(username)} reset.${opts.password ? '' : ` New password: ${password}`}`);
  },
  'user list': async (s) => {
    const { users } = await serverJson<{ users: User[] }>(s, 'GET', '/admin/users');
    for (const u of users)
      console.log(`${u.username.padEnd(24)} ${u.role.padEnd(18)} ${u.disabled ? 'disabled' : 'active'}`);
  },
  'audit verify': async (s) => {
    const result = await serverJson<{
      ok: boolean;
      checked: number;
      problem?: { seq?: number; eventId?: string; reason?: string };
    }>(s, 'GET', '/audit/verify');
    if (result.ok) console.log(`Audit trail intact: ${result.checked} events verified.`);
    else {
      const p = result.problem;
      console.error(
        `Audit trail BROKEN at event #${p?.seq ?? '?'} (AuditEvent/${p?.eventId ?? '?'}): ${p?.reason ?? ''}`,
      );
      process.exitCode = 1;
    }
  },
  import: async (s, [paths]) => {
    const list = (Array.isArray(paths) ? paths : []).map((p) => resolve(text(p)));
    const report = await serverJson<{
      files: number;
      resources: number;
      failures: Array<{ file: string; where: string; message: string }>;
    }>(s, 'POST', '/operations/import', { paths: list });
    console.log(
      `Imported ${report.resources} resource(s) from ${report.files} file(s); ${report.failures.length} failure(s).`,
    );
    for (const f of report.failures.slice(0, 50)) console.log(`  FAILED ${f.file} ${f.where}: ${f.message}`);
    if (report.failures.length > 0) process.exitCode = 2;
  },
  reindex: async (s, _args, opts) => {
    const { resources } = await serverJson<{ resources: number }>(s, 'POST', '/operations/reindex', {
      ...(opts.type ? { type: opts.type } : {}),
    });
    console.log(`Search index rebuilt for ${resources} resources.`);
  },
  'codes load': async (s, [paths]) => {
    const list = (Array.isArray(paths) ? paths : []).map((p) => resolve(text(p)));
    const { reports, loaded } = await serverJson<{
      reports: Array<{
        path: string;
        files: Array<{ status: string; system: string; version: string; rows: number }>;
      }>;
      loaded: Array<{ system: string; version: string; count: number }>;
    }>(s, 'POST', '/operations/codes/load', { paths: list });
    for (const r of reports) console.log(`${r.path}: ${r.files.length} file(s)`);
    for (const c of loaded) console.log(`  ${c.system} ${c.version}: ${c.count} codes`);
  },
};

/** `user add`, `import`: a command's words below the program. */
function commandPath(command: Command): string {
  const words: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}

/**
 * Before a command's own action: when the server runs on the embedded data folder and the
 * command can go through it, run it there and end the process (the command's own action would
 * open the folder, and be refused).
 */
export function routeThroughRunningServer(program: Command): void {
  program.hook('preAction', async (_program, action) => {
    const run = THROUGH_SERVER[commandPath(action)];
    const config = loadConfig();
    if (!run || config.databaseUrl) return;
    const server = await findRunningServer(config.dataDir);
    if (!server) return;
    console.log(`(through the running server at ${server.url})`);
    await run(server, action.processedArgs, action.opts());
    process.exit(process.exitCode ?? 0);
  });
}
