import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FinderResult } from '../chart/index.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { scorePendingPatients } from './duplicates/scoring.ts';
import type { GroupDetail, PairDetail, Worklist } from './duplicates/worklist.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.stop());

const MRN = 'http://custodian.example/mrn';
const mrnType = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] };

async function call<T>(method: string, path: string, body?: unknown, status = 200): Promise<T> {
  const res = await server.call('him-technician', method, path, body);
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

/** One person registered three times (typos, a nickname, a missing phone), each with a visit. */
async function threeRecords(
  birthDate: string,
  records: Array<[mrn: string, given: string, family: string, phone: string | undefined]>,
): Promise<[string, string, string]> {
  const base = {
    resourceType: 'Patient',
    gender: 'male',
    birthDate,
    address: [{ line: ['301 Larkspur Lane'], city: 'Toledo', state: 'OH', postalCode: '43604' }],
  } as const;
  const ids: string[] = [];
  for (const [mrn, given, family, phone] of records) {
    const p = await call<Patient & { id: string }>(
      'POST',
      '/fhir/R4/Patient',
      {
        ...base,
        identifier: [{ system: MRN, type: mrnType, value: mrn }],
        name: [{ family, given: [given] }],
        ...(phone ? { telecom: [{ system: 'phone', value: phone }] } : {}),
      },
      201,
    );
    await call(
      'POST',
      '/fhir/R4/Encounter',
      {
        resourceType: 'Encounter',
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        subject: { reference: `Patient/${p.id}` },
      },
      201,
    );
    ids.push(p.id);
  }
  return [ids[0] ?? '', ids[1] ?? '', ids[2] ?? ''];
}

describe('merge integrity', () => {
  it('reviews three records as one group, merges them with aliases and history, unmerges one', async () => {
    const [keep, nickname, typo] = await threeRecords('1949-02-17', [
      ['M2000101', 'Theodore', 'Vanderhoek', '419-555-0190'],
      ['M2000555', 'Ted', 'Vanderhoek', '419-555-0190'],
      ['M2000918', 'Theodore', 'Vanderhoeck', undefined],
    ]);
    await scorePendingPatients(server.db, { minTrainingPatients: 1_000_000 });

    // Three records linked by pairs are one item on the worklist, not three pairs.
    const list = await call<Worklist>('GET', '/mpi/worklist');
    expect(list.total).toBe(1);
    expect(list.pairs).toEqual([]);
    const group = list.groups[0];
    expect(group?.records.map((r) => r.id).sort()).toEqual([keep, nickname, typo].sort());
    // Scores are the model's probabilities, spread: none is 1, and they differ.
    const scores = group?.pairs.map((p) => p.score) ?? [];
    expect(scores.every((s) => s > 0.3 && s < 1)).toBe(true);
    expect(new Set(scores.map((s) => s.toPrecision(6))).size).toBe(scores.length);

    const detail = await call<GroupDetail>('GET', `/mpi/groups/${group?.groupId}`);
    expect(detail.encounters).toEqual({ [keep]: 1, [nickname]: 1, [typo]: 1 });
    expect(detail.history.filter((e) => e.event === 'scored')).toHaveLength(detail.pairs.length);

    // The group merged in one call: both retired records point at the survivor by its MRN.
    const merged = await call<{ merges: Array<{ mergeId: string; source: string }> }>(
      'POST',
      '/mpi/groups/merge',
      { survivor: keep, records: [nickname, typo], reason: 'Same SSN card on file' },
    );
    expect(merged.merges.map((m) => m.source)).toEqual([nickname, typo]);
    const retired = await call<Patient>('GET', `/fhir/R4/Patient/${nickname}`);
    expect(retired.active).toBe(false);
    expect(retired.link).toEqual([
      { type: 'replaced-by', other: { reference: `Patient/${keep}`, display: 'MRN M2000101' } },
    ]);
    const survivor = await call<Patient>('GET', `/fhir/R4/Patient/${keep}`);
    expect(survivor.identifier?.map((i) => `${i.value}:${i.use ?? ''}`)).toEqual([
      'M2000101:',
      'M2000555:old',
      'M2000918:old',
    ]);
    expect((await call<Worklist>('GET', '/mpi/worklist')).total).toBe(0);

    // Searching the retired MRN finds the survivor (alias) and the retired record, marked.
    const found = await call<FinderResult>('GET', '/chart/patients?q=M2000555');
    const byId = new Map(found.results.map((r) => [r.id, r]));
    expect(byId.has(keep)).toBe(true);
    expect(byId.get(nickname)).toMatchObject({ mergedInto: { id: keep, display: 'MRN M2000101' } });

    // The pair screen: encounter counts (all moved to the survivor) and the pair's history.
    const taskId = group?.pairs.find(
      (p) => [p.a.id, p.b.id].sort().join() === [keep, nickname].sort().join(),
    )?.taskId;
    const pair = await call<PairDetail>('GET', `/mpi/pairs/${taskId}`);
    expect(pair.encounters).toEqual({ [keep]: 3, [nickname]: 0 });
    expect(pair.history.map((e) => e.event)).toEqual(['scored', 'merged']);
    expect(pair.history[1]).toMatchObject({ actor: 'him-technician-user', reason: 'Same SSN card on file' });
    expect(pair.merges.map((m) => m.source)).toEqual([nickname]);

    // Unmerge one of the two: its alias and link leave the survivor, the other merge stays.
    await call('POST', '/fhir/R4/Patient/$unmerge', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'merge-id', valueString: pair.merges[0]?.mergeId },
        { name: 'reason', valueString: 'Registration found two SSN cards' },
      ],
    });
    const after = await call<Patient>('GET', `/fhir/R4/Patient/${keep}`);
    expect(after.identifier?.map((i) => i.value)).toEqual(['M2000101', 'M2000918']);
    expect(after.link?.map((l) => l.other.reference)).toEqual([`Patient/${typo}`]);
    expect((await call<Patient>('GET', `/fhir/R4/Patient/${nickname}`)).active).toBeUndefined();
    // Its pair with the other retired record stays closed: that one is merged away.
    const reopened = await call<Worklist>('GET', '/mpi/worklist');
    expect(reopened.pairs.map((p) => p.taskId)).toEqual([taskId]);
    const undone = await call<PairDetail>('GET', `/mpi/pairs/${taskId}`);
    expect(undone.status).toBe('requested');
    expect(undone.merges).toEqual([]);
    expect(undone.history.map((e) => [e.event, e.reason])).toEqual([
      ['scored', undefined],
      ['merged', 'Same SSN card on file'],
      ['unmerged', 'Registration found two SSN cards'],
    ]);

    // Not a duplicate, with its reason, completes the history.
    await call('POST', '/mpi/not-duplicate', { a: nickname, b: keep, reason: 'Father and son' });
    const decided = await call<PairDetail>('GET', `/mpi/pairs/${taskId}`);
    expect(decided.history.at(-1)).toMatchObject({ event: 'not-duplicate', reason: 'Father and son' });
  }, 60_000);

  it('sets one record of a group apart from all the others in one decision', async () => {
    const [a, b, other] = await threeRecords('1987-10-03', [
      ['M4000001', 'Marcus', 'Oyelaran', '419-555-0331'],
      ['M4000002', 'Marcus', 'Oyelaren', '419-555-0331'],
      ['M4000003', 'Markus', 'Oyelaran', '419-555-0331'],
    ]);
    await scorePendingPatients(server.db, { minTrainingPatients: 1_000_000 });
    const groupOf = (w: Worklist): string[] | undefined =>
      w.groups.find((g) => g.records.some((r) => r.id === other))?.records.map((r) => r.id);
    expect(groupOf(await call<Worklist>('GET', '/mpi/worklist'))?.sort()).toEqual([a, b, other].sort());

    await call('POST', '/mpi/not-duplicate', { a: other, b: [a, b], reason: 'Twin brother, own SSN' });
    const after = await call<Worklist>('GET', '/mpi/worklist');
    expect(groupOf(after)).toBeUndefined();
    const pair = after.pairs.find((p) => [p.a.id, p.b.id].sort().join() === [a, b].sort().join());
    const detail = await call<PairDetail>('GET', `/mpi/pairs/${pair?.taskId}`);
    expect(detail.history.map((e) => e.event)).toEqual(['scored']);
    const refused = await server.call('him-technician', 'POST', '/mpi/not-duplicate', {
      a: other,
      b: [a, 'no such id!'],
      reason: 'x',
    });
    expect(refused.status).toBe(400);
  }, 60_000);
});
