import type { Parameters, Resource } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { FHIR_BASE, storeFor } from '../fhir/routes.ts';
import { assertNotHeld } from './holds.ts';

/**
 * A legal hold stands in front of the operations that would lose what it preserves: `DELETE
 * /fhir/R4/<type>/<id>` of a held record (a Patient: any hold of the patient), `Patient/$merge` of
 * a held source patient (merged away), and an accepted amendment's new versions of held records
 * (`POST /disclosure/amendments/:id/accept` with `amended`; an appended correction is allowed)
 * answer 409 with an OperationOutcome naming the hold, before anything is written. The refusal is audited as the operation's failure. A record the
 * caller may not read is left to the route, which answers 403, 404 or 410 as it would.
 */
export function registerHoldGuard(app: FastifyInstance, db: Db): void {
  app.addHook('preHandler', async (req) => {
    const access = req.routeOptions.config.access;
    if (!req.ctx || !access) return;
    const url = req.routeOptions.url;
    if (access.action === 'delete' && url === `${FHIR_BASE}/:type/:id`) {
      const { type, id } = req.params as { type: string; id: string };
      await guard(db, req, 'delete', type, id);
    } else if (access.action === 'update' && url === '/disclosure/amendments/:id/accept') {
      // An accepted amendment may write new versions of the records it names: not of held ones.
      const amended = (req.body as { amended?: unknown } | undefined)?.amended;
      if (!Array.isArray(amended)) return;
      for (const r of amended as Array<Partial<Resource>>)
        if (typeof r?.resourceType === 'string' && typeof r.id === 'string')
          await guard(db, req, 'update', r.resourceType, r.id);
    } else if (access.action === 'merge' && url === `${FHIR_BASE}/Patient/$merge`) {
      // The route checks the body itself; only a well-formed source is looked at here.
      const parameters: unknown = (req.body as Parameters | undefined)?.parameter;
      type Part = { name?: unknown; valueReference?: { reference?: unknown } } | null;
      const source = Array.isArray(parameters)
        ? (parameters as Part[]).find((p) => p?.name === 'source-patient')
        : undefined;
      const reference: unknown = source?.valueReference?.reference;
      const m = typeof reference === 'string' ? /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(reference) : null;
      if (m?.[1]) await guard(db, req, 'merge', 'Patient', m[1]);
    }
  });
}

async function guard(
  db: Db,
  req: FastifyRequest,
  action: 'delete' | 'merge' | 'update',
  type: string,
  id: string,
): Promise<void> {
  const store = storeFor(db, req);
  let record: Resource;
  try {
    record = await store.read(type, id);
  } catch {
    return;
  }
  await store.audited(action, `${type}/${id}`, () => assertNotHeld(db, record));
}
