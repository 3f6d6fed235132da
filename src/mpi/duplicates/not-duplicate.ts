import { isAllowed } from '../../shared/index.ts';
import { badRequest, forbidden, notFound } from '../../fhir/outcomes.ts';
import type { FhirStore } from '../../fhir/store.ts';
import { recordPairEvents } from './pair-history.ts';
import { closeReviewTasks, openReviewsOf, orderedPair, type OpenReview } from './review-tasks.ts';

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * Records that two patients are different people: the pair never returns to the duplicate
 * worklist (scoring skips it), and its open review Task is completed with that decision.
 */
export async function markNotDuplicate(
  store: FhirStore,
  x: string,
  y: string,
  reason: string,
): Promise<{ closedTasks: string[] }> {
  return markNotDuplicates(store, [[x, y]], reason);
}

/**
 * `markNotDuplicate` for several pairs at once, all or none (a group's record that is someone
 * else: the pairs it forms with each of the others).
 */
export async function markNotDuplicates(
  store: FhirStore,
  pairs: ReadonlyArray<readonly [unknown, unknown]>,
  reason: string,
): Promise<{ closedTasks: string[] }> {
  if (!isAllowed(store.ctx.role, 'MpiReview', 'merge')) throw forbidden('Deciding duplicates is not allowed');
  if (pairs.length === 0) throw badRequest('Name at least one pair');
  for (const [x, y] of pairs) {
    if (typeof x !== 'string' || typeof y !== 'string' || !ID.test(x) || !ID.test(y))
      throw badRequest('a and b must be patient ids');
    if (x === y) throw badRequest('A patient is always the same person as itself');
  }
  if (typeof reason !== 'string' || reason.trim() === '') throw badRequest('Give a reason');
  const ordered = pairs.map(([x, y]) => orderedPair(x as string, y as string));
  const ids = [...new Set(ordered.flat())];
  // Through the caller's store: a patient they may not see is not theirs to decide about.
  if ((await store.readMany('Patient', ids)).length !== ids.length)
    throw notFound('Both patients must exist');
  const open = new Map<string, OpenReview[]>();
  for (const [a] of ordered) if (!open.has(a)) open.set(a, await openReviewsOf(store, a));
  const text = reason.trim();
  return store.db.transaction(async (tx) => {
    const closed: string[] = [];
    for (const [a, b] of ordered) {
      await tx.query(
        `INSERT INTO mpi_not_duplicate (patient_a, patient_b, reason, decided_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (patient_a, patient_b) DO UPDATE SET reason = EXCLUDED.reason,
           decided_by = EXCLUDED.decided_by, decided_at = now()`,
        [a, b, text, store.ctx.username],
      );
      const closures = await closeReviewTasks(store, tx, open.get(a) ?? [], (other) =>
        other === b ? { status: 'completed', outcome: 'not-duplicate' } : undefined,
      );
      const tasks = closures.map((c) => ({ ...c.after, note: [{ text }] }));
      await store.writeInTransaction(tx, tasks, []);
      closed.push(...tasks.map((t) => t.id));
    }
    await recordPairEvents(
      tx,
      ordered.map(([a, b]) => ({
        a,
        b,
        event: 'not-duplicate' as const,
        actor: store.ctx.username,
        reason: text,
      })),
    );
    return { closedTasks: closed };
  });
}

/** A pair as one key whatever its order (`a|b`, canonical order). */
export function pairKey(x: string, y: string): string {
  const [a, b] = orderedPair(x, y);
  return `${a}|${b}`;
}
