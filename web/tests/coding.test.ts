import type { Bundle, Claim } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableIds } from '../../src/bulk/import.ts';
import { cliContext } from '../../src/cli/context.ts';
import { loadCodeSets } from '../../src/coding/index.ts';
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
  await loadCodeSets(env.server.db, repoCodesetsDir);
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
  page = await env.newPage({ width: 1360, height: 900 });
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

    // A category with 7th characters shows their definitions.
    await page.getByLabel('Words or code').fill('S72.00');
    await page
      .getByRole('button', { name: /S72\.00/ })
      .first()
      .click();
    await page.getByRole('heading', { name: '7th character' }).waitFor();
    expect(await page.locator('.seventh dt').allInnerTexts()).toContain('A');
  });

  it('lists discharged encounters oldest first with their DNFB age', async () => {
    await nav('Coding worklist').click();
    const rows = page.locator('table.worklist tbody tr');
    await rows.first().waitFor();
    const days = (await page.locator('table.worklist tbody td.num').allInnerTexts()).map(Number);
    expect(days.length).toBeGreaterThan(5);
    expect(days).toEqual([...days].sort((a, b) => b - a));
    expect(days[0]).toBeGreaterThan(365);
    await expectAccessible('worklist');
    await screenshot(page, 'coding-worklist');
  });

  it('codes an inpatient encounter with live edits, and saves', async () => {
    const row = page.locator('table.worklist tbody tr', { hasText: 'Inpatient' }).first();
    const encounterId = (await row.getAttribute('data-encounter')) ?? '';
    await row.getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: /Code encounter/ }).waitFor();

    // Pick the principal diagnosis from the suggestions by words.
    await codeField('Diagnosis 1 code').fill('pneumonia unspecified organism');
    const option = page.getByRole('option', { name: /J18\.9/ });
    await option.waitFor();
    await option.click();
    expect(await codeField('Diagnosis 1 code').inputValue()).toBe('J18.9');
    await page.getByLabel('Diagnosis 1 present on admission').selectOption('Y');

    // A secondary diagnosis typed outright, without POA: the edit appears while coding.
    await page.getByRole('button', { name: 'Add diagnosis' }).click();
    await codeField('Diagnosis 2 code').fill('E11.9');
    const edit = page.locator('.edit[data-kind="poa-missing"]');
    await edit.waitFor();
    expect(await edit.innerText()).toContain('E11.9');
    await screenshot(page, 'coding-encounter-edits');

    await page.getByRole('button', { name: 'Save codes' }).click();
    await page.locator('[data-state="coded"]').waitFor();
    await page.getByText('Codes saved').waitFor();
    const claims = (await (
      await env.server.call('admin', 'GET', `/fhir/R4/Claim?encounter=Encounter/${encounterId}`)
    ).json()) as Bundle<Claim>;
    expect(
      claims.entry?.[0]?.resource?.diagnosis?.map((d) => d.diagnosisCodeableConcept?.coding?.[0]?.code),
    ).toEqual(['J18.9', 'E11.9']);
    await expectAccessible('encounter coding');

    // Finalize: refused while the error is open, accepted with an override reason.
    await page.locator('.edit[data-kind="poa-missing"]').waitFor();
    await page.getByRole('button', { name: 'Finalize coding' }).click();
    await page.getByRole('alert').filter({ hasText: 'POA' }).waitFor();
    await page.getByLabel('Override reason').fill('POA query sent to the attending');
    await page.getByRole('button', { name: 'Finalize coding' }).click();
    await page.locator('[data-state="final"]').waitFor();
    await screenshot(page, 'coding-encounter-final');
    expect(env.pageErrors).toEqual([]);
  });
});
