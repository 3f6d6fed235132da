import type { Bundle, DocumentReference, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateChangedCharts } from '../../src/completeness/index.ts';
import { createChart, createPractitioner, NOTES, type Chart } from '../../src/testing/chart-fixtures.ts';
import { loginAs, screenshot, seriousViolations, startBrowserEnv, type BrowserEnv } from './browser.ts';

let env: BrowserEnv;
let doctor: string;
let other: string;
let chart: Chart;
let unsignedNote: string;

const DAY = 86_400_000;
const ago = (days: number): string => new Date(Date.now() - days * DAY).toISOString();
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  env = await startBrowserEnv({ patientFiles: [] });
  const { server } = env;
  doctor = await createPractitioner(server, 'Oakley', 'provider-user');
  other = await createPractitioner(server, 'Whitfield');
  chart = await createChart(server, {
    admitted: ago(40),
    discharged: ago(38),
    attending: doctor,
    notes: [NOTES.historyAndPhysical, NOTES.dischargeSummary],
    unsigned: [NOTES.dischargeSummary],
  });
  await createChart(server, {
    admitted: ago(6),
    discharged: ago(5),
    attending: other,
    notes: [NOTES.historyAndPhysical],
  });
  await evaluateChangedCharts(server.db);
  const notes = await json<Bundle>(
    await server.call(
      'admin',
      'GET',
      `/fhir/R4/DocumentReference?encounter=Encounter/${chart.encounterId}&type=http://loinc.org|18842-5`,
    ),
  );
  unsignedNote = (notes.entry?.[0]?.resource as DocumentReference).id ?? '';
  await json(
    await server.call('coder', 'POST', '/completeness/queries', {
      encounter: `Encounter/${chart.encounterId}`,
      question: 'Please clarify the type of heart failure.',
      indicators: ['BNP 1,450 pg/mL', 'EF 30% on echo'],
      options: ['Acute on chronic systolic heart failure', 'Chronic systolic heart failure'],
    }),
  );
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(PNG)], { type: 'image/png' }), 'faxed-consent.png');
  await json(
    await fetch(`${server.url}/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await server.token('him-technician')}` },
      body: form,
    }),
  );
}, 180_000);
afterAll(async () => env?.close());

