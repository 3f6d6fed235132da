import type { Resource } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, screenshot, seriousViolations, startBrowserEnv, type BrowserEnv } from './browser.ts';

let env: BrowserEnv;
let page: Page;

async function create<T extends Resource>(resource: T): Promise<T & { id: string }> {
  const res = await env.server.call('admin', 'POST', `/fhir/R4/${resource.resourceType}`, resource);
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T & { id: string };
}

beforeAll(async () => {
  env = await startBrowserEnv({ patientFiles: [] });
  const patient = await create({
    resourceType: 'Patient',
    gender: 'female',
    birthDate: '1958-07-21',
    name: [{ family: 'Carcinova', given: ['Beatrix'] }],
  });
  const encounter = await create({
    resourceType: 'Encounter',
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: `Patient/${patient.id}` },
    period: { start: '2025-02-03T09:00:00Z', end: '2025-02-03T10:00:00Z' },
  });
  await create({
    resourceType: 'Condition',
    subject: { reference: `Patient/${patient.id}` },
    encounter: { reference: `Encounter/${encounter.id}` },
    code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C50.912' }] },
    onsetDateTime: '2025-02-03',
  });
  page = await env.newPage();
}, 180_000);
afterAll(async () => env.close());

describe('cancer registry screens', () => {
  it('a registrar accessions a case from the suspense queue and sees the edits per field', async () => {
    await loginAs(page, 'cancer-registrar');
    // The home page's tile counts the cases waiting.
    await page.getByText('Cancer cases to review').waitFor();
    await page.getByRole('link', { name: 'Suspense queue' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Suspense queue' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Beatrix Carcinova' });
    await expect(row.textContent()).resolves.toContain('C50.912');
    await screenshot(page, 'registry-queue');
    expect(await seriousViolations(page)).toEqual([]);

    await row.getByRole('button', { name: /Accession/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Abstract: Beatrix Carcinova' }).waitFor();
    // Prefilled from the chart: left breast, malignant.
    await expect(page.getByLabel(/Primary Site/).inputValue()).resolves.toBe('C509');
    await expect(page.getByLabel(/^Laterality/).inputValue()).resolves.toBe('2');
    // A required item left empty shows its edit beside the field.
    const classOfCase = page.getByLabel(/Class of Case/);
    await expect(classOfCase.getAttribute('aria-invalid')).resolves.toBe('true');
    await page.locator('#item-classOfCase-edits').getByText('REQ-classOfCase').waitFor();

    // Laterality 0 on a breast primary fails the paired-site edit, live, before any save.
    await page.getByLabel(/^Laterality/).selectOption('0');
    await page.locator('#item-laterality-edits').getByText('XLAT-paired').waitFor();
    await page.getByLabel(/^Laterality/).selectOption('2');
    await page.locator('#item-laterality-edits').waitFor({ state: 'detached' });
    await screenshot(page, 'registry-abstract');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Complete abstract' }).click();
    await page
      .getByRole('alert')
      .getByText(/cannot be completed/)
      .waitFor();
    await classOfCase.selectOption('14');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('The abstract was saved.').waitFor();
    await page.locator('#item-classOfCase-edits').waitFor({ state: 'detached' });
  });

  it('the follow-up screen shows the rates', async () => {
    await page.getByRole('link', { name: 'Follow-up' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Follow-up' }).waitFor();
    // Class of case 14 is analytic; last contact 2025-02-03 is over a year old (the test clock is today).
    await page.getByText('Follow-up rate, all analytic patients').waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Beatrix Carcinova' });
    await expect(row.textContent()).resolves.toContain('2025-02-03');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('the export screen shows the period counts', async () => {
    await page.getByRole('link', { name: 'NAACCR export' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'NAACCR export' }).waitFor();
    await page.getByLabel('Diagnosed from').fill('2025-01-01');
    await page.getByLabel('to', { exact: true }).fill('2025-12-31');
    await page.getByRole('button', { name: 'Show counts' }).click();
    await page
      .getByText('0 completed abstracts of 0 patients will be reported; 1 of the period are still open.')
      .waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });
});
