import { randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/index.ts';
import { badRequest, notFound } from '../../fhir/outcomes.ts';
import { parseScopes, type ResourceScope, type ScopeSet } from '../../shared/scopes.ts';
import { sha256 } from '../token-cache.ts';
import { findUser } from '../users.ts';

/**
 * SMART apps an administrator registered: the redirect addresses an authorisation may return to,
 * the scopes the app may ever be granted, and how it proves who it is (nothing but PKCE for a
 * public app, a secret for a confidential one, a signed JWT for a backend service).
 */

export interface SmartApp {
  id: string;
  name: string;
  redirectUris: string[];
  scope: string;
  confidential: boolean;
  /** Backend services: the public keys (JWKS) and the service user whose role scopes narrow. */
  jwks: { keys: Array<Record<string, unknown>> } | null;
  serviceUserId: string | null;
  launchUrl: string | null;
  disabled: boolean;
}

interface AppRow {
  id: string;
  name: string;
  redirect_uris: string[];
  scope: string;
  secret_hash: string | null;
  jwks: { keys: Array<Record<string, unknown>> } | null;
  service_user_id: string | null;
  launch_url: string | null;
  disabled: boolean;
}

const toApp = (r: AppRow): SmartApp => ({
  id: r.id,
  name: r.name,
  redirectUris: r.redirect_uris,
  scope: r.scope,
  confidential: r.secret_hash !== null,
  jwks: r.jwks,
  serviceUserId: r.service_user_id,
  launchUrl: r.launch_url,
  disabled: r.disabled,
});

export interface AppRegistration {
  name: string;
  redirectUris: string[];
  scope: string;
  /** A confidential app gets a secret, shown once. */
  confidential: boolean;
  jwks?: unknown;
  /** Backend services act as this user. */
  serviceUser?: string;
  launchUrl?: string;
}

/** Redirects go back to an https address, or plain http on this machine (a desktop app). */
function assertRedirect(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw badRequest(`Redirect address '${uri}' is not an absolute URL`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw badRequest(`Redirect address '${uri}' must use https (plain http only on this machine)`);
  if (url.hash) throw badRequest(`Redirect address '${uri}' must not carry a fragment`);
}

function assertJwks(jwks: unknown): asserts jwks is { keys: Array<Record<string, unknown>> } {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw badRequest("'jwks' must be a JWK set with keys");
  for (const key of keys as unknown[]) {
    const kty = (key as { kty?: unknown } | null)?.kty;
    if (kty !== 'RSA' && kty !== 'EC') throw badRequest('Each key must be an RSA or EC public key');
    if ((key as { d?: unknown }).d !== undefined)
      throw badRequest('Register the public key, never the private');
  }
}

/** Registers an app; a confidential one's secret is answered once and kept as its hash only. */
export async function registerApp(
  q: Queryable,
  input: AppRegistration,
  createdBy: string,
): Promise<{ app: SmartApp; secret?: string }> {
  if (!input.name.trim()) throw badRequest("'name' is required");
  const scopes = parseScopes(input.scope);
  if (scopes.ignored.length > 0) throw badRequest(`Unknown scopes: ${scopes.ignored.join(' ')}`);
  const backend = input.jwks !== undefined;
  let serviceUserId: string | null = null;
  if (backend) {
    assertJwks(input.jwks);
    const user = input.serviceUser ? await findUser(q, input.serviceUser) : undefined;
    if (!user) throw badRequest("A backend service needs 'serviceUser', an existing user it acts as");
    serviceUserId = user.id;
  } else if (input.redirectUris.length === 0) throw badRequest("'redirectUris' is required");
  input.redirectUris.forEach(assertRedirect);
  if (input.launchUrl) assertRedirect(input.launchUrl);
  const secret = input.confidential ? randomBytes(32).toString('base64url') : undefined;
  const res = await q.query<AppRow>(
    `INSERT INTO smart_client (id, name, redirect_uris, scope, secret_hash, jwks, service_user_id, launch_url, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
    [
      randomUUID(),
      input.name.trim(),
      input.redirectUris,
      input.scope.trim(),
      secret ? sha256(secret) : null,
      backend ? JSON.stringify(input.jwks) : null,
      serviceUserId,
      input.launchUrl ?? null,
      createdBy,
    ],
  );
  const app = toApp(res.rows[0] as AppRow);
  return secret ? { app, secret } : { app };
}

export async function listApps(q: Queryable): Promise<SmartApp[]> {
  const res = await q.query<AppRow>('SELECT * FROM smart_client ORDER BY created_at, id');
  return res.rows.map(toApp);
}

/** An enabled app, or undefined. */
export async function findApp(q: Queryable, id: string): Promise<SmartApp | undefined> {
  const res = await q.query<AppRow>('SELECT * FROM smart_client WHERE id = $1 AND NOT disabled', [id]);
  const row = res.rows[0];
  return row ? toApp(row) : undefined;
}

export async function setAppDisabled(q: Queryable, id: string, disabled: boolean): Promise<SmartApp> {
  const res = await q.query<AppRow>('UPDATE smart_client SET disabled = $2 WHERE id = $1 RETURNING *', [
    id,
    disabled,
  ]);
  const row = res.rows[0];
  if (!row) throw notFound(`No app '${id}'`);
  return toApp(row);
}

/** Whether a confidential app's secret is this one (false for public apps). */
export async function secretMatches(q: Queryable, id: string, secret: string): Promise<boolean> {
  const res = await q.query<{ secret_hash: string | null }>(
    'SELECT secret_hash FROM smart_client WHERE id = $1 AND NOT disabled',
    [id],
  );
  const hash = res.rows[0]?.secret_hash;
  return !!hash && hash === sha256(secret);
}

/** A registered scope covers an asked one: same context, its type or every type, its permissions. */
function covers(registered: ResourceScope, asked: ResourceScope): boolean {
  return (
    registered.context === asked.context &&
    (registered.resourceType === '*' || registered.resourceType === asked.resourceType) &&
    asked.permissions.every((p) => registered.permissions.includes(p))
  );
}

/**
 * What of the asked scopes the app may be granted: the resource scopes its registration covers,
 * in the contexts this flow grants (`patient`/`user` for people, `system` for backend services).
 */
export function grantableScopes(
  app: SmartApp,
  asked: ScopeSet,
  contexts: ReadonlyArray<ResourceScope['context']>,
): ScopeSet {
  const registered = parseScopes(app.scope);
  return {
    ...asked,
    launch: asked.launch && registered.launch,
    launchPatient: asked.launchPatient && registered.launchPatient,
    refresh: asked.refresh && registered.refresh,
    resources: asked.resources.filter(
      (s) => contexts.includes(s.context) && registered.resources.some((r) => covers(r, s)),
    ),
  };
}
