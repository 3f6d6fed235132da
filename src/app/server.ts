import { readFileSync } from 'node:fs';
import formbody from '@fastify/formbody';
import helmet from 'helmet';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { assertAllowed } from '../fhir/access-check.ts';
import { queueAudit, recordAudit } from '../fhir/audit-trail.ts';
import type { AuditEntry } from '../fhir/audit-event.ts';
import { registerAuditRoutes } from '../audit/routes.ts';
import { registerAuthRoutes } from '../auth/routes.ts';
import { registerCodingRoutes } from '../coding/index.ts';
import { registerChartRoutes } from '../chart/index.ts';
import { registerMpiRoutes } from '../mpi/index.ts';
import { clockRulesFor, feeRulesFromFile, registerDisclosureRoutes } from '../disclosure/index.ts';
import { registerCompletenessRoutes } from '../completeness/index.ts';
import { registerRetentionRoutes } from '../retention/index.ts';
import { registerRegistryRoutes } from '../registry/index.ts';
import { registerOperationsRoutes, type OperatorKey } from '../operations/index.ts';
import { registerBulkExportRoutes } from '../bulk/index.ts';
import { registerTransferRoutes } from '../transfer/index.ts';
import { registerReportRoutes } from '../reports/index.ts';
import { authenticate } from '../auth/tokens.ts';
import type { Config } from './config.ts';
import type { Db } from '../db/index.ts';
import { StatementCancelled } from '../db/db.ts';
import { loadDefinitions } from '../fhir/definitions.ts';
import { assertJsonShape } from '../fhir/json-shape.ts';
import { badRequest, isOutcomeError, outcome, unauthorized } from '../fhir/outcomes.ts';
import { FHIR_JSON, isFhirApiUrl, registerFhirRoutes } from '../fhir/routes.ts';
import { parseExact, stringifyExact } from '../fhir/exact-json.ts';
import { registerWebApp } from './web-app.ts';

export interface RouteInfo {
  method: string;
  url: string;
  public: boolean;
}

const catalogs = new WeakMap<FastifyInstance, RouteInfo[]>();

/** Every route the app registered: the security tests walk this list so no route escapes them. */
export function registeredRoutes(app: FastifyInstance): RouteInfo[] {
  return catalogs.get(app) ?? [];
}

export interface AppDeps {
  db: Db;
  config: Pick<
    Config,
    | 'tokenTtlSeconds'
    | 'corsOrigins'
    | 'maxBodyBytes'
    | 'tlsCert'
    | 'tlsKey'
    | 'maxDocumentBytes'
    | 'roiState'
    | 'roiFeesFile'
  >;
  /** Serve the built web UI (off in API-only tests). */
  web?: boolean;
  /** The local operator's key (src/operations/operator.ts): the CLI's way in while the server runs. */
  operator?: OperatorKey | undefined;
}

/**
 * The security headers of the FHIR API's answers, which are FHIR JSON only: the set OWASP's REST
 * Security Cheat Sheet gives for API responses, in place of helmet's headers for pages (script,
 * image and frame sources, cross-origin policies) that a JSON answer has no use for. Patient data
 * is never kept by a browser or a proxy (`no-store`); a browser that renders an answer anyway runs
 * nothing from it (`default-src 'none'`); framing by our own pages only, as for every other answer.
 * Twelve headers were a twentieth of an audited read, writing and parsing them.
 */
const FHIR_API_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Cache-Control', 'no-store'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'self'"],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'SAMEORIGIN'],
];

