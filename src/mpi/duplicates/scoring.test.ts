import type { Bundle, Parameters, Patient, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliContext } from '../../cli/context.ts';
import { generatePatients, type DemoOptions } from '../../demo/index.ts';
import { loadDemoData } from '../../app/demo-loader.ts';
import { FhirStore } from '../../fhir/store.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { scorePendingPatients } from './scoring.ts';
import type { MatchPair, Worklist } from './worklist.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.stop());

const DEMO: DemoOptions = { patients: 400, seed: 11, duplicateRate: 0.25, lite: true };

/** Patient id -> the real person behind it (the generator's ground truth). */
function truth(): Map<string, string> {
  const people = new Map<string, string>();
  for (const demo of generatePatients(DEMO)) {
    const id = demo.bundle.entry?.[0]?.fullUrl?.slice('urn:uuid:'.length);
    if (id) people.set(id, demo.personId);
  }
  return people;
}

const key = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

async function reviewPairs(): Promise<Map<string, string>> {
  const res = await server.db.query<{ patient_a: string; patient_b: string; task_id: string }>(
    `SELECT patient_a, patient_b, task_id FROM mpi_review`,
  );
  return new Map(res.rows.map((r) => [key(r.patient_a, r.patient_b), r.task_id]));
}

async function worklist(): Promise<Worklist> {
  const res = await server.call('him-technician', 'GET', '/mpi/worklist?limit=200');
  expect(res.status).toBe(200);
  return (await res.json()) as Worklist;
}

