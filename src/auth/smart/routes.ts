import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db, Queryable } from '../../db/index.ts';
import { appendAudit, recordAudit } from '../../fhir/audit-trail.ts';
import { badRequest, forbidden, unauthorized } from '../../fhir/outcomes.ts';
import { FhirStore } from '../../fhir/store.ts';
import type { RequestContext } from '../access.ts';
import { listApps, registerApp, secretMatches, setAppDisabled } from './apps.ts';
import { consentRequest, decideAuthorization, startAuthorization, startLaunch } from './authorize.ts';
import { ASSERTION_TYPE, backendServiceToken } from './backend.ts';
import { exchangeCode, introspect, OAuthError, refreshTokens, type TokenAnswer } from './grants.ts';
import { linkPatientUser } from './patient-users.ts';

/** The web app's consent screen (web/src/pages/smart). */
export const CONSENT_PAGE = '/app/smart/authorize';

const text = (body: unknown, name: string): string | undefined => {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

const origin = (request: FastifyRequest): string => `${request.protocol}://${request.host}`;
const fhirBase = (request: FastifyRequest): string => `${origin(request)}/fhir/R4`;

/** SMART App Launch 2.x discovery document (served at both well-known addresses). */
function smartConfiguration(request: FastifyRequest): Record<string, unknown> {
  const base = origin(request);
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth2/authorize`,
    token_endpoint: `${base}/oauth2/token`,
    introspection_endpoint: `${base}/oauth2/introspect`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    scopes_supported: [
      'launch',
      'launch/patient',
      'offline_access',
      'online_access',
      'patient/*.rs',
      'user/*.cruds',
      'system/*.rs',
      'patient/*.read',
      'user/*.read',
      'user/*.write',
      'system/*.read',
    ],
    capabilities: [
      'launch-ehr',
      'launch-standalone',
      'client-public',
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'context-ehr-patient',
      'context-standalone-patient',
      'permission-offline',
      'permission-online',
      'permission-patient',
      'permission-user',
      'permission-v1',
      'permission-v2',
    ],
  };
}

/** A signed-in person at the web app, not an app's token: only they approve apps and launch them. */
function personOf(request: FastifyRequest): RequestContext {
  const ctx = request.ctx;
  if (!ctx) throw unauthorized();
  if (ctx.clientId) throw forbidden('Only a person signed in to Custodian may do this, not an app');
  return ctx;
}

/** HTTP Basic client credentials (RFC 6749 2.3.1: each part form-encoded), or nothing. */
function basicCredentials(header: string | undefined): [string?, string?] {
  const basic = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!basic?.[1]) return [];
  try {
    const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':').map(decodeURIComponent);
    return [id, secret];
  } catch {
    throw new OAuthError(401, 'invalid_client', 'Malformed Basic credentials');
  }
}

/** The app a code or refresh grant comes from, authenticated when it is confidential. */
async function clientOf(db: Queryable, request: FastifyRequest): Promise<string> {
  const [basicId, basicSecret] = basicCredentials(request.headers.authorization);
  const clientId = basicId ?? text(request.body, 'client_id');
  const secret = basicSecret ?? text(request.body, 'client_secret');
  if (!clientId) throw new OAuthError(400, 'invalid_request', 'client_id is required');
  const confidential = await db.query<{ secret_hash: string | null }>(
    'SELECT secret_hash FROM smart_client WHERE id = $1 AND NOT disabled',
    [clientId],
  );
  const row = confidential.rows[0];
  if (!row) throw new OAuthError(401, 'invalid_client', 'Unknown or disabled client');
  if (row.secret_hash !== null && !(secret && (await secretMatches(db, clientId, secret))))
    throw new OAuthError(401, 'invalid_client', 'This app must authenticate with its secret');
  return clientId;
}

/**
 * The SMART grants of the token endpoint (authorization_code, refresh_token, client_credentials
 * with a signed assertion), each in one transaction with its audit record. Undefined for the
 * grants routes.ts answers itself (password, client_credentials with a secret).
 */
export async function smartGrant(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  ttlSeconds: number,
): Promise<FastifyReply | undefined> {
  const body = request.body;
  const grant = text(body, 'grant_type');
  const assertion = text(body, 'client_assertion');
  if (
    grant !== 'authorization_code' &&
    grant !== 'refresh_token' &&
    !(grant === 'client_credentials' && assertion)
  )
    return undefined;
  try {
    const answer = await db.transaction(async (tx) => {
      let issued: TokenAnswer & { userId: string };
      let clientId: string;
      if (grant === 'client_credentials') {
        if (text(body, 'client_assertion_type') !== ASSERTION_TYPE)
          throw new OAuthError(400, 'invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}`);
        const input = {
          assertion: assertion ?? '',
          scope: text(body, 'scope') ?? '',
          tokenUrl: `${origin(request)}/oauth2/token`,
        };
        ({ clientId, ...issued } = await backendServiceToken(tx, input, ttlSeconds));
      } else {
        clientId = await clientOf(tx, request);
        issued =
          grant === 'authorization_code'
            ? await exchangeCode(
                tx,
                {
                  code: text(body, 'code') ?? '',
                  clientId,
                  redirectUri: text(body, 'redirect_uri') ?? '',
                  verifier: text(body, 'code_verifier') ?? '',
                },
                ttlSeconds,
              )
            : await refreshTokens(
                tx,
                { refreshToken: text(body, 'refresh_token') ?? '', clientId, scope: text(body, 'scope') },
                ttlSeconds,
              );
      }
      const { userId, ...tokens } = issued;
      await appendAudit(tx, [
        {
          action: 'login',
          outcome: 'success',
          username: `app:${clientId}`,
          userId,
          sourceAddress: request.ip,
          ...(tokens.patient ? { patientIds: [tokens.patient] } : {}),
          detail: `SMART ${grant} for app ${clientId}: ${tokens.scope}`,
        },
      ]);
      return tokens;
    });
    return reply.header('Cache-Control', 'no-store').send(answer);
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    await recordAudit(db, [
      {
        action: 'login',
        outcome: 'denied',
        username: `app:${text(body, 'client_id') ?? 'unknown'}`,
        sourceAddress: request.ip,
        detail: `SMART ${grant} refused: ${err.description}`,
      },
    ]);
    return reply
      .code(err.status)
      .header('Cache-Control', 'no-store')
      .send({ error: err.error, error_description: err.description });
  }
}

