import { randomUUID } from 'node:crypto';
import { Hl7Message } from '@medplum/core';
import type { Patient } from '@medplum/fhirtypes';
import { Hl7Client } from '@medplum/hl7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdtIntake } from '../app/adt-intake.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import type { MllpListener } from './index.ts';

let server: TestServer;
let listener: MllpListener;
let client: Hl7Client;
beforeAll(async () => {
  server = await startTestServer();
  listener = await startAdtIntake(server.db, { mllpHost: '127.0.0.1', mllpPort: 0 });
  client = new Hl7Client({ host: '127.0.0.1', port: listener.port });
});
afterAll(async () => {
  await client?.close();
  await listener?.close();
  await server?.stop();
});

const SYSTEM = 'urn:custodian:hl7:assigning-authority:XYZ';

async function createPatient(mrn: string): Promise<Patient & { id: string }> {
  const res = await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    identifier: [{ system: SYSTEM, value: mrn }],
    name: [{ family: 'Everywoman', given: ['Eve'] }],
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Patient & { id: string };
}

/** An A40 with one PID (survivor) + MRG (prior patient) group per pair. */
function a40(controlId: string, pairs: Array<[survivor: string, prior: string]>): Hl7Message {
  return Hl7Message.parse(
    [
      `MSH|^~\\&|REGADT|MCM|RSP1P8|MCM|200301051530|SEC|ADT^A40^ADT_A39|${controlId}|P|2.5`,
      'EVN|A40|200301051530',
      ...pairs.flatMap(([survivor, prior]) => [
        `PID|||${survivor}^^^XYZ^MR||EVERYWOMAN^EVE`,
        `MRG|${prior}^^^XYZ^MR`,
      ]),
    ].join('\r'),
  );
}

const merges = async (): Promise<number> =>
  Number((await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mpi_merge')).rows[0]?.n ?? 0);

describe('A40 naming a prior patient this store does not know', () => {
  it('answers AE 204 (unknown key) and merges nothing, not even the pairs before it', async () => {
    const survivor = await createPatient(`S-${randomUUID()}`);
    const prior = await createPatient(`P-${randomUUID()}`);
    const unknown = `NOBODY-${randomUUID()}`;
    const before = await merges();
    const survivorMrn = survivor.identifier?.[0]?.value ?? '';
    const priorMrn = prior.identifier?.[0]?.value ?? '';

    const ack = await client.sendAndWait(
      a40('UNKNOWN1', [
        [survivorMrn, priorMrn],
        [survivorMrn, unknown],
      ]),
      { timeoutMs: 10_000 },
    );
    expect(ack.getSegment('MSA')?.getField(1)?.toString()).toBe('AE');
    expect(ack.getSegment('MSA')?.getField(3)?.toString()).toContain(unknown);
    expect(ack.getSegment('ERR')?.getField(3)?.toString()).toBe('204^Unknown key identifier^HL70357');
    expect(ack.getSegment('ERR')?.getField(2)?.toString()).toBe('MRG^2^1');

    expect(await merges()).toBe(before);
    for (const p of [survivor, prior]) {
      const now = (await (await server.call('admin', 'GET', `/fhir/R4/Patient/${p.id}`)).json()) as Patient;
      expect(now.meta?.versionId).toBe('1');
      expect(now.active).toBeUndefined();
    }
  });

  it('still merges a known prior patient, and a resent A40 is AA without a second merge', async () => {
    const survivor = await createPatient(`S-${randomUUID()}`);
    const prior = await createPatient(`P-${randomUUID()}`);
    const pair: [string, string] = [
      survivor.identifier?.[0]?.value ?? '',
      prior.identifier?.[0]?.value ?? '',
    ];
    const before = await merges();
    for (const attempt of [1, 2]) {
      const ack = await client.sendAndWait(a40('KNOWN1', [pair]), { timeoutMs: 10_000 });
      expect(ack.getSegment('MSA')?.getField(1)?.toString(), `attempt ${attempt}`).toBe('AA');
    }
    expect(await merges()).toBe(before + 1);
    const merged = (await (
      await server.call('admin', 'GET', `/fhir/R4/Patient/${prior.id}`)
    ).json()) as Patient;
    expect(merged.active).toBe(false);
  });
});