describe('duplicate detection in the record store', () => {
  it('with few patients, the default model puts a typo duplicate on the worklist as a Task', async () => {
    const base = {
      resourceType: 'Patient',
      gender: 'female',
      birthDate: '1958-07-21',
      address: [{ line: ['12 Orchard Road'], city: 'Dayton', state: 'OH', postalCode: '45402' }],
    } as const;
    const first = await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
      ...base,
      name: [{ family: 'Kowalczyk', given: ['Margaret'] }],
    });
    const second = await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
      ...base,
      name: [{ family: 'Kowalcyzk', given: ['Peggy'] }],
    });
    const a = ((await first.json()) as Patient).id ?? '';
    const b = ((await second.json()) as Patient).id ?? '';
    const run = await scorePendingPatients(server.db, { minTrainingPatients: 1_000_000 });
    expect(run.model).toBe('default');
    expect(run.tasksCreated).toBe(1);
    const taskId = (await reviewPairs()).get(key(a, b));
    expect(taskId).toBeTruthy();
    const task = (await (
      await server.call('him-technician', 'GET', `/fhir/R4/Task/${taskId}`)
    ).json()) as Task;
    expect(task.status).toBe('requested');
    expect(task.code?.coding?.[0]).toMatchObject({ system: 'urn:custodian:task', code: 'duplicate-review' });
    const refs = task.input?.map((i) => i.valueReference?.reference).filter(Boolean);
    expect(refs?.sort()).toEqual([`Patient/${a}`, `Patient/${b}`].sort());
    expect(task.input?.find((i) => i.type.text === 'score')?.valueDecimal).toBeGreaterThan(0.3);
    expect(task.input?.find((i) => i.type.text === 'explanation')?.valueString).toContain('family_name');

    // Marked not a duplicate: the pair leaves the worklist and an update does not bring it back.
    const decided = await server.call('him-technician', 'POST', '/mpi/not-duplicate', {
      a,
      b,
      reason: 'Twins: different SSNs at registration',
    });
    expect(decided.status).toBe(200);
    expect((await worklist()).pairs.some((p) => key(p.a.id, p.b.id) === key(a, b))).toBe(false);
    const closed = (await (
      await server.call('him-technician', 'GET', `/fhir/R4/Task/${taskId}`)
    ).json()) as Task;
    expect(closed.status).toBe('completed');
    await server.db.query(`DELETE FROM mpi_review`);
    await server.call('him-technician', 'PUT', `/fhir/R4/Patient/${b}`, {
      ...base,
      id: b,
      name: [{ family: 'Kowalczyk', given: ['Peggy'] }],
    });
    const again = await scorePendingPatients(server.db, { minTrainingPatients: 1_000_000 });
    expect(again.patients).toBe(1);
    expect(again.tasksCreated).toBe(0);
    const refused = await server.call('coder', 'POST', '/mpi/not-duplicate', { a, b, reason: 'x' });
    expect(refused.status).toBe(403);
  });

  it('demo data with duplicates: most true duplicates become Tasks, few false ones', async () => {
    await loadDemoData(new FhirStore(server.db, cliContext()), DEMO);
    const run = await scorePendingPatients(server.db, { minTrainingPatients: 300 });
    expect(run.model).toBe('trained');
    const people = truth();
    const byPerson = new Map<string, string[]>();
    for (const [id, person] of people) byPerson.set(person, [...(byPerson.get(person) ?? []), id]);
    const truePairs = new Set<string>();
    for (const ids of byPerson.values())
      for (let i = 0; i < ids.length; i++)
        for (let j = i + 1; j < ids.length; j++) truePairs.add(key(ids[i] ?? '', ids[j] ?? ''));
    const found = [...(await reviewPairs()).keys()].filter((k) => {
      const [a, b] = k.split('|');
      return people.has(a ?? '') && people.has(b ?? '');
    });
    const hits = found.filter((k) => truePairs.has(k)).length;
    const recall = hits / truePairs.size;
    const precision = hits / found.length;
    console.log(
      `demo: ${people.size} records, ${truePairs.size} true pairs, ${found.length} tasks, recall ${recall.toFixed(3)}, precision ${precision.toFixed(3)}`,
    );
    expect(truePairs.size).toBeGreaterThan(50);
    expect(recall).toBeGreaterThan(0.85);
    expect(precision).toBeGreaterThan(0.85);

    // A second run finds nothing new: every pair has its one Task.
    const again = await scorePendingPatients(server.db);
    expect(again.tasksCreated).toBe(0);

    // The worklist: oldest first, both records' key fields, score, agreement per field.
    const list = await worklist();
    const listed = list.pairs.length + list.groups.reduce((n, g) => n + g.pairs.length, 0);
    expect(listed).toBeGreaterThanOrEqual(hits);
    // Scores are the model's probabilities, not saturated at 1: they differ and can rank the work.
    expect(list.pairs.filter((p) => p.score >= 1)).toEqual([]);
    expect(new Set(list.pairs.map((p) => p.score.toPrecision(12))).size).toBeGreaterThan(10);
    const first = list.pairs[0];
    if (!first) throw new Error('empty worklist');
    expect(first.a.name).not.toBe('');
    expect(first.fields.map((f) => f.field)).toContain('birth_date');
    const times = list.pairs.map((p) => p.createdAt);
    expect([...times].sort()).toEqual(times);
    const detail = await server.call('him-technician', 'GET', `/mpi/pairs/${first.taskId}`);
    expect(detail.status).toBe(200);
    const pair = (await detail.json()) as MatchPair & { patientA: Patient };
    expect(pair.patientA.id).toBe(first.a.id);
    expect((await server.call('auditor', 'GET', '/mpi/worklist')).status).toBe(403);

    // Merging the pair takes it off the worklist and no new Task comes for it.
    const merge = await server.call('him-technician', 'POST', '/fhir/R4/Patient/$merge', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'source-patient', valueReference: { reference: `Patient/${first.b.id}` } },
        { name: 'target-patient', valueReference: { reference: `Patient/${first.a.id}` } },
      ],
    } satisfies Parameters);
    expect(merge.status).toBe(200);
    expect((await worklist()).pairs.some((p) => p.taskId === first.taskId)).toBe(false);
    const task = (await (
      await server.call('him-technician', 'GET', `/fhir/R4/Task/${first.taskId}`)
    ).json()) as Task;
    expect(task.status).toBe('completed');
    const after = await scorePendingPatients(server.db);
    expect(after.patients).toBeGreaterThanOrEqual(2);
    expect(after.tasksCreated).toBe(0);
  }, 240_000);

  it('$match finds a typo duplicate with a score and a match grade', async () => {
    const active = (await (
      await server.call('him-technician', 'GET', '/fhir/R4/Patient?active=true&_count=1000')
    ).json()) as Bundle;
    const original = (active.entry ?? [])
      .flatMap((e) => (e.resource?.resourceType === 'Patient' ? [e.resource] : []))
      .filter((p) => p.telecom !== undefined)
      .sort((x, y) => ((x.id ?? '') < (y.id ?? '') ? -1 : 1))[0];
    if (!original?.id) throw new Error('no patient');
    const name = original.name?.[0];
    const family = name?.family ?? '';
    const typo =
      family.length > 3 ? `${family.slice(0, 2)}${family[3]}${family[2]}${family.slice(4)}` : `${family}e`;
    const probe: Patient = {
      resourceType: 'Patient',
      name: [{ family: typo, given: name?.given?.slice(0, 1) ?? [] }],
      birthDate: original.birthDate ?? '',
      ...(original.address ? { address: original.address } : {}),
      gender: original.gender ?? 'unknown',
    };
    const res = await server.call('him-technician', 'POST', '/fhir/R4/Patient/$match', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'resource', resource: probe },
        { name: 'count', valueInteger: 5 },
      ],
    });
    expect(res.status).toBe(200);
    const bundle = (await res.json()) as Bundle;
    const hit = bundle.entry?.find((e) => e.resource?.id === original.id);
    expect(hit?.search?.score).toBeGreaterThan(0.9);
    expect(hit?.search?.extension?.[0]).toMatchObject({
      url: 'http://hl7.org/fhir/StructureDefinition/match-grade',
    });
    expect(['certain', 'probable']).toContain(hit?.search?.extension?.[0]?.valueCode);
    const certainOnly = await server.call('him-technician', 'POST', '/fhir/R4/Patient/$match', {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'resource',
          resource: {
            resourceType: 'Patient',
            name: [{ family: 'Nobody', given: ['Zed'] }],
            birthDate: '1901-01-01',
          },
        },
        { name: 'onlyCertainMatches', valueBoolean: true },
      ],
    });
    expect(((await certainOnly.json()) as Bundle).total).toBe(0);
  });
});
