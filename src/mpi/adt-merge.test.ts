import { readFileSync } from 'node:fs';
import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAdtIntake } from '../app/adt-intake.ts';
import type { MllpListener } from '../hl7v2/index.ts';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let server: TestServer;
let listener: MllpListener;
beforeAll(async () => {
  server = await startTestServer();
  listener = await startAdtIntake(server.db, { mllpHost: '127.0.0.1', mllpPort: 0 });
}, 60_000);
afterAll(async () => {
  await listener.close();
  await server.stop();
});

const BCBS = 'urn:custodian:hl7:assigning-authority:BCBS';

async function createPatient(mrn: string, family: string): Promise<string> {
  const res = await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    identifier: [{ system: BCBS, value: mrn }],
    name: [{ family, given: ['Test'] }],
    birthDate: '2018-02-05',
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as Patient & { id: string }).id;
}

it.skipIf(!hasSharedTestdata)(
  'an HL7 A40 merges the MRG patient into the PID patient through mergePatients',
  async () => {
    const survivor = await createPatient('12345', 'Test');
    const merged = await createPatient('56789', 'Tset');
    const visit = await server.call('him-technician', 'POST', '/fhir/R4/Encounter', {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: `Patient/${merged}` },
    });
    const encounterId = ((await visit.json()) as { id: string }).id;

    const text = readFileSync(sharedTestdata('hl7v2-adt', 'ADT-A40-01.hl7'), 'utf8')
      .replace(/\r?\n/g, '\r')
      .replace(/\r+$/, '');
    const client = new Hl7Client({ host: '127.0.0.1', port: listener.port });
    try {
      const ack = await client.sendAndWait(Hl7Message.parse(text), { timeoutMs: 10_000 });
      expect(ack.getSegment('MSA')?.getField(1)?.toString()).toBe('AA');
    } finally {
      await client.close();
    }

    const source = (await (
      await server.call('him-technician', 'GET', `/fhir/R4/Patient/${merged}`)
    ).json()) as Patient;
    expect(source.active).toBe(false);
    expect(source.link?.[0]).toEqual({
      other: { reference: `Patient/${survivor}`, display: 'MRN 12345' },
      type: 'replaced-by',
    });
    const encounter = (await (
      await server.call('him-technician', 'GET', `/fhir/R4/Encounter/${encounterId}`)
    ).json()) as { subject: { reference: string } };
    expect(encounter.subject.reference).toBe(`Patient/${survivor}`);
    const merges = await server.db.query<{ source_id: string; merged_by: string }>(
      `SELECT source_id, merged_by FROM mpi_merge WHERE target_id = $1`,
      [survivor],
    );
    expect(merges.rows).toEqual([{ source_id: merged, merged_by: 'hl7:adt-interface' }]);

    // A later message under the retired MRN finds the survivor, which keeps that MRN as an alias.
    const update = [
      'MSH|^~\\&|Ntierprise|Ntierprise Clinic|Healthmatics EHR|Healthmatics Clinic|20190424090000||ADT^A31^ADT_A05|8919-41|P|2.8',
      'EVN|A31|20190424090000',
      'PID|1||56789^^^BCBS^MR||Test^Test^A||20180205|F|||123 Any Street^^Raleigh^NC^27615',
    ].join('\r');
    const again = new Hl7Client({ host: '127.0.0.1', port: listener.port });
    try {
      const ack = await again.sendAndWait(Hl7Message.parse(update), { timeoutMs: 10_000 });
      expect(ack.getSegment('MSA')?.getField(1)?.toString()).toBe('AA');
    } finally {
      await again.close();
    }
    const kept = (await (
      await server.call('him-technician', 'GET', `/fhir/R4/Patient/${survivor}`)
    ).json()) as Patient;
    expect(kept.identifier?.map((i) => `${i.value}:${i.use ?? ''}`)).toEqual(['12345:', '56789:old']);
    expect(kept.address?.[0]?.city).toBe('Raleigh');
  },
);
