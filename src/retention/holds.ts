import { randomUUID } from 'node:crypto';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import { appendAudit } from '../fhir/audit-trail.ts';
import { patientOf } from '../fhir/definitions.ts';
import { badRequest, conflict, notFound, OutcomeError } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import { isCalendarDate } from '../disclosure/index.ts';
import { recordDate } from './patient-retention.ts';

/**
 * Legal holds (litigation, investigation, audit): a patient's records, one encounter, or a date
 * range of a patient's records are preserved while the hold stands. A hold blocks deletion,
 * merge-away and destruction of what it covers; placing and releasing it are audited. Kept in
 * `retention_hold` (migration 0801), never deleted: a released hold keeps who released it and why.
 */

export interface LegalHold {
  id: string;
  patientId: string;
  scope: string;
  encounterId?: string;
  from?: string;
  to?: string;
  matter: string;
  custodian?: string;
  placedBy: string;
  placedAt: string;
  releasedBy?: string;
  releasedAt?: string;
  releaseReason?: string;
}

interface HoldRow {
  id: string;
  patient_id: string;
  scope: string;
  encounter_id: string | null;
  date_from: string | Date | null;
  date_to: string | Date | null;
  matter: string;
  custodian: string | null;
  placed_by: string;
  placed_at: string | Date;
  released_by: string | null;
  released_at: string | Date | null;
  release_reason: string | null;
}

const day = (v: string | Date): string => (v instanceof Date ? v.toISOString() : v).slice(0, 10);
const instant = (v: string | Date): string =>
  v instanceof Date ? v.toISOString() : new Date(v).toISOString();

function holdOf(r: HoldRow): LegalHold {
  return {
    id: r.id,
    patientId: r.patient_id,
    scope: r.scope,
    ...(r.encounter_id ? { encounterId: r.encounter_id } : {}),
    ...(r.date_from ? { from: day(r.date_from) } : {}),
    ...(r.date_to ? { to: day(r.date_to) } : {}),
    matter: r.matter,
    ...(r.custodian ? { custodian: r.custodian } : {}),
    placedBy: r.placed_by,
    placedAt: instant(r.placed_at),
    ...(r.released_by ? { releasedBy: r.released_by } : {}),
    ...(r.released_at ? { releasedAt: instant(r.released_at) } : {}),
    ...(r.release_reason ? { releaseReason: r.release_reason } : {}),
  };
}

const text = (body: Record<string, unknown>, name: string, required: boolean): string | undefined => {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw badRequest(`'${name}' is required`, [name]);
    return undefined;
  }
  if (typeof v !== 'string' || v.trim() === '' || v.length > 500)
    throw badRequest(`'${name}' must be text`, [name]);
  return v.trim();
};

