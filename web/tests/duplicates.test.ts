import type { Patient } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scorePendingPatients } from '../../src/mpi/index.ts';
import { loginAs, screenshot, seriousViolations, startBrowserEnv, type BrowserEnv } from './browser.ts';

let env: BrowserEnv;
let page: Page;
let original: Patient & { id: string };
let duplicate: Patient & { id: string };

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  env = await startBrowserEnv({ patientFiles: [] });
  const { server } = env;
  const base = {
    resourceType: 'Patient',
    gender: 'female',
    birthDate: '1961-11-30',
    address: [{ line: ['48 Juniper Court'], city: 'Columbus', state: 'OH', postalCode: '43215' }],
    telecom: [{ system: 'phone', value: '614-555-0142' }],
  } as const;
  original = await json(
    await server.call('admin', 'POST', '/fhir/R4/Patient', {
      ...base,
      identifier: [{ system: 'http://custodian.example/mrn', value: 'M1000201' }],
      name: [{ family: 'Abernathy', given: ['Katherine'] }],
    }),
  );
  duplicate = await json(
    await server.call('admin', 'POST', '/fhir/R4/Patient', {
      ...base,
      identifier: [{ system: 'http://custodian.example/mrn', value: 'M1000877' }],
      name: [{ family: 'Abernathey', given: ['Kathy'] }],
    }),
  );
  await json(
    await server.call('admin', 'POST', '/fhir/R4/Encounter', {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: `Patient/${duplicate.id}` },
    }),
  );
  // One more person registered three times: a group, reviewed as one item.
  for (const [mrn, given] of [
    ['M3000001', 'Bartholomew'],
    ['M3000002', 'Bart'],
    ['M3000003', 'Bartholomew'],
  ] as const)
    await json(
      await server.call('admin', 'POST', '/fhir/R4/Patient', {
        resourceType: 'Patient',
        gender: 'male',
        birthDate: '1944-05-09',
        address: [{ line: ['7 Quarry Hill'], city: 'Akron', state: 'OH', postalCode: '44308' }],
        identifier: [{ system: 'http://custodian.example/mrn', value: mrn }],
        name: [{ family: mrn === 'M3000003' ? 'Quigly' : 'Quigley', given: [given] }],
      }),
    );
  await scorePendingPatients(server.db);
  page = await env.newPage();
}, 180_000);
afterAll(async () => env.close());

describe('duplicate review screens', () => {
  it('a technician merges a pair, finds the retired MRN marked, unmerges it and sees the history', async () => {
    await loginAs(page, 'him-technician');
    await page.getByRole('link', { name: 'Duplicates' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Duplicates to review' }).waitFor();
    // The three Quigley records are one item, the Abernathy pair another.
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'Group of 3 records' }).count()).toBe(1);
    const row = page.getByRole('row').filter({ hasText: 'Abernathey' });
    await expect.poll(() => row.count()).toBe(1);
    await expect(row.textContent()).resolves.not.toContain('100%');
    // The spread scores can order the work: the group's best match is the more certain one.
    await page.getByLabel('Order').selectOption('likely');
    await expect(page.getByRole('row').nth(1).textContent()).resolves.toContain('Group of 3 records');
    await screenshot(page, 'duplicates-worklist');
    expect(await seriousViolations(page)).toEqual([]);

    await row.getByRole('link', { name: /Review/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Review possible duplicate' }).waitFor();
    const familyRow = page.getByRole('row', { name: /Family name/ });
    await expect(familyRow.textContent()).resolves.toContain('Nearly the same');
    const encounters = await page.getByRole('row', { name: /Encounters/ }).textContent();
    expect(encounters?.replace(/\s+/g, '')).toMatch(/Encounters(01|10)/);
    await expect.poll(() => page.getByRole('link', { name: /MRN M1000201/ }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);

    // Which record is A depends on scoring order; pick the original by its name.
    await page.getByLabel(/Keep record [AB]: Katherine Abernathy /).check();
    await page.getByLabel('Why they are one person (optional)').fill('Same SSN card on file');
    await page.getByRole('button', { name: 'Merge records…' }).click();
    await page.getByRole('alertdialog').waitFor();
    await screenshot(page, 'duplicates-pair');
    await page.getByRole('button', { name: 'Confirm merge' }).click();
    await page.getByText('The records were merged').waitFor();
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'Abernathey' }).count()).toBe(0);
    const pairHref = await page
      .getByRole('link', { name: 'See the pair’s history or undo the merge' })
      .getAttribute('href');

    // The retired MRN: search marks it and its chart points to the survivor.
    await page.goto('/app/search?q=M1000877');
    const found = page.getByRole('row').filter({ hasText: 'Merged' });
    await expect(found.textContent()).resolves.toContain('MRN M1000201');
    await found.getByRole('link', { name: /Abernathey/ }).click();
    await page.getByText('This record was merged into MRN M1000201').waitFor();
    await screenshot(page, 'duplicates-merged-away-chart');
    await page.getByRole('link', { name: 'Open the surviving chart' }).click();
    await page.getByRole('heading', { level: 1, name: /Chart: Katherine Abernathy/ }).waitFor();
    const alias = page.getByRole('row').filter({ hasText: 'M1000877' });
    await expect(alias.textContent()).resolves.toContain('(old, merged record)');

    // Back on the pair: the history, then the unmerge with its reason.
    await page.goto(pairHref ?? '');
    await page.getByRole('heading', { name: 'History' }).waitFor();
    const merged = page.getByRole('row').filter({ hasText: 'Same SSN card on file' });
    await expect(merged.textContent()).resolves.toContain('him-technician-user');
    await page.getByLabel('Reason for the unmerge (required)').fill('Registration found two people');
    await page.getByRole('button', { name: 'Unmerge' }).click();
    await page.getByRole('row').filter({ hasText: 'Registration found two people' }).waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Merge records…' }).count()).toBe(1);
    await screenshot(page, 'duplicates-pair-history');
    expect(await seriousViolations(page)).toEqual([]);

    const restored = await json<Patient>(
      await env.server.call('admin', 'GET', `/fhir/R4/Patient/${duplicate.id}`),
    );
    expect(restored.active).not.toBe(false);
    const survivor = await json<Patient>(
      await env.server.call('admin', 'GET', `/fhir/R4/Patient/${original.id}`),
    );
    expect(survivor.identifier?.map((i) => i.value)).toEqual(['M1000201']);
    expect(env.pageErrors).toEqual([]);
  });

  it('a group of three is reviewed side by side and merged in one decision', async () => {
    await page.goto('/app/duplicates');
    await page
      .getByRole('row')
      .filter({ hasText: 'Group of 3 records' })
      .getByRole('link', { name: /Review/ })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Review a group of possible duplicates' }).waitFor();
    await expect.poll(() => page.getByRole('columnheader', { name: /MRN M300000/ }).count()).toBe(3);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel(/Keep MRN M3000001/).check();
    await page.getByRole('button', { name: 'Merge 2 records…' }).click();
    await screenshot(page, 'duplicates-group');
    await page.getByRole('button', { name: 'Confirm merge' }).click();
    await page.getByText('The group has left the worklist').waitFor();
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'Group of' }).count()).toBe(0);
    expect(env.pageErrors).toEqual([]);
  });
});