/** SMART discovery, the authorisation endpoint, consent, EHR launch, introspection and app registration. */
export function registerSmartRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;
  const open = { config: { public: true } };
  app.get('/.well-known/smart-configuration', open, async (request) => smartConfiguration(request));
  app.get('/fhir/R4/.well-known/smart-configuration', open, async (request) => smartConfiguration(request));

  // Each request parks a row until consent: limited like the token endpoint.
  const limited = { config: { public: true, rateLimit: { max: 60, timeWindow: '1 minute' } } };
  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/oauth2/authorize',
    limited,
    async (request, reply) => {
      const q = request.query;
      const next = await startAuthorization(
        db,
        {
          responseType: q.response_type,
          clientId: q.client_id,
          redirectUri: q.redirect_uri,
          scope: q.scope,
          state: q.state,
          aud: q.aud,
          codeChallenge: q.code_challenge,
          codeChallengeMethod: q.code_challenge_method,
          launch: q.launch,
        },
        fhirBase(request),
      );
      const to =
        'consent' in next ? `${CONSENT_PAGE}?request=${encodeURIComponent(next.consent)}` : next.redirect;
      return reply.redirect(to, 302);
    },
  );

  const session = (action: 'read' | 'update') => ({ access: { resource: 'Session', action } }) as const;
  app.get<{ Params: { id: string } }>(
    '/oauth2/authorize/requests/:id',
    { config: session('read') },
    async (request) => consentRequest(db, new FhirStore(db, personOf(request)), request.params.id),
  );
  app.post<{ Params: { id: string } }>(
    '/oauth2/authorize/requests/:id',
    { config: session('update') },
    async (request) => {
      const decision = text(request.body, 'decision');
      if (decision !== 'approve' && decision !== 'deny')
        throw badRequest("'decision' must be approve or deny");
      const store = new FhirStore(db, personOf(request));
      const patient = text(request.body, 'patient');
      return decideAuthorization(db, store, request.params.id, { approve: decision === 'approve', patient });
    },
  );

  app.post(
    '/smart/launch',
    { config: { access: { resource: 'Patient', action: 'read' } } },
    async (request, reply) => {
      const clientId = text(request.body, 'client_id');
      if (!clientId) throw badRequest("'client_id' is required");
      const patient = text(request.body, 'patient');
      if (patient) request.auditPatients = [patient];
      const store = new FhirStore(db, personOf(request));
      return reply.code(201).send(await startLaunch(db, store, { clientId, patient }, fhirBase(request)));
    },
  );

  app.post('/oauth2/introspect', { config: session('read') }, async (request, reply) => {
    const token = text(request.body, 'token');
    if (!token) throw badRequest("'token' is required");
    return reply.header('Cache-Control', 'no-store').send(await introspect(db, token));
  });

  const admin = (action: 'read' | 'create' | 'update') => ({ access: { resource: 'SmartApp', action } });
  app.get('/admin/smart-apps', { config: admin('read') }, async () => ({ apps: await listApps(db) }));
  app.post('/admin/smart-apps', { config: admin('create') }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const uris = body.redirectUris;
    if (uris !== undefined && !(Array.isArray(uris) && uris.every((u) => typeof u === 'string')))
      throw badRequest("'redirectUris' must be a list of addresses");
    const registered = await registerApp(
      db,
      {
        name: text(body, 'name') ?? '',
        redirectUris: uris ?? [],
        scope: text(body, 'scope') ?? '',
        confidential: body.confidential === true,
        ...(body.jwks !== undefined ? { jwks: body.jwks } : {}),
        ...(text(body, 'serviceUser') ? { serviceUser: text(body, 'serviceUser') } : {}),
        ...(text(body, 'launchUrl') ? { launchUrl: text(body, 'launchUrl') } : {}),
      },
      request.ctx?.userId ?? '',
    );
    return reply.code(201).send(registered);
  });
  app.post<{ Params: { id: string } }>(
    '/admin/smart-apps/:id/disable',
    { config: admin('update') },
    async (request) => setAppDisabled(db, request.params.id, text(request.body, 'enable') !== 'true'),
  );

  app.put<{ Params: { username: string } }>(
    '/admin/users/:username/patient',
    { config: { access: { resource: 'User', action: 'update' } } },
    async (request) => {
      const patient = text(request.body, 'patient');
      if (!patient) throw badRequest("'patient' is required");
      request.auditPatients = [patient];
      return linkPatientUser(db, new FhirStore(db, personOf(request)), request.params.username, patient);
    },
  );
}
