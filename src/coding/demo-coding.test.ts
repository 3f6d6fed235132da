import type { Bundle, Coverage, Encounter, Task } from '@medplum/fhirtypes';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../app/demo-loader.ts';
import { repoCodesetsDir } from '../app/config.ts';
import { cliContext } from '../cli/context.ts';
import { addDemoBilling, demoPayerBundle, TOTAL_CHARGES_URL } from '../demo/index.ts';
import { processBundle } from '../fhir/bundle.ts';
import { FhirStore } from '../fhir/store.ts';
import type { ReportResult } from '../reports/definition.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { DEMO_CODERS, seedDemoCoding, type DemoCodingSummary } from './demo-coding.ts';
import { loadCodeSets } from './loader.ts';
import type { WorklistPage } from './worklist.ts';

/**
 * The first start's demo as a director meets it: insured patients, billed visits with charges,
 * and the past year coded by the demo coders through the workflow itself. Visits in FY 2021 (the
 * loaded ICD-10-CM release), coded as of the end of May 2021 (June's visits wait, uncoded).
 */
const AS_OF = new Date('2021-05-31T18:00:00Z');
const DEMO = { patients: 6, seed: 2026, startDate: '2020-10-01', years: 0.75, lite: true };

let server: TestServer;
let first: DemoCodingSummary;

beforeAll(async () => {
  server = await startTestServer();
  for (const release of ['icd10cm-2021', 'hcpcs-2020'])
    await loadCodeSets(server.db, join(repoCodesetsDir, release));
  const store = new FhirStore(server.db, cliContext());
  await processBundle(store, demoPayerBundle());
  await loadDemoData(store, DEMO, undefined, addDemoBilling);
  first = await seedDemoCoding(server.db, store, AS_OF);
}, 240_000);
afterAll(async () => server?.stop());

async function json<T>(path: string, role: 'him-director' | 'coder' = 'him-director'): Promise<T> {
  const res = await server.call(role, 'GET', path);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

const RANGE = 'from=2020-10-01&to=2021-06-30';

describe('demo billing', () => {
  it('insures every patient and bills every visit to the account; finished visits carry charges', async () => {
    const coverages = await json<Bundle<Coverage>>('/fhir/R4/Coverage?_count=100');
    const patients = await json<Bundle>('/fhir/R4/Patient?_summary=count');
    expect(coverages.entry?.length).toBe(patients.total);
    const encounters = (await json<Bundle<Encounter>>('/fhir/R4/Encounter?_count=500')).entry ?? [];
    for (const { resource: e } of encounters) {
      expect(e?.account?.[0]?.reference).toMatch(/^Account\//);
      const charges = e?.extension?.find((x) => x.url === TOTAL_CHARGES_URL)?.valueMoney?.value;
      if (e?.status === 'finished') expect(charges).toBeGreaterThan(0);
    }
    // Every case on the coder's worklist has its payer, and the worklist filters by it.
    const all = await json<WorklistPage>('/coding/worklist?limit=100&facets=1', 'coder');
    expect(all.items.length).toBeGreaterThan(0);
    expect(all.items.every((i) => i.payer)).toBe(true);
    // The filter takes the payer Organization's id, as the menu offers it.
    const payer = all.facets?.payers.find(
      (p) => p.value !== 'self-pay' && all.items.some((i) => i.payer === p.label),
    );
    const list = await json<WorklistPage>(
      `/coding/worklist?payer=${encodeURIComponent(payer?.value ?? '')}&limit=100`,
      'coder',
    );
    expect(list.items.length).toBeGreaterThan(0);
    expect(list.items.every((i) => i.payer === payer?.label)).toBe(true);
  });

  it('is the same every time for the same patient', () => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000001', resource: { resourceType: 'Patient' } },
      ],
    };
    expect(JSON.stringify(addDemoBilling(bundle))).toBe(JSON.stringify(addDemoBilling(bundle)));
    expect(addDemoBilling(bundle).entry?.map((e) => e.resource?.resourceType)).toEqual([
      'Patient',
      'Coverage',
      'Account',
    ]);
  });
});

describe('demo coding', () => {
  it('finalizes most of the past year through the workflow, by the demo coders, after discharge', async () => {
    expect(first.final).toBeGreaterThan(5);
    const tasks = (
      await json<Bundle<Task>>('/fhir/R4/Task?code=urn:custodian:task|encounter-coding&_count=500')
    ).entry?.map((e) => e.resource as Task);
    expect(tasks?.length).toBe(first.final + first.coded);
    for (const task of tasks ?? []) {
      expect(DEMO_CODERS).toContain(task.owner?.identifier?.value);
      expect(task.lastModified! <= AS_OF.toISOString()).toBe(true);
    }
    // Every override in the work items' logs is also a DetectedIssue the quality report counts.
    const logged = (tasks ?? []).flatMap((t) =>
      (t.extension ?? []).filter((x) => x.url === 'urn:custodian:fhir:coding-override'),
    ).length;
    const issues = await json<Bundle>(
      '/fhir/R4/DetectedIssue?code=urn:custodian:coding-edit|&_summary=count',
    );
    expect(issues.total).toBe(logged);
    const quality = (await json<ReportResult>(`/reports/coding-quality?${RANGE}`)).rows;
    expect(quality.reduce((n, r) => n + Number(r[2]), 0)).toBe(logged);
    // A second run changes nothing.
    const again = await seedDemoCoding(server.db, new FhirStore(server.db, cliContext()), AS_OF);
    expect(again).toEqual(first);
  });

  it('gives every operations report something to show', async () => {
    const rows = async (name: string): Promise<ReportResult['rows']> =>
      (await json<ReportResult>(`/reports/${name}?${RANGE}`)).rows;
    expect((await rows('top-diagnoses')).length).toBeGreaterThan(3);
    expect((await rows('diagnosis-trend')).some((r) => Number(r[3]) > 0)).toBe(true);
    const coders = new Set((await rows('coding-productivity')).map((r) => r[0]));
    expect(coders.size).toBeGreaterThanOrEqual(2);
    const dnfb = await rows('dnfb');
    // Not everything is final: the newest visits wait, with their charges.
    const waiting = dnfb.reduce((n, r) => n + Number(r[1]), 0);
    expect(waiting).toBeGreaterThan(0);
    expect(dnfb.reduce((n, r) => n + Number(r[3]), 0)).toBeGreaterThan(0);
  });
});
