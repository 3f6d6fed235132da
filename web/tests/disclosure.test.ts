import type { Patient } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoRequests } from '../../src/disclosure/index.ts';
import type { RequestContext } from '../../src/fhir/request-context.ts';
import { loginAs, screenshot, seriousViolations, startBrowserEnv, type BrowserEnv } from './browser.ts';

let env: BrowserEnv;
let page: Page;
const patients: Array<Patient & { id: string }> = [];

const SEEDER: RequestContext = {
  userId: 'test-seed',
  username: 'test:seed',
  role: 'system',
  purpose: 'HSYSADMIN',
  sourceAddress: 'test',
  tokenId: 'test-seed',
  brokenGlassPatients: [],
};

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  env = await startBrowserEnv({ patientFiles: [] });
  const { server } = env;
  for (const [given, family] of [
    ['Imogen', 'Thistlewood'],
    ['Bartholomew', 'Quayle'],
    ['Serafina', 'Oduya'],
  ] as const) {
    const p = await json<Patient & { id: string }>(
      await server.call('admin', 'POST', '/fhir/R4/Patient', {
        resourceType: 'Patient',
        name: [{ given: [given], family }],
        birthDate: '1975-03-08',
      }),
    );
    patients.push(p);
    await json(
      await server.call('admin', 'POST', '/fhir/R4/Condition', {
        resourceType: 'Condition',
        subject: { reference: `Patient/${p.id}` },
        code: { text: 'Essential hypertension' },
        recordedDate: '2025-06-01',
      }),
    );
  }
  // The demo requests: every status, some near or past due.
  expect(await seedDemoRequests(server.db, SEEDER)).toBe(9);
  page = await env.newPage();
}, 180_000);
afterAll(async () => env.close());

