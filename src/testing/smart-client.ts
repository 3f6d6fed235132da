import { createHash, randomBytes } from 'node:crypto';

/**
 * A SMART app as a test drives it through HTTP: the PKCE pair, the authorisation request, the
 * consent answer a signed-in user gives, and the code exchange (the product's apps are other
 * people's: this is test support).
 */

export const APP_REDIRECT = 'http://127.0.0.1:9/callback';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface FlowOptions {
  baseUrl: string;
  clientId: string;
  scope: string;
  /** The bearer token of the person who approves (a staff or patient user). */
  userToken: string;
  patient?: string;
  launch?: string;
  decision?: 'approve' | 'deny';
}

/** The authorisation URL an app sends the browser to. */
export function authorizeUrl(
  o: Pick<FlowOptions, 'baseUrl' | 'clientId' | 'scope' | 'launch'>,
  challenge: string,
): string {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: o.clientId,
    redirect_uri: APP_REDIRECT,
    scope: o.scope,
    state: 'state-42',
    aud: `${o.baseUrl}/fhir/R4`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  if (o.launch) q.set('launch', o.launch);
  return `${o.baseUrl}/oauth2/authorize?${q.toString()}`;
}

/** Runs authorize -> consent -> redirect; answers the redirect back to the app and the verifier. */
export async function authorizeThroughConsent(o: FlowOptions): Promise<{ redirect: URL; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const start = await fetch(authorizeUrl(o, challenge), { redirect: 'manual' });
  const location = new URL(start.headers.get('location') ?? '', o.baseUrl);
  const request = location.searchParams.get('request');
  if (!request) return { redirect: location, verifier };
  const auth = { authorization: `Bearer ${o.userToken}` };
  const decided = await fetch(`${o.baseUrl}/oauth2/authorize/requests/${request}`, {
    method: 'POST',
    headers: auth,
    body: new URLSearchParams({
      decision: o.decision ?? 'approve',
      ...(o.patient ? { patient: o.patient } : {}),
    }),
  });
  const answer = (await decided.json()) as { redirect?: string };
  if (!answer.redirect) throw new Error(`consent refused: ${decided.status} ${JSON.stringify(answer)}`);
  return { redirect: new URL(answer.redirect), verifier };
}

/** POSTs a form to the token endpoint. */
export async function tokenRequest(baseUrl: string, form: Record<string, string>): Promise<Response> {
  return fetch(`${baseUrl}/oauth2/token`, { method: 'POST', body: new URLSearchParams(form) });
}

/** The whole flow: an access token (and the rest of the token answer) for these scopes. */
export async function smartToken(
  o: FlowOptions,
): Promise<{ access_token: string; scope: string; patient?: string; refresh_token?: string }> {
  const { redirect, verifier } = await authorizeThroughConsent(o);
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`no code: ${redirect.toString()}`);
  const res = await tokenRequest(o.baseUrl, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: APP_REDIRECT,
    client_id: o.clientId,
    code_verifier: verifier,
  });
  const json = (await res.json()) as { access_token?: string; scope: string };
  if (!json.access_token) throw new Error(`token refused: ${JSON.stringify(json)}`);
  return json as { access_token: string; scope: string };
}
