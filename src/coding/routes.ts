import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/index.ts';
import { badRequest, notFound } from '../fhir/outcomes.ts';
import { validateCoding } from './edits.ts';
import { expandOperation, lookupOperation } from './fhir.ts';
import { lookupCode } from './lookup.ts';
import { pcsBuilderStep } from './pcs-builder.ts';
import { MAX_LIMIT, searchCodes } from './search.ts';
import { isCodeSystemId, type CodeSystemId } from './systems.ts';
import { registerWorkflowRoutes } from './workflow-routes.ts';

const access = { access: { resource: 'CodeSystem', action: 'read' as const } };

type Query = Record<string, string | undefined>;

/** HTTP adapter over the coding functions: JSON routes for the encoder and the FHIR operations. */
export function registerCodingRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;

  app.get<{ Querystring: Query }>('/coding/codes', { config: access }, async (req) => {
    const { q, system, fy, limit } = req.query;
    if (!q?.trim()) throw badRequest('q is required', ['q']);
    return {
      codes: await searchCodes(db, {
        q,
        system: optionalSystem(system),
        fy: optionalFy(fy),
        limit: parseLimit(limit),
      }),
    };
  });

  app.get<{ Params: { system: string; code: string }; Querystring: Query }>(
    '/coding/codes/:system/:code',
    { config: access },
    async (req) => {
      const system = optionalSystem(req.params.system);
      if (!system) throw badRequest('system is required');
      const detail = await lookupCode(db, system, req.params.code, optionalFy(req.query.fy));
      if (!detail) throw notFound(`Code ${req.params.code} is not loaded for ${system}`);
      return detail;
    },
  );

  app.get<{ Querystring: Query }>('/coding/pcs/builder', { config: access }, async (req) => {
    const prefix = (req.query.prefix ?? '').trim().toUpperCase();
    if (!/^[0-9A-HJ-NP-Z]{0,7}$/.test(prefix))
      throw badRequest('prefix must be 0-7 ICD-10-PCS characters (digits and letters but I and O)', [
        'prefix',
      ]);
    const step = await pcsBuilderStep(db, prefix, optionalFy(req.query.fy));
    if (!step) throw notFound(`No ICD-10-PCS code starts with "${prefix}" in the loaded release`);
    return step;
  });

  app.post('/coding/validate', { config: access }, async (req) => validateCoding(db, req.body));

  app.get<{ Querystring: Query }>('/fhir/R4/CodeSystem/$lookup', { config: access }, async (req, reply) => {
    const result = await lookupOperation(db, {
      system: req.query.system,
      code: req.query.code,
      version: req.query.version,
    });
    return reply.type('application/fhir+json').send(result);
  });

  app.get<{ Querystring: Query }>('/fhir/R4/ValueSet/$expand', { config: access }, async (req, reply) => {
    const { url, filter, count, version } = req.query;
    const result = await expandOperation(db, { url, filter, count, version });
    return reply.type('application/fhir+json').send(result);
  });

  registerWorkflowRoutes(app, deps);
}

function optionalSystem(value: string | undefined): CodeSystemId | undefined {
  if (value === undefined || value === '') return undefined;
  if (!isCodeSystemId(value))
    throw badRequest(`system must be one of icd10cm, icd10pcs, hcpcs (got "${value}")`, ['system']);
  return value;
}

function optionalFy(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{4}$/.test(value)) throw badRequest('fy must be a four-digit year such as 2021', ['fy']);
  return value;
}

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT)
    throw badRequest(`limit must be a whole number from 1 to ${MAX_LIMIT}`, ['limit']);
  return n;
}
