import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../app/config.ts';
import { createServerDatabase } from '../testing/test-db.ts';
import { startCustodian } from '../testing/run-custodian.ts';

const PASSWORD = 'durability-pass-42';

/** The real product (`custodian start`) on this store, listening on a port of its own. */
const startProduct = (env: Record<string, string>) =>
  startCustodian(
    {
      ...process.env,
      CUSTODIAN_PORT: '0',
      CUSTODIAN_DEMO: '0',
      CUSTODIAN_CODESETS_DIR: 'none',
      CUSTODIAN_MLLP_PORT: '0',
      CUSTODIAN_ADMIN_USER: 'admin',
      CUSTODIAN_ADMIN_PASSWORD: PASSWORD,
      ...env,
    },
    { timeoutMs: 90_000 },
  );

async function token(url: string): Promise<string> {
  const res = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: 'admin', password: PASSWORD }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

function killNow(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function checkSurvives(env: Record<string, string>): Promise<void> {
  const first = await startProduct(env);
  const auth = { authorization: `Bearer ${await token(first.url)}`, 'content-type': 'application/fhir+json' };
  const family = `Durable${Date.now()}`;
  const created = await fetch(`${first.url}/fhir/R4/Patient`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family }] }),
  });
  expect(created.status).toBe(201);
  const patient = (await created.json()) as Patient;
  const tx = await fetch(`${first.url}/fhir/R4`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: Array.from({ length: 50 }, (_, i) => ({
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: `durable ${i}` },
          subject: { reference: `Patient/${patient.id ?? ''}` },
        },
        request: { method: 'POST', url: 'Observation' },
      })),
    }),
  });
  expect(tx.status).toBe(200);
  // 100 answered reads, 20 at a time: each one's access record must be durable before its answer.
  const reads = 100;
  for (let i = 0; i < reads; i += 20) {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${first.url}/fhir/R4/Patient/${patient.id ?? ''}`, { headers: auth }).then((r) => r.status),
      ),
    );
    expect(answers.every((status) => status === 200)).toBe(true);
  }
  // Killed right after answering: no chance to flush anything on the way out.
  await killNow(first.child);

  const second = await startProduct(env);
  try {
    const auth2 = { authorization: `Bearer ${await token(second.url)}` };
    const back = await fetch(`${second.url}/fhir/R4/Patient/${patient.id ?? ''}`, { headers: auth2 });
    expect(back.status).toBe(200);
    expect(((await back.json()) as Patient).name?.[0]?.family).toBe(family);
    const obs = (await (
      await fetch(`${second.url}/fhir/R4/Observation?subject=Patient/${patient.id ?? ''}&_summary=count`, {
        headers: auth2,
      })
    ).json()) as Bundle;
    // All of the transaction or none of it; it was acknowledged, so all.
    expect(obs.total).toBe(50);
    const report = (await (
      await fetch(`${second.url}/audit/access-report?patient=${patient.id ?? ''}`, { headers: auth2 })
    ).json()) as { lines: Array<{ action: string; outcome: string }> };
    // Every answered read of the first run is on record (one more: the read just above).
    const readsOnRecord = report.lines.filter((l) => l.action === 'read' && l.outcome === 'success');
    expect(readsOnRecord.length).toBeGreaterThanOrEqual(reads);
  } finally {
    await killNow(second.child);
  }
}

describe('acknowledged writes and the records of answered reads survive SIGKILL', () => {
  it.skipIf(!!testDatabaseUrl())('on embedded PGlite', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'custodian-durable-'));
    await checkSurvives({ CUSTODIAN_DATA_DIR: dataDir, DATABASE_URL: '' });
  });

  it.skipIf(!testDatabaseUrl())('on the PostgreSQL server', async () => {
    await checkSurvives({ DATABASE_URL: await createServerDatabase(testDatabaseUrl() ?? '') });
  });
});
