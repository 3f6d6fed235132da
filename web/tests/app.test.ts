import type { Binary, DocumentReference, Encounter, Patient } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasSharedTestdata } from '../../src/testing/shared-testdata.ts';
import { loginAs, screenshot, seriousViolations, startBrowserEnv, type BrowserEnv } from './browser.ts';

const BOB = '3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b';
const JANI = '304f9946-5db8-dc6f-e060-48b9fea3ca5d';
// A 2x2 red PNG: a document stored as a Binary and shown through a blob URL.
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';

let env: BrowserEnv;
let page: Page;
let latestEncounter: Encounter;

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  env = await startBrowserEnv();
  const { server } = env;
  // Jani Reynolds becomes a restricted chart (confidentiality R).
  const jani = await json<Patient>(await server.call('admin', 'GET', `/fhir/R4/Patient/${JANI}`));
  jani.meta = {
    ...jani.meta,
    security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
  };
  await json(await server.call('admin', 'PUT', `/fhir/R4/Patient/${JANI}`, jani));
  // Bob's latest encounter gets a scanned image stored as a Binary.
  const encounters = await json<{ entry?: Array<{ resource: Encounter }> }>(
    await server.call('admin', 'GET', `/fhir/R4/Encounter?patient=${BOB}&_sort=-date&_count=1`),
  );
  latestEncounter = encounters.entry?.[0]?.resource as Encounter;
  const binary = await json<Binary>(
    await server.call('admin', 'POST', '/fhir/R4/Binary', {
      resourceType: 'Binary',
      contentType: 'image/png',
      data: PNG,
    }),
  );
  const scan: DocumentReference = {
    resourceType: 'DocumentReference',
    status: 'current',
    description: 'Scanned consent form',
    type: { text: 'Consent form' },
    subject: { reference: `Patient/${BOB}` },
    date: latestEncounter.period?.start ?? '2020-01-01T00:00:00Z',
    content: [
      { attachment: { contentType: 'image/png', url: `Binary/${binary.id ?? ''}`, title: 'consent.png' } },
    ],
    context: { encounter: [{ reference: `Encounter/${latestEncounter.id ?? ''}` }] },
  };
  await json(await server.call('admin', 'POST', '/fhir/R4/DocumentReference', scan));
  // The small Synthea sample has few coded items; give that visit a diagnosis, procedure, drug and vital sign.
  const encounter = { reference: `Encounter/${latestEncounter.id ?? ''}` };
  const subject = { reference: `Patient/${BOB}` };
  const when = latestEncounter.period?.start ?? '2020-01-01T00:00:00Z';
  const sct = (code: string, display: string) => ({
    coding: [{ system: 'http://snomed.info/sct', code, display }],
    text: display,
  });
  const clinical = [
    {
      resourceType: 'Condition',
      subject,
      encounter,
      code: sct('38341003', 'Hypertension'),
      clinicalStatus: { coding: [{ code: 'active' }] },
      onsetDateTime: when,
    },
    {
      resourceType: 'Procedure',
      status: 'completed',
      subject,
      encounter,
      code: sct('430193006', 'Medication reconciliation'),
      performedDateTime: when,
    },
    {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject,
      encounter,
      medicationCodeableConcept: {
        coding: [
          {
            system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
            code: '314076',
            display: 'lisinopril 10 MG Oral Tablet',
          },
        ],
        text: 'lisinopril 10 MG Oral Tablet',
      },
      dosageInstruction: [{ text: 'One tablet by mouth daily' }],
      authoredOn: when,
    },
    {
      resourceType: 'Observation',
      status: 'final',
      subject,
      encounter,
      code: { text: 'Blood pressure panel' },
      effectiveDateTime: when,
      component: [
        { code: { text: 'Systolic' }, valueQuantity: { value: 148, unit: 'mm[Hg]' } },
        { code: { text: 'Diastolic' }, valueQuantity: { value: 92, unit: 'mm[Hg]' } },
      ],
    },
  ];
  for (const r of clinical) await json(await server.call('admin', 'POST', `/fhir/R4/${r.resourceType}`, r));
  page = await env.newPage();
});

afterAll(async () => env?.close());

