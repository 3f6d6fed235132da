import { createHash, randomBytes, randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import type { Queryable } from '../db/index.ts';
import { PURPOSES, type Purpose, type RequestContext, type Role } from './access.ts';
import { findUser } from './users.ts';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MINUTES = 15;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

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

interface TokenRow {
  token_id: string;
  user_id: string;
  username: string;
  role: Role;
  purpose: Purpose;
  expires_at: Date | string;
}

/**
 * Valid tokens seen recently, so a chart view does not pay a join per request. An entry lives
 * at most TOKEN_CACHE_MS and never past the token's expiry; logout, disabling a user, a new
 * password or a new role clear this process's cache at once (other processes within the TTL).
 */
const TOKEN_CACHE_MS = 30_000;
const tokenCache = new Map<string, { row: TokenRow; until: number }>();

/** Active break-the-glass grants per user, kept no longer than the earliest grant lasts. */
const glassCache = new Map<string, { patients: string[]; until: number }>();

export function forgetCachedTokens(): void {
  tokenCache.clear();
  glassCache.clear();
}

async function brokenGlassPatients(q: Queryable, userId: string): Promise<string[]> {
  const cached = glassCache.get(userId);
  if (cached && cached.until > Date.now()) return cached.patients;
  const res = await q.query<{ patient_id: string; expires_at: Date | string }>(
    'SELECT patient_id, min(expires_at) AS expires_at FROM break_glass WHERE user_id = $1 AND expires_at > now() GROUP BY patient_id',
    [userId],
  );
  const earliest = Math.min(
    Date.now() + TOKEN_CACHE_MS,
    ...res.rows.map((r) => new Date(r.expires_at).getTime()),
  );
  const patients = res.rows.map((r) => r.patient_id);
  if (glassCache.size > 10_000) glassCache.clear();
  glassCache.set(userId, { patients, until: earliest });
  return patients;
}

async function tokenRow(q: Queryable, hash: string): Promise<TokenRow | undefined> {
  const cached = tokenCache.get(hash);
  if (cached && cached.until > Date.now()) return cached.row;
  tokenCache.delete(hash);
  const res = await q.query<TokenRow>(
    `SELECT t.id AS token_id, u.id AS user_id, u.username, u.role, t.purpose, t.expires_at
       FROM access_token t JOIN app_user u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND NOT t.revoked AND t.expires_at > now() AND NOT u.disabled`,
    [hash],
  );
  const row = res.rows[0];
  if (row) {
    if (tokenCache.size > 10_000) tokenCache.clear();
    tokenCache.set(hash, {
      row,
      until: Math.min(Date.now() + TOKEN_CACHE_MS, new Date(row.expires_at).getTime()),
    });
  }
  return row;
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
