import { readFileSync } from 'node:fs';
import { Hl7Message } from '@medplum/core';
import type { Bundle } from '@medplum/fhirtypes';
import { Hl7Client } from '@medplum/hl7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdtIntake } from './adt-intake.ts';
import type { MllpListener } from '../hl7v2/index.ts';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let server: TestServer;
let listener: MllpListener;
let client: Hl7Client;

const message = (file: string): Hl7Message =>
  Hl7Message.parse(
    readFileSync(sharedTestdata('hl7v2-adt', file), 'utf8')
      .replace(/^\uFEFF/, '')
      .replace(/\r?\n/g, '\r'),
  );

const ackCode = (ack: Hl7Message): string | undefined => ack.getSegment('MSA')?.getField(1)?.toString();

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

async function search(query: string): Promise<Bundle> {
  return (await (await server.call('admin', 'GET', `/fhir/R4/${query}`)).json()) as Bundle;
}

describe.skipIf(!hasSharedTestdata)('HL7 v2 ADT into the record store', () => {
  it('creates the patient and the encounter of an A01, and a resent message changes nothing', async () => {
    const a01 = message('ADT01-23.hl7');
    expect(ackCode(await client.sendAndWait(a01, { timeoutMs: 20_000 }))).toBe('AA');
    const pid3 = a01.getSegment('PID')?.getField(3)?.getComponent(1) ?? '';
    expect(pid3).not.toBe('');
    const patients = await search(`Patient?identifier=${encodeURIComponent(pid3)}`);
    expect(patients.entry).toHaveLength(1);
    const patientId = patients.entry?.[0]?.resource?.id ?? '';
    const encounters = await search(`Encounter?subject=Patient/${patientId}`);
    expect(encounters.entry?.length).toBe(1);

    expect(ackCode(await client.sendAndWait(a01, { timeoutMs: 20_000 }))).toBe('AA');
    expect((await search(`Patient?identifier=${encodeURIComponent(pid3)}`)).entry).toHaveLength(1);
    expect((await search(`Encounter?subject=Patient/${patientId}`)).entry?.length).toBe(1);

    // The interface's changes are on the audit trail under its own name.
    const audit = await search(`AuditEvent?patient=Patient/${patientId}`);
    expect(JSON.stringify(audit)).toContain('hl7:adt-interface');
  });

  it('answers AE, not a crash, for a message it cannot apply, and keeps serving', async () => {
    const bad = Hl7Message.parse(
      'MSH|^~\\&|A|B|C|D|20240101120000||ADT^A01^ADT_A01|BAD1|P|2.5\rEVN|A01|20240101120000',
    );
    expect(['AE', 'AR']).toContain(ackCode(await client.sendAndWait(bad, { timeoutMs: 20_000 })));
    expect(ackCode(await client.sendAndWait(message('ADT04-23.hl7'), { timeoutMs: 20_000 }))).toBe('AA');
  });
});
