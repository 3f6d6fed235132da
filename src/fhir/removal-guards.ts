import type { Resource } from '@medplum/fhirtypes';
import type { Db, Queryable } from '../db/index.ts';

/**
 * What the store is about to lose: a record deleted (by id, by criteria, or as a bundle entry),
 * or a patient merged away into another (its chart moves and it stops being a chart of its own).
 */
export type Removal = 'delete' | 'merge-away';

/**
 * A check another module needs before the store loses a record, run inside the write's
 * transaction so that what it reads cannot change before the write commits. It throws an
 * OperationOutcome error to refuse (the write then rolls back and is audited as failed).
 * src/retention's legal hold is one: src/fhir may not import it, so it registers here.
 */
export type RemovalGuard = (tx: Queryable, record: Resource, removal: Removal) => Promise<void>;

// Per database, not per process: test files share a worker's modules and each opens its own.
const guardsOf = new WeakMap<Db, RemovalGuard[]>();

/** Registers a guard for every later removal from `db` (once per server start). */
export function guardRemovals(db: Db, guard: RemovalGuard): void {
  guardsOf.set(db, [...(guardsOf.get(db) ?? []), guard]);
}

/** Runs every guard registered for `db` on a record about to be removed. */
export async function checkRemoval(db: Db, tx: Queryable, record: Resource, removal: Removal): Promise<void> {
  for (const guard of guardsOf.get(db) ?? []) await guard(tx, record, removal);
}
