import { randomBytes, randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import type { Queryable } from '../db/index.ts';
import { PURPOSES, type Purpose, type Role } from '../shared/index.ts';
import type { RequestContext } from './access.ts';
import { brokenGlassPatients, forgetCachedTokens, sha256, tokenRow } from './token-cache.ts';
import { findUser } from './users.ts';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MINUTES = 15;

export type LoginResult =
  | { ok: true; accessToken: string; expiresIn: number; userId: string; role: Role; purpose: Purpose }
  | { ok: false; reason: 'invalid' | 'locked' | 'disabled' | 'bad-purpose'; userId?: string };

export function parsePurpose(value: string | undefined, role: Role): Purpose | undefined {
  if (!value)
    return role === 'system' || role === 'admin' ? 'HSYSADMIN' : role === 'provider' ? 'TREAT' : 'HOPERAT';
  return (PURPOSES as readonly string[]).includes(value) ? (value as Purpose) : undefined;
}

/** Checks a password; 5 failures in a row lock the account for LOCKOUT_MINUTES. */
export async function login(
  q: Queryable,
  username: string,
  password: string,
  purposeText: string | undefined,
  ttlSeconds: number,
): Promise<LoginResult> {
  const user = await findUser(q, username);
  if (!user) {
    // Spend the same time as a real check so user names can't be probed by timing.
    await argon2.hash(password).catch(() => undefined);
    return { ok: false, reason: 'invalid' };
  }
  if (user.disabled) return { ok: false, reason: 'disabled', userId: user.id };
  if (user.lockedUntil && new Date(user.lockedUntil) > new Date())
    return { ok: false, reason: 'locked', userId: user.id };
  if (!(await argon2.verify(user.passwordHash, password))) {
    const failed = user.failedLogins + 1;
    if (failed >= MAX_FAILED_LOGINS) {
      await q.query(
        'UPDATE app_user SET failed_logins = 0, locked_until = now() + make_interval(mins => $2) WHERE id = $1',
        [user.id, LOCKOUT_MINUTES],
      );
    } else {
      await q.query('UPDATE app_user SET failed_logins = $2 WHERE id = $1', [user.id, failed]);
    }
    return { ok: false, reason: failed >= MAX_FAILED_LOGINS ? 'locked' : 'invalid', userId: user.id };
  }
  const purpose = parsePurpose(purposeText, user.role);
  if (!purpose) return { ok: false, reason: 'bad-purpose', userId: user.id };
  await q.query('UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = $1', [user.id]);
  const accessToken = randomBytes(32).toString('base64url');
  await q.query(
    `INSERT INTO access_token (id, token_hash, user_id, purpose, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
    [randomUUID(), sha256(accessToken), user.id, purpose, ttlSeconds],
  );
  return { ok: true, accessToken, expiresIn: ttlSeconds, userId: user.id, role: user.role, purpose };
}

/** Resolves a bearer token to the caller, or undefined when unknown, expired or revoked. */
export async function authenticate(
  q: Queryable,
  token: string,
  sourceAddress: string,
): Promise<RequestContext | undefined> {
  const row = await tokenRow(q, sha256(token));
  if (!row) return undefined;
  const glass = await brokenGlassPatients(q, row.user_id);
  return {
    userId: row.user_id,
    username: row.username,
    role: row.role,
    purpose: row.purpose,
    sourceAddress,
    tokenId: row.token_id,
    brokenGlassPatients: glass,
  };
}

export async function revokeToken(q: Queryable, tokenId: string): Promise<void> {
  forgetCachedTokens();
  await q.query('UPDATE access_token SET revoked = true WHERE id = $1', [tokenId]);
}
