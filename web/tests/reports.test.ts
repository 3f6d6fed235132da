import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Task, TaskInput } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/app/config.ts';
import { evaluateChangedCharts } from '../../src/completeness/index.ts';
import { loadReportFixture } from '../../src/reports/report-fixtures.ts';
import { createChart, createPractitioner, NOTES } from '../../src/testing/chart-fixtures.ts';
import { loginAs, RESULTS_DIR, seriousViolations, startBrowserEnv, type BrowserEnv } from './browser.ts';

/**
 * The dashboards render their charts with the constructed data set's numbers (src/reports
 * report-fixtures.ts), every chart with its data table, and a tile leads to its worklist; the
 * oversight screens find a patient's accesses by name and record a break-the-glass review.
 * Two charts of Dr Delta's (one delinquent in August 2025) feed the delinquency chart. A chart's
 * data table links where its points do: following one lands on the worklist behind it, filtered.
 * One screenshot per dashboard goes to test-results/, or to SCREENSHOT_DIR when set (e.g.
 * SCREENSHOT_DIR=docs/notes/stop-16 for a stop's closing note).
 */
let env: BrowserEnv;
const SHOTS = process.env.SCREENSHOT_DIR ? resolve(repoRoot, process.env.SCREENSHOT_DIR) : RESULTS_DIR;
const VIEWPORT = { width: 1366, height: 900 };
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  env = await startBrowserEnv({ patientFiles: [] });
  await loadReportFixture(env.server);
  await asRoiRequests(['rep-roi-5', 'rep-roi-6', 'rep-roi-7', 'rep-roi-8']);
  const res = await env.server.call('provider', 'POST', '/auth/break-glass', {
    patient: 'rep-patient',
    reason: 'Emergency admission, chart needed now',
  });
  expect(res.status).toBe(201);
  const drD = await createPractitioner(env.server, 'Delta');
  await createChart(env.server, {
    admitted: '2025-06-08T10:00:00Z',
    discharged: '2025-06-10T10:00:00Z',
    attending: drD,
    notes: [NOTES.historyAndPhysical],
  });
  await createChart(env.server, {
    admitted: '2025-08-01T10:00:00Z',
    discharged: '2025-08-03T10:00:00Z',
    attending: drD,
    notes: [NOTES.dischargeSummary],
  });
  await evaluateChangedCharts(env.server.db);
  mkdirSync(SHOTS, { recursive: true });
}, 180_000);
afterAll(async () => env?.close());

/**
 * The fixture's released requests carry what the reports read; the ROI queue also needs who asked
 * (the requester type and recipient the ROI module records), so they are added as it writes them.
 */
async function asRoiRequests(ids: string[]): Promise<void> {
  const input = (code: string, value: Record<string, string>): TaskInput => ({
    type: { coding: [{ system: 'urn:custodian:roi-input', code }] },
    ...value,
  });
  for (const id of ids) {
    const task = (await (await env.server.call('admin', 'GET', `/fhir/R4/Task/${id}`)).json()) as Task;
    task.input = [
      input('requester-type', { valueCode: 'patient' }),
      input('recipient', { valueString: `Recipient of ${id}` }),
    ];
    const res = await env.server.call('admin', 'PUT', `/fhir/R4/Task/${id}`, task);
    expect(res.status).toBe(200);
  }
}

/** Bars and lines drawn in the first palette colour inside one chart (ECharts SVG renderer). */
async function marks(page: Page, chart: string): Promise<number> {
  const figure = page.locator(`figure[data-chart="${chart}"]`);
  await figure.locator('svg').first().waitFor();
  return figure.locator('svg path[fill="#5470c6"], svg path[stroke="#5470c6"]').count();
}

async function open(role: Parameters<typeof loginAs>[1], path: string): Promise<Page> {
  const page = await env.newPage(VIEWPORT);
  await loginAs(page, role);
  await page.goto(path);
  return page;
}

