import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/index.ts';
import { assertValidResource } from '../fhir/definitions.ts';
import { allOk, badRequest } from '../fhir/outcomes.ts';
import { FHIR_BASE, FHIR_JSON, storeFor } from '../fhir/routes.ts';
import { mergePatientGroup, mergePatientRecords, unmergePatients } from './merge.ts';
import { markNotDuplicates } from './duplicates/not-duplicate.ts';
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
import { groupDetail, listWorklist, pairDetail } from './duplicates/worklist.ts';
import { listDecisions, type DecisionKind } from './duplicates/decisions.ts';

/** HTTP adapters of the MPI: FHIR operations and the duplicate worklist. */
export function registerMpiRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;
  const merge = { access: { resource: 'Patient', action: 'merge' }, auditedByStore: true } as const;

  // Input errors are audited too: these routes are audited by the store, and a refused body never
  // reaches the store's own operations.
  app.post(`${FHIR_BASE}/Patient/$merge`, { config: merge }, async (request, reply) => {
    const store = storeFor(db, request);
    const { source, target, result, reason } = await store.audited('merge', 'Patient/$merge', async () => {
      const p = asParameters(request.body);
      const sourceId = patientIdParam(p, 'source-patient');
      const targetId = patientIdParam(p, 'target-patient');
      if (!sourceId || !targetId) throw badRequest('source-patient and target-patient are required');
      const resultPatient = resourceParam(p, 'result-patient');
      if (resultPatient && resultPatient.resourceType !== 'Patient')
        throw badRequest('result-patient must be a Patient');
      return { source: sourceId, target: targetId, result: resultPatient, reason: stringParam(p, 'reason') };
    });
    const done = await mergePatientRecords(store, source, target, {
      ...(result ? { resultPatient: result } : {}),
      ...(reason ? { reason } : {}),
    });
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
      const reason = stringParam(p, 'reason');
      return {
        ...(mergeId ? { mergeId } : {}),
        ...(sourceId ? { sourceId } : {}),
        ...(reason ? { reason } : {}),
      };
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

  // One pair ({ a, b }), or one record and the others of its group it is not ({ a, b: [...] }).
  app.post(
    '/mpi/not-duplicate',
    { config: { access: { resource: 'MpiReview', action: 'merge' } } },
    async (request, reply) => {
      const body = (request.body ?? {}) as { a?: unknown; b?: unknown; reason?: unknown };
      const a = typeof body.a === 'string' ? body.a : '';
      const others: unknown[] = Array.isArray(body.b) ? body.b : [typeof body.b === 'string' ? body.b : ''];
      request.auditPatients = [a, ...others.filter((o): o is string => typeof o === 'string')];
      const done = await markNotDuplicates(
        storeFor(db, request),
        others.map((b) => [a, b] as const),
        typeof body.reason === 'string' ? body.reason : '',
      );
      return reply.send({ a, b: body.b, ...done });
    },
  );

  // A group's decision: these records are the survivor's person; all merged in one transaction.
  app.post('/mpi/groups/merge', { config: merge }, async (request, reply) => {
    const store = storeFor(db, request);
    const input = await store.audited('merge', 'mpi/groups/merge', async () => {
      const body = (request.body ?? {}) as { survivor?: unknown; records?: unknown; reason?: unknown };
      const records = body.records;
      if (
        typeof body.survivor !== 'string' ||
        !Array.isArray(records) ||
        records.some((r) => typeof r !== 'string')
      )
        throw badRequest('survivor (a patient id) and records (patient ids) are required');
      return {
        survivor: body.survivor,
        records: records as string[],
        reason: typeof body.reason === 'string' ? body.reason : '',
      };
    });
    const done = await mergePatientGroup(store, input.survivor, input.records, { reason: input.reason });
    return reply.send({
      survivor: input.survivor,
      merges: done.map((d) => ({ mergeId: d.mergeId, source: d.sourceId })),
    });
  });

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
  app.get<{ Querystring: { limit?: string; offset?: string; status?: string; month?: string } }>(
    '/mpi/worklist',
    { config: review },
    async (request, reply) => {
      const q = request.query;
      const status = duplicateStatus(q.status);
      const month = monthParam(q.month);
      const paging = {
        limit: queryInteger(q.limit, 'limit', 50, 1),
        offset: queryInteger(q.offset, 'offset', 0),
        ...(month ? { month } : {}),
      };
      // Decided pairs (the dashboard's merged and not-duplicate points) are listed, not reviewed.
      if (status !== 'open') {
        const decided = await listDecisions(storeFor(db, request), { kind: status, ...paging });
        request.auditPatients = [...new Set(decided.decisions.flatMap((d) => [d.a.id, d.b.id]))];
        return reply.send({ total: decided.total, pairs: [], groups: [], decisions: decided.decisions });
      }
      const result = await listWorklist(storeFor(db, request), paging);
      request.auditPatients = [
        ...new Set([
          ...result.pairs.flatMap((p) => [p.a.id, p.b.id]),
          ...result.groups.flatMap((g) => g.records.map((r) => r.id)),
        ]),
      ];
      return reply.send(result);
    },
  );

  app.get<{ Params: { taskId: string } }>(
    '/mpi/groups/:taskId',
    { config: review },
    async (request, reply) => {
      const group = await groupDetail(storeFor(db, request), request.params.taskId);
      request.auditPatients = group.records.map((r) => r.id);
      return reply.send(group);
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

/** The worklist's `status`: open pairs (the default) or pairs merged / decided not duplicates. */
function duplicateStatus(value: string | undefined): 'open' | DecisionKind {
  if (value === undefined || value === '' || value === 'open') return 'open';
  if (value === 'merged' || value === 'not-duplicate') return value;
  throw badRequest(`status must be open, merged or not-duplicate, not '${value}'`, ['status']);
}

/** A month (YYYY-MM) or nothing. */
function monthParam(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value))
    throw badRequest(`month must be YYYY-MM, not '${value}'`, ['month']);
  return value;
}