/**
 * The HTTP application, read as a table of contents: security hooks, then one router per
 * module. Every route must declare `config.access` (or `config.public`), checked at start.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  loadDefinitions();
  const { db, config } = deps;
  const https =
    config.tlsCert && config.tlsKey
      ? { https: { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } }
      : {};
  const app = Fastify({
    logger: false,
    bodyLimit: config.maxBodyBytes,
    trustProxy: false,
    ...https,
  }) as unknown as FastifyInstance;

  // Security headers from helmet, its middleware built once (the Fastify plugin rebuilds it on
  // every request, a measurable share of a read).
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'"],
        'img-src': ["'self'", 'data:', 'blob:'],
        'frame-src': ["'self'", 'blob:', 'data:'],
        'object-src': ["'self'", 'blob:', 'data:'],
      },
    },
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (isFhirApiUrl(request.url)) {
      for (const [name, value] of FHIR_API_HEADERS) reply.raw.setHeader(name, value);
      return done();
    }
    securityHeaders(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined));
  });
  if (config.corsOrigins.length > 0) {
    const cors = (await import('@fastify/cors')).default;
    await app.register(cors, { origin: config.corsOrigins });
  }
  await app.register(formbody);
  registerJsonParsers(app);

  const catalog: RouteInfo[] = [];
  catalogs.set(app, catalog);
  app.addHook('onRoute', (route) => {
    const cfg = route.config as { access?: unknown; public?: boolean } | undefined;
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD')
        catalog.push({ method, url: route.url, public: !!cfg?.public || route.url === '/*' });
    }
    // '/*' is the static file route of the built web UI: no patient data lives there.
    if (route.method === 'HEAD' || route.url === '/*' || cfg?.public || cfg?.access) return;
    throw new Error(
      `Route ${String(route.method)} ${route.url} declares neither config.access nor config.public`,
    );
  });

  app.addHook('onRequest', async (request) => {
    const cfg = request.routeOptions.config;
    if (cfg.public || !request.routeOptions.url) return;
    const header = request.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m?.[1]) throw unauthorized('A Bearer token is required (POST /oauth2/token)');
    const ctx = deps.operator?.contextFor(m[1], request.ip) ?? (await authenticate(db, m[1], request.ip));
    if (!ctx) throw unauthorized('The token is unknown, expired or revoked');
    request.ctx = ctx;
  });

  // Every route's input is checked here at the edge: no NUL in the URL (PostgreSQL refuses
  // it in text, so a search value holding one was a 500), and no body nested deeper than the
  // validator and the store can walk or holding a NUL (JSON and form bodies alike).
  app.addHook('preValidation', async (request) => {
    if (request.url.includes('%00')) throw badRequest('The URL must not contain a NUL character (%00)');
    assertJsonShape(request.body);
  });

  app.addHook('preHandler', async (request) => {
    const access = request.routeOptions.config.access;
    if (request.ctx && access && access.resource !== '*')
      assertAllowed(request.ctx, access.resource, access.action);
  });

  // Routes that don't go through FhirStore are audited here, success or refusal alike, before
  // the answer leaves: a caller never sees a response whose access is not yet on record.
  app.addHook('onSend', async (request, reply, payload) => {
    const cfg = request.routeOptions.config;
    if (!request.ctx || cfg.public || cfg.auditedByStore || !cfg.access) return payload;
    const status = reply.statusCode;
    // Successful reads share a group commit (queueAudit); changes and refusals get their own.
    // Either way the record is durable before the answer leaves.
    const record =
      request.method === 'GET' && status < 400
        ? (e: AuditEntry[]) => queueAudit(db, e)
        : (e: AuditEntry[]) => recordAudit(db, e);
    await record([
      {
        action: cfg.access.action,
        outcome: status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure',
        username: request.ctx.username,
        userId: request.ctx.userId,
        role: request.ctx.role,
        purpose: request.ctx.purpose,
        sourceAddress: request.ip,
        query: `${request.method} ${request.url}`,
        patientIds: request.auditPatients,
      },
    ]);
    return payload;
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isOutcomeError(err)) return reply.code(err.status).type(FHIR_JSON).send(err.outcome);
    // A statement past the database's statement timeout (src/db/postgres.ts): not a server fault.
    if (err instanceof StatementCancelled)
      return reply
        .code(503)
        .type(FHIR_JSON)
        .send(outcome('error', 'too-costly', err.message));
    const status = err.statusCode ?? 500;
    if (status === 413)
      return reply
        .code(413)
        .type(FHIR_JSON)
        .send(outcome('error', 'too-costly', 'The request body is too large'));
    if (status === 415) {
      return reply
        .code(415)
        .type(FHIR_JSON)
        .send(
          outcome(
            'error',
            'not-supported',
            `Unsupported content type '${request.headers['content-type'] ?? ''}': send application/fhir+json`,
          ),
        );
    }
    if (status === 429)
      return reply
        .code(429)
        .type(FHIR_JSON)
        .send(outcome('error', 'throttled', 'Too many requests; try again later'));
    if (status >= 400 && status < 500)
      return reply
        .code(status)
        .type(FHIR_JSON)
        .send(outcome('error', 'invalid', err.message));
    console.error(err);
    return reply
      .code(500)
      .type(FHIR_JSON)
      .send(outcome('error', 'exception', 'Internal server error'));
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type(FHIR_JSON)
      .send(outcome('error', 'not-found', `No route ${request.method} ${request.url.split('?')[0] ?? ''}`)),
  );

  await registerAuthRoutes(app, { db, tokenTtlSeconds: config.tokenTtlSeconds });
  registerFhirRoutes(app, { db });
  registerAuditRoutes(app, { db });
  registerCodingRoutes(app, { db });
  registerChartRoutes(app, { db });
  registerMpiRoutes(app, { db });
  registerDisclosureRoutes(app, {
    db,
    clock: clockRulesFor(config.roiState),
    ...(config.roiFeesFile ? { fees: feeRulesFromFile(config.roiFeesFile) } : {}),
  });
  await registerCompletenessRoutes(app, { db, maxDocumentBytes: config.maxDocumentBytes });
  registerRetentionRoutes(app, { db });
  await registerRegistryRoutes(app, { db });
  registerOperationsRoutes(app, { db });
  registerBulkExportRoutes(app, { db });
  registerTransferRoutes(app, { db });
  registerReportRoutes(app, { db });
  if (deps.web) await registerWebApp(app);
  return app;
}

function registerJsonParsers(app: FastifyInstance): void {
  // Decimals keep the text they were sent with, in and out (src/fhir/exact-json.ts).
  app.setReplySerializer((payload) => stringifyExact(payload));
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    ['application/json', 'application/fhir+json', 'application/json-patch+json'],
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, parseExact(text));
      } catch (err) {
        const e = Object.assign(new Error(`Malformed JSON: ${(err as Error).message}`), { statusCode: 400 });
        done(e, undefined);
      }
    },
  );
}
