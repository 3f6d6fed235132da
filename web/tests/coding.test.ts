import type { Bundle, Claim } from '@medplum/fhirtypes';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableIds } from '../../src/bulk/import.ts';
import { cliContext } from '../../src/cli/context.ts';
import { loadCodeSets, searchCodes, type WorklistPage } from '../../src/coding/index.ts';
import { repoCodesetsDir } from '../../src/app/config.ts';
import { demoFacilityBundle, generatePatients } from '../../src/demo/index.ts';
import { processBundle } from '../../src/fhir/bundle.ts';
import { FhirStore } from '../../src/fhir/store.ts';
import { loginAs, screenshot, seriousViolations, startBrowserEnv, type BrowserEnv } from './browser.ts';

// The coder's screens in a real browser: a server with the real code sets and demo visits in
// ICD-10-CM fiscal year 2021 (the loaded release), so the live edits are the real ones.
let env: BrowserEnv;
let page: Page;

beforeAll(async () => {
  env = await startBrowserEnv({ patientFiles: [] });
  // The releases these FY2021 visits need (the fiscal-year rules are tested over HTTP in coding.test.ts).
  for (const release of ['icd10cm-2021', 'hcpcs-2020', 'icd10pcs-2026'])
    await loadCodeSets(env.server.db, join(repoCodesetsDir, release));
  const store = new FhirStore(env.server.db, cliContext());
  await processBundle(store, demoFacilityBundle());
  for (const p of generatePatients({
    patients: 6,
    seed: 5,
    startDate: '2020-10-01',
    years: 0.9,
    lite: true,
  })) {
    await processBundle(store, stableIds(p.bundle));
  }
  // Build the in-memory code index now, not inside the first search's wait.
  await searchCodes(env.server.db, { q: 'warm' });
  page = await env.newPage({ width: 1366, height: 900 });
  await loginAs(page, 'coder');
});
afterAll(async () => env?.close());

const codeField = (name: string) => page.getByRole('combobox', { name, exact: true });
const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

