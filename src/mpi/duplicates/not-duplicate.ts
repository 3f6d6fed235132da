import { isAllowed } from '../../shared/index.ts';
import { badRequest, forbidden, notFound } from '../../fhir/outcomes.ts';
import type { FhirStore } from '../../fhir/store.ts';
import { closeReviewTasks, openReviewsOf, orderedPair } from './review-tasks.ts';

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
  if (!isAllowed(store.ctx.role, 'MpiReview', 'merge')) throw forbidden('Deciding duplicates is not allowed');
  if (typeof x !== 'string' || typeof y !== 'string' || !ID.test(x) || !ID.test(y))
    throw badRequest('a and b must be patient ids');
  if (x === y) throw badRequest('A patient is always the same person as itself');
  if (typeof reason !== 'string' || reason.trim() === '') throw badRequest('Give a reason');
  const [a, b] = orderedPair(x, y);
  // Through the caller's store: a patient they may not see is not theirs to decide about.
  if ((await store.readMany('Patient', [a, b])).length !== 2) throw notFound('Both patients must exist');
  const open = await openReviewsOf(store, a);
  return store.db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO mpi_not_duplicate (patient_a, patient_b, reason, decided_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (patient_a, patient_b) DO UPDATE SET reason = EXCLUDED.reason,
         decided_by = EXCLUDED.decided_by, decided_at = now()`,
      [a, b, reason.trim(), store.ctx.username],
    );
    const closures = await closeReviewTasks(store, tx, open, (other) =>
      other === b ? { status: 'completed', outcome: 'not-duplicate' } : undefined,
    );
    const tasks = closures.map((c) => ({ ...c.after, note: [{ text: reason.trim() }] }));
    await store.writeInTransaction(tx, tasks, []);
    return { closedTasks: tasks.map((t) => t.id) };
  });
}

/** A pair as one key whatever its order (`a|b`, canonical order). */
export function pairKey(x: string, y: string): string {
  const [a, b] = orderedPair(x, y);
  return `${a}|${b}`;
}