function objectBody(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('The body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Places a hold: `{ scope: "Patient/<id>" | "Encounter/<id>", matter, custodian?, from?, to? }`. */
export async function placeHold(store: FhirStore, body: unknown): Promise<LegalHold> {
  const raw = objectBody(body);
  const scope = text(raw, 'scope', true) ?? '';
  const m = /^(Patient|Encounter)\/([A-Za-z0-9\-.]{1,64})$/.exec(scope);
  if (!m?.[1] || !m[2]) throw badRequest(`'scope' must be Patient/<id> or Encounter/<id>`, ['scope']);
  const matter = text(raw, 'matter', true) ?? '';
  const custodian = text(raw, 'custodian', false);
  const date = (name: string): string | undefined => {
    const v = raw[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (!isCalendarDate(v)) throw badRequest(`'${name}' must be YYYY-MM-DD`, [name]);
    return v;
  };
  const from = date('from');
  const to = date('to');
  if (from && to && from > to) throw badRequest(`'from' is after 'to'`, ['from']);
  // The hold's target must exist and be visible to the caller (read audited under their name).
  const target = await store.read(m[1], m[2]);
  const patientId = m[1] === 'Patient' ? m[2] : patientOf(target);
  if (!patientId) throw badRequest(`${scope} belongs to no patient`, ['scope']);
  const hold: LegalHold = {
    id: randomUUID(),
    patientId,
    scope,
    ...(m[1] === 'Encounter' ? { encounterId: m[2] } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    matter,
    ...(custodian ? { custodian } : {}),
    placedBy: store.ctx.username,
    placedAt: new Date().toISOString(),
  };
  await store.db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO retention_hold (patient_id, id, scope, encounter_id, date_from, date_to, matter, custodian, placed_by, placed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        patientId,
        hold.id,
        scope,
        hold.encounterId ?? null,
        from ?? null,
        to ?? null,
        matter,
        custodian ?? null,
        hold.placedBy,
        hold.placedAt,
      ],
    );
    await appendAudit(tx, [
      store.auditEntry('create', 'success', {
        patientIds: [patientId],
        entities: [scope],
        query: `legal hold ${hold.id} placed`,
        detail: `legal hold placed: matter "${matter}"${custodian ? `, custodian ${custodian}` : ''}`,
      }),
    ]);
  });
  return hold;
}

/** Releases a standing hold (`{ reason? }`); the row stays, with who released it and when. */
export async function releaseHold(store: FhirStore, id: string, body: unknown): Promise<LegalHold> {
  const reason = body === undefined || body === null ? undefined : text(objectBody(body), 'reason', false);
  return store.db.transaction(async (tx) => {
    const found = await tx.query<HoldRow>('SELECT * FROM retention_hold WHERE id = $1 FOR UPDATE', [id]);
    const row = found.rows[0];
    if (!row) throw notFound(`No legal hold ${id}`);
    if (row.released_at) throw conflict(`Legal hold ${id} was already released`);
    const at = new Date().toISOString();
    const released = await tx.query<HoldRow>(
      `UPDATE retention_hold SET released_by = $3, released_at = $4, release_reason = $5
        WHERE patient_id = $1 AND id = $2 RETURNING *`,
      [row.patient_id, id, store.ctx.username, at, reason ?? null],
    );
    await appendAudit(tx, [
      store.auditEntry('update', 'success', {
        patientIds: [row.patient_id],
        entities: [row.scope],
        query: `legal hold ${id} released`,
        detail: `legal hold released: matter "${row.matter}"${reason ? `: ${reason}` : ''}`,
      }),
    ]);
    const out = released.rows[0];
    if (!out) throw notFound(`No legal hold ${id}`);
    return holdOf(out);
  });
}

/** Holds, standing ones by default, of one patient or all. */
export async function listHolds(
  db: Queryable,
  filter: { patientId?: string; all?: boolean },
): Promise<LegalHold[]> {
  const res = await db.query<HoldRow>(
    `SELECT * FROM retention_hold WHERE ($1::text IS NULL OR patient_id = $1) AND ($2 OR released_at IS NULL)
      ORDER BY placed_at DESC, id`,
    [filter.patientId ?? null, !!filter.all],
  );
  return res.rows.map(holdOf);
}

/** Whether a standing hold covers a record (its patient's records, its encounter, its dates). */
export function covers(hold: LegalHold, record: Resource): boolean {
  if (record.resourceType === 'Patient') return !hold.encounterId && !hold.from && !hold.to;
  if (hold.encounterId) {
    if (record.resourceType === 'Encounter') return record.id === hold.encounterId;
    return JSON.stringify(record).includes(`"Encounter/${hold.encounterId}"`);
  }
  if (hold.from || hold.to) {
    const date = recordDate(record);
    if (!date) return true; // Undated: kept, rather than guessed outside the range.
    return (!hold.from || date >= hold.from) && (!hold.to || date <= hold.to);
  }
  return true;
}

/** The 409 that names the holds standing in the way: nothing is changed. */
export function heldBy(holds: LegalHold[], what: string): OutcomeError {
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: holds.map((h) => ({
      severity: 'error',
      code: 'business-rule',
      diagnostics: `${what} is under legal hold ${h.id} (matter "${h.matter}"${h.custodian ? `, custodian ${h.custodian}` : ''}); release the hold first`,
      details: {
        coding: [{ system: 'urn:custodian:retention', code: 'legal-hold' }],
        text: `Legal hold ${h.id}: ${h.matter}`,
      },
    })),
  };
  return new OutcomeError(409, outcome);
}

/** Refuses (409) when a standing hold covers the record: any hold of the patient for a Patient. */
export async function assertNotHeld(db: Queryable, record: Resource): Promise<void> {
  const patientId = patientOf(record);
  if (!patientId) return;
  const standing = await listHolds(db, { patientId });
  const blocking = record.resourceType === 'Patient' ? standing : standing.filter((h) => covers(h, record));
  if (blocking.length > 0) throw heldBy(blocking, `${record.resourceType}/${record.id ?? ''}`);
}
