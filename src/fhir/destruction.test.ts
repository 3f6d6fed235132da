import type { Observation, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliContext } from '../cli/context.ts';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import { flushAudit } from './audit-trail.ts';
import { isOutcomeError } from './outcomes.ts';
import { FhirStore } from './store.ts';

describe('destroyChart', () => {
  let db: Db;
  let store: FhirStore;
  beforeAll(async () => {
    db = await openTestDb();
    store = new FhirStore(db, cliContext());
  });
  afterAll(async () => {
    await flushAudit(db);
    await db.close();
  });

  const chart = async (id: string): Promise<void> => {
    await store.update('Patient', id, {
      resourceType: 'Patient',
      id,
      name: [{ family: `Family-${id}` }],
    });
    const obs: Observation = {
      resourceType: 'Observation',
      id: `${id}-obs`,
      status: 'preliminary',
      code: { text: 'Glucose' },
      subject: { reference: `Patient/${id}` },
    };
    await store.update('Observation', obs.id ?? '', obs);
    await store.update('Observation', obs.id ?? '', { ...obs, status: 'final' });
  };
  const contentRows = async (patientId: string): Promise<number> =>
    Number(
      (
        await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM fhir_resource_version WHERE (patient_id = $1 OR id = $1) AND resource_type <> 'AuditEvent' AND content IS NOT NULL`,
          [patientId],
        )
      ).rows[0]?.n,
    );
  const status = async (work: () => Promise<unknown>): Promise<number> => {
    try {
      await work();
      return 200;
    } catch (err) {
      return isOutcomeError(err) ? err.status : 500;
    }
  };

  it('removes the content of every version of the chart, keeps tombstones and the audit, and leaves other charts alone', async () => {
    await chart('dx-1');
    await chart('dx-2');
    expect(await contentRows('dx-1')).toBe(3);
    const destroyed = await db.transaction((tx) => store.destroyChart(tx, 'dx-1', 'retention run r1'));
    expect(destroyed).toEqual([
      { reference: 'Observation/dx-1-obs', versions: 3 },
      { reference: 'Patient/dx-1', versions: 2 },
    ]);
    expect(await contentRows('dx-1')).toBe(0);
    expect(await status(() => store.read('Patient', 'dx-1'))).toBe(410);
    expect(await status(() => store.vread('Observation', 'dx-1-obs', '1'))).not.toBe(200);
    const found = await store.find({
      type: 'Observation',
      where: [{ param: 'subject', references: ['Patient/dx-1'] }],
    });
    expect(found.matches).toEqual([]);
    expect(await contentRows('dx-2')).toBe(3);
    // The trail is read by its readers (the system role may not: client-credentials clients).
    const auditor = new FhirStore(db, { ...cliContext(), role: 'auditor' });
    const trail = await auditor.findAll({
      type: 'AuditEvent',
      where: [{ param: 'patient', references: ['Patient/dx-1'] }],
    });
    expect(JSON.stringify(trail.matches)).toContain(
      'destroyed (content of every version removed): retention run r1',
    );
  });

  it('is undone with the transaction it runs in', async () => {
    await chart('dx-3');
    await expect(
      db.transaction(async (tx) => {
        await store.destroyChart(tx, 'dx-3', 'abandoned');
        throw new Error('later step failed');
      }),
    ).rejects.toThrow('later step failed');
    expect(await contentRows('dx-3')).toBe(3);
    expect(((await store.read('Patient', 'dx-3')) as Patient).name?.[0]?.family).toBe('Family-dx-3');
  });
});