async function expectAccessible(name: string): Promise<void> {
  const violations = await seriousViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

describe.skipIf(!hasSharedTestdata)('the technician web application', () => {
  it('refuses a wrong password with the server’s words, accessibly', async () => {
    await page.goto('/');
    await page.waitForURL('**/app/login');
    await expect.poll(() => page.getByLabel('Purpose of use').inputValue()).toBe('HOPERAT');
    await expectAccessible('login');
    await screenshot(page, 'login');
    await loginAs(page, 'him-technician', { password: 'not-the-password' });
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('Wrong user name or password');
    await screenshot(page, 'login-error');
  });

  it('signs in to a home page with the worklists the role has', async () => {
    await loginAs(page, 'him-technician');
    const duplicates = page.locator('[data-worklist="duplicates"]');
    await duplicates.locator('.count').waitFor();
    expect(await duplicates.locator('.count').innerText()).toBe('0');
    // The coding tile shows the coding worklist's count, or is hidden while that endpoint does not exist (404).
    const coding = await env.server.call('him-technician', 'GET', '/coding/worklist?_summary=count');
    const codingTile = page.locator('[data-worklist="coding"]');
    if (coding.status === 404) expect(await codingTile.count()).toBe(0);
    else
      expect(await codingTile.locator('.count').innerText()).toBe(
        String(((await coding.json()) as { total: number }).total),
      );
    // Role-aware navigation: later screens add rows; the technician sees at least these.
    const nav = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    expect(nav.slice(0, 2)).toEqual(['Home', 'Patient search']);
    await expectAccessible('home');
    await screenshot(page, 'home');
  });

  it('finds a patient by a misspelled family name', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Patient search' })
      .click();
    await page.getByLabel('Name, MRN or birth date').fill('Keelin');
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.getByRole('row', { name: /Keeling57, Bob965/ });
    await row.waitFor();
    expect(await row.innerText()).toMatch(/Jul 8, 1991\s+Male\s+3f6fd0bb/);
    await expectAccessible('search');
    await screenshot(page, 'search');
  });

  it('opens the chart with demographics, identifiers and the encounter timeline', async () => {
    await page.getByRole('link', { name: 'Keeling57, Bob965' }).click();
    await page.getByRole('heading', { level: 1, name: /Chart: Mr\. Bob965 Keeling57/ }).waitFor();
    expect(await page.getByRole('heading', { name: 'Identifiers' }).isVisible()).toBe(true);
    expect(await page.getByText('Social Security Number').isVisible()).toBe(true);
    await expect.poll(() => page.locator('figure.timeline circle').count()).toBeGreaterThan(10);
    await expectAccessible('chart');
    await screenshot(page, 'chart');
  });

  it('opens an encounter with its diagnoses, observations and documents', async () => {
    await page
      .getByRole('table')
      .filter({ hasText: 'Diagnoses' })
      .getByRole('row')
      .nth(1)
      .getByRole('link')
      .click();
    await page.getByRole('heading', { level: 2, name: /^Encounter$/ }).waitFor();
    for (const section of ['Diagnoses', 'Procedures', 'Medications', 'Observations', 'Documents']) {
      expect(
        await page.getByRole('heading', { level: 2, name: new RegExp(`^${section}`) }).count(),
        section,
      ).toBe(1);
    }
    const main = await page.getByRole('main').innerText();
    for (const text of [
      'Hypertension',
      '38341003',
      'Medication reconciliation',
      'lisinopril 10 MG Oral Tablet',
      'One tablet by mouth daily',
      'Systolic: 148 mm[Hg]; Diastolic: 92 mm[Hg]',
    ]) {
      expect(main).toContain(text);
    }
    expect(new URL(page.url()).pathname).toBe(`/app/patients/${BOB}/encounters/${latestEncounter.id ?? ''}`);
    await expectAccessible('encounter');
    await screenshot(page, 'encounter');
  });

  it('opens a text document and an image document', async () => {
    const docs = page.getByRole('table').filter({ hasText: 'Format' });
    await docs.getByRole('link', { name: 'Scanned consent form' }).click();
    const img = page.getByRole('img', { name: 'Scanned consent form' });
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(2);
    await page.goBack();
    await docs.getByRole('link').filter({ hasNotText: 'Scanned consent form' }).first().click();
    const text = page.locator('pre.document-text');
    await text.waitFor();
    expect(await text.innerText()).toMatch(/# Chief Complaint/);
    await expectAccessible('document');
    await screenshot(page, 'document');
  });

  it('is usable at tablet width', async () => {
    await page.setViewportSize({ width: 800, height: 1100 });
    await page.goto(`/app/patients/${BOB}`);
    await page.getByRole('heading', { level: 1, name: /Chart:/ }).waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'chart-tablet');
    // Keyboard: on a fresh load the first Tab reaches the skip link, which moves focus to the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to main content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('asks for a reason before opening a restricted chart, then opens it', async () => {
    await page.goto('/app/search?q=Reynolds');
    const restricted = page.getByRole('row', { name: /Restricted record/ });
    await restricted.waitFor();
    expect(await page.locator('table.results').innerText()).not.toContain('Jani');
    await restricted.getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: 'Restricted record' }).waitFor();
    await expectAccessible('break-glass');
    await screenshot(page, 'break-glass');
    await page
      .getByLabel('Reason for access (required)')
      .fill('Patient in the ED, history needed for treatment');
    await page.getByRole('button', { name: 'Break the glass and open the chart' }).click();
    await page.getByRole('heading', { level: 1, name: /Chart: .*Jani266 Reynolds644/ }).waitFor();
  });

  it('signs out and the session is gone', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    await page.goto('/app/search');
    await page.waitForURL(/\/app\/login/);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Sign in');
    // An auditor reads the audit trail only: no patient search in the menu.
    await loginAs(page, 'auditor');
    const nav = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    expect(nav).not.toContain('Patient search');
    expect(nav).toContain('Home');
    expect(env.pageErrors).toEqual([]);
  });
});
