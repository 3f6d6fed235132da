import { randomUUID } from 'node:crypto';
import { Hl7Message } from '@medplum/core';
import type { AuditEvent, Encounter, Patient } from '@medplum/fhirtypes';
import { Hl7Client } from '@medplum/hl7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../auth/access.ts';
import { startAdtIntake } from '../app/adt-intake.ts';
import type { Db } from '../db/index.ts';
import { flushAudit } from '../fhir/audit-trail.ts';
import { OutcomeError } from '../fhir/outcomes.ts';
import { FhirStore } from '../fhir/store.ts';
import { openTestDb } from '../testing/test-db.ts';
import { adtTextToAction, applyAdtAction, type MllpListener } from './index.ts';

/**
 * A01/A08 (upsert) applied to a real store, over the real MLLP listener: the patient found by its
 * identifier as data, the Patient and Encounter of a message in one transaction, and a resend that
 * changes nothing written as no new version.
 */

const context = (role: RequestContext['role']): RequestContext => ({
  userId: `test-${role}`,
  username: `test:${role}`,
  role,
  purpose: 'HOPERAT',
  sourceAddress: 'test',
  tokenId: 'test',
  brokenGlassPatients: [],
});

let db: Db;
let store: FhirStore;
let listener: MllpListener;
let client: Hl7Client;
beforeAll(async () => {
  db = await openTestDb();
  store = new FhirStore(db, context('system'));
  listener = await startAdtIntake(db, { mllpHost: '127.0.0.1', mllpPort: 0 });
  client = new Hl7Client({ host: '127.0.0.1', port: listener.port });
});
afterAll(async () => {
  await client?.close();
  await listener?.close();
  if (db) await flushAudit(db);
  await db?.close();
});

const XYZ = 'urn:custodian:hl7:assigning-authority:XYZ';
const OTHER = 'urn:custodian:hl7:assigning-authority:OTHER';

/** An ADT message for the patient with PID-3 `mrn` (authority XYZ); `visit` is PV1-19, `location` PV1-3. */
function adt(
  trigger: 'A01' | 'A08',
  mrn: string,
  family: string,
  visit?: string,
  location = 'W1^101^A',
): string {
  return [
    `MSH|^~\\&|REGADT|MCM|CUSTODIAN|MCM|202401021030||ADT^${trigger}^ADT_A01|${randomUUID().slice(0, 20)}|P|2.5`,
    `EVN|${trigger}|202401021030`,
    `PID|1||${mrn}^^^XYZ^MR||${family}^ALEX||19700101|F`,
    pv1({ 2: 'I', 3: location, 19: visit ? `${visit}^^^XYZ^VN` : '', 44: '202401021000' }),
  ].join('\r');
}

/** A PV1 segment with these fields (by sequence number) and the others empty. */
function pv1(fields: Record<number, string>): string {
  const values = Array.from({ length: 44 }, (_, i) => fields[i + 1] ?? '');
  return ['PV1', ...values].join('|');
}

async function send(text: string): Promise<string | undefined> {
  const ack = await client.sendAndWait(Hl7Message.parse(text), { timeoutMs: 20_000 });
  return ack.getSegment('MSA')?.getField(1)?.toString();
}

async function createPatient(
  system: string,
  value: string,
  family: string,
): Promise<Patient & { id: string }> {
  const { resource } = await store.create({
    resourceType: 'Patient',
    identifier: [{ system, value }],
    name: [{ family, given: ['Sam'] }],
  });
  return resource as Patient & { id: string };
}

async function encountersOf(patientId: string): Promise<Encounter[]> {
  const found = await store.findAll({
    type: 'Encounter',
    where: [{ param: 'subject', references: [`Patient/${patientId}`] }],
  });
  return found.matches as Encounter[];
}

