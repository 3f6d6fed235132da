import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, writeVersions } from '../../fhir/unchecked-storage.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { scorePendingPatients } from './scoring.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.stop());

const MODEL = { minTrainingPatients: 1_000_000 };

/** Two people: each test pair shares a birth date and an address, and nothing with the other pair. */
const PEOPLE = {
  margaret: { birthDate: '1958-07-21', line: '12 Orchard Road', city: 'Dayton', postalCode: '45402' },
  barbara: { birthDate: '1971-02-03', line: '480 Lake Street', city: 'Toledo', postalCode: '43604' },
};

const patient = (family: string, given: string, who: keyof typeof PEOPLE): Patient & { id: string } => ({
  resourceType: 'Patient',
  id: newId(),
  gender: 'female',
  birthDate: PEOPLE[who].birthDate,
  name: [{ family, given: [given] }],
  address: [
    { line: [PEOPLE[who].line], city: PEOPLE[who].city, state: 'OH', postalCode: PEOPLE[who].postalCode },
  ],
});

/** Writes a patient stamped at `at`: a transaction that stamped then and committed later. */
async function write(p: Patient & { id: string }, at = new Date()): Promise<number> {
  await server.db.transaction((tx) =>
    writeVersions(tx, [{ resource: p, previousVersion: 0, deleted: false }], at),
  );
  return at.getTime();
}

async function pairTasks(a: string, b: string): Promise<number> {
  const res = await server.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM mpi_review WHERE (patient_a = $1 AND patient_b = $2) OR (patient_a = $2 AND patient_b = $1)`,
    [a, b],
  );
  return Number(res.rows[0]?.n);
}

describe('duplicate scoring watermark', () => {
  it('with a settle time, a patient committed after a later-stamped one is still scored', async () => {
    // Without a settle time the watermark passes the first patient, and a duplicate committed
    // later but stamped earlier is never looked at: the reason the setting exists.
    const early = patient('Kowalczyk', 'Margaret', 'margaret');
    const t0 = await write(early);
    await scorePendingPatients(server.db, MODEL);
    const missed = patient('Kowalcyzk', 'Margret', 'margaret');
    await write(missed, new Date(t0 - 3000));
    expect((await scorePendingPatients(server.db, MODEL)).patients).toBe(0);
    expect(await pairTasks(early.id, missed.id)).toBe(0);

    // With one, the stored watermark stays behind the window and the late commit is found.
    const first = patient('Lewandowska', 'Barbara', 'barbara');
    const t1 = await write(first, new Date(Math.max(Date.now(), t0 + 10)));
    await scorePendingPatients(server.db, { ...MODEL, settleMs: 60_000 });
    const late = patient('Lewandowksa', 'Barbara', 'barbara');
    await write(late, new Date((t0 + t1) / 2));
    const run = await scorePendingPatients(server.db, { ...MODEL, settleMs: 60_000 });
    expect(run.patients).toBe(2);
    expect(run.tasksCreated).toBe(1);
    expect(await pairTasks(first.id, late.id)).toBe(1);
    // Scored again next round inside the window, yet the pair keeps its one Task.
    expect((await scorePendingPatients(server.db, { ...MODEL, settleMs: 60_000 })).tasksCreated).toBe(0);
    expect(await pairTasks(first.id, late.id)).toBe(1);
  }, 120_000);
});
