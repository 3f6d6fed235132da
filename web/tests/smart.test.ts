import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_REDIRECT, authorizeUrl, pkcePair, tokenRequest } from '../../src/testing/smart-client.ts';
import { TEST_PASSWORD } from '../../src/testing/test-server.ts';
import { loginAs, seriousViolations, startBrowserEnv, type BrowserEnv } from './browser.ts';

let env: BrowserEnv;
let appId = '';
let patientId = '';

beforeAll(async () => {
  env = await startBrowserEnv({ patientFiles: [] });
  const { server } = env;
  const app = await server.call('admin', 'POST', '/admin/smart-apps', {
    name: 'Growth chart',
    redirectUris: [APP_REDIRECT],
    scope: 'launch/patient patient/*.rs',
  });
  appId = ((await app.json()) as { app: { id: string } }).app.id;
  const patient = await server.call('admin', 'POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    name: [{ given: ['Quintessa'], family: 'Marlowe' }],
    birthDate: '1979-04-02',
  });
  patientId = ((await patient.json()) as { id: string }).id;
}, 180_000);
afterAll(async () => env.close());

describe('SMART consent screen', () => {
  it('signs in, shows the app and its scopes, takes the patient and returns a code to the app', async () => {
    const page: Page = await env.newPage();
    // The app's redirect address: the browser only has to arrive there.
    await page.route(`${APP_REDIRECT}**`, (route) => route.fulfill({ status: 200, body: 'app' }));
    const { verifier, challenge } = pkcePair();
    await page.goto(
      authorizeUrl(
        { baseUrl: env.server.url, clientId: appId, scope: 'launch/patient patient/*.rs' },
        challenge,
      ),
    );
    await page.getByLabel('User name').fill('provider-user');
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { level: 1, name: 'Allow Growth chart?' }).waitFor();
    expect(await page.getByRole('list', { name: 'What the app asks for' }).innerText()).toContain(
      "read and search all records in the patient's chart",
    );
    expect(await page.getByRole('button', { name: 'Allow' }).isDisabled()).toBe(true);
    await page.getByLabel('Patient name, MRN or birth date').fill('Marlowe');
    await page.getByRole('button', { name: 'Find patient' }).click();
    await page.getByRole('button', { name: /Choose .*Marlowe/ }).click();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${APP_REDIRECT}**`);

    const code = new URL(page.url()).searchParams.get('code') ?? '';
    const res = await tokenRequest(env.server.url, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: APP_REDIRECT,
      client_id: appId,
      code_verifier: verifier,
    });
    expect(((await res.json()) as { patient?: string }).patient).toBe(patientId);
  });

  it('lets an administrator register an app and shows its secret once', async () => {
    const page = await env.newPage();
    await loginAs(page, 'admin');
    await page.goto('/app/smart/apps');
    await page.getByLabel('Name').fill('Medication reconciler');
    await page.getByLabel('Redirect addresses (one per line)').fill('https://reconciler.example/cb');
    await page.getByLabel(/Confidential/).check();
    await page.getByRole('button', { name: 'Register' }).click();
    expect(await page.getByRole('status').filter({ hasText: 'Registered' }).innerText()).toMatch(
      /Medication reconciler.*secret/,
    );
    await page.getByRole('rowheader', { name: 'Medication reconciler' }).waitFor();
  });
});
