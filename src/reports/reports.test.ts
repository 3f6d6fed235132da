import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../shared/index.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import type { ReportResult } from './definition.ts';
import type { ReportSummary } from './catalogue.ts';
import { loadReportFixture, MORE_CASES } from './report-fixtures.ts';
import { createChart, createPractitioner, NOTES } from '../testing/chart-fixtures.ts';
import { evaluateChangedCharts } from '../completeness/index.ts';

/**
 * Each report computed on the constructed data set of report-fixtures.ts through real HTTP; the
 * expected rows are hand counts of that data set (the reasoning beside each).
 */
let server: TestServer;
let restrictedId = '';
const today = new Date().toISOString().slice(0, 10);
const dayAfter = (d: string): string => new Date(Date.parse(d) + 86_400_000).toISOString().slice(0, 10);
const dayBefore = (d: string): string => new Date(Date.parse(d) - 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  server = await startTestServer();
  await loadReportFixture(server, MORE_CASES);
  const res = await server.call('admin', 'POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    name: [{ family: 'Glasshouse' }],
    meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] },
  });
  restrictedId = ((await res.json()) as Patient).id ?? '';
});
afterAll(async () => server?.stop());

async function report(role: Role, path: string): Promise<ReportResult> {
  const res = await server.call(role, 'GET', path);
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as ReportResult;
}

const Q1 = 'from=2025-01-01&to=2025-03-31';