describe('release of information screens', () => {
  it('the ROI queue lists open requests by due date with overdue and near-due flags', async () => {
    await loginAs(page, 'roi-specialist');
    await page.getByRole('link', { name: 'Release of information' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Release of information' }).waitFor();
    const rows = page.locator('tr[data-request]');
    await rows.first().waitFor();
    await expect.poll(() => rows.count()).toBe(6);
    const clocks = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-clock')));
    expect(clocks.slice(0, 2)).toEqual(['overdue', 'overdue']);
    expect(clocks).toContain('near-due');
    await expect(rows.first().textContent()).resolves.toMatch(/Overdue by \d+ days/);
    await expect.poll(() => page.getByText('Due in 3 days').count()).toBe(1);
    await screenshot(page, 'disclosure-queue');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel('Show').selectOption('all');
    await page.locator('tr[data-request]').nth(8).waitFor();
    const all = await page.locator('tbody').textContent();
    for (const status of ['Logged', 'Pending authorization', 'In review', 'Released', 'Denied', 'Closed'])
      expect(all).toContain(status);
  });

  it('a pending request shows what its authorization lacks; attaching a complete one lets it be previewed and released', async () => {
    await page.goto('/app/disclosure');
    const row = page.locator('tr[data-request]').filter({ hasText: 'Whitfield & Moreno LLP' });
    await row.getByRole('link', { name: /Open/ }).click();
    await page.getByRole('heading', { level: 1, name: /Request for / }).waitFor();
    await page.getByText('A signed authorization is needed and none is attached.').waitFor();
    await expect.poll(() => page.getByText('Missing: Signature').count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Attach authorization…' }).click();
    const form = page.getByRole('form', { name: 'Authorization form' });
    await form.getByLabel('Information to be disclosed').fill('All records of care');
    await form.getByLabel('Expires on').fill('2099-12-31');
    await form.getByLabel('Date signed').fill('2025-11-20');
    await form.getByLabel('The right to revoke it').check();
    await form.getByLabel('That information may be redisclosed').check();
    // One statement left out: the check names it.
    await form.getByRole('button', { name: 'Save authorization' }).click();
    await page.getByText('Missing: No-conditioning statement').waitFor();
    await expect.poll(() => page.getByText('Missing: Signature').count()).toBe(0);

    await page.getByRole('button', { name: 'Attach authorization…' }).click();
    const again = page.getByRole('form', { name: 'Authorization form' });
    await again.getByLabel('Information to be disclosed').fill('All records of care');
    await again.getByLabel('Expires on').fill('2099-12-31');
    await again.getByLabel('Date signed').fill('2025-11-20');
    await again.getByLabel('The right to revoke it').check();
    await again.getByLabel('That information may be redisclosed').check();
    await again.getByLabel('That care is not conditioned on signing').check();
    await again.getByRole('button', { name: 'Save authorization' }).click();
    await page.getByText('The authorization is valid.').waitFor();
    await expect(page.locator('.lead').textContent()).resolves.toContain('In review');

    await page.getByRole('button', { name: 'Preview packet' }).click();
    const preview = page.getByRole('region', { name: 'Release preview' });
    await preview.waitFor();
    await expect(preview.textContent()).resolves.toMatch(/1 records, \d+ pages, fee \$/);
    await page.getByTitle('Release packet (PDF)').waitFor();
    await screenshot(page, 'disclosure-request');
    await preview.getByRole('button', { name: 'Release to Whitfield & Moreno LLP' }).click();
    await page.getByRole('heading', { level: 2, name: 'Released packet' }).waitFor();
    await expect(page.locator('.lead').textContent()).resolves.toContain('Released');
  });

  it('logs a new request through the form, then denies it with a reason', async () => {
    await page.goto('/app/disclosure');
    await page.getByRole('link', { name: 'Log a request' }).click();
    await page.getByRole('heading', { level: 1, name: 'Log a release request' }).waitFor();
    await page.getByLabel('Patient name, MRN or birth date').fill('Quayle');
    await page.getByRole('button', { name: 'Find patient' }).click();
    await page.getByRole('button', { name: 'Choose Bartholomew Quayle' }).click();
    await page.getByLabel('Requester', { exact: true }).selectOption('subpoena');
    await page.getByLabel('Recipient', { exact: true }).fill('Office of the County Attorney');
    await page.getByLabel('Purpose').selectOption('judicial');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Log request' }).click();
    await page.getByRole('heading', { level: 1, name: 'Request for Bartholomew Quayle' }).waitFor();
    await expect(page.locator('.lead').textContent()).resolves.toContain('Pending authorization');
    await page.getByLabel('Reason to deny or close').fill('No court order and no authorization');
    await page.getByRole('button', { name: 'Deny request' }).click();
    // The reason typed into the form matches by text at once: wait for the status line itself.
    await expect.poll(() => page.locator('.lead').textContent()).toContain('Denied');
    await expect(page.locator('dl.facts').textContent()).resolves.toContain(
      'Denied becauseNo court order and no authorization',
    );
    await expect(page.getByLabel('Reason to deny or close').count()).resolves.toBe(0);
  });

  it('shows the accounting of disclosures for a patient', async () => {
    const target = patients[0] as Patient & { id: string };
    await json(
      await env.server.call('roi-specialist', 'POST', '/disclosure/disclosures', {
        patient: `Patient/${target.id}`,
        date: '2025-10-02',
        recipient: 'County Health Department',
        purpose: 'Communicable disease report',
        description: 'Laboratory result and demographics',
        basis: 'public-health',
      }),
    );
    await page.goto('/app/disclosure/accounting');
    await page.getByLabel('Patient name, MRN or birth date').fill('Thistlewood');
    await page.getByRole('button', { name: 'Find patient' }).click();
    await page.getByRole('button', { name: 'Choose Imogen Thistlewood' }).click();
    const row = page.getByRole('row').filter({ hasText: 'County Health Department' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('2025-10-02');
    await page.getByRole('button', { name: 'Download PDF' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'disclosure-accounting');
  });

  it('hides the ROI screens from roles without ROI rights', async () => {
    const coder = await env.newPage();
    await loginAs(coder, 'coder');
    await expect.poll(() => coder.getByRole('link', { name: 'Release of information' }).count()).toBe(0);
    expect(env.pageErrors).toEqual([]);
  });
});
