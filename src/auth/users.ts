import { randomBytes, randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import type { Db, Queryable } from '../db/index.ts';
import { badRequest, conflict, notFound } from '../fhir/outcomes.ts';
import { ROLES, type Role } from '../shared/index.ts';
import { forgetCachedTokens } from './token-cache.ts';

export interface User {
  id: string;
  username: string;
  displayName: string | null;
  role: Role;
  disabled: boolean;
  lockedUntil: string | null;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string | null;
  password_hash: string;
  role: string;
  disabled: boolean;
  failed_logins: number;
  locked_until: Date | string | null;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role as Role,
  disabled: r.disabled,
  lockedUntil: r.locked_until ? new Date(r.locked_until).toISOString() : null,
});

export function assertRole(role: string): asserts role is Role {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw badRequest(`Unknown role '${role}'. Roles: ${ROLES.join(', ')}`);
  }
}

/** Minimum password rules: 12+ characters with letters and at least one digit or symbol. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 12) return 'Password must be at least 12 characters long';
  if (!/[A-Za-z]/.test(password)) return 'Password must contain letters';
  if (!/[^A-Za-z]/.test(password)) return 'Password must contain a digit or symbol';
  return undefined;
}

export function generatePassword(): string {
  return `${randomBytes(12).toString('base64url')}-7`;
}

export const hashPassword = (password: string): Promise<string> =>
  argon2.hash(password, { type: argon2.argon2id });

/**
 * `passwordHash`: a hash already made of this password, for several users given the same
 * initial password at once (argon2 costs about half a second of CPU per hash, by design).
 */
export async function createUser(
  q: Queryable,
  input: { username: string; password: string; role: string; displayName?: string },
  passwordHash?: string,
): Promise<User> {
  if (!/^[a-zA-Z0-9._@-]{2,64}$/.test(input.username)) {
    throw badRequest('User name must be 2-64 letters, digits or . _ @ -');
  }
  assertRole(input.role);
  const problem = passwordProblem(input.password);
  if (problem) throw badRequest(problem);
  const existing = await q.query('SELECT 1 FROM app_user WHERE username = $1', [input.username]);
  if (existing.rows.length > 0) throw conflict(`User '${input.username}' already exists`);
  const res = await q.query<UserRow>(
    `INSERT INTO app_user (id, username, display_name, password_hash, role) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
    [
      randomUUID(),
      input.username,
      input.displayName ?? null,
      passwordHash ?? (await hashPassword(input.password)),
      input.role,
    ],
  );
  return toUser(res.rows[0] as UserRow);
}

/** A user with what signing in needs; `forUpdate` locks the row until the transaction ends. */
export async function findUser(
  q: Queryable,
  username: string,
  options: { forUpdate?: boolean } = {},
): Promise<(User & { passwordHash: string; failedLogins: number }) | undefined> {
  const res = await q.query<UserRow>(
    `SELECT * FROM app_user WHERE username = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [username],
  );
  const row = res.rows[0];
  return row
    ? { ...toUser(row), passwordHash: row.password_hash, failedLogins: row.failed_logins }
    : undefined;
}

export async function getUserById(q: Queryable, id: string): Promise<User | undefined> {
  const res = await q.query<UserRow>('SELECT * FROM app_user WHERE id = $1', [id]);
  return res.rows[0] ? toUser(res.rows[0]) : undefined;
}

export async function listUsers(q: Queryable): Promise<User[]> {
  const res = await q.query<UserRow>('SELECT * FROM app_user ORDER BY username');
  return res.rows.map(toUser);
}

async function updateUser(q: Queryable, username: string, sql: string, params: unknown[]): Promise<User> {
  const res = await q.query<UserRow>(`UPDATE app_user SET ${sql} WHERE username = $1 RETURNING *`, [
    username,
    ...params,
  ]);
  if (!res.rows[0]) throw notFound(`No user '${username}'`);
  return toUser(res.rows[0]);
}

/**
 * A change to a user in a transaction of its own. A changed role, password or status must take
 * effect on the next request, so the token cache is forgotten once the change has committed (a
 * request racing an uncommitted change would otherwise cache the old row again).
 */
async function changeUser(db: Db, change: (tx: Queryable) => Promise<User>): Promise<User> {
  const user = await db.transaction(change);
  forgetCachedTokens();
  return user;
}

const revokeTokensOf = (q: Queryable, userId: string) =>
  q.query('UPDATE access_token SET revoked = true WHERE user_id = $1', [userId]);

export async function setRole(db: Db, username: string, role: string): Promise<User> {
  assertRole(role);
  return changeUser(db, (tx) => updateUser(tx, username, 'role = $2', [role]));
}

export async function setDisabled(db: Db, username: string, disabled: boolean): Promise<User> {
  return changeUser(db, async (tx) => {
    const user = await updateUser(tx, username, 'disabled = $2', [disabled]);
    if (disabled) await revokeTokensOf(tx, user.id);
    return user;
  });
}

export async function resetPassword(db: Db, username: string, password: string): Promise<User> {
  const problem = passwordProblem(password);
  if (problem) throw badRequest(problem);
  // Hashed before the transaction: on PGlite an open transaction holds the only connection.
  const hash = await hashPassword(password);
  return changeUser(db, async (tx) => {
    const user = await updateUser(
      tx,
      username,
      'password_hash = $2, failed_logins = 0, locked_until = NULL',
      [hash],
    );
    await revokeTokensOf(tx, user.id);
    return user;
  });
}

export async function countUsers(q: Queryable): Promise<number> {
  const res = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM app_user');
  return Number(res.rows[0]?.n ?? 0);
}
