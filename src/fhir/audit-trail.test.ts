import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../app/config.ts';
import { openDb, type Db } from '../db/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import { runCustodian } from '../testing/run-custodian.ts';
import type { AuditEvent } from '@medplum/fhirtypes';
import {
  appendAudit,
  auditEventsAbout,
  canonicalJson,
  chainHash,
  fileAuditEvents,
  GENESIS_HASH,
  flushAudit,
  queueAudit,
  startAuditFiler,
  verifyAuditChain,
} from './audit-trail.ts';
import { toAuditEvent, type AuditEntry } from './audit-event.ts';

const entry = (i: number): AuditEntry => ({
  action: 'read',
  outcome: 'success',
  username: `user${i}`,
  role: 'coder',
  purpose: 'HPAYMT',
  patientIds: [`p${i}`],
  entities: [`Patient/p${i}`],
});

describe('canonical JSON of an audit event', () => {
  it('is the text every recorded chain was hashed over: sorted keys, no undefined members', () => {
    // Written out by hand from the first implementation: any change here breaks verification
    // of the chains already recorded.
    const value = {
      z: 1,
      a: [3, { y: null, b: 'x"y', c: undefined }, [], {}],
      é: 'ü\n',
      B: true,
      n: -1.5e-7,
      u: undefined,
      arr: [null, 'a', undefined],
    };
    expect(canonicalJson(value)).toBe(
      '{"B":true,"a":[3,{"b":"x\\"y","y":null},[],{}],"arr":[null,"a",],"n":-1.5e-7,"z":1,"é":"ü\\n"}',
    );
  });
});

async function seeded(): Promise<{ db: Db; ids: string[] }> {
  const db = await openTestDb();
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const [event] = await db.transaction((tx) => appendAudit(tx, [entry(i)]));
    ids.push(event?.id ?? '');
  }
  // Filed into the store, where the tampering below goes.
  expect(await fileAuditEvents(db)).toBe(6);
  return { db, ids };
}