describe('operations reports on a constructed data set', () => {
  it('dnfb: discharged not final by age as of to (e5 final, e6 in house, e7 discharged before from)', async () => {
    const r = await report('him-director', `/reports/dnfb?${Q1}`);
    expect(r.columns).toEqual(['bucket', 'encounters', 'oldestDischarge', 'charges']);
    expect(r.rows).toEqual([
      ['0-3 days', 1, '2025-03-30', 20000],
      ['4-7 days', 1, '2025-03-25', 15000.5],
      ['8-14 days', 0, null, 0],
      ['15-30 days', 1, '2025-03-10', 300],
      ['over 30 days', 1, '2025-01-15', 1200],
    ]);
    const inpatient = await report('him-director', `/reports/dnfb?${Q1}&class=IMP`);
    expect(inpatient.rows.map((row) => row[1])).toEqual([1, 1, 0, 0, 0]);
  });

  it('dnfb: charges summed per bucket in the database, several encounters a bucket (the 2024 cases)', async () => {
    const q = 'from=2024-07-01&to=2024-09-30';
    const r = await report('him-director', `/reports/dnfb?${q}`);
    // x1 (Sep 29, 100.25) and x2 (Sep 28, 50); x3 (Sep 20, 1000), x4 (Sep 20, 234.50) and x5
    // (Sep 18, no charges); x6 (Aug 1, 700.10); x7 is final; e7 was discharged after to.
    expect(r.rows).toEqual([
      ['0-3 days', 2, '2024-09-28', 150.25],
      ['4-7 days', 0, null, 0],
      ['8-14 days', 3, '2024-09-18', 1234.5],
      ['15-30 days', 0, null, 0],
      ['over 30 days', 1, '2024-08-01', 700.1],
    ]);
    const pairs = async (filter: string): Promise<unknown[][]> =>
      (await report('him-director', `/reports/dnfb?${q}&${filter}`)).rows.map((row) => [row[1], row[3]]);
    expect(await pairs('class=AMB')).toEqual([
      [1, 50],
      [0, 0],
      [2, 234.5],
      [0, 0],
      [0, 0],
    ]);
    // Acme covers rep-patient (x1, x3, x4); rep-patient-2's Acme coverage is cancelled, so x2, x5
    // and x6 are not Acme's: they are self-pay.
    expect(await pairs('payer=rep-payer-a')).toEqual([
      [1, 100.25],
      [0, 0],
      [2, 1234.5],
      [0, 0],
      [0, 0],
    ]);
    expect(await pairs('payer=self-pay')).toEqual([
      [1, 50],
      [0, 0],
      [1, 0],
      [0, 0],
      [1, 700.1],
    ]);
  });

  it("dnfb, coding-backlog, case-mix: service, provider and payer (the patient's Coverage) filters", async () => {
    const dnfb = async (filter: string): Promise<Array<[unknown, unknown]>> =>
      (await report('him-director', `/reports/dnfb?${Q1}&${filter}`)).rows.map((row) => [row[1], row[3]]);
    // Dr Alpha attends e1 and e2 (rep-patient, Acme), Dr Bravo e3 and e4 (rep-patient-2, self-pay).
    const alpha = [
      [1, 20000],
      [1, 15000.5],
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    const bravo = [
      [0, 0],
      [0, 0],
      [0, 0],
      [1, 300],
      [1, 1200],
    ];
    expect(await dnfb('provider=rep-dr-a')).toEqual(alpha);
    expect(await dnfb('payer=rep-payer-a')).toEqual(alpha);
    expect(await dnfb('service=11429006')).toEqual(alpha);
    expect(await dnfb('payer=self-pay')).toEqual(bravo);
    expect(await dnfb('payer=no-such-payer')).toEqual(bravo.map(() => [0, 0]));
    const backlog = await report('coder', `/reports/coding-backlog?${Q1}&provider=rep-dr-b`);
    expect(backlog.rows).toEqual([
      ['uncoded', 'AMB', 1],
      ['uncoded', 'EMER', 1],
    ]);
    const mix = await report(
      'him-director',
      '/reports/case-mix?from=2025-03-01&to=2025-03-31&payer=self-pay',
    );
    expect(mix.rows).toEqual([['AMB', 'encounter for check up', 1]]);
    const bad = await server.call('him-director', 'GET', `/reports/dnfb?${Q1}&provider=a%20b`);
    expect(bad.status).toBe(400);
  });

  it('coding-backlog: not-final encounters by coding state and class', async () => {
    const r = await report('coder', `/reports/coding-backlog?${Q1}`);
    expect(r.rows).toEqual([
      ['coded', 'IMP', 1],
      ['uncoded', 'AMB', 1],
      ['uncoded', 'EMER', 1],
      ['uncoded', 'IMP', 1],
    ]);
  });

  it('coding-productivity: per coder and day, final and in progress (t5 before from, t6 another task)', async () => {
    const r = await report('coder', '/reports/coding-productivity?from=2025-03-01&to=2025-03-31');
    expect(r.columns).toEqual(['coder', 'day', 'finalized', 'inProgress', 'total']);
    expect(r.rows).toEqual([
      ['coder-a', '2025-03-10', 2, 1, 3],
      ['coder-b', '2025-03-11', 1, 0, 1],
    ]);
    const one = await report(
      'him-director',
      '/reports/coding-productivity?from=2025-03-01&to=2025-03-31&coder=coder-b',
    );
    expect(one.rows).toEqual([['coder-b', '2025-03-11', 1, 0, 1]]);
  });

  it('case-mix: encounters overlapping March by class and service type', async () => {
    const r = await report('him-director', '/reports/case-mix?from=2025-03-01&to=2025-03-31');
    expect(r.rows).toEqual([
      ['IMP', 'consultation', 3],
      ['AMB', 'encounter for check up', 1],
      ['IMP', 'unspecified', 1],
    ]);
  });

  it("top-diagnoses: coded ICD-10-CM in range (d7 entered in error, d8 the clinician's, d9 before from)", async () => {
    const r = await report('him-director', `/reports/top-diagnoses?${Q1}`);
    expect(r.columns).toEqual(['code', 'display', 'count']);
    expect(r.rows.map((row) => [row[0], row[2]])).toEqual([
      ['E11.9', 3],
      ['I10', 2],
      ['J18.9', 1],
    ]);
    expect(String(r.rows[0]?.[1])).toMatch(/type 2 diabetes/i);
    expect((await report('him-director', `/reports/top-diagnoses?${Q1}&limit=2`)).rows).toHaveLength(2);
    // d1 was coded on Dr Alpha's e1, d5 on e3 (the check-up service); every coded diagnosis is
    // rep-patient's (Acme), none the self-pay patient's.
    const top = async (filter: string): Promise<unknown[][]> =>
      (await report('him-director', `/reports/top-diagnoses?${Q1}&${filter}`)).rows.map((row) => [
        row[0],
        row[2],
      ]);
    expect(await top('provider=rep-dr-a')).toEqual([['E11.9', 1]]);
    expect(await top('service=185349003')).toEqual([['I10', 1]]);
    expect(await top('payer=rep-payer-a')).toEqual([
      ['E11.9', 3],
      ['I10', 2],
      ['J18.9', 1],
    ]);
    expect(await top('payer=self-pay')).toEqual([]);
  });

  it('top-procedures and diagnosis-trend', async () => {
    const px = await report('him-director', `/reports/top-procedures?${Q1}`);
    expect(px.rows.map((row) => [row[0], row[2]])).toEqual([
      ['0DTJ4ZZ', 2],
      ['G0439', 1],
    ]);
    const trend = await report('him-director', `/reports/diagnosis-trend?${Q1}&limit=2`);
    expect(trend.rows.map((row) => [row[0], row[1], row[3]])).toEqual([
      ['2025-01', 'E11.9', 1],
      ['2025-01', 'I10', 1],
      ['2025-02', 'E11.9', 1],
      ['2025-02', 'I10', 0],
      ['2025-03', 'E11.9', 1],
      ['2025-03', 'I10', 1],
    ]);
  });

  it('duplicate-rate: flagged, open, merged (less undone), not duplicates per month, per 1,000 patients the director sees (the restricted one is hidden)', async () => {
    const r = await report('him-director', `/reports/duplicate-rate?${Q1}`);
    expect(r.rows).toEqual([
      ['2025-01', 2, 1, 1, 0, 1000],
      ['2025-02', 1, 0, 0, 1, 500],
      ['2025-03', 1, 0, 1, 0, 500],
    ]);
  });

  it('roi-volume and chart-deficiencies: the ROI and deficiency Tasks by month, status and kind', async () => {
    const roi = await report('him-director', `/reports/roi-volume?${Q1}`);
    expect(roi.rows).toEqual([
      ['2025-01', 'completed', 2],
      ['2025-01', 'logged', 1],
      ['2025-03', 'in-review', 1],
    ]);
    // rep-def-4 was raised before from.
    const deficiencies = await report('him-director', `/reports/chart-deficiencies?${Q1}`);
    expect(deficiencies.rows).toEqual([
      ['missing-document', 0, 0, 1],
      ['signature', 1, 1, 0],
    ]);
  });

  it('coding-quality: overrides given at finalization in the range, by edit kind and coder (t5 in February)', async () => {
    const r = await report('him-director', '/reports/coding-quality?from=2025-03-01&to=2025-03-31');
    expect(r.columns).toEqual(['kind', 'coder', 'overrides', 'cases']);
    expect(r.rows).toEqual([
      ['age-conflict', 'coder-a', 1, 1],
      ['excludes1', 'coder-a', 2, 2],
      ['excludes1', 'coder-b', 1, 1],
    ]);
    const b = await report('coder', '/reports/coding-quality?from=2025-02-01&to=2025-03-31&coder=coder-b');
    expect(b.rows).toEqual([
      ['excludes1', 'coder-b', 1, 1],
      ['sex-conflict', 'coder-b', 1, 1],
    ]);
  });

  it('coding-finalized: the cases behind the Finalized figures, per coder (t3 not final, t5 before from, t6 another task)', async () => {
    const r = await report('him-director', '/reports/coding-finalized?from=2025-03-01&to=2025-03-31');
    expect(r.columns).toEqual(['finalized', 'coder', 'encounter', 'patient', 'patientName']);
    expect(r.rows).toEqual([
      ['2025-03-10', 'coder-a', 'rep-e1', 'rep-patient', 'Reportson, Rita'],
      ['2025-03-10', 'coder-a', 'rep-e2', 'rep-patient', 'Reportson, Rita'],
      ['2025-03-11', 'coder-b', 'rep-e3', 'rep-patient-2', 'Paysown, Sam'],
    ]);
    const b = await report('coder', '/reports/coding-finalized?from=2025-02-01&to=2025-03-31&coder=coder-b');
    expect(b.rows.map((row) => [row[0], row[2]])).toEqual([
      ['2025-02-27', 'rep-e4'],
      ['2025-03-11', 'rep-e3'],
    ]);
  });

  it('coding-overrides: each override behind coding-quality, with its encounter, coder and reason', async () => {
    const r = await report('him-director', '/reports/coding-overrides?from=2025-03-01&to=2025-03-31');
    expect(r.columns).toEqual([
      'identified',
      'kind',
      'codes',
      'coder',
      'reason',
      'encounter',
      'patient',
      'patientName',
    ]);
    // t1's two overrides share a time: compared without their order.
    expect(r.rows.map((row) => [row[0], row[1], row[3], row[5]]).sort()).toEqual([
      ['2025-03-10', 'age-conflict', 'coder-a', 'rep-e1'],
      ['2025-03-10', 'excludes1', 'coder-a', 'rep-e1'],
      ['2025-03-10', 'excludes1', 'coder-a', 'rep-e2'],
      ['2025-03-11', 'excludes1', 'coder-b', 'rep-e3'],
    ]);
    expect(r.rows[0]?.slice(4)).toEqual(['Documented', 'rep-e1', 'rep-patient', 'Reportson, Rita']);
    const kind = await report(
      'coder',
      '/reports/coding-overrides?from=2025-02-01&to=2025-03-31&kind=excludes1&coder=coder-b',
    );
    expect(kind.rows.map((row) => row[5])).toEqual(['rep-e3']);
    const b = await report('coder', '/reports/coding-overrides?from=2025-02-01&to=2025-03-31&coder=coder-b');
    expect(b.rows.map((row) => [row[1], row[5]])).toEqual([
      ['sex-conflict', 'rep-e4'],
      ['excludes1', 'rep-e3'],
    ]);
    expect((await server.call('auditor', 'GET', '/reports/coding-overrides')).status).toBe(403);
    expect((await server.call('him-director', 'GET', '/reports/coding-finalized?state=final')).status).toBe(
      400,
    );
  });

  it('roi-turnaround: released requests by month, median and 90th percentile days, past the legal clock', async () => {
    const r = await report('him-director', '/reports/roi-turnaround?from=2025-04-01&to=2025-06-30');
    expect(r.columns).toEqual(['month', 'released', 'medianDays', 'p90Days', 'late']);
    // April: 10 days. May: 4, 35 (due May 5: late) and 45 (extended to June 9: in time).
    expect(r.rows).toEqual([
      ['2025-04', 1, 10, 10, 0],
      ['2025-05', 3, 35, 45, 1],
    ]);
    const part = await report('him-director', '/reports/roi-turnaround?from=2025-05-08&to=2025-05-31');
    expect(part.rows).toEqual([['2025-05', 2, 35, 45, 1]]);
  });

  it('roi-turnaround: percentiles of an even and an odd count, late releases, the range by release day (2024 cases)', async () => {
    const r = await report('him-director', '/reports/roi-turnaround?from=2024-07-01&to=2024-08-31');
    // July: 2, 5, 9, 30 days (median the 2nd value, 90th percentile the 4th); only the 30-day one
    // after its due date (the 9-day one released on it). August: 1, 3, 3, 8, 40 (the 3rd and the
    // 5th); the 8-day and the 40-day ones after their due dates.
    expect(r.rows).toEqual([
      ['2024-07', 4, 5, 30, 1],
      ['2024-08', 5, 3, 40, 2],
    ]);
    // Released Aug 5 to 9: x6 and x7 (Aug 8); x5 (Aug 2) and x9 (Aug 10) fall outside.
    const days = await report('him-director', '/reports/roi-turnaround?from=2024-08-05&to=2024-08-09');
    expect(days.rows).toEqual([['2024-08', 2, 3, 3, 0]]);
  });

  it('answers CSV for Accept: text/csv, quoting as RFC 4180 asks', async () => {
    const res = await server.call('him-director', 'GET', `/reports/top-diagnoses?${Q1}`, undefined, {
      accept: 'text/csv',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('code,display,count');
    expect(lines[1]).toMatch(/^E11\.9,type 2 diabetes mellitus without complications,3$/);
    expect(lines[2]).toBe('I10,essential (primary) hypertension,2');
    expect(lines[3]).toBe('J18.9,"pneumonia, unspecified organism",1');
  });

  // Last in this block: it adds charts (and patients) the counts above do not expect.
  it('chart-delinquency: per responsible provider, delinquent charts and open deficiencies by age, as of to', async () => {
    const drA = await createPractitioner(server, 'Alpha');
    const drB = await createPractitioner(server, 'Bravo');
    const chart = (admitted: string, discharged: string, attending: string, notes: string[]) =>
      createChart(server, { admitted, discharged, attending, notes });
    // Dr A: no discharge summary, 66 days after discharge on Aug 15 (delinquent, 61+), and a
    // complete chart; Dr B: no H&P, 26 days after discharge (15-30, not yet delinquent).
    await chart('2025-06-08T10:00:00Z', '2025-06-10T10:00:00Z', drA, [NOTES.historyAndPhysical]);
    await chart('2025-06-28T10:00:00Z', '2025-07-01T10:00:00Z', drA, [
      NOTES.historyAndPhysical,
      NOTES.dischargeSummary,
    ]);
    await chart('2025-07-18T10:00:00Z', '2025-07-20T10:00:00Z', drB, [NOTES.dischargeSummary]);
    await evaluateChangedCharts(server.db);
    const r = await report('him-director', '/reports/chart-delinquency?to=2025-08-15');
    expect(r.columns).toEqual([
      'provider',
      'providerId',
      'delinquentCharts',
      'ageBucket',
      'openDeficiencies',
    ]);
    const of = (id: string): unknown[][] => r.rows.filter((row) => row[1] === id).map((row) => row.slice(2));
    expect(of(drA)).toEqual([
      [1, '0-7', 0],
      [1, '8-14', 0],
      [1, '15-30', 0],
      [1, '31-60', 0],
      [1, '61+', 1],
    ]);
    expect(of(drB)).toEqual([
      [0, '0-7', 0],
      [0, '8-14', 0],
      [0, '15-30', 1],
      [0, '31-60', 0],
      [0, '61+', 0],
    ]);
    // Before Dr B's patient was discharged, only Dr A's chart was open (33 days: delinquent).
    const july = await report('him-director', '/reports/chart-delinquency?to=2025-07-13');
    expect(july.rows.filter((row) => row[1] === drB)).toEqual([]);
    expect(july.rows.find((row) => row[1] === drA && row[3] === '31-60')?.slice(2)).toEqual([1, '31-60', 1]);
  });
});

describe('privacy reports', () => {
  it('break-glass: grants per day and user, reviewed and awaiting review', async () => {
    const grant = async (role: Role): Promise<string> => {
      const res = await server.call(role, 'POST', '/auth/break-glass', {
        patient: restrictedId,
        reason: 'Emergency admission, chart needed now',
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    const first = await grant('provider');
    await grant('provider');
    await grant('him-technician');
    const reviewed = await server.call('privacy-officer', 'POST', `/audit/break-glass/${first}/review`, {
      note: 'Reason checked',
    });
    expect(reviewed.status).toBe(200);
    const r = await report(
      'privacy-officer',
      `/reports/break-glass?from=${dayBefore(today)}&to=${dayAfter(today)}`,
    );
    // The grants were made a moment ago: one day (two if the test ran across midnight UTC).
    const totals = new Map<string, number[]>();
    for (const [, user, grants, done, open] of r.rows) {
      const t = totals.get(String(user)) ?? [0, 0, 0];
      totals.set(String(user), [t[0]! + Number(grants), t[1]! + Number(done), t[2]! + Number(open)]);
    }
    expect(Object.fromEntries(totals)).toEqual({
      'him-technician-user': [1, 0, 1],
      'provider-user': [2, 1, 1],
    });
  });

  it("access-volume: a user's recorded accesses and refusals", async () => {
    const role: Role = 'cancer-registrar';
    expect((await server.call(role, 'GET', '/fhir/R4/Patient/rep-patient')).status).toBe(200);
    expect((await server.call(role, 'GET', '/fhir/R4/Patient/rep-patient')).status).toBe(200);
    expect((await server.call(role, 'GET', `/reports/dnfb?${Q1}`)).status).toBe(403);
    const r = await report(
      'auditor',
      `/reports/access-volume?from=${dayBefore(today)}&to=${dayAfter(today)}&user=cancer-registrar-user`,
    );
    const sum = (i: number) => r.rows.reduce((n, row) => n + Number(row[i]), 0);
    // Two reads, one refused report, and the sign-in.
    expect([sum(2), sum(3)]).toEqual([4, 1]);
  });
});

describe('anomaly flags', () => {
  it('a user viewing a patient of their family name and address, an employee chart, a day far above baseline', async () => {
    const home = { line: ['12 Elm Street'], city: 'Springfield', postalCode: '01101' };
    const relative = (await (
      await server.call('admin', 'POST', '/fhir/R4/Patient', {
        resourceType: 'Patient',
        name: [{ family: 'Kinsley', given: ['Ada'] }],
        address: [home],
      })
    ).json()) as Patient;
    const staff = await server.call('admin', 'POST', '/fhir/R4/Practitioner', {
      resourceType: 'Practitioner',
      identifier: [{ system: 'urn:custodian:user', value: 'provider-user' }],
      name: [{ family: 'Kinsley', given: ['Bo'] }],
      address: [home],
    });
    expect(staff.status).toBe(201);
    const employee = (await (
      await server.call('admin', 'POST', '/fhir/R4/Patient', {
        resourceType: 'Patient',
        name: [{ family: 'Coworker' }],
        meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMP' }] },
      })
    ).json()) as Patient;
    expect((await server.call('provider', 'GET', `/fhir/R4/Patient/${relative.id ?? ''}`)).status).toBe(200);
    // The privacy officer sees labelled charts without the glass: their look is flagged all the same.
    expect(
      (await server.call('privacy-officer', 'GET', `/fhir/R4/Patient/${employee.id ?? ''}`)).status,
    ).toBe(200);
    // Twenty reads in a day by a user with no history before it.
    for (let i = 0; i < 20; i += 1)
      expect((await server.call('roi-specialist', 'GET', '/fhir/R4/Patient/rep-patient')).status).toBe(200);

    const r = await report(
      'privacy-officer',
      `/reports/anomalies?from=${dayBefore(today)}&to=${dayAfter(today)}`,
    );
    expect(r.columns).toEqual(['flag', 'user', 'patient', 'day', 'detail']);
    const flags = r.rows.map((row) => [row[0], row[1], row[2]]);
    expect(flags).toContainEqual(['same family name and address', 'provider-user', relative.id]);
    expect(flags).toContainEqual(["co-worker's chart", 'privacy-officer-user', employee.id]);
    expect(flags).toContainEqual(['unusual volume', 'roi-specialist-user', null]);
    // Reading a patient of another name, or a handful of reads, raises nothing.
    expect(flags.filter((f) => f[1] === 'cancer-registrar-user')).toEqual([]);
    expect(flags.filter((f) => f[1] === 'provider-user' && f[2] !== relative.id)).toEqual([]);
  });
});

describe('the catalogue and role checks', () => {
  const names = async (role: Role): Promise<string[]> => {
    const res = await server.call(role, 'GET', '/reports');
    expect(res.status).toBe(200);
    return ((await res.json()) as { reports: ReportSummary[] }).reports.map((r) => r.name);
  };

  it('lists the reports a role may read', async () => {
    const director = await names('him-director');
    for (const name of ['dnfb', 'coding-productivity', 'top-diagnoses', 'duplicate-rate', 'break-glass'])
      expect(director).toContain(name);
    const coder = await names('coder');
    expect(coder).toContain('dnfb');
    expect(coder).not.toContain('break-glass');
    expect(coder).not.toContain('access-volume');
    expect(await names('auditor')).toEqual(['break-glass', 'access-volume', 'anomalies']);
    expect((await server.call('cancer-registrar', 'GET', '/reports')).status).toBe(403);
  });

  it('a coder cannot read the privacy reports; an auditor cannot read the operations reports', async () => {
    for (const path of ['/reports/break-glass', '/reports/access-volume']) {
      const res = await server.call('coder', 'GET', path);
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    }
    expect((await server.call('auditor', 'GET', '/reports/dnfb')).status).toBe(403);
    expect((await server.call(null, 'GET', '/reports/dnfb')).status).toBe(401);
  });

  it('the coding lists (coding-finalized, coding-overrides) are operations reports: the coder and the privacy officer read them, the auditor does not', async () => {
    for (const name of ['coding-finalized', 'coding-overrides']) {
      const path = `/reports/${name}?from=2025-03-01&to=2025-03-31`;
      const director = await report('him-director', path);
      expect(director.rows.length, name).toBeGreaterThan(0);
      // Same records, same patients named: none of the fixture's coded cases carries a label the
      // coder's access hides (a labelled chart's case would drop out of the coder's list only).
      expect((await report('coder', path)).rows, name).toEqual(director.rows);
      expect((await report('privacy-officer', path)).rows, name).toEqual(director.rows);
      expect(await names('coder')).toContain(name);
      expect(await names('privacy-officer')).toContain(name);
      expect(await names('auditor')).not.toContain(name);
      const refused = await server.call('auditor', 'GET', path);
      expect(refused.status, name).toBe(403);
      expect(((await refused.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    }
  });

  it('answers 404 for an unknown report and 400 for bad parameters', async () => {
    expect((await server.call('him-director', 'GET', '/reports/no-such-report')).status).toBe(404);
    for (const query of [
      'from=2025-13-01',
      'to=yesterday',
      'from=2025-03-01&to=2025-01-01',
      'colour=red',
      'limit=0',
      'format=xml',
    ]) {
      const res = await server.call('him-director', 'GET', `/reports/top-diagnoses?${query}`);
      expect(res.status, query).toBe(400);
    }
  });
});
