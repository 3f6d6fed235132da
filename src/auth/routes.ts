import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appendAudit, recordAudit } from '../fhir/audit-trail.ts';
import type { Db } from '../db/index.ts';
import { badRequest, unauthorized } from '../fhir/outcomes.ts';
import { assertRouteReachable } from '../fhir/access-check.ts';
import { FhirStore } from '../fhir/store.ts';
import type { RequestContext } from './access.ts';
import { breakGlass } from './break-glass.ts';
import { forgetCachedTokens } from './token-cache.ts';
import { login, revokeToken } from './tokens.ts';
import { createUser, listUsers, resetPassword, setDisabled, setRole } from './users.ts';
import { registerSmartRoutes, smartGrant } from './smart/routes.ts';

const ctxOf = (request: FastifyRequest): RequestContext => {
  if (!request.ctx) throw unauthorized();
  return request.ctx;
};

function field(body: unknown, name: string): string | undefined {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
}

function required(body: unknown, name: string): string {
  const v = field(body, name);
  if (!v) throw badRequest(`'${name}' is required`);
  return v;
}

/** OAuth2 token endpoint, session, user administration and break-the-glass. */
export async function registerAuthRoutes(
  app: FastifyInstance,
  deps: { db: Db; tokenTtlSeconds: number },
): Promise<void> {
  const { db } = deps;
  await app.register(rateLimit, { global: false });
  registerSmartRoutes(app, { db });
  // Tokens that narrow the role (SMART scopes, a patient's compartment) are judged on every route
  // of the app before its handler, beside the server's role check: a compartment reaches the FHIR
  // API only, and narrow scopes no include of other types.
  app.addHook('preHandler', async (request) => {
    const access = request.routeOptions.config.access;
    if (request.ctx && access)
      assertRouteReachable(request.ctx, request.routeOptions.url ?? '', access.resource, request);
  });

  app.post(
    '/oauth2/token',
    { config: { public: true, rateLimit: { max: 30, timeWindow: '1 minute' } } },
    async (request, reply) => {
      // SMART: authorization_code, refresh_token, client_credentials with a signed assertion.
      const smart = await smartGrant(db, request, reply, deps.tokenTtlSeconds);
      if (smart) return smart;
      const body = request.body;
      const grant = field(body, 'grant_type');
      const isClient = grant === 'client_credentials';
      if (grant !== 'password' && !isClient) {
        return reply.code(400).send({
          error: 'unsupported_grant_type',
          error_description:
            'Use grant_type=password, client_credentials, authorization_code or refresh_token',
        });
      }
      const username = field(body, isClient ? 'client_id' : 'username') ?? '';
      const password = field(body, isClient ? 'client_secret' : 'password') ?? '';
      if (!username || !password) {
        return reply.code(400).send({
          error: 'invalid_request',
          error_description: isClient
            ? 'client_id and client_secret are required'
            : 'username and password are required',
        });
      }
      const purpose = field(body, 'purpose_of_use') ?? field(body, 'purpose');
      const input = { username, password, purpose, ttlSeconds: deps.tokenTtlSeconds };
      const result = await login(db, input, (tx, r) =>
        appendAudit(tx, [
          {
            action: 'login',
            outcome: r.ok ? 'success' : 'denied',
            username,
            userId: r.userId,
            sourceAddress: request.ip,
            ...(r.ok ? { role: r.role, purpose: r.purpose } : { detail: `login refused: ${r.reason}` }),
          },
        ]),
      );
      if (!result.ok && result.reason === 'bad-purpose')
        return reply
          .code(400)
          .send({ error: 'invalid_request', error_description: 'Unknown purpose of use' });
      if (!result.ok) {
        // One answer for every refusal: which account exists, or is locked or disabled, is for the
        // audit trail, not for whoever is trying passwords.
        return reply.code(401).send({
          error: 'invalid_grant',
          error_description: 'Wrong user name or password, or the account is locked or disabled',
        });
      }
      return reply.header('Cache-Control', 'no-store').send({
        access_token: result.accessToken,
        token_type: 'Bearer',
        expires_in: result.expiresIn,
        role: result.role,
        purpose_of_use: result.purpose,
      });
    },
  );

  const session = { access: { resource: 'Session', action: 'update' } } as const;
  app.post('/oauth2/logout', { config: { ...session, auditedByStore: true } }, async (request, reply) => {
    const ctx = ctxOf(request);
    await db.transaction(async (tx) => {
      await revokeToken(tx, ctx.tokenId);
      await appendAudit(tx, [
        {
          action: 'logout',
          outcome: 'success',
          username: ctx.username,
          userId: ctx.userId,
          role: ctx.role,
          purpose: ctx.purpose,
          sourceAddress: request.ip,
        },
      ]);
    });
    // After the commit: a request with this token racing the logout must not cache it again.
    forgetCachedTokens();
    return reply.send({ ok: true });
  });

  app.get('/auth/me', { config: { access: { resource: 'Session', action: 'read' } } }, async (request) => {
    const ctx = ctxOf(request);
    return {
      userId: ctx.userId,
      username: ctx.username,
      role: ctx.role,
      purpose: ctx.purpose,
      brokenGlassPatients: ctx.brokenGlassPatients,
    };
  });

  app.post('/auth/break-glass', { config: { ...session, auditedByStore: true } }, async (request, reply) => {
    const ctx = ctxOf(request);
    const patientId = field(request.body, 'patient') ?? '';
    const reason = field(request.body, 'reason') ?? '';
    try {
      const input = { userId: ctx.userId, patientId, reason };
      const grant = await breakGlass(db, new FhirStore(db, ctx), input, async (tx, g) => {
        forgetCachedTokens();
        await appendAudit(tx, [
          {
            action: 'break-glass',
            outcome: 'success',
            username: ctx.username,
            userId: ctx.userId,
            role: ctx.role,
            purpose: 'ETREAT',
            sourceAddress: request.ip,
            patientIds: [patientId],
            detail: `break the glass: ${g.reason}`,
          },
        ]);
      });
      return reply.code(201).send(grant);
    } catch (err) {
      await recordAudit(db, [
        {
          action: 'break-glass',
          outcome: 'failure',
          username: ctx.username,
          userId: ctx.userId,
          role: ctx.role,
          sourceAddress: request.ip,
          patientIds: patientId ? [patientId] : [],
          detail: err instanceof Error ? err.message : String(err),
        },
      ]);
      throw err;
    }
  });

  const admin = (action: 'read' | 'create' | 'update') => ({ access: { resource: 'User', action } });
  app.get('/admin/users', { config: admin('read') }, async () => ({ users: await listUsers(db) }));
  app.post('/admin/users', { config: admin('create') }, async (request, reply) => {
    const body = request.body;
    const user = await db.transaction((tx) =>
      createUser(tx, {
        username: required(body, 'username'),
        password: required(body, 'password'),
        role: required(body, 'role'),
        ...(field(body, 'displayName') ? { displayName: field(body, 'displayName') } : {}),
      }),
    );
    return reply.code(201).send(user);
  });
  app.put<{ Params: { username: string } }>(
    '/admin/users/:username/role',
    { config: admin('update') },
    async (request) => setRole(db, request.params.username, required(request.body, 'role')),
  );
  app.post<{ Params: { username: string } }>(
    '/admin/users/:username/disable',
    { config: admin('update') },
    async (request) => setDisabled(db, request.params.username, field(request.body, 'enable') !== 'true'),
  );
  app.post<{ Params: { username: string } }>(
    '/admin/users/:username/password',
    { config: admin('update') },
    async (request) => resetPassword(db, request.params.username, required(request.body, 'password')),
  );
}
