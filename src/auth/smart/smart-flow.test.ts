import type { Bundle, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_REDIRECT,
  authorizeThroughConsent,
  authorizeUrl,
  pkcePair,
  smartToken,
  tokenRequest,
} from '../../testing/smart-client.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';

let server: TestServer;
let appId = '';
let patientA = '';
let patientB = '';
let obsB = '';

const created = async (res: Response): Promise<Resource & { id: string }> => {
  if (res.status !== 201) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as Resource & { id: string };
};

beforeAll(async () => {
  server = await startTestServer();
  const app = await server.call('admin', 'POST', '/admin/smart-apps', {
    name: 'Growth chart',
    redirectUris: [APP_REDIRECT],
    scope: 'launch launch/patient offline_access patient/*.rs user/*.cruds user/*.read',
  });
  appId = ((await app.json()) as { app: { id: string } }).app.id;
  const patient = async (family: string): Promise<string> =>
    (
      await created(
        await server.call('admin', 'POST', '/fhir/R4/Patient', {
          resourceType: 'Patient',
          name: [{ family }],
        }),
      )
    ).id;
  const observation = async (p: string): Promise<string> =>
    (
      await created(
        await server.call('admin', 'POST', '/fhir/R4/Observation', {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'Body height' },
          subject: { reference: `Patient/${p}` },
        }),
      )
    ).id;
  patientA = await patient('Appleton');
  patientB = await patient('Birchwood');
  await observation(patientA);
  await created(
    await server.call('admin', 'POST', '/fhir/R4/Condition', {
      resourceType: 'Condition',
      subject: { reference: `Patient/${patientA}` },
      code: { text: 'Asthma' },
    }),
  );
  obsB = await observation(patientB);
});
afterAll(async () => server?.stop());

const flow = async (
  scope: string,
  extra: { patient?: string; launch?: string; decision?: 'approve' | 'deny' } = {},
) => ({
  baseUrl: server.url,
  clientId: appId,
  scope,
  userToken: await server.token('provider'),
  ...extra,
});
const withToken = (token: string, path: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });

describe('SMART discovery', () => {
  it('answers the configuration at both well-known addresses', async () => {
    for (const path of ['/.well-known/smart-configuration', '/fhir/R4/.well-known/smart-configuration']) {
      const res = await fetch(`${server.url}${path}`);
      const conf = (await res.json()) as Record<string, unknown>;
      expect(conf.token_endpoint).toBe(`${server.url}/oauth2/token`);
      expect(conf.code_challenge_methods_supported).toEqual(['S256']);
      expect(conf.capabilities).toContain('launch-standalone');
    }
  });
});

