import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { processBundle } from './bundle.ts';
import type { PatchDocument } from './patch.ts';
import { everythingQuery } from './everything.ts';
import { capabilityStatement } from './capability.ts';
import { badRequest, notAcceptable, unauthorized, unsupportedMediaType } from './outcomes.ts';
import { FhirStore, parseIfMatch } from './store.ts';
import { splitValues } from './search/parse-values.ts';
import { isSummaryMode, selectElements, summarize } from './summary.ts';

export const FHIR_BASE = '/fhir/R4';

/** Whether a request's URL is the FHIR API's: its base, or anything under it. */
export const isFhirApiUrl = (url: string): boolean =>
  url === FHIR_BASE || url.startsWith(`${FHIR_BASE}/`) || url.startsWith(`${FHIR_BASE}?`);
export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

type Params = { type: string; id: string; vid: string };

/** The request's store: the caller's context and this server's base URL. */
export function storeFor(db: Db, request: FastifyRequest): FhirStore {
  if (!request.ctx) throw unauthorized();
  const base = `${request.protocol}://${request.host}${FHIR_BASE}`;
  return new FhirStore(db, request.ctx, base);
}

function sendResource(reply: FastifyReply, resource: Resource | Bundle, status = 200): FastifyReply {
  if (resource.meta?.versionId) reply.header('ETag', `W/"${resource.meta.versionId}"`);
  if (resource.meta?.lastUpdated)
    reply.header('Last-Modified', new Date(resource.meta.lastUpdated).toUTCString());
  return reply.code(status).type(FHIR_JSON).send(resource);
}

function queryOf(request: FastifyRequest): URLSearchParams {
  const i = request.url.indexOf('?');
  return new URLSearchParams(i >= 0 ? request.url.slice(i + 1) : '');
}

/** `_summary` / `_elements` on a read: the part asked for, or undefined for the whole stored text. */
function readShape(query: URLSearchParams): ((resource: Resource) => Resource) | undefined {
  const elements = query.get('_elements');
  if (elements) {
    const names = splitValues(elements).filter(Boolean);
    return (resource) => selectElements(resource, names);
  }
  const summary = query.get('_summary');
  if (summary === null || summary === 'false') return undefined;
  if (!isSummaryMode(summary))
    throw badRequest(`Invalid _summary '${summary}' for a read (true, text, data or false)`);
  return (resource) => summarize(resource, summary);
}

/** FHIR writes take JSON only; anything else is 415 before the body is looked at. */
function requireJson(request: FastifyRequest): void {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (type !== 'application/fhir+json' && type !== 'application/json') {
    throw unsupportedMediaType(`Unsupported content type '${type ?? ''}': send application/fhir+json`);
  }
}

const mediaTypeOf = (request: FastifyRequest): string =>
  String(request.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase() ?? '';

/**
 * PATCH takes JSON Patch (`application/json-patch+json`) or FHIRPath Patch (a Parameters
 * resource as FHIR JSON); anything else is told so rather than read as something else.
 */
function patchFormat(request: FastifyRequest): PatchDocument['format'] | undefined {
  const type = mediaTypeOf(request);
  if (type === 'application/json-patch+json') return 'json-patch';
  const isParameters =
    (request.body as { resourceType?: unknown } | undefined)?.resourceType === 'Parameters';
  if ((type === 'application/fhir+json' || type === 'application/json') && isParameters)
    return 'fhirpath-patch';
  return undefined;
}

const notPatch = (request: FastifyRequest): Error =>
  unsupportedMediaType(
    `Unsupported PATCH body '${mediaTypeOf(request)}': send a JSON Patch as application/json-patch+json or a FHIRPath Patch (Parameters) as application/fhir+json`,
  );

/** A conditional interaction's search criteria: the query string, as If-None-Exist carries it. */
function criteriaOf(request: FastifyRequest): string {
  const query = queryOf(request);
  query.delete('_format');
  return query.toString();
}

const locationOf = (resource: Resource): string =>
  `${FHIR_BASE}/${resource.resourceType}/${resource.id ?? ''}/_history/${resource.meta?.versionId ?? ''}`;

const JSON_TYPES = new Set([
  '*/*',
  'application/*',
  'application/json',
  'application/fhir+json',
  'application/json+fhir',
]);
const JSON_FORMATS = new Set(['json', ...JSON_TYPES]);

/**
 * This server speaks FHIR JSON only: a client that accepts none of it (`Accept:
 * application/fhir+xml`, `_format=xml`) is told so with a 406 rather than sent JSON it did not
 * ask for. A browser's `Accept` includes the any-type wildcard, so it passes.
 */
function assertAcceptsJson(request: FastifyRequest): void {
  const format = queryOf(request).get('_format');
  // An unencoded '+' in `_format=application/fhir+json` arrives as a space.
  if (format !== null && !JSON_FORMATS.has(format.trim().toLowerCase().replace(' ', '+')))
    throw notAcceptable(`_format '${format}' is not offered here: this server answers FHIR JSON only`);
  const accept = request.headers.accept;
  if (!accept) return;
  const types = accept.split(',').map((t) => (t.split(';')[0] ?? '').trim().toLowerCase());
  if (!types.some((t) => JSON_TYPES.has(t)))
    throw notAcceptable(`Cannot answer in '${accept}': this server answers application/fhir+json only`);
}

/** `If-None-Match: W/"3"` (or `*`): the client already holds this version. */
function holdsVersion(request: FastifyRequest, versionId: string): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === `"${versionId}"`;
  });
}

