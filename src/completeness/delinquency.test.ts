import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChart, createPractitioner, NOTES } from '../testing/chart-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import type { DelinquencyReport } from './delinquency.ts';
import { evaluateChangedCharts } from './watcher.ts';

let server: TestServer;
let drA: string;
let drB: string;

const ALL = [NOTES.historyAndPhysical, NOTES.dischargeSummary];

/**
 * A constructed quarter, measured at the end of March 2025 (30 days to delinquency):
 * January: one complete chart, one without a discharge summary (70 days old: delinquent, 61+);
 * February: one complete, one without an H&P (34 days: delinquent, 31-60), Dr B's;
 * March: one complete, one without a discharge summary (6 days: not yet delinquent, 0-7);
 * plus an ambulatory visit, which is not a discharge.
 */
beforeAll(async () => {
  server = await startTestServer();
  drA = await createPractitioner(server, 'Alpha');
  drB = await createPractitioner(server, 'Bravo');
  const chart = (
    admitted: string,
    discharged: string,
    attending: string,
    notes: string[],
    classCode = 'IMP',
  ) => createChart(server, { admitted, discharged, attending, notes, classCode });
  await chart('2025-01-08T10:00:00Z', '2025-01-10T10:00:00Z', drA, ALL);
  await chart('2025-01-18T10:00:00Z', '2025-01-20T12:00:00Z', drA, [NOTES.historyAndPhysical]);
  await chart('2025-02-12T10:00:00Z', '2025-02-15T10:00:00Z', drB, ALL);
  await chart('2025-02-22T10:00:00Z', '2025-02-25T12:00:00Z', drB, [NOTES.dischargeSummary]);
  await chart('2025-03-02T10:00:00Z', '2025-03-05T10:00:00Z', drA, ALL);
  await chart('2025-03-22T10:00:00Z', '2025-03-25T12:00:00Z', drA, [NOTES.historyAndPhysical]);
  await chart('2025-03-10T10:00:00Z', '2025-03-10T11:00:00Z', drA, [], 'AMB');
  await evaluateChangedCharts(server.db);
});
afterAll(async () => server?.stop());

describe('GET /completeness/delinquency', () => {
  it('computes the rate as accreditors do: delinquent charts / average monthly discharges over three months', async () => {
    const res = await server.call('him-director', 'GET', '/completeness/delinquency?month=2025-03');
    expect(res.status).toBe(200);
    const r = (await res.json()) as DelinquencyReport;
    expect(r.asOf).toBe('2025-03-31T23:59:59.999Z');
    expect(r.dischargesByMonth).toEqual([
      { month: '2025-01', discharges: 2 },
      { month: '2025-02', discharges: 2 },
      { month: '2025-03', discharges: 2 },
    ]);
    expect(r.averageMonthlyDischarges).toBe(2);
    expect(r.delinquentCharts).toBe(2);
    expect(r.rate).toBe(1);
    expect(r.buckets).toEqual([
      { label: '0-7', deficiencies: 1, charts: 1 },
      { label: '8-14', deficiencies: 0, charts: 0 },
      { label: '15-30', deficiencies: 0, charts: 0 },
      { label: '31-60', deficiencies: 1, charts: 1 },
      { label: '61+', deficiencies: 1, charts: 1 },
    ]);
    const a = r.byProvider.find((l) => l.id === drA);
    const b = r.byProvider.find((l) => l.id === drB);
    expect(a).toMatchObject({
      delinquentCharts: 1,
      openDeficiencies: 2,
      averageMonthlyDischarges: 1.33,
      rate: 0.75,
    });
    expect(a?.buckets).toEqual([1, 0, 0, 0, 1]);
    expect(b).toMatchObject({
      delinquentCharts: 1,
      openDeficiencies: 1,
      averageMonthlyDischarges: 0.67,
      rate: 1.5,
    });
    expect(r.byService).toEqual([
      expect.objectContaining({ id: 'Inpatient', delinquentCharts: 2, averageMonthlyDischarges: 2, rate: 1 }),
    ]);
  });

  it('an earlier month sees fewer delinquent charts: the February chart was not yet 30 days old', async () => {
    const r = (await (
      await server.call('him-director', 'GET', '/completeness/delinquency?month=2025-02')
    ).json()) as DelinquencyReport;
    expect(r.delinquentCharts).toBe(1);
    expect(r.averageMonthlyDischarges).toBe(1.33);
  });

  it('answers CSV when asked, and refuses a malformed month', async () => {
    const res = await server.call(
      'him-director',
      'GET',
      '/completeness/delinquency?month=2025-03',
      undefined,
      {
        accept: 'text/csv',
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe(
      'dimension,id,name,delinquent_charts,open_deficiencies,average_monthly_discharges,rate,days_0-7,days_8-14,days_15-30,days_31-60,days_61+',
    );
    expect(lines[1]).toBe('hospital,,All,2,3,2,1,1,0,0,1,1');
    expect(lines).toContain(`provider,${drB},Dr. Pat Bravo,1,1,0.67,1.5,0,0,0,1,0`);
    const bad = await server.call('him-director', 'GET', '/completeness/delinquency?month=2025-13');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });
});
