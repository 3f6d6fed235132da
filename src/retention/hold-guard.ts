import type { Resource } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { guardRemovals } from '../fhir/removal-guards.ts';
import { storeFor } from '../fhir/routes.ts';
import { assertNotHeld } from './holds.ts';

/**
 * A legal hold stands in front of every operation that would lose what it preserves. The store
 * asks its removal guards (src/fhir/removal-guards.ts) inside the write's transaction before it
 * deletes a record (`DELETE` by id or by criteria, a bundle's DELETE entry) or merges a patient
 * away (`$merge`, the duplicate worklist, an HL7 A40): a held record answers 409 with an
 * OperationOutcome naming the hold, the transaction rolls back, and the refusal is audited as the
 * operation's failure. An accepted amendment's new versions of held records (`POST
 * /disclosure/amendments/:id/accept` with `amended`) are refused here, before anything is
 * written; an appended correction stays allowed. A record the caller may not read is left to the
 * route, which answers 403, 404 or 410 as it would.
 */
export function registerHoldGuard(app: FastifyInstance, db: Db): void {
  guardRemovals(db, (tx, record) => assertNotHeld(tx, record));
  app.addHook('preHandler', async (req) => {
    const access = req.routeOptions.config.access;
    if (!req.ctx || !access) return;
    if (access.action !== 'update' || req.routeOptions.url !== '/disclosure/amendments/:id/accept') return;
    // An accepted amendment may write new versions of the records it names: not of held ones.
    const amended = (req.body as { amended?: unknown } | undefined)?.amended;
    if (!Array.isArray(amended)) return;
    for (const r of amended as Array<Partial<Resource>>)
      if (typeof r?.resourceType === 'string' && typeof r.id === 'string')
        await guardAmended(db, req, r.resourceType, r.id);
  });
}

/** Refuses (audited as the amendment's update) a new version of a held record. */
async function guardAmended(db: Db, req: FastifyRequest, type: string, id: string): Promise<void> {
  const store = storeFor(db, req);
  let record: Resource;
  try {
    record = await store.read(type, id);
  } catch {
    return;
  }
  await store.audited('update', `${type}/${id}`, () => assertNotHeld(db, record));
}
