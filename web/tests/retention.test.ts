import type { Patient, Resource } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, screenshot, seriousViolations, startBrowserEnv, type BrowserEnv } from './browser.ts';

let env: BrowserEnv;
let page: Page;
let patientId = '';
let oldPatientId = '';
let conditionId = '';

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  env = await startBrowserEnv({ patientFiles: [] });
  const { server } = env;
  const make = async (family: string, birthDate: string, visit: string): Promise<string> => {
    const p = await json<Patient>(
      await server.call('admin', 'POST', '/fhir/R4/Patient', {
        resourceType: 'Patient',
        name: [{ given: ['Rosalind'], family }],
        birthDate,
      }),
    );
    await json(
      await server.call('admin', 'POST', '/fhir/R4/Encounter', {
        resourceType: 'Encounter',
        status: 'finished',
        class: { code: 'AMB' },
        subject: { reference: `Patient/${p.id}` },
        period: { start: visit, end: visit },
      }),
    );
    return p.id ?? '';
  };
  patientId = await make('Achterberg', '1968-02-11', '2025-01-05');
  oldPatientId = await make('Fairweather', '1941-07-30', '2008-03-12');
  const condition = await json<Resource>(
    await server.call('admin', 'POST', '/fhir/R4/Condition', {
      resourceType: 'Condition',
      subject: { reference: `Patient/${patientId}` },
      code: { text: 'Chronic kidney disease stage 3' },
      recordedDate: '2025-01-05',
    }),
  );
  conditionId = condition.id ?? '';
  page = await env.newPage();
}, 180_000);
afterAll(async () => env.close());

/** A fresh browser context (own session) signed in as `role`. */
async function signIn(role: Parameters<typeof loginAs>[1]): Promise<Page> {
  const fresh = await env.newPage();
  await loginAs(fresh, role);
  return fresh;
}

describe('amendment screens', () => {
  it('routes, denies with a letter and takes the statement of disagreement', async () => {
    await json(
      await env.server.call('roi-specialist', 'POST', '/disclosure/amendments', {
        patient: `Patient/${patientId}`,
        records: [`Condition/${conditionId}`],
        change: 'My kidney disease is stage 2, not stage 3',
      }),
    );
    await loginAs(page, 'him-director');
    await page.getByRole('link', { name: 'Amendments' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Amendment requests' }).waitFor();
    const row = page.locator('tr[data-amendment]');
    await expect(row.textContent()).resolves.toContain('Due in 60 days');
    expect(await seriousViolations(page)).toEqual([]);
    await row.getByRole('link', { name: /Open/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Amendment request: Rosalind Achterberg' }).waitFor();

    await page.getByLabel('Author to route to').fill('Dr. Quentin Osei');
    await page.getByRole('button', { name: 'Route to the author' }).click();
    await page.getByTestId('amendment-status').getByText('routed').waitFor();
    await page.getByLabel('Basis for denial').selectOption('accurate-and-complete');
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByTestId('amendment-status').getByText('denied').waitFor();
    await page.getByRole('button', { name: 'Show the denial letter' }).click();
    await page.getByTitle('Denial letter').waitFor();

    await page.getByLabel("Patient's statement of disagreement").fill('My nephrologist measured stage 2.');
    await page.getByRole('button', { name: 'File the statement' }).click();
    // Filed, it shows among the request's facts (the typed text in the form would match at once).
    await page.locator('dd', { hasText: 'My nephrologist measured stage 2.' }).waitFor();
    await page.getByLabel('Rebuttal').fill('The eGFR of 2025-01-05 was 41.');
    await page.getByRole('button', { name: 'File the rebuttal' }).click();
    await page.locator('dd', { hasText: 'The eGFR of 2025-01-05 was 41.' }).waitFor();
    await screenshot(page, 'amendment-request');
    expect(env.pageErrors).toEqual([]);
  });
});

describe('retention screens', () => {
  it('places a legal hold, proposes a destruction run, approves it as a second person and destroys it', async () => {
    page = await signIn('privacy-officer');
    await page.getByRole('link', { name: 'Legal holds' }).first().click();
    await page.getByLabel('Records held (Patient/id or Encounter/id)').fill(`Patient/${patientId}`);
    await page.getByLabel('Matter').fill('Achterberg v. County');
    await page.getByLabel('Custodian').fill('Risk management');
    await page.getByRole('button', { name: 'Place hold' }).click();
    await page.getByRole('rowheader', { name: 'Achterberg v. County' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    // The chart shows the retention end date and the hold.
    await page.goto(`/app/patients/${patientId}`);
    await expect(page.getByTestId('retain-until').textContent()).resolves.toBe('2035-01-05');
    await page.getByText('Achterberg v. County').waitFor();

    page = await signIn('him-director');
    await page.getByRole('link', { name: 'Destruction' }).first().click();
    await page.locator(`tr[data-due="${oldPatientId}"]`).waitFor();
    await expect.poll(() => page.locator('tr[data-due]').count()).toBe(1);
    await page.getByRole('button', { name: 'Propose a destruction run' }).click();
    await page.locator('tr[data-run][data-status="proposed"]').waitFor();
    // The proposer may not approve: the server's refusal is shown.
    await page.getByRole('button', { name: 'Approve' }).click();
    await page
      .getByRole('alert')
      .getByText(/second person/)
      .waitFor();

    page = await signIn('privacy-officer');
    await page.goto('/app/retention/destruction');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.locator('tr[data-run][data-status="approved"]').waitFor();

    page = await signIn('him-director');
    await page.goto('/app/retention/destruction');
    await page.getByRole('button', { name: 'Destroy' }).click();
    await page.locator('tr[data-run][data-status="destroyed"]').waitFor();
    await page.getByRole('button', { name: 'Certificate' }).click();
    await page.getByTitle('Certificate of destruction').waitFor();
    await screenshot(page, 'destruction-run');
    expect(await seriousViolations(page)).toEqual([]);
    expect((await env.server.call('admin', 'GET', `/fhir/R4/Patient/${oldPatientId}`)).status).toBe(410);
    expect((await env.server.call('admin', 'GET', `/fhir/R4/Patient/${patientId}`)).status).toBe(200);
  });
});