/** A second pool on the test's PostgreSQL database, as another server process would hold. */
async function sameDatabase(db: Db): Promise<Db> {
  const name = (await db.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db ?? '';
  const url = new URL(testDatabaseUrl() ?? '');
  url.pathname = `/${name}`;
  return openDb({ databaseUrl: url.toString() });
}

/** Tampering goes around the append-only triggers, as someone with database access could. */
async function tamper(db: Db, sql: string, params: unknown[] = []): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL session_replication_role = replica`);
    await tx.query(sql, params);
  });
}

describe('audit trail', () => {
  it('refuses UPDATE and DELETE on audit rows', async () => {
    const { db, ids } = await seeded();
    await expect(db.query(`UPDATE audit_chain SET hash = 'x' WHERE event_id = $1`, [ids[0]])).rejects.toThrow(
      /append-only/,
    );
    await expect(
      db.query(`DELETE FROM fhir_resource WHERE resource_type = 'AuditEvent' AND id = $1`, [ids[0]]),
    ).rejects.toThrow(/append-only/);
    await expect(
      db.query(`UPDATE fhir_resource SET content = '{}' WHERE resource_type = 'AuditEvent'`),
    ).rejects.toThrow(/append-only/);
    expect((await verifyAuditChain(db)).ok).toBe(true);
    await db.close();
  });

  it('names the first edited event', async () => {
    const { db, ids } = await seeded();
    await tamper(
      db,
      `UPDATE fhir_resource SET content = jsonb_set(content, '{outcome}', '"4"') WHERE resource_type = 'AuditEvent' AND id = $1`,
      [ids[2]],
    );
    const result = await verifyAuditChain(db);
    expect(result.ok).toBe(false);
    expect(result.problem?.eventId).toBe(ids[2]);
    expect(result.problem?.seq).toBe(3);
    expect(result.problem?.reason).toMatch(/edited/);
    await db.close();
  });

  it('names a deleted event and a gap in the chain', async () => {
    const { db, ids } = await seeded();
    await tamper(db, `DELETE FROM fhir_resource WHERE resource_type = 'AuditEvent' AND id = $1`, [ids[1]]);
    expect((await verifyAuditChain(db)).problem?.eventId).toBe(ids[1]);
    await tamper(db, `DELETE FROM audit_chain WHERE event_id = $1`, [ids[1]]);
    const gap = await verifyAuditChain(db);
    expect(gap.ok).toBe(false);
    expect(gap.problem?.seq).toBe(3);
    expect(gap.problem?.reason).toMatch(/missing/);
    await db.close();
  });

  it('names reordered events', async () => {
    const { db, ids } = await seeded();
    await tamper(db, `UPDATE audit_chain SET seq = -seq WHERE seq IN (4, 5)`);
    await tamper(db, `UPDATE audit_chain SET seq = CASE seq WHEN -4 THEN 5 ELSE 4 END WHERE seq IN (-4, -5)`);
    const result = await verifyAuditChain(db);
    expect(result.ok).toBe(false);
    expect(result.problem?.seq).toBe(4);
    expect(result.problem?.eventId).toBe(ids[4]);
    await db.close();
  });

  it('records a read of many patients as parts of at most 500, every patient in its part, chained', async () => {
    const db = await openTestDb();
    const patients = Array.from({ length: 1201 }, (_, i) => `many-${i}`);
    const population: AuditEntry = {
      ...entry(0),
      patientIds: patients,
      entities: [...patients.map((p) => `Patient/${p}`), 'Group/all', 'Organization/o1'],
      query: 'GET /fhir/R4/Patient?_count=2000',
    };
    await queueAudit(db, [entry(1), population]);
    await flushAudit(db);
    const events = await db.query<{ content: AuditEvent }>(
      `SELECT r.content FROM audit_chain c JOIN fhir_resource r ON r.resource_type = 'AuditEvent' AND r.id = c.event_id
        ORDER BY c.seq`,
    );
    const contents = events.rows.map((r) => r.content);
    expect(
      contents.map((e) => e.entity?.filter((x) => x.what?.reference?.startsWith('Patient/')).length),
    ).toEqual([1, 500, 500, 201]);
    expect(contents.map((e) => e.outcomeDesc)).toEqual([
      undefined,
      'part 1 of 3',
      'part 2 of 3',
      'part 3 of 3',
    ]);
    // Every patient named once, the records besides them in the first part, the query in each.
    const named = contents
      .slice(1)
      .flatMap((e) => (e.entity ?? []).map((x) => x.what?.reference).filter(Boolean));
    expect(named.filter((r) => r?.startsWith('Patient/')).sort()).toEqual(
      patients.map((p) => `Patient/${p}`).sort(),
    );
    expect(named.filter((r) => !r?.startsWith('Patient/'))).toEqual(['Group/all', 'Organization/o1']);
    for (const e of contents.slice(1))
      expect(e.entity?.some((x) => x.description === population.query)).toBe(true);
    expect((await auditEventsAbout(db, 'many-1200', 10)).map((e) => e.id)).toEqual([contents[3]?.id]);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: 4 });
    await db.close();
  });

  it('chains reads group-committed between changes without a gap or a lost record', async () => {
    const db = await openTestDb();
    // Reads' records (the group commit), a change's own events in its transaction, reads again:
    // on PGlite the second round of reads starts from a head the change has moved on.
    const reads = (from: number) =>
      Promise.all([from, from + 1, from + 2].map((i) => queueAudit(db, [entry(i)])));
    await reads(1);
    await db.transaction((tx) => appendAudit(tx, [entry(10), entry(11)]));
    await reads(20);
    await reads(30);
    // A change that rolls back leaves no link; the reads after it chain on from the last commit.
    await expect(
      db.transaction(async (tx) => {
        await appendAudit(tx, [entry(40)]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await reads(50);
    await flushAudit(db);
    const recorded = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM fhir_resource WHERE resource_type = 'AuditEvent'`,
    );
    expect(Number(recorded.rows[0]?.n)).toBe(14);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: 14 });
    await db.close();
  });

  it.runIf(!!testDatabaseUrl())(
    'chains the reads of two servers on one PostgreSQL database, and their changes, without a gap',
    async () => {
      // Two pools on one database, as two server processes: each remembers the head its last
      // group commit left, and the other one's appends make that head stale.
      const a = await openTestDb();
      const b = await sameDatabase(a);
      const reads = (db: Db, from: number) =>
        Promise.all([from, from + 1, from + 2].map((i) => queueAudit(db, [entry(i)])));
      await reads(a, 1);
      await reads(b, 10);
      await reads(a, 20);
      await Promise.all([
        reads(a, 30),
        reads(b, 40),
        a.transaction((tx) => appendAudit(tx, [entry(50)])),
        b.transaction((tx) => appendAudit(tx, [entry(51)])),
        reads(a, 60),
        reads(b, 70),
      ]);
      await Promise.all([flushAudit(a), flushAudit(b)]);
      const recorded = await a.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM fhir_resource WHERE resource_type = 'AuditEvent'`,
      );
      expect(Number(recorded.rows[0]?.n)).toBe(23);
      expect(await verifyAuditChain(a)).toEqual({ ok: true, checked: 23 });
      await b.close();
      await a.close();
    },
  );

  it.runIf(!!testDatabaseUrl())(
    'chains the reads of two servers while both file the inbox: a link filed meanwhile is not taken again',
    async () => {
      const a = await openTestDb();
      const b = await sameDatabase(a);
      const filers = [startAuditFiler(a, { intervalMs: 1 }), startAuditFiler(b, { intervalMs: 1 })];
      let n = 0;
      for (let round = 0; round < 40; round++) {
        await Promise.all([
          queueAudit(a, [entry(n++)]),
          queueAudit(b, [entry(n++)]),
          round % 5 === 0 ? b.transaction((tx) => appendAudit(tx, [entry(n++)])) : undefined,
          fileAuditEvents(round % 2 ? a : b),
        ]);
      }
      await Promise.all(filers.map((f) => f.stop()));
      await Promise.all([flushAudit(a), flushAudit(b)]);
      expect(await verifyAuditChain(a)).toEqual({ ok: true, checked: n });
      await b.close();
      await a.close();
    },
  );

  it.skipIf(!!testDatabaseUrl())('custodian audit verify exits non-zero and names the event', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'custodian-audit-'));
    const db = await openDb({ dataDir: join(dataDir, 'db') });
    const events = await db.transaction((tx) => appendAudit(tx, [entry(1), entry(2), entry(3)]));
    await fileAuditEvents(db);
    const cli = () =>
      runCustodian(['audit', 'verify'], { ...process.env, CUSTODIAN_DATA_DIR: dataDir, DATABASE_URL: '' });
    await db.close();
    const good = await cli();
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/3 events verified/);
    const again = await openDb({ dataDir: join(dataDir, 'db') });
    await tamper(
      again,
      `UPDATE fhir_resource SET content = jsonb_set(content, '{recorded}', '"2001-01-01T00:00:00Z"') WHERE resource_type = 'AuditEvent' AND id = $1`,
      [events[1]?.id],
    );
    await again.close();
    const bad = await cli();
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(events[1]?.id ?? 'missing');
  });
});

describe('the audit inbox', () => {
  const storedEvents = async (db: Db): Promise<number> =>
    Number(
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM fhir_resource WHERE resource_type = 'AuditEvent'`,
        )
      ).rows[0]?.n,
    );

  it("holds a read's record, chained and durable, until it is filed into the store with its index rows", async () => {
    const db = await openTestDb();
    await queueAudit(db, [entry(1)]);
    await queueAudit(db, [entry(2)]);
    // Answered reads are recorded: chain rows and documents, none in the store yet.
    expect(await storedEvents(db)).toBe(0);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: 2 });
    expect((await auditEventsAbout(db, 'p2', 10)).map((e) => e.agent?.[0]?.name)).toEqual(['user2']);
    expect(await fileAuditEvents(db)).toBe(2);
    expect(await fileAuditEvents(db)).toBe(0);
    expect(await storedEvents(db)).toBe(2);
    const found = await db.query<{ id: string; last_updated: Date; recorded: string }>(
      `SELECT r.id, r.last_updated, r.content->>'recorded' AS recorded FROM fhir_resource r
         JOIN search_reference s ON s.resource_type = 'AuditEvent' AND s.resource_id = r.id
        WHERE r.resource_type = 'AuditEvent' AND s.param = 'entity' AND s.target_id = 'p1'`,
    );
    expect(found.rows).toHaveLength(1);
    // Stamped when it was recorded, not when it was filed.
    expect(new Date(found.rows[0]?.last_updated ?? 0).getTime()).toBe(
      new Date(found.rows[0]?.recorded ?? '').getTime(),
    );
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: 2 });
    expect((await db.query('SELECT seq FROM audit_inbox')).rows).toEqual([]);
    await db.close();
  });

  it('files more than a batch, oldest first, and the chain still verifies', async () => {
    const db = await openTestDb();
    await Promise.all(Array.from({ length: 600 }, (_, i) => queueAudit(db, [entry(i)])));
    expect(await fileAuditEvents(db)).toBe(600);
    expect(await storedEvents(db)).toBe(600);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: 600 });
    await db.close();
  });

  it('is filed in the background by the filer a server runs', async () => {
    const db = await openTestDb();
    const filer = startAuditFiler(db, { intervalMs: 20 });
    await queueAudit(db, [entry(1)]);
    await expect.poll(() => storedEvents(db), { timeout: 5000 }).toBe(1);
    await filer.stop();
    await db.close();
  });

  it('is filed in the background once reads pause, or while they go on once enough of them wait', async () => {
    const db = await openTestDb();
    // A read first, so the filer's first round already finds the server busy.
    await queueAudit(db, [entry(0)]);
    const filer = startAuditFiler(db, { intervalMs: 5, quietMs: 2000, maxWaiting: 40, maxDelayMs: 60_000 });
    for (let i = 1; i < 30; i++) await queueAudit(db, [entry(i)]);
    // Many rounds come and go while reads keep arriving: each yields to them.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await storedEvents(db)).toBe(0);
    for (let i = 30; i < 45; i++) await queueAudit(db, [entry(i)]);
    // 45 wait, more than maxWaiting: a round runs although the reads have not paused.
    await expect.poll(() => storedEvents(db), { timeout: 10_000 }).toBeGreaterThanOrEqual(40);
    await queueAudit(db, [entry(45)]);
    // Then the reads pause, and whatever still waits is filed.
    await expect.poll(() => storedEvents(db), { timeout: 10_000 }).toBe(46);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: 46 });
    await filer.stop();
    await db.close();
  });

  it('is filed in the background under steady reads once the oldest has waited long enough', async () => {
    const db = await openTestDb();
    const filer = startAuditFiler(db, { intervalMs: 5, quietMs: 60_000, maxWaiting: 1000, maxDelayMs: 200 });
    await queueAudit(db, [entry(1), entry(2), entry(3)]);
    await expect.poll(() => storedEvents(db), { timeout: 5000 }).toBe(3);
    await filer.stop();
    await db.close();
  });

  it('refuses to edit or remove an unfiled event, and names one edited or removed around the refusal', async () => {
    const db = await openTestDb();
    await queueAudit(db, [entry(1), entry(2), entry(3)]);
    await expect(db.query(`UPDATE audit_inbox SET content = content || ' ' WHERE seq = 2`)).rejects.toThrow(
      /gives up only events filed/,
    );
    await expect(db.query(`DELETE FROM audit_inbox WHERE seq = 2`)).rejects.toThrow(
      /gives up only events filed/,
    );
    await expect(db.query(`TRUNCATE audit_inbox`)).rejects.toThrow(/append-only/);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: 3 });
    await tamper(
      db,
      `UPDATE audit_inbox SET content = jsonb_set(content::jsonb, '{outcome}', '"4"')::text WHERE seq = 2`,
    );
    const edited = await verifyAuditChain(db);
    expect(edited.problem?.seq).toBe(2);
    expect(edited.problem?.reason).toMatch(/edited/);
    await tamper(db, `DELETE FROM audit_inbox WHERE seq = 2`);
    const removed = await verifyAuditChain(db);
    expect(removed.problem?.seq).toBe(3);
    expect(removed.problem?.reason).toMatch(/missing/);
    await db.close();
  });

  it('chains after events another appender recorded meanwhile, filed or not', async () => {
    const db = await openTestDb();
    await queueAudit(db, [entry(1)]);
    // A change's event, in its own transaction: the remembered head of the reads is now stale.
    await db.transaction((tx) => appendAudit(tx, [entry(2)]));
    await queueAudit(db, [entry(3)]);
    await db.transaction((tx) => appendAudit(tx, [entry(4)]));
    // Filed before the next read is recorded: the stale head's successor is in the chain now.
    expect(await fileAuditEvents(db)).toBe(4);
    await queueAudit(db, [entry(5)]);
    await queueAudit(db, [entry(6)]);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: 6 });
    expect(await fileAuditEvents(db)).toBe(2);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: 6 });
    await db.close();
  });

  it('files a document recorded before links moved into the inbox (its chain row already written)', async () => {
    const db = await openTestDb();
    // As a store recorded a read before migration 0105: the chain row, and the document alone in
    // the inbox.
    const recorded = new Date().toISOString();
    const event = toAuditEvent('legacy-1', entry(1), recorded);
    const hash = chainHash(GENESIS_HASH, 1, event);
    await db.query(
      `INSERT INTO audit_chain (seq, event_id, patient_ids, recorded, prev_hash, hash)
       VALUES (1, 'legacy-1', ARRAY['p1'], $1, $2, $3)`,
      [recorded, GENESIS_HASH, hash],
    );
    await db.query(`INSERT INTO audit_inbox (seq, content) VALUES (1, $1)`, [
      JSON.stringify({ ...event, meta: { versionId: '1', lastUpdated: recorded } }),
    ]);
    await queueAudit(db, [entry(2)]);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: 2 });
    expect(await fileAuditEvents(db)).toBe(2);
    expect(await storedEvents(db)).toBe(2);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: 2 });
    await db.close();
  });

  it('keeps the inbox pages through a VACUUM, so the probes of every read stay on its primary key', async () => {
    const db = await openTestDb();
    await Promise.all(Array.from({ length: 200 }, (_, j) => queueAudit(db, [entry(j)])));
    await fileAuditEvents(db);
    // The filer's VACUUM (PGlite) or autovacuum (a server) finds the inbox empty: a file cut to
    // nothing was planned as an empty table, a sequential scan on every read as rows came back.
    await db.query('VACUUM audit_inbox');
    const plan = await db.query<{ 'QUERY PLAN': string }>(
      'EXPLAIN SELECT 1 FROM audit_inbox WHERE seq = 5',
      [],
      { oneOff: true },
    );
    expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index/);
    await db.close();
  });

  it.skipIf(!!testDatabaseUrl())(
    'analyses the audit tables as the chain grows on PGlite, so the head probe of every read is replanned',
    async () => {
      const db = await openTestDb();
      // A new store's first ANALYZE sees an empty chain (a server start, a demo's seeding).
      await db.query('ANALYZE');
      for (let i = 0; i < 6; i++) {
        await Promise.all(Array.from({ length: 100 }, (_, j) => queueAudit(db, [entry(i * 100 + j)])));
        await fileAuditEvents(db);
      }
      // Statistics as the planner sees them: an ANALYZE replans the kept statements that read
      // the chain (a plan made on the empty chain scanned it whole, on every read).
      const stats = await db.query<{ rel: string; tuples: number }>(
        `SELECT relname AS rel, reltuples::float8 AS tuples FROM pg_class
          WHERE relname IN ('audit_chain', 'audit_inbox') ORDER BY relname`,
      );
      expect(Number(stats.rows.find((r) => r.rel === 'audit_chain')?.tuples)).toBeGreaterThanOrEqual(500);
      await db.close();
    },
  );

  it.runIf(!!testDatabaseUrl())(
    'waits for a filer on another connection holding documents, and files them all',
    async () => {
      const a = await openTestDb();
      const b = await sameDatabase(a);
      await queueAudit(a, [entry(1), entry(2), entry(3)]);
      // Another connection holds the first two documents, as a filer busy with them would.
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let holding: () => void = () => undefined;
      const locked = new Promise<void>((resolve) => (holding = resolve));
      const holder = b.transaction(async (tx) => {
        await tx.query('SELECT seq FROM audit_inbox WHERE seq <= 2 FOR UPDATE');
        holding();
        await held;
      });
      await locked;
      let flushed = false;
      const flushing = flushAudit(a).then(() => (flushed = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(flushed).toBe(false);
      release();
      await holder;
      await flushing;
      expect(await storedEvents(a)).toBe(3);
      await b.close();
      await a.close();
    },
  );
});
