import { createHash } from 'node:crypto';
import type { Queryable } from '../db/index.ts';
import type { Purpose, Role } from '../shared/index.ts';

// The lookups behind `authenticate` (tokens.ts), cached. Its own file because users.ts must
// clear the cache when a user changes and tokens.ts reads users: each imports this file and
// neither imports the other.

/** Tokens are stored as their SHA-256 only. */
export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface TokenRow {
  token_id: string;
  user_id: string;
  username: string;
  role: Role;
  purpose: Purpose;
  expires_at: Date | string;
  /** A SMART token's granted scopes, its patient context and its app (NULL otherwise). */
  scope: string | null;
  patient_id: string | null;
  client_id: string | null;
  /** The Patient a patient user is. */
  user_patient_id: string | null;
}

/**
 * Valid tokens seen recently, so a chart view does not pay a join per request. An entry lives
 * at most TOKEN_CACHE_MS and never past the token's expiry; logout, disabling a user, a new
 * password or a new role clear this process's cache once the change has committed (other
 * processes within the TTL).
 */
const TOKEN_CACHE_MS = 30_000;
const tokenCache = new Map<string, { row: TokenRow; until: number }>();

/** Active break-the-glass grants per user, kept no longer than the earliest grant lasts. */
const glassCache = new Map<string, { patients: string[]; until: number }>();

/**
 * Bumped by every forget. A lookup keeps what it read only when no forget came while it ran: a
 * lookup that read a user just before a change committed must not put the old row back.
 */
let generation = 0;

/** Call after the change has committed: a lookup before the commit still reads the old rows. */
export function forgetCachedTokens(): void {
  generation += 1;
  tokenCache.clear();
  glassCache.clear();
}

export async function brokenGlassPatients(q: Queryable, userId: string): Promise<string[]> {
  const cached = glassCache.get(userId);
  if (cached && cached.until > Date.now()) return cached.patients;
  const started = generation;
  const res = await q.query<{ patient_id: string; expires_at: Date | string }>(
    'SELECT patient_id, min(expires_at) AS expires_at FROM break_glass WHERE user_id = $1 AND expires_at > now() GROUP BY patient_id',
    [userId],
  );
  const earliest = Math.min(
    Date.now() + TOKEN_CACHE_MS,
    ...res.rows.map((r) => new Date(r.expires_at).getTime()),
  );
  const patients = res.rows.map((r) => r.patient_id);
  if (started !== generation) return patients;
  if (glassCache.size > 10_000) glassCache.clear();
  glassCache.set(userId, { patients, until: earliest });
  return patients;
}

export async function tokenRow(q: Queryable, hash: string): Promise<TokenRow | undefined> {
  const cached = tokenCache.get(hash);
  if (cached && cached.until > Date.now()) return cached.row;
  tokenCache.delete(hash);
  const started = generation;
  const res = await q.query<TokenRow>(
    `SELECT t.id AS token_id, u.id AS user_id, u.username, u.role, t.purpose, t.expires_at,
            t.scope, t.patient_id, t.client_id, u.patient_id AS user_patient_id
       FROM access_token t JOIN app_user u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND NOT t.revoked AND t.expires_at > now() AND NOT u.disabled`,
    [hash],
  );
  const row = res.rows[0];
  if (row && started === generation) {
    if (tokenCache.size > 10_000) tokenCache.clear();
    tokenCache.set(hash, {
      row,
      until: Math.min(Date.now() + TOKEN_CACHE_MS, new Date(row.expires_at).getTime()),
    });
  }
  return row;
}