async function expectAccessible(name: string): Promise<void> {
  const violations = await seriousViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

describe('the coder’s screens', () => {
  it('searches codes by words and shows the tabular notes of the chosen code', async () => {
    await nav('Code search').click();
    await page.getByLabel('Words or code').fill('type 2 diabetes without complications');
    const e119 = page.getByRole('button', { name: /E11\.9/ });
    await e119.waitFor();
    await e119.click();
    const notes = page.getByRole('region', { name: /E11\.9/ });
    await notes.getByText('Billable', { exact: true }).waitFor();
    expect(await notes.getByRole('heading', { level: 3 }).allInnerTexts()).toContain(
      'Excludes1 (never together)',
    );
    expect(await notes.innerText()).toMatch(/E10/);
    await expectAccessible('code search');
    await screenshot(page, 'coding-search');

    // The hierarchy is browsable from the code: up to its category, then down to the codes below.
    await notes.getByRole('button', { name: /^E11 / }).click();
    const category = page.getByRole('region', { name: /^E11 / });
    await category.getByRole('heading', { name: 'Codes below' }).waitFor();
    await category.getByRole('button', { name: /^E11\.9 / }).click();
    await page.getByRole('region', { name: /^E11\.9 / }).waitFor();

    // A category with 7th characters shows their definitions.
    await page.getByLabel('Words or code').fill('S72.00');
    await page
      .getByRole('button', { name: /S72\.00/ })
      .first()
      .click();
    await page.getByRole('heading', { name: '7th character' }).waitFor();
    expect(await page.locator('.seventh dt').allInnerTexts()).toContain('A');
  });

  it('lists discharged encounters oldest first, filters, pages and claims', async () => {
    // The worklist's calls (not the home page's counts): the filter menus are asked for once.
    const calls: URL[] = [];
    const onRequest = (r: { url(): string; resourceType(): string }): void => {
      const url = new URL(r.url());
      if (
        r.resourceType() === 'fetch' &&
        url.pathname.endsWith('/coding/worklist') &&
        !url.searchParams.has('_summary')
      )
        calls.push(url);
    };
    page.on('request', onRequest);
    await nav('Coding worklist').click();
    const rows = page.locator('table.worklist tbody tr');
    await rows.first().waitFor();
    // DNFB days is the 8th column (patient, MRN, class, service, age, payer, discharged, DNFB).
    const days = (await page.locator('table.worklist tbody tr > :nth-child(8)').allInnerTexts()).map(Number);
    expect(days.length).toBeGreaterThan(5);
    expect(days).toEqual([...days].sort((a, b) => b - a));
    expect(days[0]).toBeGreaterThan(365);
    await expectAccessible('worklist');
    await screenshot(page, 'coding-worklist');

    await page.getByLabel('Class', { exact: true }).selectOption('inpatient');
    await page.getByRole('heading', { name: /shown/ }).waitFor();
    await page.waitForFunction(() =>
      [...document.querySelectorAll('table.worklist tbody tr > :nth-child(3)')].every(
        (c) => c.textContent === 'Inpatient',
      ),
    );
    page.off('request', onRequest);
    expect(calls.map((u) => u.searchParams.get('facets'))).toEqual(['1', ...calls.slice(1).map(() => null)]);
    expect(calls.length).toBeGreaterThan(1);
    expect(await page.getByLabel('Service').locator('option').count()).toBeGreaterThan(1);
    const first = rows.first();
    await first.getByRole('button', { name: /^Claim/ }).click();
    await first.getByText('coder-user').waitFor();
    await page.getByLabel('Assigned coder').selectOption({ label: 'Mine' });
    await page.waitForFunction(() => document.querySelectorAll('table.worklist tbody tr').length === 1);
    await page.getByLabel('Assigned coder').selectOption({ label: 'Anyone' });
    await page.waitForFunction(() => document.querySelectorAll('table.worklist tbody tr').length > 1);
  });

  it('codes an inpatient encounter: suggestions, hard stops, own override reasons, finalize, reopen', async () => {
    // Keyboard: the cursor starts on the first row (the claimed inpatient case); Enter opens it.
    const encounterId =
      (await page.locator('table.worklist tbody tr').first().getAttribute('data-encounter')) ?? '';
    await env.server.call('admin', 'POST', '/fhir/R4/DocumentReference', {
      resourceType: 'DocumentReference',
      status: 'current',
      type: { text: 'Discharge summary' },
      description: 'Discharge summary',
      subject: {
        reference: `Patient/${((await (await env.server.call('admin', 'GET', `/fhir/R4/Encounter/${encounterId}`)).json()) as { subject: { reference: string } }).subject.reference.split('/')[1]}`,
      },
      context: { encounter: [{ reference: `Encounter/${encounterId}` }] },
      date: '2021-03-04T10:00:00Z',
      content: [
        {
          attachment: {
            contentType: 'text/plain',
            data: Buffer.from('Community acquired pneumonia, treated.').toString('base64'),
          },
        },
      ],
    });
    await page.locator('body').press('Enter');
    await page.getByRole('heading', { level: 1, name: /Code encounter/ }).waitFor();
    expect(page.url()).toContain(encounterId);

    // No blank principal: the empty first row cannot be marked.
    expect(await page.getByLabel('Diagnosis 1 is principal').isDisabled()).toBe(true);

    // "pneumonia": every suggestion visible (nothing clipped), the default code first, Enter picks it.
    await codeField('Diagnosis 1 code').fill('pneumonia');
    const options = page.getByRole('option');
    await options.first().waitFor();
    const count = await options.count();
    expect(count).toBeGreaterThan(3);
    const hidden = await page.evaluate(
      () =>
        [...document.querySelectorAll('[role="option"]')].filter((o) => {
          const r = o.getBoundingClientRect();
          const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return !at || !o.contains(at);
        }).length,
    );
    expect(hidden).toBe(0);
    expect(await page.locator('[role="option"][aria-selected="true"]').innerText()).toMatch(/^J18\.9/);
    await screenshot(page, 'coding-suggestions');
    await codeField('Diagnosis 1 code').press('Enter');
    expect(await codeField('Diagnosis 1 code').inputValue()).toBe('J18.9');
    expect(await page.getByLabel('Diagnosis 1 is principal').isChecked()).toBe(true);
    await page.getByLabel('Diagnosis 1 present on admission').selectOption('Y');

    // A secondary diagnosis without POA: a hard stop, with no override box.
    await page.getByRole('button', { name: 'Add diagnosis' }).click();
    await codeField('Diagnosis 2 code').fill('E11.9');
    // A coder who typed the whole code closes the suggestions (they would open over the buttons).
    await codeField('Diagnosis 2 code').press('Escape');
    const poa = page.locator('.edit[data-kind="poa-missing"]');
    await poa.waitFor();
    expect(await poa.innerText()).toContain('Hard stop');
    expect(await poa.getByRole('textbox').count()).toBe(0);

    // Words left in a row are a readable edit, not a raw API message; saving waits for a code.
    await page.getByRole('button', { name: 'Add diagnosis' }).click();
    await codeField('Diagnosis 3 code').fill('high blood sugar level');
    await page.locator('.edit[data-kind="not-a-code"]').waitFor();
    expect(await page.locator('.edit[data-kind="not-a-code"]').innerText()).toContain('is not a code');
    expect(await page.getByRole('button', { name: 'Save codes' }).isDisabled()).toBe(true);
    expect(await page.locator('.edits-panel').innerText()).not.toMatch(/diagnoses\[\d\]/);
    await codeField('Diagnosis 3 code').fill('E10.9');
    await page.getByLabel('Diagnosis 3 present on admission').selectOption('Y');
    await page.locator('.edit[data-kind="excludes1"]').waitFor();
    await screenshot(page, 'coding-encounter-edits');

    // Codes, edits and the chart's documents side by side at 1366 px.
    const boxes = await Promise.all(
      ['.coding-codes', '.coding-edits', '.coding-chart'].map((sel) => page.locator(sel).boundingBox()),
    );
    expect(boxes.every((b) => b !== null)).toBe(true);
    expect(boxes[0]!.x + boxes[0]!.width).toBeLessThanOrEqual(boxes[1]!.x);
    expect(boxes[1]!.x + boxes[1]!.width).toBeLessThanOrEqual(boxes[2]!.x);
    await page.getByRole('button', { name: 'Discharge summary' }).click();
    await page.getByText('Community acquired pneumonia, treated.').waitFor();

    // The ICD-10-PCS builder: only values that lead to valid codes, each with its meaning.
    await page.getByRole('button', { name: 'Build a PCS code' }).click();
    for (const step of [
      /^Section 0 Medical and Surgical/,
      /^Body system D Gastrointestinal System/,
      /^Root operation T Resection/,
      /^Body part J Appendix/,
      /^Approach 4 Percutaneous Endoscopic/,
      /^Device Z No Device/,
      /^Qualifier Z No Qualifier/,
    ]) {
      await page.getByRole('button', { name: step }).click();
    }
    await page.getByRole('button', { name: 'Use 0DTJ4ZZ' }).click();
    expect(await codeField('Procedure 1 code').inputValue()).toBe('0DTJ4ZZ');

    await page.keyboard.press('Alt+s');
    await page.locator('[data-state="coded"]').waitFor();
    await page.getByText('Codes saved').waitFor();
    const claims = (await (
      await env.server.call('admin', 'GET', `/fhir/R4/Claim?encounter=Encounter/${encounterId}`)
    ).json()) as Bundle<Claim>;
    expect(
      claims.entry?.[0]?.resource?.diagnosis?.map((d) => d.diagnosisCodeableConcept?.coding?.[0]?.code),
    ).toEqual(['J18.9', 'E11.9', 'E10.9']);
    await expectAccessible('encounter coding');

    // Finalize: refused while the hard stop is open; then the excludes1 error needs its own reason.
    await page.getByRole('button', { name: 'Finalize coding' }).click();
    await page.getByRole('alert').filter({ hasText: 'cannot be overridden' }).waitFor();
    await page.getByLabel('Diagnosis 2 present on admission').selectOption('Y');
    await page.getByRole('button', { name: 'Save codes' }).click();
    await page.getByText('Codes saved').waitFor();
    await page.getByLabel(/Override reason for excludes1/).fill('Both types documented; query answered');
    await page.getByRole('button', { name: 'Finalize coding' }).click();
    await page.locator('[data-state="final"]').waitFor();
    await screenshot(page, 'coding-encounter-final');

    // Reopen with a reason: back to coded, the reason in the history.
    await page.getByLabel('Reason for reopening').fill('Late pathology report');
    await page.getByRole('button', { name: 'Reopen case' }).click();
    await page.locator('[data-state="coded"]').waitFor();
    expect(await page.locator('.coding-history').innerText()).toContain('Late pathology report');
    expect(env.pageErrors).toEqual([]);
  });

  it('asks no POA for an outpatient visit, and saves and goes to the next case', async () => {
    await nav('Coding worklist').click();
    await page.getByLabel('Class', { exact: true }).selectOption('outpatient');
    const row = page.locator('table.worklist tbody tr', { hasText: 'Outpatient' }).first();
    await row.waitFor();
    const encounterId = (await row.getAttribute('data-encounter')) ?? '';
    await row.getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: /Code encounter/ }).waitFor();
    expect(await page.getByLabel('Diagnosis 1 present on admission').count()).toBe(0);
    await codeField('Diagnosis 1 code').fill('I10');
    await page.getByRole('button', { name: 'Save and next' }).click();
    await page.waitForURL(
      (url) => url.pathname.includes('/coding/encounters/') && !url.pathname.includes(encounterId),
    );
    const view = (await (
      await env.server.call('admin', 'GET', `/coding/encounters/${encounterId}`)
    ).json()) as {
      state: string;
      codes: { diagnoses: Array<{ code: string; principal: boolean; poa?: string }> };
    };
    expect(view.state).toBe('coded');
    expect(view.codes.diagnoses).toEqual([expect.objectContaining({ code: 'I10', principal: true })]);
    expect(view.codes.diagnoses[0]?.poa).toBeUndefined();
  });

  it('opens with the filters a link names (DNFB days, payer), shows them, and keeps them in the URL', async () => {
    const call = async <T>(
      role: 'admin' | 'coder',
      method: string,
      path: string,
      body?: unknown,
    ): Promise<T> => (await (await env.server.call(role, method, path, body)).json()) as T;
    const payer = await call<{ id: string }>('admin', 'POST', '/fhir/R4/Organization', {
      resourceType: 'Organization',
      name: 'Medicare Part A',
    });
    const all = await call<WorklistPage>('coder', 'GET', '/coding/worklist?limit=1000');
    const patientId = all.items[0]!.patientId;
    await call('admin', 'POST', '/fhir/R4/Coverage', {
      resourceType: 'Coverage',
      status: 'active',
      beneficiary: { reference: `Patient/${patientId}` },
      payor: [{ reference: `Organization/${payer.id}`, display: 'Medicare Part A' }],
    });
    // The patient's newest case is left out by the DNFB bound, the older ones stay.
    const days = all.items.filter((i) => i.patientId === patientId).map((i) => i.dnfbDays);
    const dnfbMin = Math.min(...days) + 1;
    const expected = days.filter((d) => d >= dnfbMin).length;
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(all.items.length);

    await page.goto(`/app/coding/worklist?dnfbMin=${dnfbMin}&payer=${payer.id}`);
    await page.waitForFunction(
      (n) => document.querySelectorAll('table.worklist tbody tr').length === n,
      expected,
    );
    expect(await page.getByLabel('DNFB days from').inputValue()).toBe(String(dnfbMin));
    expect(await page.getByLabel('Payer', { exact: true }).inputValue()).toBe(payer.id);
    expect(await page.locator('table.worklist tbody tr > :nth-child(6)').allInnerTexts()).toEqual(
      Array(expected).fill('Medicare Part A'),
    );
    const shown = (await page.locator('table.worklist tbody tr > :nth-child(8)').allInnerTexts()).map(Number);
    expect(shown.every((d) => d >= dnfbMin)).toBe(true);

    // A change is written back into the URL, so a reload shows the same list.
    await page.getByLabel('DNFB days to').fill(String(Math.max(...shown)));
    await page.waitForURL((url) => url.searchParams.get('dnfbMax') === String(Math.max(...shown)));
    await page.reload();
    await page.waitForFunction(
      (n) => document.querySelectorAll('table.worklist tbody tr').length === n,
      expected,
    );
    expect(await page.getByLabel('DNFB days to').inputValue()).toBe(String(Math.max(...shown)));
    expect(await page.getByLabel('Payer', { exact: true }).inputValue()).toBe(payer.id);
  });
});
