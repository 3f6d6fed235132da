import { mkdtempSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observation, Patient } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../app/config.ts';
import { migrationNames, openDb, openPostgres, type Db } from '../db/index.ts';
import { flushAudit, verifyAuditChain } from '../fhir/audit-trail.ts';
import { FhirStore } from '../fhir/store.ts';
import { cliContext } from '../cli/context.ts';
import { createServerDatabase, openTestDb } from '../testing/test-db.ts';
import { headerBytes, readBackupHeader, writeWhole } from './backup-file.ts';
import { dumpEmbedded, restoreEmbedded } from './embedded-backup.ts';
import { databaseFingerprint, type Fingerprint } from './fingerprint.ts';
import { backupServer, restoreServer } from './server-backup.ts';

const scratch = (): string => mkdtempSync(join(tmpdir(), 'custodian-backup-'));

/**
 * Records with a history worth keeping: a patient in three versions, an observation created
 * and deleted, and the audit trail every one of those writes left.
 */
async function writeRecords(db: Db): Promise<string> {
  const store = new FhirStore(db, cliContext());
  const patient = (await store.create({ resourceType: 'Patient', name: [{ family: 'Backupson' }] }))
    .resource as Patient;
  const id = patient.id ?? '';
  await store.update('Patient', id, { ...patient, gender: 'female' });
  await store.update('Patient', id, { ...patient, gender: 'female', birthDate: '1970-01-02' });
  const obs = (
    await store.create({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'weight' },
      subject: { reference: `Patient/${id}` },
      valueQuantity: { value: 70.5, unit: 'kg' },
    })
  ).resource as Observation;
  await store.delete('Observation', obs.id ?? '');
  await flushAudit(db);
  return id;
}

/** The restored database as a reader sees it: every table's rows, and its audit chain whole. */
async function check(db: Db, before: Fingerprint, patientId: string): Promise<void> {
  expect(await databaseFingerprint(db)).toEqual(before);
  const chain = await verifyAuditChain(db);
  expect(chain.ok).toBe(true);
  expect(chain.checked).toBeGreaterThan(4);
  const history = await new FhirStore(db, cliContext()).history('Patient', patientId, new URLSearchParams());
  expect(history.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['3', '2', '1']);
}

/** A backup file saying it holds a schema with a migration this version does not know. */
async function fromTheFuture(real: string, out: string): Promise<void> {
  const { header, payloadAt } = await readBackupHeader(real);
  const newer = { ...header, migrations: [...header.migrations, '9901_from_a_later_version.sql'] };
  await writeFile(out, Buffer.concat([headerBytes(newer), (await readFile(real)).subarray(payloadAt)]));
}

describe.skipIf(!!testDatabaseUrl())('backup and restore of the embedded database', () => {
  it('brings back every row, every version and the audit chain; refuses a newer schema', async () => {
    const dir = scratch();
    const source = await openTestDb({ embedded: true });
    const patientId = await writeRecords(source);
    const before = await databaseFingerprint(source);
    const file = join(dir, 'custodian.backup');
    const bytes = await dumpEmbedded(source);
    await writeWhole(file, (append) => append(bytes));
    await source.close();
    expect((await readBackupHeader(file)).header).toMatchObject({
      kind: 'pglite',
      migrations: await migrationNames(),
    });

    // Whatever was in the folder is kept aside, not deleted.
    const folder = join(dir, 'data', 'db');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'what-was-here'), 'an older database');
    const restored = await restoreEmbedded(file, folder, (db) => check(db, before, patientId));
    expect(restored.previous).toMatch(/db\.before-restore-/);
    expect(await readdir(restored.previous ?? '')).toEqual(['what-was-here']);

    // A newer schema is refused before the folder is touched.
    const newer = join(dir, 'newer.backup');
    await fromTheFuture(file, newer);
    const listed = await readdir(join(dir, 'data'));
    await expect(restoreEmbedded(newer, folder, async () => undefined)).rejects.toThrow(
      /made by a newer version of Custodian.*9901_from_a_later_version\.sql.*Upgrade Custodian/,
    );
    expect(await readdir(join(dir, 'data'))).toEqual(listed);
    // Not a backup at all: named as such.
    await expect(
      restoreEmbedded(join(dir, 'data', 'db', 'PG_VERSION'), folder, async () => undefined),
    ).rejects.toThrow(/is not a Custodian backup/);
  });
});

const serverUrl = testDatabaseUrl();

describe.skipIf(!serverUrl)(
  'backup and restore of a PostgreSQL server database (pg_dump, pg_restore)',
  () => {
    it('brings back every row, every version and the audit chain; refuses a newer schema', async () => {
      const dir = scratch();
      const sourceUrl = await createServerDatabase(serverUrl ?? '');
      const source = await openDb({ databaseUrl: sourceUrl });
      const patientId = await writeRecords(source);
      const before = await databaseFingerprint(source);
      await source.close();
      const file = join(dir, 'custodian.backup');
      expect(await backupServer(sourceUrl, file)).toMatchObject({ kind: 'postgres' });

      const targetUrl = await createServerDatabase(serverUrl ?? '');
      const newer = join(dir, 'newer.backup');
      await fromTheFuture(file, newer);
      await expect(restoreServer(newer, targetUrl)).rejects.toThrow(/newer version of Custodian/);
      await restoreServer(file, targetUrl);
      const target = await openPostgres(targetUrl);
      try {
        await check(target, before, patientId);
      } finally {
        await target.close();
      }
      // Restoring over a database holding the same schema replaces it, all in one transaction.
      await restoreServer(file, targetUrl);
      const again = await openPostgres(targetUrl);
      try {
        expect(await databaseFingerprint(again)).toEqual(before);
      } finally {
        await again.close();
      }
    });
  },
);
