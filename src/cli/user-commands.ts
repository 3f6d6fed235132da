import type { Command } from 'commander';
import { ROLES } from '../shared/index.ts';
import {
  createUser,
  generatePassword,
  listUsers,
  resetPassword,
  setDisabled,
  setRole,
} from '../auth/users.ts';
import { recordAudit } from '../fhir/audit-trail.ts';
import type { Db } from '../db/index.ts';
import { cliContext, openConfiguredDb } from './context.ts';

async function withDb<T>(what: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openConfiguredDb();
  try {
    const result = await fn(db);
    const ctx = cliContext();
    await recordAudit(db, [
      {
        action: 'admin',
        outcome: 'success',
        username: ctx.username,
        role: ctx.role,
        purpose: ctx.purpose,
        sourceAddress: ctx.sourceAddress,
        detail: what,
      },
    ]);
    return result;
  } finally {
    await db.close();
  }
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('Manage users and roles');
  user
    .command('add')
    .description(`Add a user. Roles: ${ROLES.join(', ')}`)
    .argument('<username>')
    .requiredOption('--role <role>', 'the user role')
    .option('--password <password>', 'initial password (default: generated and printed)')
    .option('--name <display>', 'display name')
    .action(async (username: string, opts: { role: string; password?: string; name?: string }) => {
      const password = opts.password ?? generatePassword();
      await withDb(`user add ${username}`, (db) =>
        db.transaction((tx) =>
          createUser(tx, {
            username,
            password,
            role: opts.role,
            ...(opts.name ? { displayName: opts.name } : {}),
          }),
        ),
      );
      console.log(`Added ${username} (${opts.role}).${opts.password ? '' : ` Password: ${password}`}`);
    });
  user
    .command('set-role')
    .argument('<username>')
    .argument('<role>')
    .action(async (username: string, role: string) => {
      await withDb(`user set-role ${username} ${role}`, (db) => setRole(db, username, role));
      console.log(`${username} is now ${role}.`);
    });
  user
    .command('disable')
    .argument('<username>')
    .option('--enable', 'enable the user again')
    .action(async (username: string, opts: { enable?: boolean }) => {
      await withDb(`user disable ${username}`, (db) => setDisabled(db, username, !opts.enable));
      console.log(`${username} is ${opts.enable ? 'enabled' : 'disabled; their tokens are revoked'}.`);
    });
  user
    .command('reset-password')
    .argument('<username>')
    .option('--password <password>', 'new password (default: generated and printed)')
    .action(async (username: string, opts: { password?: string }) => {
      const password = opts.password ?? generatePassword();
      await withDb(`user reset-password ${username}`, (db) => resetPassword(db, username, password));
      console.log(`Password of ${username} reset.${opts.password ? '' : ` New password: ${password}`}`);
    });
  user.command('list').action(async () => {
    const users = await withDb('user list', (db) => listUsers(db));
    for (const u of users)
      console.log(`${u.username.padEnd(24)} ${u.role.padEnd(18)} ${u.disabled ? 'disabled' : 'active'}`);
  });
}