describe('dashboards', () => {
  it("the HIM director's: DNFB by age, backlog, duplicates, diagnoses; a tile opens the coding worklist", async () => {
    const page = await open('him-director', '/app/reports/director?from=2025-01-01&to=2025-03-31');
    await page.getByRole('heading', { level: 1, name: "HIM director's dashboard" }).waitFor();
    expect(await marks(page, 'dnfb')).toBeGreaterThanOrEqual(4);
    expect(await marks(page, 'diagnoses')).toBeGreaterThanOrEqual(3);
    expect(await marks(page, 'duplicates')).toBeGreaterThanOrEqual(1);
    expect(await marks(page, 'roi')).toBeGreaterThanOrEqual(1);
    // No release in the first quarter: the turnaround chart says so instead of bare axes.
    await expect
      .poll(() => page.locator('figure[data-chart="roi-turnaround"] .chart-empty').textContent())
      .toBe('Nothing recorded in this range');
    expect(await page.locator('figure[data-chart="dnfb"] .chart-empty').count()).toBe(0);
    await expect(page.locator('[data-tile="deficiencies-open"] .count').textContent()).resolves.toBe('1');
    // The data table under the chart holds the same numbers.
    const over30 = page.locator('figure[data-chart="dnfb"] tr').filter({ hasText: 'over 30 days' });
    await expect(over30.locator('td').textContent()).resolves.toBe('1');
    await expect(page.locator('[data-tile="dnfb"] .count').textContent()).resolves.toBe('4');
    // DNFB dollars: 20,000 + 15,000.50 + 300 + 1,200 (report-fixtures.ts).
    await expect(page.locator('[data-tile="dnfb-charges"] .count').textContent()).resolves.toBe('$36,501');
    expect(await marks(page, 'dnfb-charges')).toBeGreaterThanOrEqual(4);
    await page.screenshot({ path: join(SHOTS, 'director-dashboard.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    // A bucket's figure (the same path as its bar) opens the coding worklist of that bucket.
    await page
      .locator('figure[data-chart="dnfb"] tr')
      .filter({ hasText: '8-14 days' })
      .getByRole('link')
      .click();
    await page.waitForURL('**/app/coding/worklist?dnfbMin=8&dnfbMax=14');
    await page.goBack();
    await over30.getByRole('link').click();
    await page.waitForURL('**/app/coding/worklist?dnfbMin=31');
    await page.goBack();
    // January's merges open the duplicates screen on the pairs merged that month.
    const january = page.locator('figure[data-chart="duplicates"] tr').filter({ hasText: '2025-01' });
    await january.locator('td').nth(2).getByRole('link').click();
    await page.waitForURL('**/app/duplicates?status=merged&month=2025-01');
    await expect(page.getByLabel('Show').inputValue()).resolves.toBe('merged');
    await expect(page.getByLabel('Decided in').inputValue()).resolves.toBe('2025-01');
    await page.goBack();
    await page.locator('[data-tile="dnfb"]').getByRole('link').click();
    await page.waitForURL('**/app/coding/worklist?dnfbMin=0');
  });

  it("the HIM director's filter bar carries the payer into the DNFB links", async () => {
    const page = await open(
      'him-director',
      '/app/reports/director?from=2025-01-01&to=2025-03-31&payer=rep-payer-a',
    );
    await expect(page.getByLabel('Payer').inputValue()).resolves.toBe('rep-payer-a');
    const over30 = page.locator('figure[data-chart="dnfb"] tr').filter({ hasText: 'over 30 days' });
    await expect(over30.getByRole('link').getAttribute('href')).resolves.toBe(
      '/app/coding/worklist?dnfbMin=31&payer=rep-payer-a',
    );
  });

  it("the HIM director's in summer: chart delinquency by provider and ROI turnaround", async () => {
    const page = await open('him-director', '/app/reports/director?from=2025-04-01&to=2025-08-15');
    await page.getByRole('heading', { level: 1, name: "HIM director's dashboard" }).waitFor();
    // Dr Delta's June chart lacks its discharge summary 66 days on: delinquent (61+).
    expect(await marks(page, 'delinquency')).toBeGreaterThanOrEqual(1);
    const delta = page.locator('figure[data-chart="delinquency"] tr').filter({ hasText: '61+' });
    await expect(delta.locator('td').allTextContents()).resolves.toContain('1');
    await expect(page.locator('[data-tile="delinquent-charts"] .count').textContent()).resolves.not.toBe('0');
    // Released in April (10 days) and May (4, 35 late, 45 extended).
    expect(await marks(page, 'roi-turnaround')).toBeGreaterThanOrEqual(1);
    const may = page.locator('figure[data-chart="roi-turnaround"] tr').filter({ hasText: '2025-05' });
    await expect(may.locator('td').allTextContents()).resolves.toEqual(['35', '45', '1']);
    await expect(page.locator('[data-tile="roi-late"] .count').textContent()).resolves.toBe('1');
    await page.screenshot({ path: join(SHOTS, 'director-dashboard-summer.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    // May's late release opens the ROI queue on exactly that request.
    await may.locator('td').nth(2).getByRole('link').click();
    await page.waitForURL('**/app/disclosure?status=all&released=2025-05&late=true');
    await expect.poll(() => page.locator('tr[data-request]').count()).toBe(1);
    await expect(page.locator('tr[data-request="rep-roi-6"]').count()).resolves.toBe(1);
    await expect(page.getByLabel('Released in').inputValue()).resolves.toBe('2025-05');
    await expect(page.getByLabel('Released late only').isChecked()).resolves.toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    // All May releases: the late one, the one within its extension, and the 4-day one.
    await page.getByLabel('Released late only').uncheck();
    await page.waitForURL('**/app/disclosure?status=all&released=2025-05');
    await expect.poll(() => page.locator('tr[data-request]').count()).toBe(3);
    await page.goBack();
    await page.goBack();
    // Dr Delta's delinquent deficiency opens the completeness worklist of that provider and age.
    await page.getByRole('heading', { level: 1, name: "HIM director's dashboard" }).waitFor();
    // Back on the dashboard, its reports load again: read the header once Dr Delta's column is drawn.
    await page.locator('figure[data-chart="delinquency"] thead th').filter({ hasText: 'Delta' }).waitFor();
    const providers = await page.locator('figure[data-chart="delinquency"] thead th').allTextContents();
    const deltaColumn = providers.findIndex((name) => name.includes('Delta')) - 1;
    expect(deltaColumn).toBeGreaterThanOrEqual(0);
    await delta.locator('td').nth(deltaColumn).getByRole('link').click();
    await page.waitForURL(/\/app\/completeness\?provider=[^&]+&minAgeDays=61/);
    await page.goBack();
    await page.locator('[data-tile="delinquent-charts"]').getByRole('link').click();
    await page.waitForURL('**/app/completeness/delinquency');
  });

  it("the coding manager's: productivity per coder, diagnoses and their trend; a figure opens the cases behind it", async () => {
    const page = await open('coder', '/app/reports/coding?from=2025-01-01&to=2025-03-31');
    await page.getByRole('heading', { level: 1, name: "Coding manager's dashboard" }).waitFor();
    expect(await marks(page, 'productivity')).toBeGreaterThanOrEqual(2);
    expect(await marks(page, 'trend')).toBeGreaterThanOrEqual(1);
    expect(await marks(page, 'procedures')).toBeGreaterThanOrEqual(2);
    const coderA = page.locator('figure[data-chart="productivity"] tr').filter({ hasText: 'coder-a' });
    await expect(coderA.locator('td').allTextContents()).resolves.toEqual(['2', '1']);
    // Overrides at final coding (report-fixtures.ts): coder-a excludes1 twice and age-conflict
    // once in March, coder-b excludes1 in March and sex-conflict in February.
    expect(await marks(page, 'quality')).toBeGreaterThanOrEqual(2);
    const excludes = page.locator('figure[data-chart="quality"] tr').filter({ hasText: 'excludes1' });
    await expect(excludes.locator('td').allTextContents()).resolves.toEqual(['2', '1']);
    await expect(page.locator('[data-tile="overrides"] .count').textContent()).resolves.toBe('5');
    await page.screenshot({ path: join(SHOTS, 'coding-dashboard.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    // The E11.9 figure of the diagnoses table opens the coded cases: the patient, three times.
    await page
      .locator('figure[data-chart="diagnoses"] tr')
      .filter({ hasText: 'E11.9' })
      .getByRole('link', { name: '3' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Coded cases of E11.9' }).waitFor();
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'Rita Reportson' }).count()).toBe(3);
    await page.goBack();
    // The 0DTJ4ZZ figure of the procedures table opens the two coded procedures of that code.
    await page
      .locator('figure[data-chart="procedures"] tr')
      .filter({ hasText: '0DTJ4ZZ' })
      .getByRole('link', { name: '2' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Coded procedures of 0DTJ4ZZ' }).waitFor();
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'Rita Reportson' }).count()).toBe(2);
    await page.goBack();
    // Finalized in the range: t1, t2 (coder-a), t4 and t5 (coder-b): the encounters they worked.
    await expect(page.locator('[data-tile="finalized"] .count').textContent()).resolves.toBe('4');
    await page.locator('[data-tile="finalized"]').getByRole('link').click();
    await page.waitForURL('**/app/reports/finalized?from=2025-01-01&to=2025-03-31');
    await page.getByRole('heading', { level: 1, name: 'Cases finalized' }).waitFor();
    const encounters = (): Promise<string[]> => page.locator('tbody th').allTextContents();
    await expect.poll(encounters).toEqual(['rep-e4', 'rep-e1', 'rep-e2', 'rep-e3']);
    expect(await seriousViolations(page)).toEqual([]);
    await page.goBack();
    // coder-b's excludes1 override opens exactly that one: on encounter e3.
    await excludes.locator('td').nth(1).getByRole('link').click();
    await page.waitForURL(
      '**/app/reports/overrides?from=2025-01-01&to=2025-03-31&coder=coder-b&kind=excludes1',
    );
    await page.getByRole('heading', { level: 1, name: 'Edits overridden' }).waitFor();
    await expect.poll(encounters).toEqual(['rep-e3']);
    await page
      .getByRole('row')
      .filter({ hasText: 'Documented' })
      .filter({ hasText: 'Reportson, Rita' })
      .waitFor();
    await page.goBack();
    await page.locator('[data-tile="uncoded"]').getByRole('link').click();
    await page.waitForURL('**/app/coding/worklist?state=uncoded');
  });

  it("the privacy officer's: break-the-glass and access volume; the review tile leads to the review", async () => {
    const page = await open('privacy-officer', `/app/reports/privacy?from=${today}&to=${today}`);
    await page.getByRole('heading', { level: 1, name: "Privacy officer's dashboard" }).waitFor();
    expect(await marks(page, 'break-glass')).toBeGreaterThanOrEqual(1);
    expect(await marks(page, 'access-volume')).toBeGreaterThanOrEqual(2);
    await expect(page.locator('[data-tile="audit-chain"] .count').textContent()).resolves.toBe('Intact');
    await expect(page.locator('[data-tile="break-glass-unreviewed"] .count').textContent()).resolves.toBe(
      '1',
    );
    await page.screenshot({ path: join(SHOTS, 'privacy-dashboard.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    await page.locator('[data-tile="break-glass-unreviewed"]').getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: 'Break-the-glass review' }).waitFor();
    const grant = page.locator('.grant').filter({ hasText: 'provider-user' });
    await grant.getByLabel('Review note').fill('Admitted through the ED; access was proper');
    await grant.getByRole('button', { name: 'Mark reviewed' }).click();
    // The tile opened the grants awaiting review: once reviewed, it shows among all the period's.
    await expect.poll(() => grant.count()).toBe(0);
    await page.getByLabel('Awaiting review only').uncheck();
    await grant.getByText('Reviewed by privacy-officer-user').waitFor();
  });
});

describe('oversight screens', () => {
  it('the access report finds a patient by name and lists who looked, with purpose of use', async () => {
    const page = await open('privacy-officer', '/app/reports/access');
    await page.getByLabel('Patient name or MRN').fill('Reportson');
    await page.getByRole('button', { name: 'Find patient' }).click();
    await page.getByRole('button', { name: /Who looked at Rita Reportson/ }).click();
    await page.getByRole('heading', { name: 'Who looked at Rita Reportson' }).waitFor();
    // The break-the-glass grant of the set-up is on the patient's record.
    await expect
      .poll(() => page.getByRole('row').filter({ hasText: 'provider-user' }).count())
      .toBeGreaterThan(0);
    await page.getByLabel('User name').fill('provider-user');
    await page.getByRole('button', { name: 'Show accesses' }).click();
    await page.getByRole('heading', { name: 'What provider-user looked at' }).waitFor();
    await expect
      .poll(() => page.getByRole('row').filter({ hasText: 'break-glass' }).count())
      .toBeGreaterThan(0);
  });

  it("the auditor's home leads to the break-the-glass review; the audit trail screen says the chain is intact", async () => {
    const page = await open('auditor', '/app/');
    const tile = page.locator('[data-worklist="break-glass"]');
    // The set-up's grant was reviewed by the privacy officer above.
    await expect(tile.locator('.count').innerText()).resolves.toBe('0');
    await tile.getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: 'Break-the-glass review' }).waitFor();
    await page.goto('/app/reports/audit');
    await page.getByText(/^Intact: \d+ events verified/).waitFor();
  });
});
