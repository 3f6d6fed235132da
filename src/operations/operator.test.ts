import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockFolder } from '../db/index.ts';
import { flushAudit } from '../fhir/audit-trail.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { BACKUP_MAGIC } from './backup-file.ts';
import { announceServer, findRunningServer, withdrawAnnouncement } from './operator.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.stop());

/** A call as the local operator: the key the server wrote beside its data folder. */
const asOperator = (method: string, path: string, body?: unknown): Promise<Response> =>
  server.call(null, method, path, body, {
    authorization: `Bearer ${server.operator.key}`,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  });

const auditCount = async (): Promise<number> => {
  await flushAudit(server.db);
  const r = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_links');
  return r.rows[0]?.n ?? 0;
};

describe('the local operator (the CLI while the server runs)', () => {
  it('is the only caller of the operations routes; nobody gets in without a key or token', async () => {
    expect((await server.call(null, 'GET', '/operations/backup')).status).toBe(401);
    const wrongKey = await server.call(null, 'GET', '/operations/backup', undefined, {
      authorization: `Bearer ${server.operator.key.slice(1)}x`,
    });
    expect(wrongKey.status).toBe(401);
    // An administrator's session is not the operator: refused, and the refusal is on record.
    const before = await auditCount();
    const admin = await server.call('admin', 'POST', '/operations/reindex', {});
    expect(admin.status).toBe(403);
    expect(await admin.text()).toMatch(/custodian command on the server's machine/);
    expect(await auditCount()).toBeGreaterThan(before);
  });

  it('backs up, imports, reindexes and administers users through the server, audited', async () => {
    const before = await auditCount();
    const backup = await asOperator('GET', '/operations/backup');
    if (server.db.dialect === 'pglite') {
      expect(backup.status).toBe(200);
      const bytes = Buffer.from(await backup.arrayBuffer());
      expect(bytes.subarray(0, BACKUP_MAGIC.length).toString()).toBe(BACKUP_MAGIC);
    } else {
      expect(backup.status).toBe(409);
    }

    const dir = mkdtempSync(join(tmpdir(), 'custodian-operator-'));
    const file = join(dir, 'patient.json');
    writeFileSync(file, JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Operatorson' }] }));
    const imported = await asOperator('POST', '/operations/import', { paths: [file] });
    expect(imported.status).toBe(200);
    expect(await imported.json()).toMatchObject({ files: 1, resources: 1, failures: [] });
    const relative = await asOperator('POST', '/operations/import', { paths: ['patient.json'] });
    expect(relative.status).toBe(400);
    const missing = await asOperator('POST', '/operations/import', { paths: [join(dir, 'none.json')] });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('No such file or folder');

    const reindex = await asOperator('POST', '/operations/reindex', { type: 'Patient' });
    expect(reindex.status).toBe(200);
    expect(((await reindex.json()) as { resources: number }).resources).toBeGreaterThan(0);
    expect((await asOperator('POST', '/operations/reindex', { type: 'Patients' })).status).toBe(404);

    // User administration and audit verification are the server's ordinary routes.
    const added = await asOperator('POST', '/admin/users', {
      username: 'operator-made',
      password: 'a-long-enough-pass-1',
      role: 'coder',
    });
    expect(added.status).toBe(201);
    expect(await (await asOperator('GET', '/audit/verify')).json()).toMatchObject({ ok: true });
    expect(await auditCount()).toBeGreaterThan(before + 5);
  });

  it('finds the running server by its note only while that server holds the folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'custodian-note-'));
    const note = { pid: process.pid, url: 'http://127.0.0.1:1', key: 'k' };
    await announceServer(dataDir, note);
    expect(statSync(join(dataDir, 'operator.json')).mode & 0o777).toBe(0o600);
    // A note whose server no longer holds the folder (killed) is ignored.
    expect(await findRunningServer(dataDir)).toBeUndefined();
    const lock = await lockFolder(join(dataDir, 'db'), 'server');
    expect(await findRunningServer(dataDir)).toEqual(note);
    await withdrawAnnouncement(dataDir, process.pid);
    expect(await findRunningServer(dataDir)).toBeUndefined();
    await lock.release();
  });
});
