import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Encounter, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createChart,
  createPractitioner,
  noteResource,
  NOTES,
  type Chart,
} from '../testing/chart-fixtures.ts';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { evaluateChangedCharts } from './watcher.ts';
import type { WorklistPage } from './worklist.ts';

let server: TestServer;
let attending: string;
let surgeon: string;

beforeAll(async () => {
  server = await startTestServer();
  attending = await createPractitioner(server, 'Attending');
  surgeon = await createPractitioner(server, 'Surgeon');
});
afterAll(async () => server?.stop());

const DAY = 86_400_000;
const daysAgo = (n: number): string => new Date(Date.now() - n * DAY).toISOString();

async function deficiencies(encounterId: string): Promise<Task[]> {
  const res = await server.call(
    'him-technician',
    'GET',
    `/fhir/R4/Task?code=urn:custodian:task|deficiency&focus=Encounter/${encounterId}&_count=100`,
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as Bundle).entry?.map((e) => e.resource as Task) ?? [];
}

const ruleOf = (t: Task): string | undefined => t.reasonCode?.coding?.[0]?.code;
const byRule = (tasks: Task[], rule: string): Task[] => tasks.filter((t) => ruleOf(t) === rule);

async function post(resource: object): Promise<string> {
  const type = (resource as { resourceType: string }).resourceType;
  const res = await server.call('admin', 'POST', `/fhir/R4/${type}`, resource);
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe('deficiencies opened and closed by the rules', () => {
  let chart: Chart;

  const discharged = daysAgo(2);
  beforeAll(async () => {
    chart = await createChart(server, {
      admitted: daysAgo(5),
      discharged,
      attending,
      surgeon,
      notes: [NOTES.historyAndPhysical],
      procedures: ['0SR90JZ', '5A1955Z'],
    });
    await evaluateChangedCharts(server.db);
  });

  it('opens one Task per unmet rule on a discharged inpatient chart, as the issue describes it', async () => {
    const tasks = await deficiencies(chart.encounterId);
    expect(tasks.map(ruleOf).sort()).toEqual(['consent', 'discharge-summary', 'operative-note']);
    const ds = byRule(tasks, 'discharge-summary')[0]!;
    expect(ds.status).toBe('requested');
    expect(ds.for?.reference).toBe(`Patient/${chart.patientId}`);
    expect(ds.owner?.reference).toBe(`Practitioner/${attending}`);
    expect(ds.owner?.display).toBe('Dr. Pat Attending');
    expect(ds.restriction?.period?.end).toBe(new Date(Date.parse(discharged) + 14 * DAY).toISOString());
    expect(ds.reasonCode?.text).toContain('18842-5');
    // Only the surgical procedure (ICD-10-PCS section 0) needs an operative note, owned by its surgeon.
    const op = byRule(tasks, 'operative-note');
    expect(op).toHaveLength(1);
    expect(op[0]!.owner?.reference).toBe(`Practitioner/${surgeon}`);
  });

  it('a discharge summary filed to the encounter, final and signed, completes its deficiency', async () => {
    await post(
      noteResource(NOTES.dischargeSummary, {
        patient: `Patient/${chart.patientId}`,
        encounter: `Encounter/${chart.encounterId}`,
        author: attending,
        date: daysAgo(1),
        signed: true,
      }),
    );
    const run = await evaluateChangedCharts(server.db);
    expect(run.closed).toBe(1);
    const ds = byRule(await deficiencies(chart.encounterId), 'discharge-summary');
    expect(ds.map((t) => t.status)).toEqual(['completed']);
  });

  it('an unsigned operative note closes the missing note and opens a signature deficiency for its author, closed when signed', async () => {
    const noteId = await post(
      noteResource(NOTES.operativeNote, {
        patient: `Patient/${chart.patientId}`,
        encounter: `Encounter/${chart.encounterId}`,
        author: surgeon,
        date: daysAgo(4),
        signed: false,
      }),
    );
    await evaluateChangedCharts(server.db);
    let tasks = await deficiencies(chart.encounterId);
    expect(byRule(tasks, 'operative-note').map((t) => t.status)).toEqual(['completed']);
    const unsigned = byRule(tasks, 'note-signed');
    expect(
      unsigned.map((t) => [t.status, t.owner?.reference, t.input?.[0]?.valueReference?.reference]),
    ).toEqual([['requested', `Practitioner/${surgeon}`, `DocumentReference/${noteId}`]]);
    const note = (await (
      await server.call('admin', 'GET', `/fhir/R4/DocumentReference/${noteId}`)
    ).json()) as object;
    const signed = { ...note, authenticator: { reference: `Practitioner/${surgeon}` } };
    expect((await server.call('admin', 'PUT', `/fhir/R4/DocumentReference/${noteId}`, signed)).status).toBe(
      200,
    );
    await evaluateChangedCharts(server.db);
    tasks = await deficiencies(chart.encounterId);
    expect(byRule(tasks, 'note-signed').map((t) => t.status)).toEqual(['completed']);
  });

  it('waiving needs HIM staff and a reason; a waived deficiency stays waived', async () => {
    const consent = byRule(await deficiencies(chart.encounterId), 'consent')[0]!;
    const path = `/completeness/deficiencies/${consent.id}/waive`;
    expect((await server.call('provider', 'POST', path, { reason: 'mine' })).status).toBe(403);
    const empty = await server.call('him-technician', 'POST', path, { reason: ' ' });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    const ok = await server.call('him-technician', 'POST', path, {
      reason: 'Emergency procedure: consent not obtainable',
    });
    expect(ok.status).toBe(200);
    // A change to the chart re-evaluates it; the waiver holds.
    const enc = (await (
      await server.call('admin', 'GET', `/fhir/R4/Encounter/${chart.encounterId}`)
    ).json()) as Encounter;
    await server.call('admin', 'PUT', `/fhir/R4/Encounter/${chart.encounterId}`, {
      ...enc,
      priority: { text: 'routine' },
    });
    await evaluateChangedCharts(server.db);
    const after = byRule(await deficiencies(chart.encounterId), 'consent')[0]!;
    expect(after.status).toBe('cancelled');
    expect(after.statusReason?.text).toBe('Emergency procedure: consent not obtainable');
    expect((await server.call('him-technician', 'POST', path, { reason: 'again' })).status).toBe(409);
  });

  it("a discharge summary re-filed to another encounter reopens the first chart's deficiency", async () => {
    const other = await createChart(server, { admitted: daysAgo(9), discharged: daysAgo(8), attending });
    const docs = (await (
      await server.call(
        'admin',
        'GET',
        `/fhir/R4/DocumentReference?encounter=Encounter/${chart.encounterId}&type=http://loinc.org|18842-5`,
      )
    ).json()) as Bundle;
    const doc = docs.entry?.[0]?.resource as { id: string; context: object };
    await server.call('admin', 'PUT', `/fhir/R4/DocumentReference/${doc.id}`, {
      ...doc,
      context: { encounter: [{ reference: `Encounter/${other.encounterId}` }] },
    });
    await evaluateChangedCharts(server.db);
    expect(byRule(await deficiencies(chart.encounterId), 'discharge-summary').map((t) => t.status)).toEqual([
      'requested',
    ]);
    expect(byRule(await deficiencies(other.encounterId), 'discharge-summary')).toEqual([]);
  });

  it('an encounter still in progress has no deficiencies, and gets them at discharge', async () => {
    const open = await createChart(server, { admitted: daysAgo(1), attending, status: 'in-progress' });
    await evaluateChangedCharts(server.db);
    expect(await deficiencies(open.encounterId)).toEqual([]);
    const enc = (await (
      await server.call('admin', 'GET', `/fhir/R4/Encounter/${open.encounterId}`)
    ).json()) as Encounter;
    await server.call('admin', 'PUT', `/fhir/R4/Encounter/${open.encounterId}`, {
      ...enc,
      status: 'finished',
      period: { start: enc.period?.start, end: new Date().toISOString() },
    });
    await evaluateChangedCharts(server.db);
    expect((await deficiencies(open.encounterId)).map(ruleOf).sort()).toEqual([
      'discharge-summary',
      'history-and-physical',
    ]);
  });

  it('the worklist lists open deficiencies with the patient, filtered and sorted', async () => {
    const res = await server.call(
      'him-technician',
      'GET',
      `/completeness/worklist?provider=${attending}&sort=age&order=desc`,
    );
    expect(res.status).toBe(200);
    const page = (await res.json()) as WorklistPage;
    expect(page.total).toBeGreaterThan(0);
    expect(page.deficiencies.every((d) => d.ownerId === attending && d.status === 'requested')).toBe(true);
    expect(page.deficiencies[0]?.patientName).toMatch(/^Chart/);
    const ages = page.deficiencies.map((d) => d.ageDays ?? 0);
    expect(ages).toEqual([...ages].sort((a, b) => b - a));
    expect((await server.call('him-technician', 'GET', '/completeness/worklist?sort=nonsense')).status).toBe(
      400,
    );
    expect((await server.call('auditor', 'GET', '/completeness/worklist')).status).toBe(403);
  });
});

describe('confidentiality', () => {
  it("a restricted patient's deficiencies stay off a technician's worklist", async () => {
    const hidden = await createPractitioner(server, 'Private');
    const chart = await createChart(server, {
      admitted: daysAgo(4),
      discharged: daysAgo(3),
      attending: hidden,
    });
    const patient = (await (
      await server.call('admin', 'GET', `/fhir/R4/Patient/${chart.patientId}`)
    ).json()) as object;
    const labelled = {
      ...patient,
      meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] },
    };
    expect((await server.call('admin', 'PUT', `/fhir/R4/Patient/${chart.patientId}`, labelled)).status).toBe(
      200,
    );
    await evaluateChangedCharts(server.db);
    const list = async (role: 'him-technician' | 'privacy-officer'): Promise<WorklistPage> =>
      (await (
        await server.call(role, 'GET', `/completeness/worklist?provider=${hidden}`)
      ).json()) as WorklistPage;
    expect((await list('privacy-officer')).total).toBeGreaterThan(0);
    expect(await list('him-technician')).toMatchObject({ total: 0, deficiencies: [] });
  });
});

