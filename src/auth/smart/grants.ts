import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/index.ts';
import type { Purpose } from '../../shared/index.ts';
import { parseScopes, scopeText } from '../../shared/scopes.ts';
import { sha256 } from '../token-cache.ts';

/**
 * Tokens a SMART grant ends in: an access token (a row of the same `access_token` table a
 * password login writes, with its scopes, patient context and app) and, when the app asked for
 * `offline_access` or `online_access`, a refresh token that is replaced on every use.
 */

/** An OAuth 2.0 error answer (RFC 6749 5.2): the token endpoint's own shape, not an OperationOutcome. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

export const REFRESH_TTL_SECONDS = 30 * 24 * 3600;

export interface Grant {
  userId: string;
  purpose: Purpose;
  scope: string;
  patientId: string | null;
  clientId: string;
}

export interface TokenAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  patient?: string;
  refresh_token?: string;
  need_patient_banner?: boolean;
}

/** Issues an access token (and a refresh token when the scopes ask for one) in the caller's transaction. */
export async function issueTokens(tx: Queryable, grant: Grant, ttlSeconds: number): Promise<TokenAnswer> {
  const accessToken = randomBytes(32).toString('base64url');
  await tx.query(
    `INSERT INTO access_token (id, token_hash, user_id, purpose, expires_at, scope, patient_id, client_id)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6, $7, $8)`,
    [
      randomUUID(),
      sha256(accessToken),
      grant.userId,
      grant.purpose,
      ttlSeconds,
      grant.scope,
      grant.patientId,
      grant.clientId,
    ],
  );
  const answer: TokenAnswer = {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ttlSeconds,
    scope: grant.scope,
    ...(grant.patientId ? { patient: grant.patientId, need_patient_banner: true } : {}),
  };
  if (!parseScopes(grant.scope).refresh) return answer;
  const refreshToken = randomBytes(32).toString('base64url');
  await tx.query(
    `INSERT INTO smart_refresh_token (id, token_hash, client_id, user_id, scope, patient_id, purpose, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))`,
    [
      randomUUID(),
      sha256(refreshToken),
      grant.clientId,
      grant.userId,
      grant.scope,
      grant.patientId,
      grant.purpose,
      REFRESH_TTL_SECONDS,
    ],
  );
  return { ...answer, refresh_token: refreshToken };
}

/** PKCE S256: the challenge is the base64url SHA-256 of the verifier (RFC 7636 4.6). */
export function pkceMatches(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  return createHash('sha256').update(verifier).digest('base64url') === challenge;
}

interface CodeRow {
  client_id: string;
  user_id: string;
  redirect_uri: string;
  scope: string;
  patient_id: string | null;
  purpose: Purpose;
  code_challenge: string;
  expired: boolean;
  used: boolean;
  disabled: boolean;
}

/**
 * Trades an authorisation code for tokens: once, within its lifetime, by the app it was issued
 * to, with the redirect address it was issued for and the verifier of its PKCE challenge.
 */
export async function exchangeCode(
  tx: Queryable,
  input: { code: string; clientId: string; redirectUri: string; verifier: string },
  ttlSeconds: number,
): Promise<TokenAnswer & { userId: string }> {
  const res = await tx.query<CodeRow>(
    `SELECT c.client_id, c.user_id, c.redirect_uri, c.scope, c.patient_id, c.purpose, c.code_challenge,
            c.expires_at <= now() AS expired, c.used, u.disabled
       FROM smart_code c JOIN app_user u ON u.id = c.user_id
      WHERE c.code_hash = $1 FOR UPDATE OF c`,
    [sha256(input.code)],
  );
  const row = res.rows[0];
  const invalid = (why: string) => new OAuthError(400, 'invalid_grant', why);
  if (!row || row.used || row.expired) throw invalid('The code is unknown, used or expired');
  await tx.query('UPDATE smart_code SET used = true WHERE code_hash = $1', [sha256(input.code)]);
  if (row.client_id !== input.clientId) throw invalid('The code was issued to another app');
  if (row.redirect_uri !== input.redirectUri)
    throw invalid('redirect_uri differs from the authorisation request');
  if (!pkceMatches(input.verifier, row.code_challenge))
    throw invalid('code_verifier does not match the challenge');
  if (row.disabled) throw invalid('The user is disabled');
  const grant = {
    userId: row.user_id,
    purpose: row.purpose,
    scope: row.scope,
    patientId: row.patient_id,
    clientId: row.client_id,
  };
  return { ...(await issueTokens(tx, grant, ttlSeconds)), userId: row.user_id };
}

