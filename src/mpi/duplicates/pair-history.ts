import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/index.ts';
import { orderedPair } from './review-tasks.ts';

/**
 * Each duplicate pair's history (table mpi_pair_event): scored onto the worklist, merged,
 * unmerged, decided not to be duplicates; who, when and why. Written in the same transaction as
 * the decision it records, so a pair's history never tells of a decision that did not happen.
 */

export type PairEventKind = 'scored' | 'merged' | 'unmerged' | 'not-duplicate';

export interface PairEventInput {
  a: string;
  b: string;
  event: PairEventKind;
  actor: string;
  reason?: string;
  /** Score and grade (scored); merge id, source and target (merged, unmerged). */
  detail?: Record<string, unknown>;
}

export interface PairEvent {
  a: string;
  b: string;
  event: PairEventKind;
  actor: string;
  at: string;
  reason?: string;
  detail: Record<string, unknown>;
}

export async function recordPairEvents(q: Queryable, events: readonly PairEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const pairs = events.map((e) => orderedPair(e.a, e.b));
  await q.query(
    `INSERT INTO mpi_pair_event (id, patient_id, patient_a, patient_b, event, actor, reason, detail)
     SELECT id, a, a, b, event, actor, reason, detail::jsonb
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
         AS e(id, a, b, event, actor, reason, detail)`,
    [
      events.map(() => randomUUID()),
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
      events.map((e) => e.event),
      events.map((e) => e.actor),
      events.map((e) => e.reason ?? null),
      events.map((e) => JSON.stringify(e.detail ?? {})),
    ],
  );
}

interface EventRow {
  patient_a: string;
  patient_b: string;
  event: PairEventKind;
  actor: string;
  at: Date | string;
  reason: string | null;
  detail: Record<string, unknown>;
}

/** The events of every pair among `patientIds` (a pair, or a group's records), oldest first. */
export async function historyAmong(q: Queryable, patientIds: readonly string[]): Promise<PairEvent[]> {
  const res = await q.query<EventRow>(
    `SELECT patient_a, patient_b, event, actor, at, reason, detail FROM mpi_pair_event
      WHERE patient_a = ANY($1::text[]) AND patient_b = ANY($1::text[])
      ORDER BY at, event`,
    [[...patientIds]],
  );
  return res.rows.map((r) => ({
    a: r.patient_a,
    b: r.patient_b,
    event: r.event,
    actor: r.actor,
    at: new Date(r.at).toISOString(),
    ...(r.reason ? { reason: r.reason } : {}),
    detail: r.detail,
  }));
}