const lenient = (request: FastifyRequest): boolean =>
  /handling\s*=\s*lenient/.test(String(request.headers.prefer ?? ''));

/** A bundle's own failures (not a valid Bundle, a transaction rolled back) are audited too. */
function runBundle(store: FhirStore, body: unknown) {
  const type = (body as { type?: unknown } | null)?.type;
  return store.audited('transaction', `Bundle (${String(type)})`, () => processBundle(store, body));
}

/** FHIR R4 REST interactions: thin adapters from HTTP to FhirStore. */
export function registerFhirRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;
  const store = { auditedByStore: true } as const;
  const any = (action: 'read' | 'search' | 'create' | 'update' | 'delete') => ({
    ...store,
    access: { resource: '*', action },
  });

  app.addHook('onRequest', async (request) => {
    if (isFhirApiUrl(request.url)) assertAcceptsJson(request);
  });

  app.get(`${FHIR_BASE}/metadata`, { config: { public: true } }, async (request, reply) =>
    reply.type(FHIR_JSON).send(capabilityStatement(`${request.protocol}://${request.host}${FHIR_BASE}`)),
  );

  app.post(
    `${FHIR_BASE}`,
    { config: any('create'), preValidation: async (r) => requireJson(r) },
    async (request, reply) =>
      reply.type(FHIR_JSON).send(await runBundle(storeFor(db, request), request.body)),
  );

  app.get(`${FHIR_BASE}/_history`, { config: any('read') }, async (request, reply) =>
    reply.type(FHIR_JSON).send(await storeFor(db, request).history(undefined, undefined, queryOf(request))),
  );

  const everything = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) =>
    reply
      .type(FHIR_JSON)
      .send(
        await storeFor(db, request).everything(
          request.params.id,
          everythingQuery(queryOf(request), request.body),
        ),
      );
  app.get<{ Params: Params }>(`${FHIR_BASE}/Patient/:id/$everything`, { config: any('read') }, everything);
  // An operation that changes nothing may be POSTed as well (FHIR operations, 3.1.0.11).
  app.post<{ Params: Params }>(`${FHIR_BASE}/Patient/:id/$everything`, { config: any('read') }, everything);

  app.get<{ Params: Params }>(`${FHIR_BASE}/:type`, { config: any('search') }, async (request, reply) =>
    reply.type(FHIR_JSON).send(
      await storeFor(db, request).search(request.params.type, queryOf(request), {
        lenient: lenient(request),
      }),
    ),
  );

  app.post<{ Params: Params }>(
    `${FHIR_BASE}/:type/_search`,
    { config: any('search') },
    async (request, reply) => {
      const query = queryOf(request);
      for (const [name, value] of formParameters(request.body)) query.append(name, value);
      return reply
        .type(FHIR_JSON)
        .send(await storeFor(db, request).search(request.params.type, query, { lenient: lenient(request) }));
    },
  );

  app.get<{ Params: Params }>(
    `${FHIR_BASE}/:type/_history`,
    { config: any('read') },
    async (request, reply) =>
      reply
        .type(FHIR_JSON)
        .send(await storeFor(db, request).history(request.params.type, undefined, queryOf(request))),
  );

  app.get<{ Params: Params }>(`${FHIR_BASE}/:type/:id`, { config: any('read') }, async (request, reply) => {
    const shape = readShape(queryOf(request));
    const found = await storeFor(db, request).readJson(request.params.type, request.params.id);
    reply
      .header('ETag', `W/"${found.versionId}"`)
      .header('Last-Modified', new Date(found.lastUpdated).toUTCString());
    // The read is checked and audited all the same; only the body the client holds is not sent.
    if (holdsVersion(request, found.versionId)) return reply.code(304).send();
    return reply.type(FHIR_JSON).send(shape ? shape(JSON.parse(found.json) as Resource) : found.json);
  });

  app.get<{ Params: Params }>(
    `${FHIR_BASE}/:type/:id/_history`,
    { config: any('read') },
    async (request, reply) =>
      reply
        .type(FHIR_JSON)
        .send(await storeFor(db, request).history(request.params.type, request.params.id, queryOf(request))),
  );

  app.get<{ Params: Params }>(
    `${FHIR_BASE}/:type/:id/_history/:vid`,
    { config: any('read') },
    async (request, reply) =>
      sendResource(
        reply,
        await storeFor(db, request).vread(request.params.type, request.params.id, request.params.vid),
      ),
  );

  app.post<{ Params: Params }>(
    `${FHIR_BASE}/:type`,
    { config: any('create'), preValidation: async (r) => requireJson(r) },
    async (request, reply) => {
      // `POST /fhir/R4/` (trailing slash, as some clients send it) is the base: run the bundle.
      if (request.params.type === '')
        return reply.type(FHIR_JSON).send(await runBundle(storeFor(db, request), request.body));
      const ifNoneExist = request.headers['if-none-exist'];
      const { resource, created } = await storeFor(db, request).create(request.body, {
        type: request.params.type,
        ...(typeof ifNoneExist === 'string' ? { ifNoneExist } : {}),
      });
      if (created)
        reply.header(
          'Location',
          `${FHIR_BASE}/${resource.resourceType}/${resource.id ?? ''}/_history/${resource.meta?.versionId ?? ''}`,
        );
      return sendResource(reply, resource, created ? 201 : 200);
    },
  );

  app.put<{ Params: Params }>(
    `${FHIR_BASE}/:type/:id`,
    { config: any('update'), preValidation: async (r) => requireJson(r) },
    async (request, reply) => {
      const ifMatch = parseIfMatch(request.headers['if-match']);
      const { resource, created } = await storeFor(db, request).update(
        request.params.type,
        request.params.id,
        request.body,
        { ifMatch },
      );
      if (created)
        reply.header(
          'Location',
          `${FHIR_BASE}/${resource.resourceType}/${resource.id ?? ''}/_history/${resource.meta?.versionId ?? ''}`,
        );
      return sendResource(reply, resource, created ? 201 : 200);
    },
  );

  app.patch<{ Params: Params }>(
    `${FHIR_BASE}/:type/:id`,
    { config: any('update') },
    async (request, reply) => {
      const store = storeFor(db, request);
      const { type, id } = request.params;
      // The wrong media type is refused as the update it was meant to be: audited like one.
      const format = patchFormat(request);
      if (!format) await store.audited('update', `${type}/${id}`, () => Promise.reject(notPatch(request)));
      const ifMatch = parseIfMatch(request.headers['if-match']);
      return sendResource(
        reply,
        (await store.patch(type, id, { format: format ?? 'json-patch', body: request.body }, { ifMatch }))
          .resource,
      );
    },
  );

  app.put<{ Params: Params }>(
    `${FHIR_BASE}/:type`,
    { config: any('update'), preValidation: async (r) => requireJson(r) },
    async (request, reply) => {
      const { resource, created } = await storeFor(db, request).conditionalUpdate(
        request.params.type,
        criteriaOf(request),
        request.body,
        { ifMatch: parseIfMatch(request.headers['if-match']) },
      );
      if (created) reply.header('Location', locationOf(resource));
      return sendResource(reply, resource, created ? 201 : 200);
    },
  );

  app.delete<{ Params: Params }>(`${FHIR_BASE}/:type`, { config: any('delete') }, async (request, reply) => {
    await storeFor(db, request).conditionalDelete(request.params.type, criteriaOf(request), {
      ifMatch: parseIfMatch(request.headers['if-match']),
    });
    return reply.code(204).send();
  });

  app.delete<{ Params: Params }>(
    `${FHIR_BASE}/:type/:id`,
    { config: any('delete') },
    async (request, reply) => {
      await storeFor(db, request).delete(request.params.type, request.params.id, {
        ifMatch: parseIfMatch(request.headers['if-match']),
      });
      return reply.code(204).send();
    },
  );
}

/**
 * The parameters of a POST _search form, each repeat kept: `given=a&given=b` is an AND of two
 * parameters, as in the URL (the form parser gives a list, which URLSearchParams would have joined
 * into one `a,b`: an OR).
 */
function formParameters(body: unknown): Array<[string, string]> {
  if (body === undefined || body === null || body === '') return [];
  if (typeof body !== 'object' || Array.isArray(body))
    throw badRequest('POST _search takes its parameters as application/x-www-form-urlencoded');
  return Object.entries(body).flatMap(([name, value]: [string, unknown]) =>
    (Array.isArray(value) ? value : [value]).map((item): [string, string] => [name, String(item)]),
  );
}
