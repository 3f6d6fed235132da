import { createHash } from 'node:crypto';
import type { AuditEvent } from '@medplum/fhirtypes';
import type { Db, Queryable } from '../db/index.ts';
import { insertFirstVersions, newId } from './unchecked-storage.ts';
import { noteWrites } from './statistics.ts';
import { inBoundedParts, toAuditEvent, type AuditEntry } from './audit-event.ts';

const CHAIN_LOCK = 724002;
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with sorted keys, so a hash survives jsonb's reordering of object keys. Every read is
 * audited, so this runs per request: plain loops rather than entries/sort/map/join chains
 * (four times faster); the text is the same as ever, or recorded chains would stop verifying.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // JSON.stringify(undefined) is undefined, which an array join writes as nothing.
      out += (canonicalJson(value[i]) as string | undefined) ?? '';
    }
    return `${out}]`;
  }
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    let out = '{';
    for (const key of keys) {
      const v = obj[key];
      if (v === undefined) continue;
      if (out.length > 1) out += ',';
      out += `${JSON.stringify(key)}:${canonicalJson(v)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}

export function chainHash(prevHash: string, seq: number, event: AuditEvent): string {
  // meta is the store's bookkeeping, not part of what was recorded.
  const { meta: _meta, ...recorded } = event;
  return createHash('sha256')
    .update(`${prevHash}\n${seq}\n${canonicalJson(recorded)}`)
    .digest('hex');
}

/** The chain's last link: where the next event's hash starts. */
interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * Builds the events of `entries` chained after `head` and records them in one statement: each
 * event's chain row and its document in the audit inbox (fileAuditEvents moves the documents into
 * the store with their index rows later, many at a time: the statement every answered read waits
 * for stays two small inserts). Answers the events and the chain's new head.
 * `guarded`: the head was remembered, not read under the chain lock; the statement takes the lock
 * itself before its chain rows go in, and fails (StaleHead) unless `head` is still the chain's
 * last link: its row must be there as remembered (else division by zero) and the next seq free
 * (else the chain's unique key). Nothing of a failed statement is written.
 */
async function insertChained(
  q: Queryable,
  recordedEntries: AuditEntry[],
  head: ChainHead,
  guarded = false,
): Promise<{ events: AuditEvent[]; head: ChainHead }> {
  const entries = recordedEntries.flatMap(inBoundedParts);
  let { seq, hash: prev } = head;
  const recorded = new Date().toISOString();
  const events = entries.map((e) => toAuditEvent(newId(), e, recorded)) as Array<AuditEvent & { id: string }>;
  const rows = {
    seq: [] as number[],
    id: [] as string[],
    patients: [] as string[],
    prev: [] as string[],
    hash: [] as string[],
  };
  // The chain hashes the event as recorded, before the store's meta is added (chainHash drops it).
  events.forEach((event, i) => {
    seq += 1;
    const hash = chainHash(prev, seq, event);
    rows.seq.push(seq);
    rows.id.push(event.id);
    rows.patients.push(JSON.stringify(entries[i]?.patientIds ?? []));
    rows.prev.push(prev);
    rows.hash.push(hash);
    prev = hash;
    event.meta = { versionId: '1', lastUpdated: recorded };
  });
  const params: unknown[] = [];
  const at = (value: unknown) => `$${params.push(value)}`;
  // Joined before any chain row is produced: the lock is held from then until the commit. The
  // check is filtered on, or PostgreSQL would drop it as an output nobody reads.
  const guard = guarded
    ? `, (SELECT pg_advisory_xact_lock(${at(CHAIN_LOCK)}),
              1 / (SELECT count(*) FROM audit_chain WHERE seq = ${at(head.seq)} AND hash = ${at(head.hash)}) AS ok) AS g
      WHERE g.ok = 1`
    : '';
  const sql = `WITH ins_audit_chain AS (INSERT INTO audit_chain (seq, event_id, patient_ids, recorded, prev_hash, hash)
     SELECT s, i, ARRAY(SELECT jsonb_array_elements_text(p::jsonb)), ${at(recorded)}::timestamptz, ph, h
       FROM unnest(${at(rows.seq)}::bigint[], ${at(rows.id)}::text[], ${at(rows.patients)}::text[],
                   ${at(rows.prev)}::text[], ${at(rows.hash)}::text[]) AS x(s, i, p, ph, h)${guard}
     RETURNING seq)
   INSERT INTO audit_inbox (seq, content)
   SELECT x.s, c.value
     FROM unnest(${at(rows.seq)}::bigint[]) WITH ORDINALITY AS x(s, n)
     JOIN jsonb_array_elements(${at(JSON.stringify(events))}::jsonb) WITH ORDINALITY AS c(value, n) ON c.n = x.n
    WHERE x.s IN (SELECT seq FROM ins_audit_chain)`;
  await q.query(sql, params, { prepareAs: guarded ? 'audit_record_guarded' : 'audit_record' });
  return { events, head: { seq, hash: prev } };
}

/** How many inbox documents one filing statement moves: a read arriving meanwhile waits for it. */
const FILING_BATCH = 250;

/**
 * Moves the audit inbox's documents into the store (fhir_resource and its search index rows), the
 * oldest first, a batch per transaction, until none wait; answers how many it filed. Anything that
 * reads AuditEvents from the store files first (flushAudit). A filer on another connection (the
 * server's, another server's) that holds rows is waited for, not skipped: when this returns, every
 * document recorded before it began is in the store, and each is filed once.
 */
export async function fileAuditEvents(db: Db): Promise<number> {
  let filed = 0;
  // An empty inbox (an idle server's every round) costs one read, not a transaction.
  const any = await db.query('SELECT 1 FROM audit_inbox LIMIT 1', [], { prepareAs: 'audit_inbox_any' });
  if (any.rows.length === 0) return 0;
  for (;;) {
    const moved = await db.transaction(async (tx) => {
      const waiting = await tx.query<{
        seq: string;
        content: AuditEvent & { id: string; meta: { lastUpdated: string } };
      }>('SELECT seq, content FROM audit_inbox ORDER BY seq LIMIT $1 FOR UPDATE', [FILING_BATCH], {
        prepareAs: 'audit_inbox_waiting',
      });
      const seqs = waiting.rows.map((r) => r.seq);
      await insertFirstVersions(
        tx,
        waiting.rows.map((r) => r.content),
        (params) => [
          `del_audit_inbox AS (DELETE FROM audit_inbox WHERE seq = ANY($${params.push(seqs)}::bigint[]))`,
        ],
      );
      return seqs.length;
    });
    filed += moved;
    // Rows another filer moved while this one waited for them drop out of a batch: only an
    // empty batch says the inbox is empty.
    if (moved === 0) break;
  }
  noteWrites(db, filed);
  await vacuumInboxNow(db, filed);
  return filed;
}

/** Filed documents since the inbox was last vacuumed, per embedded database. */
const filedSinceVacuum = new WeakMap<Db, number>();
const VACUUM_INBOX_AFTER = 5000;

/**
 * Filing leaves a dead row in the inbox for every document it moved. A PostgreSQL server's
 * autovacuum clears them; PGlite runs none, so the filer does, or the inbox's scans would step
 * over every row it ever held.
 */
async function vacuumInboxNow(db: Db, filed: number): Promise<void> {
  if (db.dialect !== 'pglite' || filed === 0) return;
  const since = (filedSinceVacuum.get(db) ?? 0) + filed;
  filedSinceVacuum.set(db, since >= VACUUM_INBOX_AFTER ? 0 : since);
  if (since >= VACUUM_INBOX_AFTER) await db.query('VACUUM audit_inbox');
}

/** Files the audit inbox every `intervalMs` (default 200 ms) in the background; rounds never overlap. */
export function startAuditFiler(
  db: Db,
  options: { intervalMs?: number; onError?: (err: unknown) => void } = {},
): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = fileAuditEvents(db)
      .catch((err: unknown) =>
        (options.onError ?? ((e) => console.error('custodian: audit filing:', e)))(err),
      )
      .finally(() => {
        running = undefined;
      });
  }, options.intervalMs ?? 200);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** The chain's last link, under the chain lock (held until the caller's transaction ends). */
async function lockedHead(tx: Queryable): Promise<ChainHead> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
  const last = await tx.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1',
    [],
    { prepareAs: 'audit_chain_last' },
  );
  return { seq: Number(last.rows[0]?.seq ?? 0), hash: last.rows[0]?.hash ?? GENESIS_HASH };
}

/**
 * Appends AuditEvents inside the caller's transaction: they commit or roll back with the change
 * they record. The chain lock serialises appenders so each event hashes its predecessor. After
 * the lock and the chain's last link, the documents, their index rows and their chain rows go
 * in one statement (every answered read waits for this, so round trips count).
 */
export async function appendAudit(tx: Queryable, entries: AuditEntry[]): Promise<AuditEvent[]> {
  if (entries.length === 0) return [];
  return (await insertChained(tx, entries, await lockedHead(tx))).events;
}

/**
 * The head the last group commit of reads left, per database. A group commit of reads chains
 * after it in ONE statement that takes the chain lock itself (insertChained `guarded`), instead of
 * a transaction of five round trips (begin, lock, last link, insert, commit) on the path every
 * answered read waits for; the chain lock is then held only while the rows go in, not while the
 * events are built. Whoever else appends (a change's events in its transaction, another server
 * process on the same PostgreSQL database) moves the chain on without telling this cache; the
 * next group commit then finds the head stale, writes nothing, and takes the locked path.
 */
const readHeads = new WeakMap<Db, ChainHead>();

/** The chain's unique seq taken (23505), or the remembered link gone (division by zero, 22012). */
const isStaleHead = (err: unknown): boolean => {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === '23505' || code === '22012';
};

async function recordReads(db: Db, entries: AuditEntry[]): Promise<void> {
  const cached = readHeads.get(db);
  if (cached) {
    try {
      readHeads.set(db, (await insertChained(db, entries, cached, true)).head);
      return;
    } catch (err) {
      readHeads.delete(db);
      if (!isStaleHead(err)) throw err;
    }
  }
  const head = await db.transaction(
    async (tx) => (await insertChained(tx, entries, await lockedHead(tx))).head,
  );
  readHeads.set(db, head);
}

/** Records entries in a transaction of their own (refusals, failures, logins, admin actions). */
export async function recordAudit(db: Db, entries: AuditEntry[]): Promise<void> {
  await db.transaction((tx) => appendAudit(tx, entries));
}

/** Entries waiting for the next group commit, and how to tell their requests it happened. */
interface Waiting {
  entries: AuditEntry[];
  written: () => void;
  failed: (err: unknown) => void;
}

interface AuditQueue {
  pending: Waiting[];
  flushing: Promise<void> | undefined;
}

const queues = new WeakMap<Db, AuditQueue>();

function queueOf(db: Db): AuditQueue {
  let q = queues.get(db);
  if (!q) {
    q = { pending: [], flushing: undefined };
    queues.set(db, q);
  }
  return q;
}

/** Writes the waiting entries, a batch per transaction, until none wait. */
async function groupCommits(db: Db, q: AuditQueue): Promise<void> {
  // Requests answered in this turn of the event loop join the first batch.
  await new Promise((resolve) => setImmediate(resolve));
  try {
    while (q.pending.length > 0) {
      const batch = q.pending.splice(0, q.pending.length);
      try {
        await recordReads(
          db,
          batch.flatMap((w) => w.entries),
        );
        for (const w of batch) w.written();
      } catch (err) {
        // The waiting requests fail and disclose nothing, so there is no access to record.
        console.error('custodian: audit write failed; the reads waiting for it are refused:', err);
        for (const w of batch) w.failed(err);
      }
    }
  } finally {
    q.flushing = undefined;
  }
}

/**
 * Successful reads and searches: their AuditEvents are written by group commit (every request
 * waiting at that moment, one transaction), and the promise resolves once they are durable. A
 * read awaits it before its data leaves, so a crash never loses the record of an answered read
 * (ONC 170.315(d)(2)); concurrent reads share the commit. Changes never use this: their
 * AuditEvent is written in the change's own transaction. Do not await it inside an open
 * transaction of the same database (PGlite has one connection; the commit would wait for it).
 */
export function queueAudit(db: Db, entries: AuditEntry[]): Promise<void> {
  const q = queueOf(db);
  const written = new Promise<void>((resolve, reject) =>
    q.pending.push({ entries, written: resolve, failed: reject }),
  );
  q.flushing ??= groupCommits(db, q);
  return written;
}

/** Waits until every queued audit entry of this database is written and filed in the store. */
export async function flushAudit(db: Db): Promise<void> {
  const q = queueOf(db);
  while (q.flushing) await q.flushing;
  await fileAuditEvents(db);
}

/** The AuditEvents naming a patient, newest first (the patient's access report reads these). */
export async function auditEventsAbout(
  q: Queryable,
  patientId: string,
  limit: number,
): Promise<AuditEvent[]> {
  const res = await q.query<{ content: AuditEvent }>(
    `SELECT coalesce(r.content, i.content) AS content FROM audit_chain c
       LEFT JOIN fhir_resource r ON r.resource_type = 'AuditEvent' AND r.id = c.event_id
       LEFT JOIN audit_inbox i ON i.seq = c.seq
      WHERE c.patient_ids @> ARRAY[$1]::text[] AND coalesce(r.content, i.content) IS NOT NULL
      ORDER BY c.seq DESC LIMIT $2`,
    [patientId, limit],
  );
  return res.rows.map((r) => r.content);
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  /** The first event that breaks the chain, and why. */
  problem?: { seq: number; eventId: string; reason: string };
}

/** Recomputes the whole chain in order; reports the first edited, deleted or reordered event. */
export async function verifyAuditChain(
  q: Queryable,
  onProgress?: (done: number) => void,
): Promise<VerifyResult> {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  const pageSize = 2000;
  for (;;) {
    const page = await q.query<{
      seq: number;
      event_id: string;
      prev_hash: string;
      hash: string;
      content: AuditEvent | null;
    }>(
      `SELECT c.seq, c.event_id, c.prev_hash, c.hash, coalesce(r.content, i.content) AS content
         FROM audit_chain c LEFT JOIN fhir_resource r ON r.resource_type = 'AuditEvent' AND r.id = c.event_id
         LEFT JOIN audit_inbox i ON i.seq = c.seq
        WHERE c.seq >= $1 ORDER BY c.seq LIMIT $2`,
      [expectedSeq, pageSize],
    );
    for (const row of page.rows) {
      const seq = Number(row.seq);
      const fail = (reason: string): VerifyResult => ({
        ok: false,
        checked,
        problem: { seq, eventId: row.event_id, reason },
      });
      if (seq !== expectedSeq) return fail(`event(s) ${expectedSeq}..${seq - 1} are missing before this one`);
      if (row.prev_hash !== prev)
        return fail('its link to the previous event does not match (reordered or predecessor changed)');
      if (!row.content) return fail('the AuditEvent it records has been deleted');
      if (chainHash(prev, seq, row.content) !== row.hash)
        return fail('its content was edited after it was recorded');
      prev = row.hash;
      expectedSeq += 1;
      checked += 1;
    }
    onProgress?.(checked);
    if (page.rows.length < pageSize) break;
  }
  // An AuditEvent with no chain entry was inserted behind the log's back.
  const orphan = await q.query<{ id: string }>(
    `SELECT r.id FROM fhir_resource r LEFT JOIN audit_chain c ON c.event_id = r.id
      WHERE r.resource_type = 'AuditEvent' AND c.event_id IS NULL LIMIT 1`,
  );
  if (orphan.rows[0]) {
    return {
      ok: false,
      checked,
      problem: {
        seq: expectedSeq,
        eventId: orphan.rows[0].id,
        reason: 'an AuditEvent exists outside the chain',
      },
    };
  }
  return { ok: true, checked };
}
