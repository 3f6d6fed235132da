import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/index.ts';
import { assertValidResource } from '../fhir/definitions.ts';
import { allOk, badRequest } from '../fhir/outcomes.ts';
import { FHIR_BASE, FHIR_JSON, storeFor } from '../fhir/routes.ts';
import { mergePatientRecords, unmergePatients } from './merge.ts';
import { markNotDuplicate } from './duplicates/not-duplicate.ts';
import { matchPatient } from './match-operation.ts';
import {
  asParameters,
  booleanParam,
  integerParam,
  patientIdParam,
  queryInteger,
  resourceParam,
  stringParam,
} from './route-parameters.ts';
import { listWorklist, pairDetail } from './duplicates/worklist.ts';

/** HTTP adapters of the MPI: FHIR operations and the duplicate worklist. */
export function registerMpiRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;
  const merge = { access: { resource: 'Patient', action: 'merge' }, auditedByStore: true } as const;

  // Input errors are audited too: these routes are audited by the store, and a refused body never
  // reaches the store's own operations.
  app.post(`${FHIR_BASE}/Patient/$merge`, { config: merge }, async (request, reply) => {
    const store = storeFor(db, request);
    const { source, target, result } = await store.audited('merge', 'Patient/$merge', async () => {
      const p = asParameters(request.body);
      const sourceId = patientIdParam(p, 'source-patient');
      const targetId = patientIdParam(p, 'target-patient');
      if (!sourceId || !targetId) throw badRequest('source-patient and target-patient are required');
      const resultPatient = resourceParam(p, 'result-patient');
      if (resultPatient && resultPatient.resourceType !== 'Patient')
        throw badRequest('result-patient must be a Patient');
      return { source: sourceId, target: targetId, result: resultPatient };
    });
    const done = await mergePatientRecords(store, source, target, result ? { resultPatient: result } : {});
    const survivor = await store.read('Patient', target);
    return reply.type(FHIR_JSON).send({
      resourceType: 'Parameters',
      parameter: [
        { name: 'outcome', resource: allOk(`Patient/${source} merged into Patient/${target}`) },
        { name: 'merge-id', valueString: done.mergeId },
        { name: 'result', resource: survivor },
      ],
    });
  });

  app.post(`${FHIR_BASE}/Patient/$unmerge`, { config: merge }, async (request, reply) => {
    const store = storeFor(db, request);
    const which = await store.audited('merge', 'Patient/$unmerge', async () => {
      const p = asParameters(request.body);
      const mergeId = stringParam(p, 'merge-id');
      const sourceId = patientIdParam(p, 'source-patient');
      return { ...(mergeId ? { mergeId } : {}), ...(sourceId ? { sourceId } : {}) };
    });
    const done = await unmergePatients(store, which);
    return reply.type(FHIR_JSON).send({
      resourceType: 'Parameters',
      parameter: [
        { name: 'outcome', resource: allOk(`Merge ${done.mergeId} undone`) },
        { name: 'merge-id', valueString: done.mergeId },
        ...done.restored.map((r) => ({ name: 'restored', valueReference: { reference: r } })),
      ],
    });
  });

  app.post(
    '/mpi/not-duplicate',
    { config: { access: { resource: 'MpiReview', action: 'merge' } } },
    async (request, reply) => {
      const body = (request.body ?? {}) as { a?: unknown; b?: unknown; reason?: unknown };
      const a = typeof body.a === 'string' ? body.a : '';
      const b = typeof body.b === 'string' ? body.b : '';
      request.auditPatients = [a, b];
      const done = await markNotDuplicate(
        storeFor(db, request),
        a,
        b,
        typeof body.reason === 'string' ? body.reason : '',
      );
      return reply.send({ a, b, ...done });
    },
  );

  app.post(
    `${FHIR_BASE}/Patient/$match`,
    { config: { access: { resource: 'Patient', action: 'search' }, auditedByStore: true } },
    async (request, reply) => {
      const store = storeFor(db, request);
      const input = await store.audited('operation', 'Patient/$match', async () => {
        const p = asParameters(request.body);
        const patient = resourceParam(p, 'resource');
        if (patient?.resourceType !== 'Patient') throw badRequest('Parameter resource must be a Patient');
        // The matcher reads names, addresses and identifiers as FHIR types: check them first.
        assertValidResource(patient);
        const onlyCertainMatches = booleanParam(p, 'onlyCertainMatches');
        const count = integerParam(p, 'count');
        return {
          patient,
          options: {
            ...(onlyCertainMatches !== undefined ? { onlyCertainMatches } : {}),
            ...(count !== undefined ? { count } : {}),
          },
        };
      });
      const bundle = await matchPatient(store, input.patient, input.options);
      return reply.type(FHIR_JSON).send(bundle);
    },
  );

  const review = { access: { resource: 'MpiReview', action: 'read' } } as const;
  app.get<{ Querystring: { limit?: string; offset?: string } }>(
    '/mpi/worklist',
    { config: review },
    async (request, reply) => {
      const result = await listWorklist(storeFor(db, request), {
        limit: queryInteger(request.query.limit, 'limit', 50, 1),
        offset: queryInteger(request.query.offset, 'offset', 0),
      });
      request.auditPatients = [...new Set(result.pairs.flatMap((p) => [p.a.id, p.b.id]))];
      return reply.send(result);
    },
  );

  app.get<{ Params: { taskId: string } }>(
    '/mpi/pairs/:taskId',
    { config: review },
    async (request, reply) => {
      const pair = await pairDetail(storeFor(db, request), request.params.taskId);
      request.auditPatients = [pair.a.id, pair.b.id];
      return reply.send(pair);
    },
  );
}
