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
  await scorePendingPatients(server.db);
  page = await env.newPage();
}, 180_000);
afterAll(async () => env.close());

describe('duplicate review screens', () => {
  it('an HIM technician opens the worklist, reviews a pair, merges it and it leaves the list', async () => {
    await loginAs(page, 'him-technician');
    await page.getByRole('link', { name: 'Duplicates' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Duplicates to review' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Abernathey' });
    await expect(row.count()).resolves.toBe(1);
    await screenshot(page, 'duplicates-worklist');
    expect(await seriousViolations(page)).toEqual([]);

    await row.getByRole('link', { name: /Review/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Review possible duplicate' }).waitFor();
    const familyRow = page.getByRole('row', { name: /Family name/ });
    await expect(familyRow.textContent()).resolves.toContain('Nearly the same');
    const birthRow = page.getByRole('row', { name: /Date of birth/ });
    await expect(birthRow.textContent()).resolves.toContain('Same');
    expect(await seriousViolations(page)).toEqual([]);

    // Which record is A depends on scoring order; pick the original by its name.
    await page.getByLabel(/Keep record [AB]: Katherine Abernathy /).check();
    await page.getByRole('button', { name: 'Merge records…' }).click();
    await page.getByRole('alertdialog').waitFor();
    await screenshot(page, 'duplicates-pair');
    await page.getByRole('button', { name: 'Confirm merge' }).click();

    await page.getByRole('heading', { level: 1, name: 'Duplicates to review' }).waitFor();
    await page.getByText('The records were merged').waitFor();
    await expect(page.getByRole('row').filter({ hasText: 'Abernathey' }).count()).resolves.toBe(0);
    await screenshot(page, 'duplicates-after-merge');

    const merged = await json<Patient>(
      await env.server.call('admin', 'GET', `/fhir/R4/Patient/${duplicate.id}`),
    );
    expect(merged.active).toBe(false);
    expect(merged.link?.[0]?.other.reference).toBe(`Patient/${original.id}`);
    expect(env.pageErrors).toEqual([]);
  });
});
