import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../app/demo-loader.ts';
import { cliContext } from '../cli/context.ts';
import { generatePatients } from '../demo/index.ts';
import { FhirStore } from '../fhir/store.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { completeDemoCharts } from './demo-charts.ts';
import type { DelinquencyReport } from './delinquency.ts';
import { evaluateChangedCharts } from './watcher.ts';
import type { WorklistPage } from './worklist.ts';

/** Demo patients whose visits end on 2026-01-01, their charts completed as of that day. */
const AS_OF = new Date('2026-01-01T00:00:00Z');
const DEMO = { patients: 60, seed: 2026, startDate: '2025-01-01', years: 1 };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await loadDemoData(new FhirStore(server.db, cliContext()), DEMO, undefined, (b) =>
    completeDemoCharts(b, AS_OF),
  );
  await evaluateChangedCharts(server.db);
}, 240_000);
afterAll(async () => server?.stop());

describe('demo charts', () => {
  it('are completed the same way every time (seeded per encounter)', () => {
    const [first] = generatePatients({ ...DEMO, patients: 1 });
    expect(JSON.stringify(completeDemoCharts(first!.bundle, AS_OF))).toBe(
      JSON.stringify(completeDemoCharts(first!.bundle, AS_OF)),
    );
  });

  it('open with a realistic mix: old charts complete, recent ones deficient, a few delinquent', async () => {
    const res = await server.call('him-technician', 'GET', '/completeness/worklist?limit=500&status=all');
    const page = (await res.json()) as WorklistPage;
    // Deficiencies are measured against today; ages relative to the demo's end date.
    const ageAtDemoEnd = (d: WorklistPage['deficiencies'][number]): number =>
      Math.floor((AS_OF.getTime() - Date.parse(d.dischargedAt ?? '')) / 86_400_000);
    const open = page.deficiencies.filter((d) => d.status === 'requested');
    expect(open.length).toBeGreaterThan(5);
    // Charts discharged 90 days or more before the demo's end are complete.
    expect(open.filter((d) => ageAtDemoEnd(d) >= 90)).toEqual([]);
    expect(open.some((d) => ageAtDemoEnd(d) < 30)).toBe(true);
    expect(new Set(open.map((d) => d.ruleId)).size).toBeGreaterThanOrEqual(3);

    const report = (await (
      await server.call('him-director', 'GET', '/completeness/delinquency?month=2025-12')
    ).json()) as DelinquencyReport;
    expect(report.averageMonthlyDischarges).toBeGreaterThan(0);
    expect(report.delinquentCharts).toBeGreaterThan(0);
    expect(report.rate).toBeGreaterThan(0);
  });
});