describe('chart completeness screens', () => {
  it('the technician filters and sorts the worklist, waives a deficiency, and reads the delinquency chart', async () => {
    const page = await env.newPage();
    await loginAs(page, 'him-technician');
    await page.getByRole('link', { name: 'Chart completeness' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Chart completeness' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'Dr. Pat Whitfield' }).first().waitFor();
    const rows = page.locator('tr[data-task]');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'completeness-worklist');

    await page.getByLabel('Provider').selectOption({ label: 'Dr. Pat Oakley' });
    await page
      .getByRole('row')
      .filter({ hasText: 'Dr. Pat Whitfield' })
      .first()
      .waitFor({ state: 'detached' });
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel('Provider').selectOption({ label: 'All providers' });
    await page.getByLabel('At least days since discharge').fill('30');
    await page
      .getByRole('row')
      .filter({ hasText: 'Dr. Pat Whitfield' })
      .first()
      .waitFor({ state: 'detached' });
    await page.getByLabel('At least days since discharge').fill('');
    await page.getByRole('button', { name: /^Provider/ }).click();
    await page.getByRole('button', { name: /^Provider.*sorted descending/ }).waitFor();
    await expect(rows.first().textContent()).resolves.toContain('Whitfield');

    const whitfield = page.getByRole('row').filter({ hasText: 'Dr. Pat Whitfield' });
    await whitfield.getByRole('button', { name: /Waive/ }).click();
    await whitfield
      .getByLabel('Reason for waiving')
      .fill('Patient left against medical advice before the summary');
    await whitfield.getByRole('button', { name: 'Confirm waiver' }).click();
    await page.getByText(/^Waived:/).waitFor();
    // The list reloads after the waiver: wait for it rather than counting the rows mid-reload.
    await expect.poll(() => rows.count()).toBe(1);

    await page.getByRole('link', { name: 'Delinquency' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Delinquent charts' }).waitFor();
    await page.getByLabel('Month', { exact: true }).fill(new Date().toISOString().slice(0, 7));
    await page.getByRole('img', { name: /Bar chart of open deficiencies/ }).waitFor();
    await expect(
      page.getByRole('row').filter({ hasText: 'Dr. Pat Oakley' }).count(),
    ).resolves.toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'completeness-delinquency');
    expect(env.pageErrors).toEqual([]);
  });

  it('the provider answers a query and signs a note from the inbox', async () => {
    const page = await env.newPage();
    await loginAs(page, 'provider');
    await page.getByRole('link', { name: 'My inbox' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'My inbox' }).waitFor();
    await page.getByRole('heading', { name: 'Please clarify the type of heart failure.' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'completeness-inbox');
    await page.getByLabel('Clinically undetermined').waitFor();
    await page.getByLabel('Acute on chronic systolic heart failure').check();
    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.getByText('Your answer is on the record.').waitFor();
    await expect(
      page.getByRole('heading', { name: 'Please clarify the type of heart failure.' }).count(),
    ).resolves.toBe(0);

    await page
      .getByRole('button', { name: /^Sign the note of/ })
      .first()
      .click();
    await page.getByText(/^Signed the note of/).waitFor();
    const note = await json<DocumentReference>(
      await env.server.call('admin', 'GET', `/fhir/R4/DocumentReference/${unsignedNote}`),
    );
    expect(note.authenticator?.reference).toBe(`Practitioner/${doctor}`);
    const tasks = await json<Bundle>(
      await env.server.call(
        'admin',
        'GET',
        `/fhir/R4/Task?code=urn:custodian:task|deficiency&focus=Encounter/${chart.encounterId}`,
      ),
    );
    expect(tasks.entry?.map((e) => (e.resource as Task).status)).toEqual(['completed']);
    expect(env.pageErrors).toEqual([]);
  });

  it('the technician views an unfiled upload in the indexing queue and files it to the patient', async () => {
    const page = await env.newPage();
    await loginAs(page, 'him-technician');
    await page.getByRole('link', { name: 'Indexing queue' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Indexing queue' }).waitFor();
    await page.getByRole('button', { name: 'faxed-consent.png' }).click();
    await page.getByRole('img', { name: 'Scanned page: faxed-consent.png' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'completeness-indexing');
    await page.getByLabel('Patient id').last().fill(`Patient/${chart.patientId}`);
    await page.getByLabel('Encounter id (optional)').fill(`Encounter/${chart.encounterId}`);
    await page.getByLabel('Document type').selectOption({ label: 'Consent' });
    await page.getByRole('button', { name: 'File document' }).click();
    await page.getByText(/^Filed faxed-consent.png/).waitFor();
    await page.getByText('No documents wait for indexing.').waitFor();
    const filed = await json<Bundle>(
      await env.server.call(
        'admin',
        'GET',
        `/fhir/R4/DocumentReference?encounter=Encounter/${chart.encounterId}&type=http://loinc.org|59284-0`,
      ),
    );
    expect(filed.entry).toHaveLength(1);
    expect(env.pageErrors).toEqual([]);
  });

  it('the HIM director changes a deadline in the rules, saved as a new version', async () => {
    const page = await env.newPage();
    await loginAs(page, 'him-director');
    await page.getByRole('link', { name: 'Completeness rules' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Completeness rules' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Hours due for Discharge summary within 14 days of discharge').fill('168');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByText('Saved as version 1.').waitFor();
    const rules = await json<{ version: number; rules: Array<{ id: string; dueHours: number }> }>(
      await env.server.call('him-director', 'GET', '/completeness/rules'),
    );
    expect(rules.version).toBe(1);
    expect(rules.rules.find((r) => r.id === 'discharge-summary')?.dueHours).toBe(168);
    expect(env.pageErrors).toEqual([]);
  });
});
