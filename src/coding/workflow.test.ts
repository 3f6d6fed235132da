import type {
  AuditEvent,
  Bundle,
  Coverage,
  Claim,
  Condition,
  DetectedIssue,
  Encounter,
  OperationOutcome,
  Organization,
  Patient,
  Task,
} from '@medplum/fhirtypes';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableIds } from '../bulk/import.ts';
import { cliContext } from '../cli/context.ts';
import { repoCodesetsDir } from '../app/config.ts';
import { demoFacilityBundle, generatePatients } from '../demo/index.ts';
import { processBundle } from '../fhir/bundle.ts';
import { FhirStore } from '../fhir/store.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { loadCodeSets } from './loader.ts';
import type { Edit } from './types.ts';
import type { EncounterCodingView, SaveResult } from './workflow.ts';
import { ageAt } from './encounter-context.ts';
import type { WorklistFacets, WorklistItem } from './worklist.ts';

// Real HTTP against a real server: demo patients whose visits fall in ICD-10-CM FY 2021 (the loaded
// release), the real code sets, and the coder's role from the permission table.
let server: TestServer;
let finishedEncounters = 0;

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status} ${text}`);
  return JSON.parse(text) as T;
}

const coder = <T>(method: string, path: string, body?: unknown): Promise<T> =>
  server.call('coder', method, path, body).then((r) => json<T>(r));

const admin = <T>(path: string): Promise<T> => server.call('admin', 'GET', path).then((r) => json<T>(r));

beforeAll(async () => {
  server = await startTestServer();
  // The releases these FY2021 visits need; the other years' files are tested in coding.test.ts.
  for (const release of ['icd10cm-2021', 'hcpcs-2020'])
    await loadCodeSets(server.db, join(repoCodesetsDir, release));
  const store = new FhirStore(server.db, cliContext());
  await processBundle(store, demoFacilityBundle());
  for (const p of generatePatients({
    patients: 12,
    seed: 11,
    startDate: '2020-10-01',
    years: 0.9,
    lite: true,
  })) {
    await processBundle(store, stableIds(p.bundle));
  }
  const count = await admin<Bundle>('/fhir/R4/Encounter?status=finished&_summary=count');
  finishedEncounters = count.total ?? 0;
});
afterAll(async () => server?.stop());

async function worklist(
  params: Record<string, string> = {},
): Promise<{ total: number; items: WorklistItem[] }> {
  return coder('GET', `/coding/worklist?${new URLSearchParams({ limit: '1000', ...params }).toString()}`);
}

async function codedConditions(encounterId: string): Promise<Condition[]> {
  const b = await admin<Bundle<Condition>>(
    `/fhir/R4/Condition?encounter=Encounter/${encounterId}&_tag=urn:custodian:coding|coded`,
  );
  return (b.entry ?? []).map((e) => e.resource as Condition);
}

const active = (cs: Condition[]): string[] =>
  cs
    .filter((c) => !c.verificationStatus?.coding?.some((x) => x.code === 'entered-in-error'))
    .map((c) => c.code?.coding?.[0]?.code ?? '')
    .sort();

async function firstOf(cls: WorklistItem['class']): Promise<WorklistItem> {
  const item = (await worklist({ state: 'uncoded' })).items.find((i) => i.class === cls);
  if (!item) throw new Error(`no ${cls} encounter in the demo data`);
  return item;
}

describe('worklist', () => {
  it('lists every discharged encounter not final, oldest discharge first, with DNFB age', async () => {
    expect(finishedEncounters).toBeGreaterThan(10);
    const list = await worklist();
    expect(list.total).toBe(finishedEncounters);
    expect(list.items).toHaveLength(finishedEncounters);
    const discharges = list.items.map((i) => i.discharge);
    expect(discharges).toEqual([...discharges].sort());
    const first = list.items[0]!;
    expect(first.dnfbDays).toBe(Math.floor((Date.now() - Date.parse(first.discharge)) / 86_400_000));
    expect(first.patientName).toMatch(/\w+, \w+/);
    expect(first.mrn).toMatch(/^M\d+/);
    expect(new Set(list.items.map((i) => i.class))).toEqual(
      new Set(['inpatient', 'outpatient', 'emergency']),
    );
    expect(list.items.every((i) => i.state === 'uncoded')).toBe(true);
    expect(await coder('GET', '/coding/worklist?_summary=count')).toEqual({ total: finishedEncounters });
    expect((await worklist({ limit: '3' })).items.map((i) => i.encounterId)).toEqual(
      list.items.slice(0, 3).map((i) => i.encounterId),
    );
  });
});

describe('coding an encounter', () => {
  let enc: WorklistItem;

  beforeAll(async () => {
    enc = await firstOf('inpatient');
  });

  it('shows the encounter, its patient and what the clinicians documented', async () => {
    const view = await coder<EncounterCodingView>('GET', `/coding/encounters/${enc.encounterId}`);
    expect(view.state).toBe('uncoded');
    expect(view.encounter.class).toBe('inpatient');
    expect(view.patient.mrn).toBe(enc.mrn);
    expect(view.documented.diagnoses.length).toBeGreaterThan(0);
    expect(view.codes.diagnoses).toEqual([]);
  });

  it('writes Conditions, Claim, Encounter.diagnosis and the work item together', async () => {
    const saved = await coder<SaveResult>('PUT', `/coding/encounters/${enc.encounterId}/codes`, {
      diagnoses: [
        { code: 'E11.9', principal: false, poa: 'Y' },
        { code: 'J18.9', principal: true, poa: 'Y' },
      ],
      procedures: [],
    });
    expect(saved.state).toBe('coded');
    expect(saved.edits.filter((e) => e.severity === 'error')).toEqual([]);
    expect(saved.codes.diagnoses.map((d) => d.code)).toEqual(['J18.9', 'E11.9']);
    expect(saved.codes.diagnoses[0]?.display).toMatch(/pneumonia/i);

    const conditions = await codedConditions(enc.encounterId);
    expect(active(conditions)).toEqual(['E11.9', 'J18.9']);
    expect(conditions[0]?.recorder?.identifier?.value).toBe('coder-user');

    const claim = await admin<Bundle<Claim>>(`/fhir/R4/Claim?encounter=Encounter/${enc.encounterId}`).then(
      (b) => b.entry?.[0]?.resource as Claim,
    );
    expect(claim.status).toBe('draft');
    expect(claim.type.coding?.[0]?.code).toBe('institutional');
    expect(
      claim.diagnosis?.map((d) => [
        d.sequence,
        d.diagnosisCodeableConcept?.coding?.[0]?.code,
        d.onAdmission?.coding?.[0]?.code,
      ]),
    ).toEqual([
      [1, 'J18.9', 'y'],
      [2, 'E11.9', 'y'],
    ]);
    expect(claim.diagnosis?.[0]?.type?.[0]?.coding?.[0]?.code).toBe('principal');

    const encounter = await admin<Encounter>(`/fhir/R4/Encounter/${enc.encounterId}`);
    const billing = (encounter.diagnosis ?? []).filter((d) =>
      conditions.some((c) => `Condition/${c.id}` === d.condition.reference),
    );
    expect(billing.map((d) => [d.rank, d.use?.coding?.[0]?.code])).toEqual([
      [1, 'billing'],
      [2, 'billing'],
    ]);
    const principalRef = billing[0]?.condition.reference;
    expect(conditions.find((c) => `Condition/${c.id}` === principalRef)?.code?.coding?.[0]?.code).toBe(
      'J18.9',
    );
    // The clinicians' own entries are still there.
    expect((encounter.diagnosis ?? []).length).toBeGreaterThan(2);
    expect(encounter.meta?.tag).toContainEqual(
      expect.objectContaining({ system: 'urn:custodian:coding-state', code: 'coded' }),
    );

    const task = await admin<Bundle<Task>>(`/fhir/R4/Task?focus=Encounter/${enc.encounterId}`).then(
      (b) => b.entry?.[0]?.resource as Task,
    );
    expect([task.status, task.businessStatus?.coding?.[0]?.code, task.owner?.display]).toEqual([
      'in-progress',
      'coded',
      'coder-user',
    ]);
    expect(Date.now() - Date.parse(task.lastModified ?? '')).toBeLessThan(60_000);

    const row = (await worklist()).items.find((i) => i.encounterId === enc.encounterId);
    expect([row?.state, row?.coder]).toEqual(['coded', 'coder-user']);
  });

  it('writes nothing for a malformed request', async () => {
    const before = await admin<Bundle>(`/fhir/R4/Task?focus=Encounter/${enc.encounterId}`);
    const res = await server.call('coder', 'PUT', `/coding/encounters/${enc.encounterId}/codes`, {
      diagnoses: [
        { code: 'I10', principal: true, poa: 'Y' },
        { code: 'not a code!', poa: 'Y' },
      ],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as OperationOutcome).issue?.[0]?.diagnostics).toMatch(/diagnoses\[1\]\.code/);
    expect(active(await codedConditions(enc.encounterId))).toEqual(['E11.9', 'J18.9']);
    const after = await admin<Bundle>(`/fhir/R4/Task?focus=Encounter/${enc.encounterId}`);
    expect(after.entry?.[0]?.resource?.meta?.versionId).toBe(before.entry?.[0]?.resource?.meta?.versionId);
  });

  it('replaces the previous coding when the encounter is coded again', async () => {
    const before = await codedConditions(enc.encounterId);
    const j18 = before.find((c) => c.code?.coding?.[0]?.code === 'J18.9');
    await coder('PUT', `/coding/encounters/${enc.encounterId}/codes`, {
      diagnoses: [
        { code: 'J18.9', principal: true, poa: 'Y' },
        { code: 'I10', poa: 'N' },
      ],
    });
    const after = await codedConditions(enc.encounterId);
    expect(active(after)).toEqual(['I10', 'J18.9']);
    // The re-assigned code keeps its resource; the dropped one stays in the record, in error.
    expect(after.find((c) => c.code?.coding?.[0]?.code === 'J18.9')?.id).toBe(j18?.id);
    const e119 = after.find((c) => c.code?.coding?.[0]?.code === 'E11.9');
    expect(e119?.verificationStatus?.coding?.[0]?.code).toBe('entered-in-error');
    const view = await coder<EncounterCodingView>('GET', `/coding/encounters/${enc.encounterId}`);
    expect(view.codes.diagnoses.map((d) => [d.code, d.poa])).toEqual([
      ['J18.9', 'Y'],
      ['I10', 'N'],
    ]);
    const encounter = await admin<Encounter>(`/fhir/R4/Encounter/${enc.encounterId}`);
    const refs = (encounter.diagnosis ?? []).map((d) => d.condition.reference);
    expect(refs).not.toContain(`Condition/${e119?.id}`);
  });
});

describe('finalizing', () => {
  let enc: WorklistItem;
  let open: Edit[];
  const finalizePath = () => `/coding/encounters/${enc.encounterId}/finalize`;

  beforeAll(async () => {
    enc = await firstOf('inpatient');
    // No POA on an inpatient secondary diagnosis: a hard stop.
    const saved = await coder<SaveResult>('PUT', `/coding/encounters/${enc.encounterId}/codes`, {
      diagnoses: [{ code: 'I50.9', principal: true, poa: 'Y' }, { code: 'N39.0' }],
    });
    open = saved.edits.filter((e) => e.severity === 'error');
  });

  it('refuses while a hard stop is open, whatever override is given', async () => {
    expect(open.map((e) => [e.kind, e.hardStop])).toEqual([['poa-missing', true]]);
    for (const body of [
      undefined,
      { overrides: [{ kind: 'poa-missing', codes: open[0]!.codes, reason: 'Physician query pending' }] },
    ]) {
      const res = await server.call('coder', 'POST', finalizePath(), body);
      expect(res.status).toBe(422);
      const outcome = (await res.json()) as OperationOutcome;
      expect(outcome.issue?.map((i) => i.details?.coding?.[0]?.code)).toEqual(['poa-missing']);
      expect(outcome.issue?.[0]?.diagnostics).toContain('cannot be overridden');
    }
    const row = (await worklist()).items.find((i) => i.encounterId === enc.encounterId);
    expect(row?.state).toBe('coded');
  });

  it('needs each overridable error overridden with its own reason', async () => {
    const saved = await coder<SaveResult>('PUT', `/coding/encounters/${enc.encounterId}/codes`, {
      diagnoses: [
        { code: 'I50.9', principal: true, poa: 'Y' },
        { code: 'E11.9', poa: 'Y' },
        { code: 'E10.9', poa: 'Y' },
      ],
    });
    const excludes = saved.edits.filter((e) => e.severity === 'error');
    expect(excludes.map((e) => [e.kind, e.hardStop ?? false])).toEqual([['excludes1', false]]);
    const blank = await server.call('coder', 'POST', finalizePath(), {
      overrides: [{ kind: 'excludes1', codes: excludes[0]!.codes, reason: '  ' }],
    });
    expect(blank.status).toBe(422);
  });

  it('accepts overrides with a reason, then the encounter leaves the worklist and is locked', async () => {
    const view0 = await coder<EncounterCodingView>('GET', `/coding/encounters/${enc.encounterId}`);
    const excludes = view0.edits.find((e) => e.kind === 'excludes1')!;
    const result = await coder<{ state: string }>('POST', finalizePath(), {
      overrides: [
        {
          kind: 'excludes1',
          codes: excludes.codes,
          reason: 'Attending documents both types; query answered',
        },
      ],
    });
    expect(result.state).toBe('final');
    const list = await worklist();
    expect(list.items.some((i) => i.encounterId === enc.encounterId)).toBe(false);
    expect(list.total).toBe(finishedEncounters - 1);
    expect(await coder('GET', '/coding/worklist?_summary=count')).toEqual({ total: finishedEncounters - 1 });
    const claim = await admin<Bundle<Claim>>(`/fhir/R4/Claim?encounter=Encounter/${enc.encounterId}`);
    expect(claim.entry?.[0]?.resource?.status).toBe('active');
    const view = await coder<EncounterCodingView>('GET', `/coding/encounters/${enc.encounterId}`);
    expect(view.state).toBe('final');
    expect(view.overrides.map((o) => [o.kind, o.reason])).toEqual([
      ['excludes1', 'Attending documents both types; query answered'],
    ]);
    // Each override is its own searchable record too, written with the finalization.
    const issues = await admin<Bundle<DetectedIssue>>(
      `/fhir/R4/DetectedIssue?implicated=Encounter/${enc.encounterId}&code=urn:custodian:coding-edit|excludes1`,
    );
    expect(issues.entry?.map((e) => e.resource?.author?.identifier?.value)).toEqual([
      view.overrides[0]?.coder,
    ]);
    expect(issues.entry?.[0]?.resource?.mitigation?.[0]?.action.text).toBe(
      'Overridden: Attending documents both types; query answered',
    );
    const again = await server.call('coder', 'PUT', `/coding/encounters/${enc.encounterId}/codes`, {
      diagnoses: [{ code: 'I50.9', principal: true, poa: 'Y' }],
    });
    expect(again.status).toBe(409);
  });

  it('keeps no POA on an outpatient visit and never asks for one', async () => {
    const visit = await firstOf('outpatient');
    const saved = await coder<SaveResult>('PUT', `/coding/encounters/${visit.encounterId}/codes`, {
      diagnoses: [{ code: 'J06.9', principal: true, poa: 'Y' }],
    });
    expect(saved.edits.filter((e) => /poa/.test(e.kind))).toEqual([]);
    expect(saved.codes.diagnoses[0]?.poa).toBeUndefined();
  });
});

describe('who may code', () => {
  it('refuses roles without coding rights, and lets a reader see the worklist only', async () => {
    const enc = await firstOf('outpatient');
    const body = { diagnoses: [{ code: 'I10', principal: true }] };
    for (const role of ['auditor', 'cancer-registrar'] as const) {
      const res = await server.call(role, 'PUT', `/coding/encounters/${enc.encounterId}/codes`, body);
      expect(res.status, role).toBe(403);
    }
    expect((await server.call('auditor', 'GET', '/coding/worklist')).status).toBe(403);
    expect((await server.call('cancer-registrar', 'GET', '/coding/worklist?_summary=count')).status).toBe(
      200,
    );
    expect(await codedConditions(enc.encounterId)).toEqual([]);
  });

  it('audits a request refused for a bad parameter', async () => {
    const audits = async (): Promise<number> =>
      (await admin<Bundle>('/fhir/R4/AuditEvent?_summary=count')).total ?? 0;
    const before = await audits();
    expect((await server.call('coder', 'GET', '/coding/worklist?limit=0')).status).toBe(400);
    expect(await audits()).toBeGreaterThan(before + 1); // the refusal and the count query itself
  });
});

describe('productivity', () => {
  it('counts per coder and day the encounters coded and finalized, with the turnaround', async () => {
    const enc = await firstOf('outpatient');
    await coder('PUT', `/coding/encounters/${enc.encounterId}/codes`, {
      diagnoses: [{ code: 'I10', principal: true }],
    });
    const today = new Date().toISOString().slice(0, 10);
    const report = await server
      .call('him-director', 'GET', `/coding/productivity?from=${today}&to=${today}`)
      .then((r) =>
        json<{
          rows: Array<{
            coder: string;
            day: string;
            coded: number;
            finalized: number;
            meanTurnaroundHours: number | null;
          }>;
        }>(r),
      );
    const finalTask = await admin<Bundle<Task>>('/fhir/R4/Task?status=completed').then(
      (b) => b.entry?.[0]?.resource as Task,
    );
    const finalEncounter = await admin<Encounter>(`/${'fhir/R4'}/${finalTask.focus?.reference ?? ''}`);
    const hours =
      (Date.parse(finalTask.lastModified ?? '') - Date.parse(finalEncounter.period?.end ?? '')) / 3_600_000;
    expect(report.rows).toEqual([
      {
        coder: 'coder-user',
        day: today,
        coded: 4,
        finalized: 1,
        meanTurnaroundHours: Math.round(hours * 10) / 10,
      },
    ]);
    const none = await coder<{ rows: unknown[] }>(
      'GET',
      '/coding/productivity?from=2020-01-01&to=2020-01-31',
    );
    expect(none.rows).toEqual([]);
    expect(
      (await server.call('coder', 'GET', '/coding/productivity?from=2021-02-01&to=2021-01-01')).status,
    ).toBe(400);
  });
});

describe('worklist filters, paging, assignment and reopening', () => {
  type Page = { total: number; offset: number; items: WorklistItem[]; facets?: WorklistFacets };
  const page = (params: Record<string, string>) =>
    coder<Page>('GET', `/coding/worklist?${new URLSearchParams(params).toString()}`);

  const ids = (p: Page): string[] => p.items.map((i) => i.encounterId);

  it('filters by class, service, age and DNFB days in the database, sorts, and pages through all', async () => {
    const all = await page({ limit: '1000', facets: '1' });
    // The menus come only when asked (a screen asks once): a page of the same list has none.
    expect((await page({ limit: '1000' })).facets).toBeUndefined();
    expect((await server.call('coder', 'GET', '/coding/worklist?facets=yes')).status).toBe(400);
    for (const cls of ['inpatient', 'outpatient', 'emergency'] as const) {
      const only = await page({ class: cls, limit: '1000' });
      expect(ids(only)).toEqual(ids(all).filter((_, n) => all.items[n]!.class === cls));
      expect(only.total).toBe(only.items.length);
    }
    // Paging: the first two pages are the list's head, a page past the first keeps the total,
    // a page past the end is empty.
    const first = await page({ limit: '3' });
    const second = await page({ limit: '3', offset: '3' });
    expect([...ids(first), ...ids(second)]).toEqual(ids(all).slice(0, 6));
    expect(ids(await page({ limit: '2', offset: '7' }))).toEqual(ids(all).slice(7, 9));
    expect(second.total).toBe(all.total);
    expect(second.offset).toBe(3);
    const past = await page({ offset: String(all.total) });
    expect([past.items.length, past.total]).toEqual([0, all.total]);
    const newest = await page({ sort: '-discharge', limit: '1000' });
    expect(newest.items.map((i) => i.discharge)).toEqual(all.items.map((i) => i.discharge).reverse());
    const byClass = await page({ sort: 'class', limit: '1000' });
    expect(new Set(ids(byClass))).toEqual(new Set(ids(all)));

    // Service: the Encounter.type code, as the menu (a tally) offers it.
    const encounters = await admin<Bundle<Encounter>>('/fhir/R4/Encounter?status=finished&_count=1000');
    const serviceOf = new Map(
      (encounters.entry ?? []).map((e) => [e.resource!.id!, e.resource!.type?.[0]?.coding?.[0]?.code]),
    );
    expect(all.facets!.services.length).toBeGreaterThan(1);
    const service = all.facets!.services[0]!;
    expect(service.label).not.toBe('');
    const ofService = await page({ service: service.value, limit: '1000' });
    expect(ids(ofService)).toEqual(ids(all).filter((id) => serviceOf.get(id) === service.value));
    expect(ofService.total).toBeGreaterThan(0);

    // Age: from the birth date relative to today (see filterWhere).
    const patients = await admin<Bundle<Patient>>('/fhir/R4/Patient?_count=1000');
    const today = new Date().toISOString().slice(0, 10);
    const ageToday = new Map(
      (patients.entry ?? []).map((e) => [e.resource!.id!, ageAt(e.resource!.birthDate!, today)]),
    );
    const ages = all.items.map((i) => ageToday.get(i.patientId)!);
    const mid = [...ages].sort((a, b) => a - b)[Math.floor(ages.length / 2)]!;
    const older = await page({ ageMin: String(mid), limit: '1000' });
    expect(ids(older)).toEqual(ids(all).filter((_, n) => ages[n]! >= mid));
    const younger = await page({ ageMax: String(mid), limit: '1000' });
    expect(ids(younger)).toEqual(ids(all).filter((_, n) => ages[n]! <= mid));
    expect(older.total + younger.total).toBeGreaterThan(all.total);

    // DNFB days: whole days since discharge, both bounds inclusive.
    const days = all.items.map((i) => i.dnfbDays);
    const median = [...days].sort((a, b) => a - b)[Math.floor(days.length / 2)]!;
    const aged = await page({ dnfbMin: String(median), limit: '1000' });
    expect(ids(aged)).toEqual(ids(all).filter((_, n) => days[n]! >= median));
    const fresh = await page({ dnfbMax: String(median), limit: '1000' });
    expect(ids(fresh)).toEqual(ids(all).filter((_, n) => days[n]! <= median));
    const exactly = await page({ dnfbMin: String(median), dnfbMax: String(median), limit: '1000' });
    expect(exactly.total).toBeGreaterThan(0);
    expect(exactly.items.every((i) => i.dnfbDays === median)).toBe(true);
    expect((await page({ dnfbMin: String(Math.max(...days) + 1) })).total).toBe(0);

    for (const bad of ['sort=shoe', 'sort=patient', 'ageMin=x', 'dnfbMin=-1', 'dnfbMax=1.5', 'payer=a%20b'])
      expect((await server.call('coder', 'GET', `/coding/worklist?${bad}`)).status, bad).toBe(400);
  });

  it("filters by payer through the patient's Coverage, and offers the payers in its menu", async () => {
    const all = await page({ limit: '1000' });
    const [insured, selfPaying, formerlyInsured] = [...new Set(all.items.map((i) => i.patientId))];
    const payer = await server
      .call('admin', 'POST', '/fhir/R4/Organization', {
        resourceType: 'Organization',
        name: 'Medicare Part A',
      })
      .then((r) => json<Organization>(r));
    const coverage = (patientId: string, extra: Partial<Coverage>) =>
      server.call('admin', 'POST', '/fhir/R4/Coverage', {
        resourceType: 'Coverage',
        status: 'active',
        beneficiary: { reference: `Patient/${patientId}` },
        order: 1,
        ...extra,
      });
    expect(
      (
        await coverage(insured!, {
          payor: [{ reference: `Organization/${payer.id}`, display: 'Medicare Part A' }],
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await coverage(selfPaying!, {
          type: { coding: [{ code: 'pay' }] },
          payor: [{ reference: `Patient/${selfPaying}`, display: 'Self-pay' }],
        })
      ).status,
    ).toBe(201);
    // A cancelled coverage does not make the payer the patient's.
    const cancelled = await coverage(formerlyInsured!, {
      status: 'cancelled',
      payor: [{ reference: `Organization/${payer.id}`, display: 'Medicare Part A' }],
    });
    expect(cancelled.status).toBe(201);
    const medicare = await page({ payer: payer.id!, limit: '1000', facets: '1' });
    expect(ids(medicare)).toEqual(ids(all).filter((_, n) => all.items[n]!.patientId === insured));
    expect(medicare.items.every((i) => i.payer === 'Medicare Part A')).toBe(true);
    expect(medicare.facets!.payers).toEqual([
      { value: payer.id, label: 'Medicare Part A' },
      { value: 'self-pay', label: 'Self-pay' },
    ]);
    const selfPay = await page({ payer: 'self-pay', limit: '1000' });
    expect(ids(selfPay)).toEqual(ids(all).filter((_, n) => all.items[n]!.patientId === selfPaying));
    const none = await page({ payer: 'none', limit: '1000' });
    expect(none.total).toBe(all.total - medicare.total - selfPay.total);
    expect(none.items.some((i) => i.patientId === insured || i.patientId === selfPaying)).toBe(false);
  });

  it('reads and audits only the page shown', async () => {
    const all = await page({ limit: '1000' });
    const shown = await page({ limit: '2', offset: '4' });
    const since = new Date(Date.now() - 1).toISOString();
    const again = await page({ limit: '2', offset: '4' });
    expect(ids(again)).toEqual(ids(shown));
    const trail = await admin<Bundle<AuditEvent>>(
      `/fhir/R4/AuditEvent?agent-name=coder-user&date=ge${since}&_count=1000`,
    );
    const named = new Set(
      (trail.entry ?? []).flatMap((e) =>
        (e.resource!.entity ?? [])
          .map((x) => x.what?.reference ?? '')
          .filter((r) => r.startsWith('Patient/'))
          .map((r) => r.slice('Patient/'.length)),
      ),
    );
    expect(trail.entry?.length).toBeGreaterThan(2);
    expect(named).toEqual(new Set(again.items.map((i) => i.patientId)));
    expect(new Set(all.items.map((i) => i.patientId)).size).toBeGreaterThan(named.size);
  });

  it('lets a coder claim a case and assign or release one, by assigned coder', async () => {
    const [a, b] = (await page({ coder: 'unassigned', state: 'uncoded', limit: '2' })).items;
    await coder('POST', `/coding/encounters/${a!.encounterId}/assign`, {});
    await coder('POST', `/coding/encounters/${b!.encounterId}/assign`, { coder: 'second-coder' });
    const mine = await page({ coder: 'coder-user', limit: '1000' });
    expect(mine.items.map((i) => i.encounterId)).toContain(a!.encounterId);
    const theirs = await page({ coder: 'second-coder', limit: '1000', facets: 'true' });
    expect(theirs.items.map((i) => [i.encounterId, i.state])).toEqual([[b!.encounterId, 'uncoded']]);
    expect(theirs.facets!.coders).toEqual(
      expect.arrayContaining([
        { value: 'coder-user', label: 'coder-user' },
        { value: 'second-coder', label: 'second-coder' },
      ]),
    );
    const unassigned = await page({ coder: 'unassigned', limit: '1000' });
    expect(unassigned.items.every((i) => i.coder === undefined)).toBe(true);
    expect(ids(unassigned)).not.toContain(a!.encounterId);
    let held = 0;
    for (const c of theirs.facets!.coders) held += (await page({ coder: c.value })).total;
    expect(theirs.facets!.coders.length).toBeGreaterThan(1);
    expect(unassigned.total + held).toBe((await page({})).total);
    await coder('POST', `/coding/encounters/${b!.encounterId}/assign`, { coder: null });
    expect((await page({ coder: 'second-coder' })).total).toBe(0);
    const view = await coder<EncounterCodingView>('GET', `/coding/encounters/${a!.encounterId}`);
    expect(view.coder).toBe('coder-user');
    expect(view.history.map((h) => [h.action, h.assignee])).toEqual([['assigned', 'coder-user']]);
  });

  it('reopens a final case only with a reason, kept in its history', async () => {
    const tasks = await admin<Bundle<Task>>('/fhir/R4/Task?status=completed');
    const encounterId = tasks.entry![0]!.resource!.focus!.reference!.split('/')[1]!;
    const path = `/coding/encounters/${encounterId}/reopen`;
    expect((await server.call('coder', 'POST', path, { reason: ' ' })).status).toBe(400);
    expect(await coder('POST', path, { reason: 'Late discharge summary adds a diagnosis' })).toEqual({
      state: 'coded',
    });
    const view = await coder<EncounterCodingView>('GET', `/coding/encounters/${encounterId}`);
    expect(view.state).toBe('coded');
    expect(view.history.at(-1)).toMatchObject({
      action: 'reopened',
      coder: 'coder-user',
      reason: 'Late discharge summary adds a diagnosis',
    });
    const claim = await admin<Bundle<Claim>>(`/fhir/R4/Claim?encounter=Encounter/${encounterId}`);
    expect(claim.entry?.[0]?.resource?.status).toBe('draft');
    expect((await worklist()).items.some((i) => i.encounterId === encounterId)).toBe(true);
    expect((await server.call('coder', 'POST', path, { reason: 'again' })).status).toBe(409);
  });
});
