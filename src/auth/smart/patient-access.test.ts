import type { Bundle, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../app/server.ts';
import { APP_REDIRECT, smartToken } from '../../testing/smart-client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../../testing/test-server.ts';

/**
 * Patient access: a patient user (linked to their Patient record) reads their own compartment
 * and nothing else, on every route the server has, with a password session or through an app.
 */

let server: TestServer;
let own = '';
let other = '';

const create = async (resource: Resource): Promise<string> => {
  const res = await server.call('admin', 'POST', `/fhir/R4/${resource.resourceType}`, resource);
  if (res.status !== 201) throw new Error(`${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
};

async function passwordToken(username: string): Promise<string> {
  const res = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username, password: TEST_PASSWORD }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

beforeAll(async () => {
  server = await startTestServer();
  own = await create({ resourceType: 'Patient', name: [{ family: 'Ownsworth' }] });
  other = await create({ resourceType: 'Patient', name: [{ family: 'Otherly' }] });
  for (const p of [own, other]) {
    const subject = { reference: `Patient/${p}` };
    await create({ resourceType: 'Observation', status: 'final', code: { text: 'Pulse' }, subject });
    await create({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject });
  }
  await server.call('admin', 'POST', '/admin/users', {
    username: 'ann.ownsworth',
    password: TEST_PASSWORD,
    role: 'patient',
  });
  const linked = await server.call('admin', 'PUT', '/admin/users/ann.ownsworth/patient', { patient: own });
  expect(linked.status).toBe(200);
});
afterAll(async () => server?.stop());

const get = (token: string, path: string) =>
  fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

describe('a patient user', () => {
  it('reads their own chart', async () => {
    const token = await passwordToken('ann.ownsworth');
    expect((await get(token, `/fhir/R4/Patient/${own}`)).status).toBe(200);
    const everything = (await (await get(token, `/fhir/R4/Patient/${own}/$everything`)).json()) as Bundle;
    expect(everything.entry?.length).toBe(3);
    const search = (await (await get(token, '/fhir/R4/Observation')).json()) as Bundle;
    expect(search.entry?.length).toBe(1);
    // A scanned page is theirs when the document it belongs to is.
    for (const [patient, status] of [
      [own, 200],
      [other, 403],
    ] as const) {
      const doc = await create({
        resourceType: 'DocumentReference',
        status: 'current',
        subject: { reference: `Patient/${patient}` },
        content: [{ attachment: { contentType: 'text/plain' } }],
      });
      const page = await create({
        resourceType: 'Binary',
        contentType: 'text/plain',
        data: 'cGFnZQ==',
        securityContext: { reference: `DocumentReference/${doc}` },
      });
      expect((await get(token, `/fhir/R4/Binary/${page}`)).status).toBe(status);
    }
  });

  it('is refused outside their compartment on every route', async () => {
    const token = await passwordToken('ann.ownsworth');
    const routes = registeredRoutes(server.app).filter((r) => !r.public);
    const last = routes.filter((r) => r.url === '/oauth2/logout');
    let reached = 0;
    for (const route of [...routes.filter((r) => r.url !== '/oauth2/logout'), ...last]) {
      for (const id of [other, own]) {
        const path = route.url
          .replace(':type', 'Patient')
          .replace(':id', id)
          .replace(/:[a-zA-Z]+/g, 'x')
          .replace('*', 'x');
        const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
        const res = await fetch(`${server.url}${path}`, {
          method: route.method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(hasBody ? { 'content-type': 'application/json' } : {}),
          },
          ...(hasBody ? { body: '{}' } : {}),
        });
        const text = await res.text();
        if (res.status < 300) reached++;
        // Whatever a route answers with success, the other patient is not in it.
        if (res.status < 300) expect(text, `${route.method} ${path}`).not.toContain(other);
        if (['PUT', 'PATCH', 'DELETE'].includes(route.method))
          expect(res.status, `${route.method} ${path} writes`).toBeGreaterThanOrEqual(400);
      }
    }
    expect(reached).toBeGreaterThan(5);
  });

  it('signs in to an app with their own chart as its patient; an unlinked patient user sees nothing', async () => {
    const admin = await server.call('admin', 'POST', '/admin/smart-apps', {
      name: 'My health',
      redirectUris: [APP_REDIRECT],
      scope: 'launch/patient patient/*.rs',
    });
    const clientId = ((await admin.json()) as { app: { id: string } }).app.id;
    const userToken = await passwordToken('ann.ownsworth');
    const app = await smartToken({
      baseUrl: server.url,
      clientId,
      scope: 'launch/patient patient/*.rs',
      userToken,
    });
    expect(app.patient).toBe(own);
    expect((await get(app.access_token, `/fhir/R4/Patient/${other}`)).status).toBe(403);
    const unlinked = await server.token('patient');
    expect((await get(unlinked, `/fhir/R4/Patient/${own}`)).status).toBe(403);
    expect(((await (await get(unlinked, '/fhir/R4/Observation')).json()) as Bundle).entry ?? []).toEqual([]);
  });
});