describe('rules as data', () => {
  it('the HIM director edits the rules (new version), others may not, bad rules are refused', async () => {
    const current = (await (await server.call('him-technician', 'GET', '/completeness/rules')).json()) as {
      version: number;
      rules: Array<{ id: string; dueHours: number }>;
      settings: object;
    };
    expect(current.rules.map((r) => r.id)).toContain('discharge-summary');
    const changed = {
      settings: current.settings,
      rules: current.rules.map((r) => (r.id === 'discharge-summary' ? { ...r, dueHours: 48 } : r)),
    };
    expect((await server.call('him-technician', 'PUT', '/completeness/rules', changed)).status).toBe(403);
    const bad = await server.call('him-director', 'PUT', '/completeness/rules', {
      ...changed,
      rules: [
        {
          id: 'x',
          kind: 'document',
          title: 't',
          classes: ['IMP'],
          anchor: 'lunch',
          dueHours: 1,
          owner: 'attending',
        },
      ],
    });
    expect(bad.status).toBe(400);
    const saved = await server.call('him-director', 'PUT', '/completeness/rules', changed);
    expect(saved.status).toBe(200);
    expect(((await saved.json()) as { version: number }).version).toBe(current.version + 1);
    const discharged = daysAgo(2);
    const chart = await createChart(server, {
      admitted: daysAgo(3),
      discharged,
      attending,
      notes: [NOTES.historyAndPhysical],
    });
    await evaluateChangedCharts(server.db);
    const ds = byRule(await deficiencies(chart.encounterId), 'discharge-summary')[0]!;
    expect(ds.restriction?.period?.end).toBe(new Date(Date.parse(discharged) + 2 * DAY).toISOString());
    // Back to the defaults for the tests after this one.
    expect((await server.call('him-director', 'PUT', '/completeness/rules', current)).status).toBe(200);
  });
});