describe('HL7 ADT upsert into the store', () => {
  it('finds the patient of MRN `MRN,001` by that one value in its system, never `001` of another system', async () => {
    const suffix = randomUUID().slice(0, 8);
    const mrn = `MRN,${suffix}`;
    const right = await createPatient(XYZ, mrn, 'Right');
    const other = await createPatient(OTHER, suffix, 'Other');

    expect(await send(adt('A08', mrn, 'RENAMED'))).toBe('AA');

    const rightNow = (await store.read('Patient', right.id)) as Patient;
    expect(rightNow.name?.[0]?.family).toBe('RENAMED');
    expect(rightNow.meta?.versionId).toBe('2');
    const otherNow = (await store.read('Patient', other.id)) as Patient;
    expect(otherNow.meta?.versionId).toBe('1');
    expect(otherNow.name?.[0]?.family).toBe('Other');
    expect(otherNow.identifier).toEqual([{ system: OTHER, value: suffix }]);
    // The message made no third patient and gave the encounter to the right one.
    expect(await store.findByIdentifier('Patient', { system: XYZ, value: mrn })).toHaveLength(1);
    expect(await encountersOf(right.id)).toHaveLength(1);
    expect(await encountersOf(other.id)).toHaveLength(0);
  });

  it('writes the Patient and the Encounter of an A01 in one transaction: one AuditEvent names both', async () => {
    const mrn = `A01-${randomUUID()}`;
    expect(await send(adt('A01', mrn, 'ADMITTED', `V-${mrn}`))).toBe('AA');
    const [patient] = await store.findByIdentifier('Patient', { system: XYZ, value: mrn });
    expect(patient?.id).toBeDefined();
    const [encounter] = await encountersOf(patient?.id ?? '');
    expect(encounter?.id).toBeDefined();

    const auditor = new FhirStore(db, context('auditor'));
    const writes = (
      await auditor.findAll({
        type: 'AuditEvent',
        where: [{ param: 'entity', references: [`Patient/${patient?.id ?? ''}`] }],
      })
    ).matches.filter((e) =>
      (e as AuditEvent).subtype?.some((s) => ['create', 'update', 'transaction'].includes(s.code ?? '')),
    ) as AuditEvent[];
    expect(writes).toHaveLength(1);
    expect(writes[0]?.entity?.map((e) => e.what?.reference)).toContain(`Encounter/${encounter?.id ?? ''}`);
  });

  it('leaves no Patient behind when the Encounter of the message cannot be stored', async () => {
    const mrn = `BAD-${randomUUID()}`;
    const mapped = adtTextToAction(adt('A01', mrn, 'HALFWRITTEN', `V-${mrn}`));
    if (!mapped.ok || mapped.action.kind !== 'upsert' || !mapped.action.encounter)
      throw new Error('the A01 did not map to a patient and an encounter');
    const action = {
      ...mapped.action,
      encounter: { ...mapped.action.encounter, period: { start: 'yesterday' } },
    };

    const refused = await applyAdtAction(store, action).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(OutcomeError);
    expect((refused as OutcomeError).status).toBe(400);
    expect(JSON.stringify((refused as OutcomeError).outcome)).toContain('Encounter.period');

    expect(await store.findByIdentifier('Patient', { system: XYZ, value: mrn })).toEqual([]);
    expect(await store.findByIdentifier('Encounter', { system: XYZ, value: `V-${mrn}` })).toEqual([]);
  });

  it('updates the open encounter on an A08 without a visit number, and a resend of it changes nothing', async () => {
    const mrn = `NOVISIT-${randomUUID()}`;
    expect(await send(adt('A01', mrn, 'ADMITTED'))).toBe('AA');
    const [patient] = await store.findByIdentifier('Patient', { system: XYZ, value: mrn });
    const [admitted] = await encountersOf(patient?.id ?? '');
    expect(admitted?.status).toBe('in-progress');

    const update = adt('A08', mrn, 'ADMITTED', undefined, 'W2^202^B');
    expect(await send(update)).toBe('AA');
    const [updated, ...more] = await encountersOf(patient?.id ?? '');
    expect(more).toEqual([]);
    expect(updated?.id).toBe(admitted?.id);
    expect(updated?.location?.[0]?.location.display).toBe('W2, 202, B');
    expect(updated?.meta?.versionId).toBe('2');

    expect(await send(update)).toBe('AA');
    expect(await encountersOf(patient?.id ?? '')).toEqual([updated]);
  });

  it('writes no new version when the same A08 arrives again', async () => {
    const mrn = `A08-${randomUUID()}`;
    const message = adt('A08', mrn, 'RESENT', `V-${mrn}`);
    expect(await send(message)).toBe('AA');
    const [patient] = await store.findByIdentifier('Patient', { system: XYZ, value: mrn });
    const [encounter] = await encountersOf(patient?.id ?? '');
    expect(patient?.meta?.versionId).toBe('1');
    expect(encounter?.meta?.versionId).toBe('1');

    expect(await send(message)).toBe('AA');
    const patientAgain = (await store.read('Patient', patient?.id ?? '')) as Patient;
    const encounterAgain = (await store.read('Encounter', encounter?.id ?? '')) as Encounter;
    expect(patientAgain.meta).toEqual(patient?.meta);
    expect(encounterAgain.meta).toEqual(encounter?.meta);
    expect(await encountersOf(patient?.id ?? '')).toHaveLength(1);
  });
});