describe('authorization code + PKCE, standalone launch', () => {
  it('issues a patient token after consent; it reads that patient only, and refreshes once', async () => {
    const { redirect, verifier } = await authorizeThroughConsent(
      await flow('launch/patient patient/*.rs offline_access', { patient: patientA }),
    );
    expect(redirect.searchParams.get('state')).toBe('state-42');
    const code = redirect.searchParams.get('code') ?? '';
    const form = { grant_type: 'authorization_code', code, redirect_uri: APP_REDIRECT, client_id: appId };
    const wrong = await tokenRequest(server.url, { ...form, code_verifier: pkcePair().verifier });
    expect(wrong.status).toBe(400);
    const res = await tokenRequest(server.url, { ...form, code_verifier: verifier });
    const token = (await res.json()) as {
      access_token: string;
      patient: string;
      scope: string;
      refresh_token: string;
    };
    expect(res.status).toBe(200);
    expect(token.patient).toBe(patientA);
    expect(token.scope).toContain('patient/*.rs');
    // The code is spent.
    expect((await tokenRequest(server.url, { ...form, code_verifier: verifier })).status).toBe(400);

    const search = (await (await withToken(token.access_token, '/fhir/R4/Observation')).json()) as Bundle;
    expect(
      search.entry?.map((e) => (e.resource as { subject?: { reference?: string } }).subject?.reference),
    ).toEqual([`Patient/${patientA}`]);
    expect((await withToken(token.access_token, `/fhir/R4/Observation/${obsB}`)).status).toBe(403);
    expect((await withToken(token.access_token, `/fhir/R4/Patient/${patientB}`)).status).toBe(403);

    const introspected = await withToken(token.access_token, '/oauth2/introspect', {
      method: 'POST',
      body: new URLSearchParams({ token: token.access_token }),
    });
    expect(await introspected.json()).toMatchObject({ active: true, client_id: appId, patient: patientA });

    const refresh = { grant_type: 'refresh_token', refresh_token: token.refresh_token, client_id: appId };
    const renewed = (await (await tokenRequest(server.url, refresh)).json()) as {
      access_token: string;
      patient: string;
    };
    expect(renewed.patient).toBe(patientA);
    expect((await withToken(renewed.access_token, `/fhir/R4/Patient/${patientA}`)).status).toBe(200);
    // Replaced on use: the old refresh token is spent.
    expect((await tokenRequest(server.url, refresh)).status).toBe(400);
  });

  it('sends denials, a missing PKCE challenge and unregistered scopes back to the app; refuses unknown redirects', async () => {
    const denied = await authorizeThroughConsent(
      await flow('patient/*.rs', { patient: patientA, decision: 'deny' }),
    );
    expect(denied.redirect.searchParams.get('error')).toBe('access_denied');
    const url = new URL(authorizeUrl({ baseUrl: server.url, clientId: appId, scope: 'patient/*.rs' }, 'x'));
    url.searchParams.delete('code_challenge');
    const noPkce = await fetch(url, { redirect: 'manual' });
    expect(new URL(noPkce.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_request');
    const unregistered = await authorizeThroughConsent(await flow('system/*.rs'));
    expect(unregistered.redirect.searchParams.get('error')).toBe('invalid_scope');
    url.searchParams.set('redirect_uri', 'https://evil.example/cb');
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(400);
  });
});

describe('a confidential app', () => {
  it('must authenticate with its secret at the token endpoint', async () => {
    const res = await server.call('admin', 'POST', '/admin/smart-apps', {
      name: 'Coding assistant',
      redirectUris: [APP_REDIRECT],
      scope: 'user/*.rs',
      confidential: true,
    });
    const { app, secret } = (await res.json()) as { app: { id: string }; secret: string };
    const { redirect, verifier } = await authorizeThroughConsent({
      ...(await flow('user/*.rs')),
      clientId: app.id,
    });
    const form = {
      grant_type: 'authorization_code',
      code: redirect.searchParams.get('code') ?? '',
      redirect_uri: APP_REDIRECT,
      client_id: app.id,
      code_verifier: verifier,
    };
    expect((await tokenRequest(server.url, form)).status).toBe(401);
    const basic = Buffer.from(`${app.id}:${secret}`).toString('base64');
    const ok = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}` },
      body: new URLSearchParams(form),
    });
    expect(ok.status).toBe(200);
  });
});

describe('EHR launch', () => {
  it('binds the patient the chart was open on, without asking', async () => {
    const launched = await server.call('provider', 'POST', '/smart/launch', {
      client_id: appId,
      patient: patientB,
    });
    const { launch } = (await launched.json()) as { launch: string };
    const token = await smartToken(await flow('launch patient/*.rs', { launch }));
    expect(token.patient).toBe(patientB);
  });
});

describe('Patient/$everything under narrow scopes', () => {
  it('leaves out the types the scopes do not name', async () => {
    const token = await smartToken(await flow('user/Patient.rs user/Observation.rs'));
    const res = await withToken(token.access_token, `/fhir/R4/Patient/${patientA}/$everything`);
    const types = ((await res.json()) as Bundle).entry?.map((e) => e.resource?.resourceType);
    expect(types?.sort()).toEqual(['Observation', 'Patient']);
  });
});

/** Scopes x routes: each scope narrows the provider's role (who may read, create and update). */
const MATRIX: Array<[string, string, string, boolean]> = [
  ['user/*.cruds', 'GET', '/fhir/R4/Condition', true],
  ['user/*.cruds', 'POST', '/fhir/R4/Observation', true],
  ['user/*.cruds', 'DELETE', '/fhir/R4/Observation/x', false], // the role may not delete
  ['user/*.cruds', 'GET', '/admin/users', false], // scopes reach FHIR types only
  ['user/*.cruds', 'GET', '/fhir/R4/AuditEvent', false], // the role may not read the trail
  ['user/Observation.rs', 'GET', '/fhir/R4/Observation', true],
  ['user/Observation.rs', 'GET', '/fhir/R4/Condition', false],
  ['user/Observation.rs', 'POST', '/fhir/R4/Observation', false],
  ['user/Observation.rs', 'GET', '/fhir/R4/Observation?_include=Observation:subject', false],
  ['user/Observation.r', 'GET', '/fhir/R4/Observation', false], // read without search
  ['user/*.read', 'GET', '/fhir/R4/Condition', true], // SMART v1
  ['user/*.read', 'POST', '/fhir/R4/Observation', false],
  ['patient/*.rs', 'GET', '/fhir/R4/Observation', true],
  ['patient/*.rs', 'POST', '/fhir/R4/Observation', false],
  ['patient/*.rs', 'GET', '/chart/patients?q=Appleton', false], // a patient token reaches the FHIR API only
];

describe('scope x route matrix', () => {
  it.each(MATRIX)('%s %s %s -> %s', async (scope, method, path, allowed) => {
    const token = await smartToken(await flow(scope, { patient: patientA }));
    const body =
      method === 'POST'
        ? JSON.stringify({
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'Weight' },
            subject: { reference: `Patient/${patientA}` },
          })
        : undefined;
    const res = await withToken(token.access_token, path, {
      method,
      ...(body ? { body, headers: { 'content-type': 'application/fhir+json' } } : {}),
    });
    if (allowed) expect(res.status, await res.text()).toBeLessThan(300);
    else expect(res.status).toBe(403);
  });
});
