import { randomBytes, randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import type { Db, Queryable } from '../db/index.ts';
import { PURPOSES, type Purpose, type Role } from '../shared/index.ts';
import type { RequestContext } from './access.ts';
import { parseScopes } from '../shared/scopes.ts';
import { brokenGlassPatients, sha256, tokenRow, type TokenRow } from './token-cache.ts';
import { findUser, hashPassword } from './users.ts';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MINUTES = 15;

export type LoginResult =
  | { ok: true; accessToken: string; expiresIn: number; userId: string; role: Role; purpose: Purpose }
  | { ok: false; reason: 'invalid' | 'locked' | 'disabled' | 'bad-purpose'; userId?: string };

const DEFAULT_PURPOSES: Partial<Record<Role, Purpose>> = {
  system: 'HSYSADMIN',
  admin: 'HSYSADMIN',
  provider: 'TREAT',
  patient: 'PATRQT',
};

export function parsePurpose(value: string | undefined, role: Role): Purpose | undefined {
  if (!value) return DEFAULT_PURPOSES[role] ?? 'HOPERAT';
  return (PURPOSES as readonly string[]).includes(value) ? (value as Purpose) : undefined;
}

export interface LoginInput {
  username: string;
  password: string;
  /** The purpose of use asked for (HL7 v3 PurposeOfUse); the role's default when absent. */
  purpose: string | undefined;
  ttlSeconds: number;
}

/** Stands in for the hash of a user who does not exist, so their refusal costs a check too. */
let standIn: Promise<string> | undefined;
const standInHash = (): Promise<string> => (standIn ??= hashPassword(randomBytes(16).toString('hex')));

/**
 * Signs a user in. Every refusal looks alike from outside (the reason goes to `inTransaction`,
 * for the audit trail): the password is checked first, on every attempt (an unknown user against
 * a stand-in hash, a locked or disabled account all the same), so neither the answer nor its
 * time tells whether the account exists or what state it is in. MAX_FAILED_LOGINS wrong passwords
 * in a row lock the account for LOCKOUT_MINUTES; the counter is read and written with the user's
 * row locked, so concurrent attempts count one by one. The check itself runs before that
 * transaction: on PGlite an open transaction holds the only connection.
 */
export async function login(
  db: Db,
  input: LoginInput,
  inTransaction: (tx: Queryable, result: LoginResult) => Promise<unknown> = async () => undefined,
): Promise<LoginResult> {
  const finish = (decide: (tx: Queryable) => Promise<LoginResult>) =>
    db.transaction(async (tx) => {
      const result = await decide(tx);
      await inTransaction(tx, result);
      return result;
    });
  // A malformed request, refused before anything about the account is looked at.
  if (input.purpose !== undefined && !(PURPOSES as readonly string[]).includes(input.purpose))
    return finish(async () => ({ ok: false, reason: 'bad-purpose' }));
  const seen = await findUser(db, input.username);
  const passwordOk = await argon2
    .verify(seen?.passwordHash ?? (await standInHash()), input.password)
    .catch(() => false);
  return finish(async (tx) => {
    const user = seen && (await findUser(tx, seen.username, { forUpdate: true }));
    if (!user || user.id !== seen?.id) return { ok: false, reason: 'invalid' };
    const refused = (reason: 'invalid' | 'locked' | 'disabled'): LoginResult => ({
      ok: false,
      reason,
      userId: user.id,
    });
    // Locked: refused whatever the password, and not counted.
    if (user.lockedUntil && new Date(user.lockedUntil) > new Date()) return refused('locked');
    // A password changed since it was checked is not the password any more.
    if (!passwordOk || user.passwordHash !== seen.passwordHash) {
      const failed = user.failedLogins + 1;
      if (failed < MAX_FAILED_LOGINS) {
        await tx.query('UPDATE app_user SET failed_logins = $2 WHERE id = $1', [user.id, failed]);
        return refused('invalid');
      }
      await tx.query(
        'UPDATE app_user SET failed_logins = 0, locked_until = now() + make_interval(mins => $2) WHERE id = $1',
        [user.id, LOCKOUT_MINUTES],
      );
      return refused('locked');
    }
    if (user.disabled) return refused('disabled');
    const purpose = parsePurpose(input.purpose, user.role);
    if (!purpose) return { ok: false, reason: 'bad-purpose', userId: user.id }; // checked above
    await tx.query('UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = $1', [user.id]);
    const accessToken = randomBytes(32).toString('base64url');
    await tx.query(
      `INSERT INTO access_token (id, token_hash, user_id, purpose, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [randomUUID(), sha256(accessToken), user.id, purpose, input.ttlSeconds],
    );
    return {
      ok: true,
      accessToken,
      expiresIn: input.ttlSeconds,
      userId: user.id,
      role: user.role,
      purpose,
    };
  });
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
    ...tokenNarrowing(row),
  };
}

/**
 * What a token narrows: a SMART token's scopes and its patient context; a patient user is bound
 * to their own Patient whatever the token (one not linked yet to a nobody: fail closed).
 */
function tokenNarrowing(row: TokenRow): Pick<RequestContext, 'scopes' | 'compartment' | 'clientId'> {
  const compartment = row.role === 'patient' ? (row.user_patient_id ?? UNLINKED) : row.patient_id;
  return {
    ...(row.scope !== null ? { scopes: parseScopes(row.scope).resources } : {}),
    ...(compartment !== null ? { compartment } : {}),
    ...(row.client_id !== null ? { clientId: row.client_id } : {}),
  };
}

/** The compartment of a patient user not linked to a Patient: no record has this owner. */
const UNLINKED = 'urn:custodian:unlinked-patient';

/** Revokes a token; call `forgetCachedTokens` once the transaction has committed. */
export async function revokeToken(q: Queryable, tokenId: string): Promise<void> {
  await q.query('UPDATE access_token SET revoked = true WHERE id = $1', [tokenId]);
}