interface RefreshRow {
  id: string;
  client_id: string;
  user_id: string;
  scope: string;
  patient_id: string | null;
  purpose: Purpose;
}

/**
 * A refresh token buys a new access token and a new refresh token (the old one is revoked: a
 * stolen one used after its owner is refused). `scope` may only narrow the original grant.
 */
export async function refreshTokens(
  tx: Queryable,
  input: { refreshToken: string; clientId: string; scope: string | undefined },
  ttlSeconds: number,
): Promise<TokenAnswer & { userId: string }> {
  const res = await tx.query<RefreshRow>(
    `UPDATE smart_refresh_token r SET revoked = true
       FROM app_user u
      WHERE r.token_hash = $1 AND NOT r.revoked AND r.expires_at > now() AND u.id = r.user_id AND NOT u.disabled
      RETURNING r.id, r.client_id, r.user_id, r.scope, r.patient_id, r.purpose`,
    [sha256(input.refreshToken)],
  );
  const row = res.rows[0];
  if (!row)
    throw new OAuthError(400, 'invalid_grant', 'The refresh token is unknown, used, revoked or expired');
  if (row.client_id !== input.clientId)
    throw new OAuthError(400, 'invalid_grant', 'The token belongs to another app');
  let scope = row.scope;
  if (input.scope) {
    const granted = new Set(row.scope.split(' '));
    const asked = input.scope.split(/\s+/).filter(Boolean);
    if (asked.some((s) => !granted.has(s)))
      throw new OAuthError(400, 'invalid_scope', 'A refresh may only narrow the scopes first granted');
    scope = scopeText(parseScopes(asked.join(' ')));
  }
  const grant = {
    userId: row.user_id,
    purpose: row.purpose,
    scope,
    patientId: row.patient_id,
    clientId: row.client_id,
  };
  return { ...(await issueTokens(tx, grant, ttlSeconds)), userId: row.user_id };
}

export interface Introspection {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  sub?: string;
  exp?: number;
  token_type?: string;
  patient?: string;
}

/** RFC 7662: what an access or refresh token is, or `{ active: false }` for anything else. */
export async function introspect(q: Queryable, token: string): Promise<Introspection> {
  const res = await q.query<{
    scope: string | null;
    client_id: string | null;
    username: string;
    user_id: string;
    expires_at: Date | string;
    patient_id: string | null;
    kind: string;
  }>(
    `SELECT t.scope, t.client_id, u.username, u.id AS user_id, t.expires_at, t.patient_id, 'access' AS kind
       FROM access_token t JOIN app_user u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND NOT t.revoked AND t.expires_at > now() AND NOT u.disabled
     UNION ALL
     SELECT r.scope, r.client_id, u.username, u.id, r.expires_at, r.patient_id, 'refresh'
       FROM smart_refresh_token r JOIN app_user u ON u.id = r.user_id
      WHERE r.token_hash = $1 AND NOT r.revoked AND r.expires_at > now() AND NOT u.disabled`,
    [sha256(token)],
  );
  const row = res.rows[0];
  if (!row) return { active: false };
  return {
    active: true,
    ...(row.scope !== null ? { scope: row.scope } : {}),
    ...(row.client_id !== null ? { client_id: row.client_id } : {}),
    username: row.username,
    sub: row.user_id,
    exp: Math.floor(new Date(row.expires_at).getTime() / 1000),
    token_type: row.kind === 'access' ? 'Bearer' : 'refresh_token',
    ...(row.patient_id !== null ? { patient: row.patient_id } : {}),
  };
}
