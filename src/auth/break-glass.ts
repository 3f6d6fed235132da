import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/index.ts';
import { badRequest, forbidden, notFound } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';

/** How long a break-the-glass grant lasts. */
export const BREAK_GLASS_MINUTES = 30;

export interface BreakGlassGrant {
  id: string;
  userId: string;
  username?: string;
  patientId: string;
  reason: string;
  grantedAt: string;
  expiresAt: string;
  reviewedBy: string | null;
  reviewedAt: string | null;
  reviewNote: string | null;
}

interface GrantRow {
  id: string;
  user_id: string;
  username?: string;
  patient_id: string;
  reason: string;
  granted_at: Date | string;
  expires_at: Date | string;
  reviewed_by: string | null;
  reviewed_at: Date | string | null;
  review_note: string | null;
}

const iso = (d: Date | string | null): string | null => (d ? new Date(d).toISOString() : null);

const toGrant = (r: GrantRow): BreakGlassGrant => ({
  id: r.id,
  userId: r.user_id,
  ...(r.username ? { username: r.username } : {}),
  patientId: r.patient_id,
  reason: r.reason,
  grantedAt: iso(r.granted_at) ?? '',
  expiresAt: iso(r.expires_at) ?? '',
  reviewedBy: r.reviewed_by,
  reviewedAt: iso(r.reviewed_at),
  reviewNote: r.review_note,
});

/**
 * Grants a user time-limited access to one patient's sensitive records, for a stated reason.
 * `store` is the user's: it tells whether the patient exists, whatever the patient's labels (asked
 * before the transaction: on PGlite a query outside a running transaction waits for its end).
 * `inTransaction` runs in the grant's transaction (the audit entry of the grant).
 */
export async function breakGlass(
  db: Db,
  store: Pick<FhirStore, 'exists'>,
  input: { userId: string; patientId: string; reason: string; minutes?: number },
  inTransaction: (tx: Queryable, grant: BreakGlassGrant) => Promise<void> = async () => {},
): Promise<BreakGlassGrant> {
  const reason = input.reason.trim();
  if (reason.length < 10)
    throw badRequest('State the reason for breaking the glass (at least 10 characters)');
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(input.patientId)) throw badRequest('A patient id is required');
  if (!(await store.exists('Patient', input.patientId)))
    throw notFound(`Patient/${input.patientId} not found`);
  return db.transaction(async (tx) => {
    const res = await tx.query<GrantRow>(
      `INSERT INTO break_glass (id, user_id, patient_id, reason, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5)) RETURNING *`,
      [randomUUID(), input.userId, input.patientId, reason, input.minutes ?? BREAK_GLASS_MINUTES],
    );
    const grant = toGrant(res.rows[0] as GrantRow);
    await inTransaction(tx, grant);
    return grant;
  });
}

/** Every grant, unreviewed first: the privacy officer's review list. */
export async function listBreakGlass(
  q: Queryable,
  options: { unreviewedOnly?: boolean } = {},
): Promise<BreakGlassGrant[]> {
  const res = await q.query<GrantRow>(
    `SELECT b.*, u.username FROM break_glass b JOIN app_user u ON u.id = b.user_id
      ${options.unreviewedOnly ? 'WHERE b.reviewed_at IS NULL' : ''}
      ORDER BY (b.reviewed_at IS NULL) DESC, b.granted_at DESC LIMIT 500`,
  );
  return res.rows.map(toGrant);
}

/** Records the review of grant `id`; the user who broke the glass may not review it (403). */
export async function reviewBreakGlass(
  q: Queryable,
  id: string,
  reviewer: { userId: string; username: string },
  note: string,
): Promise<BreakGlassGrant> {
  const res = await q.query<GrantRow>(
    `UPDATE break_glass SET reviewed_by = $2, reviewed_at = now(), review_note = $3
      WHERE id = $1 AND user_id <> $4 RETURNING *`,
    [id, reviewer.username, note, reviewer.userId],
  );
  if (res.rows[0]) return toGrant(res.rows[0]);
  const exists = await q.query('SELECT 1 FROM break_glass WHERE id = $1', [id]);
  if (exists.rows.length === 0) throw notFound(`No break-the-glass grant ${id}`);
  throw forbidden('You cannot review your own break-the-glass grant: another reviewer must');
}