describe.skipIf(!hasSharedTestdata)('Synthea charts', () => {
  it('every finished inpatient encounter of a Synthea patient lacks a discharge summary, and its notes are unsigned', async () => {
    const dir = sharedTestdata('synthea');
    // The smallest patient bundle that holds an inpatient stay.
    const withStay = readdirSync(dir)
      .filter((f) => !/Information/.test(f))
      .sort((a, b) => statSync(join(dir, a)).size - statSync(join(dir, b)).size)
      .find((f) => /"code":\s*"IMP"/.test(readFileSync(join(dir, f), 'utf8')));
    expect(withStay).toBeDefined();
    // Its clinicians and places are conditional references into Synthea's shared bundles (7 MB):
    // the clinicians become our attending, the places are dropped.
    const bundle = JSON.parse(readFileSync(join(dir, withStay!), 'utf8'), (key, value: unknown) =>
      key === 'reference' && typeof value === 'string' && value.includes('?')
        ? value.startsWith('Practitioner?')
          ? `Practitioner/${attending}`
          : undefined
        : value,
    ) as Bundle;
    const res = await server.call('admin', 'POST', '/fhir/R4', bundle);
    expect(res.status).toBe(200);
    const loaded = (await res.json()) as Bundle;
    const encounterIds = (loaded.entry ?? [])
      .map((e) => /^Encounter\/([^/]+)/.exec(e.response?.location ?? '')?.[1])
      .filter((x): x is string => !!x);
    await evaluateChangedCharts(server.db);
    let inpatient = 0;
    let unsigned = 0;
    for (const id of encounterIds) {
      const enc = (await (await server.call('admin', 'GET', `/fhir/R4/Encounter/${id}`)).json()) as Encounter;
      const tasks = await deficiencies(id);
      if (enc.class.code === 'IMP' && enc.status === 'finished') {
        inpatient += 1;
        expect(byRule(tasks, 'discharge-summary').map((t) => t.status)).toEqual(['requested']);
      } else expect(byRule(tasks, 'discharge-summary')).toEqual([]);
      unsigned += byRule(tasks, 'note-signed').length;
    }
    expect(inpatient).toBeGreaterThan(0);
    // Synthea's current notes carry no authenticator.
    expect(unsigned).toBeGreaterThan(0);
  });
});
