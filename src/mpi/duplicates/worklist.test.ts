import type { Bundle, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../shared/index.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { scorePendingPatients } from './scoring.ts';
import type { MatchPair } from './worklist.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.stop());

/** The HL7 confidentiality label "restricted": roles without it must break the glass to see. */
const RESTRICTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' };

const base: Patient = {
  resourceType: 'Patient',
  gender: 'female',
  birthDate: '1958-07-21',
  address: [{ line: ['12 Orchard Road'], city: 'Dayton', state: 'OH', postalCode: '45402' }],
};

async function adminCreates(patient: Patient): Promise<string> {
  const res = await server.call('admin', 'POST', '/fhir/R4/Patient', patient);
  expect(res.status).toBe(201);
  return ((await res.json()) as Patient).id ?? '';
}

async function worklist(role: Role): Promise<{ total: number; pairs: MatchPair[] }> {
  const res = await server.call(role, 'GET', '/mpi/worklist?limit=200');
  expect(res.status).toBe(200);
  return (await res.json()) as { total: number; pairs: MatchPair[] };
}

describe('the duplicate worklist and restricted patients', () => {
  it('hides a pair with a restricted patient from a technician until the technician breaks the glass', async () => {
    const open = await adminCreates({ ...base, name: [{ family: 'Kowalczyk', given: ['Margaret'] }] });
    const restricted = await adminCreates({
      ...base,
      name: [{ family: 'Kowalcyzk', given: ['Peggy'] }],
      meta: { security: [RESTRICTED] },
    });
    expect((await scorePendingPatients(server.db, { minTrainingPatients: 1_000_000 })).tasksCreated).toBe(1);
    const isThePair = (p: MatchPair): boolean =>
      [p.a.id, p.b.id].sort().join('|') === [open, restricted].sort().join('|');

    // A role that may see labelled records sees the pair.
    const officer = await worklist('privacy-officer');
    expect(officer.total).toBe(1);
    const pair = officer.pairs.find(isThePair);
    if (!pair) throw new Error('the pair is not on the privacy officer’s worklist');

    // The technician does not: not listed, not counted, not matched, not decided.
    const hidden = await worklist('him-technician');
    expect(hidden.pairs.some(isThePair)).toBe(false);
    expect(hidden.total).toBe(0);
    expect((await server.call('him-technician', 'GET', `/mpi/pairs/${pair.taskId}`)).status).toBe(403);
    const match = await server.call('him-technician', 'POST', '/fhir/R4/Patient/$match', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'resource', resource: { ...base, name: [{ family: 'Kowalcyzk', given: ['Peggy'] }] } },
      ],
    });
    expect(match.status).toBe(200);
    const matched = ((await match.json()) as Bundle).entry?.map((e) => e.resource?.id) ?? [];
    expect(matched).toContain(open);
    expect(matched).not.toContain(restricted);
    const decided = await server.call('him-technician', 'POST', '/mpi/not-duplicate', {
      a: open,
      b: restricted,
      reason: 'Not allowed to see one of them',
    });
    expect(decided.status).toBe(404);

    // After breaking the glass for the restricted patient, the pair is on the worklist.
    const granted = await server.call(
      'him-technician',
      'POST',
      '/auth/break-glass',
      { patient: restricted, reason: 'Duplicate review of a restricted record' },
      { 'content-type': 'application/json' },
    );
    expect(granted.status).toBe(201);
    const shown = await worklist('him-technician');
    expect(shown.total).toBe(1);
    expect(shown.pairs.find(isThePair)?.taskId).toBe(pair.taskId);
    expect((await server.call('him-technician', 'GET', `/mpi/pairs/${pair.taskId}`)).status).toBe(200);
  });
});

describe('the worklist filtered as the dashboard links to it', () => {
  interface Listed {
    total: number;
    pairs: MatchPair[];
    decisions?: Array<{ kind: string; a: { id: string }; b: { id: string }; reason?: string }>;
  }
  const list = async (query: string): Promise<Listed> => {
    const res = await server.call('privacy-officer', 'GET', `/mpi/worklist?${query}`);
    expect(res.status, query).toBe(200);
    return (await res.json()) as Listed;
  };
  const ids = (x: { a: { id: string }; b: { id: string } }): string => [x.a.id, x.b.id].sort().join('|');

  it('lists open pairs flagged in a month, and pairs merged or decided not duplicates', async () => {
    const elsewhere = {
      ...base,
      birthDate: '1971-02-03',
      address: [{ line: ['9 Mill Lane'], city: 'Akron' }],
    };
    const twins = [
      await adminCreates({ ...elsewhere, name: [{ family: 'Okonkwo', given: ['Chidera'] }] }),
      await adminCreates({ ...elsewhere, name: [{ family: 'Okonkwo', given: ['Chidera'] }] }),
    ];
    const other = {
      ...base,
      birthDate: '1983-11-30',
      address: [{ line: ['4 Quay Street'], city: 'Toledo' }],
    };
    const same = [
      await adminCreates({ ...other, name: [{ family: 'Vasquez', given: ['Ines'] }] }),
      await adminCreates({ ...other, name: [{ family: 'Vasquez', given: ['Ines'] }] }),
    ];
    expect((await scorePendingPatients(server.db, { minTrainingPatients: 1_000_000 })).tasksCreated).toBe(2);
    const month = new Date().toISOString().slice(0, 7);

    // Open pairs flagged this month: both new pairs; none flagged in 2001.
    const flagged = await list(`status=open&month=${month}&limit=200`);
    expect(flagged.pairs.map(ids)).toEqual(
      expect.arrayContaining([twins.sort().join('|'), same.sort().join('|')]),
    );
    expect((await list('month=2001-01')).total).toBe(0);

    // One pair decided not duplicates, the other merged: each under its own status, not open.
    const decided = await server.call('him-technician', 'POST', '/mpi/not-duplicate', {
      a: twins[0],
      b: twins[1],
      reason: 'Twins: different people',
    });
    expect(decided.status).toBe(200);
    const merged = await server.call('him-technician', 'POST', '/fhir/R4/Patient/$merge', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'source-patient', valueReference: { reference: `Patient/${same[0]}` } },
        { name: 'target-patient', valueReference: { reference: `Patient/${same[1]}` } },
      ],
    });
    expect(merged.status).toBe(200);
    const notDuplicates = await list(`status=not-duplicate&month=${month}`);
    expect(notDuplicates.decisions?.map(ids)).toEqual([twins.sort().join('|')]);
    expect(notDuplicates.decisions?.[0]?.reason).toBe('Twins: different people');
    const mergedNow = await list(`status=merged&month=${month}`);
    expect(mergedNow.decisions?.map(ids)).toEqual([same.sort().join('|')]);
    expect((await list('status=merged&month=2001-01')).total).toBe(0);
    const stillOpen = (await list(`status=open&month=${month}`)).pairs.map(ids);
    expect(stillOpen).not.toContain(twins.sort().join('|'));
    expect(stillOpen).not.toContain(same.sort().join('|'));

    for (const bad of ['status=closed', 'month=2025-13', 'month=May']) {
      const res = await server.call('privacy-officer', 'GET', `/mpi/worklist?${bad}`);
      expect(res.status, bad).toBe(400);
    }
  });
});
