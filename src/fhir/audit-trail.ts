import { hash } from 'node:crypto';
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
  return linkHash(prevHash, seq, canonicalJson(recorded));
}

/** A link's hash: its predecessor's, its place and the event's canonical text. */
function linkHash(prevHash: string, seq: number, canonicalText: string): string {
  return hash('sha256', `${prevHash}\n${seq}\n${canonicalText}`);
}

/** The chain's last link: where the next event's hash starts. */
interface ChainHead {
  seq: number;
  hash: string;
}

/** Events built and chained after a head, ready to record: one inbox row each. */
interface Chained {
  events: AuditEvent[];
  /** The chain's head after them. */
  head: ChainHead;
  recorded: string;
  rows: Array<{ seq: number; id: string; patients: string[]; prev: string; hash: string; document: string }>;
}

/**
 * Builds the events of `entries` chained after `head`. Each is recorded as one row of the audit
 * inbox, its link of the chain and its document (fileAuditEvents later moves the link into
 * `audit_chain` and the document into the store with its index rows, many at a time): the
 * statement every answered read waits for writes one small row.
 */
function chainAfter(recordedEntries: AuditEntry[], head: ChainHead): Chained {
  const entries = recordedEntries.flatMap(inBoundedParts);
  let { seq, hash: prev } = head;
  const recorded = new Date().toISOString();
  const events = entries.map((e) => toAuditEvent(newId(), e, recorded)) as Array<AuditEvent & { id: string }>;
  // The chain hashes the event as recorded, before the store's meta is added. toAuditEvent writes
  // its keys in sorted order, so its JSON text is canonicalJson's (what chainHash and the verifier
  // hash) without a second, sorting, serialisation on the path of every read.
  const rows = events.map((event, i) => {
    seq += 1;
    const text = JSON.stringify(event);
    const link = linkHash(prev, seq, text);
    const row = { seq, id: event.id, patients: entries[i]?.patientIds ?? [], prev, hash: link };
    prev = link;
    event.meta = { versionId: '1', lastUpdated: recorded };
    return { ...row, document: `{"meta":${JSON.stringify(event.meta)},${text.slice(1)}` };
  });
  return { events, head: { seq, hash: prev }, recorded, rows };
}

const INBOX_COLUMNS = 'seq, event_id, patient_ids, recorded, prev_hash, hash, content';

/**
 * The inbox rows of chained events as a SELECT, and its parameters. One event (a lone read's
 * record, the common case) binds its values directly, which PGlite runs in about half the time
 * of the arrays a group of events needs.
 */
function inboxRows(chained: Chained): { sql: string; params: unknown[] } {
  const { rows, recorded } = chained;
  const [one] = rows;
  if (rows.length === 1 && one)
    return {
      sql: `SELECT $1::bigint, $2::text, $3::text[], $4::timestamptz, $5::text, $6::text, $7::text`,
      params: [one.seq, one.id, one.patients, recorded, one.prev, one.hash, one.document],
    };
  return {
    sql: `SELECT s, i, ARRAY(SELECT jsonb_array_elements_text(p::jsonb)), $4::timestamptz, ph, h, c
            FROM unnest($1::bigint[], $2::text[], $3::text[], $5::text[], $6::text[], $7::text[]) AS x(s, i, p, ph, h, c)`,
    params: inboxColumns(chained),
  };
}

/** The inbox rows' columns as arrays (each row's patient ids as a JSON array), recorded alone. */
function inboxColumns({ rows, recorded }: Chained): unknown[] {
  return [
    rows.map((r) => r.seq),
    rows.map((r) => r.id),
    rows.map((r) => JSON.stringify(r.patients)),
    recorded,
    rows.map((r) => r.prev),
    rows.map((r) => r.hash),
    rows.map((r) => r.document),
  ];
}

/** Records chained events whose head was read under the chain lock (lockedHead). */
async function insertLinks(tx: Queryable, chained: Chained): Promise<void> {
  const rows = inboxRows(chained);
  await tx.query(`INSERT INTO audit_inbox (${INBOX_COLUMNS}) ${rows.sql}`, rows.params, {
    keep: true,
  });
}

/**
 * Records chained events after a head remembered, not read under the chain lock, in one
 * statement that writes only when `head` is still the chain's last link; answers whether it
 * wrote. On a PostgreSQL server `custodian_audit_record_after` (migration 0105) takes the chain
 * lock and checks under it (other connections append and file meanwhile). PGlite has one
 * connection whose statements never overlap, so the checks go in the insert itself, which saves
 * a function call on the path every answered read waits for. There the remembered head is always
 * one this process wrote and saw committed (readHeads), in a folder no other process opens, and
 * a link never leaves both tables (the chain refuses deletes, the inbox gives up only links
 * filed): the head is still there, so only the place after it is checked, in both tables.
 */
async function insertLinksAfter(db: Db, chained: Chained, head: ChainHead): Promise<boolean> {
  if (db.dialect === 'pglite') {
    const rows = inboxRows(chained);
    const after = `$${rows.params.push(head.seq)}`;
    const res = await db.query(
      `INSERT INTO audit_inbox (${INBOX_COLUMNS}) ${rows.sql}
        WHERE NOT EXISTS (SELECT 1 FROM audit_inbox WHERE seq = ${after}::bigint + 1)
          AND NOT EXISTS (SELECT 1 FROM audit_chain WHERE seq = ${after}::bigint + 1)`,
      rows.params,
      { keep: true },
    );
    return res.rowCount > 0;
  }
  const res = await db.query<{ written: boolean }>(
    `SELECT custodian_audit_record_after($1, $2, $3, $4::bigint[], $5::text[], $6::text[], $7::timestamptz,
                                         $8::text[], $9::text[], $10::text[]) AS written`,
    [head.seq, head.hash, CHAIN_LOCK, ...inboxColumns(chained)],
    { keep: true },
  );
  return res.rows[0]?.written === true;
}

/** How many inbox documents one filing statement moves: a read arriving meanwhile waits for it. */
const FILING_BATCH = 250;

/**
 * Moves the audit inbox's documents into the store (fhir_resource and its search index rows), the
 * oldest first, a batch per transaction, until none wait; answers how many it filed. Anything that
 * reads AuditEvents from the store files first (flushAudit). A filer on another connection (the
 * server's, another server's) that holds rows is waited for, not skipped: when this returns, every
 * document recorded before it began is in the store, and each is filed once. `options` are the
 * background filer's: `filed(n)` after each batch, `emptied()` when the inbox is found empty, and
 * `yieldNow()`, asked between batches, to stop early for reads that arrived meanwhile (the rest
 * wait for its next round).
 */
export async function fileAuditEvents(
  db: Db,
  options: { filed?: (n: number) => void; emptied?: () => void; yieldNow?: () => boolean } = {},
): Promise<number> {
  let filed = 0;
  let lastFiled = 0;
  // An empty inbox (an idle server's every round) costs one read, not a transaction.
  // By the primary key: the inbox keeps its emptied pages (0106), which a plain scan would walk.
  const any = await db.query('SELECT 1 FROM audit_inbox ORDER BY seq LIMIT 1', [], {
    keep: true,
  });
  if (any.rows.length === 0) {
    options.emptied?.();
    return 0;
  }
  for (;;) {
    const moved = await db.transaction(async (tx) => {
      const waiting = await tx.query<{ seq: string; content: string }>(
        'SELECT seq, content FROM audit_inbox ORDER BY seq LIMIT $1 FOR UPDATE',
        [FILING_BATCH],
        { keep: true },
      );
      const seqs = waiting.rows.map((r) => r.seq);
      // The links first: the inbox gives up a row only once its link is in the chain (0105). A
      // document recorded before migration 0105 has no link in the inbox: its chain row exists.
      await tx.query(
        `INSERT INTO audit_chain (seq, event_id, patient_ids, recorded, prev_hash, hash)
         SELECT seq, event_id, patient_ids, recorded, prev_hash, hash FROM audit_inbox
          WHERE seq = ANY($1::bigint[]) AND hash IS NOT NULL`,
        [seqs],
        { keep: true },
      );
      await insertFirstVersions(
        tx,
        waiting.rows.map(
          (r) => JSON.parse(r.content) as AuditEvent & { id: string; meta: { lastUpdated: string } },
        ),
        (params) => [
          `del_audit_inbox AS (DELETE FROM audit_inbox WHERE seq = ANY($${params.push(seqs)}::bigint[]))`,
        ],
      );
      return seqs;
    });
    filed += moved.length;
    options.filed?.(moved.length);
    // Rows another filer moved while this one waited for them drop out of a batch: only an
    // empty batch says the inbox is empty.
    if (moved.length === 0) {
      options.emptied?.();
      break;
    }
    lastFiled = Number(moved[moved.length - 1]);
    if (options.yieldNow?.()) break;
  }
  noteWrites(db, new Array<string>(filed).fill('AuditEvent'));
  await tendInbox(db, filed, lastFiled);
  return filed;
}

/** Per embedded database: documents filed since the inbox was last vacuumed; chain length at the audit tables' last ANALYZE. */
const inboxCare = new WeakMap<Db, { sinceVacuum: number; linksAtAnalyze: number | undefined }>();
const VACUUM_INBOX_AFTER = 1000;
const ANALYZE_LINKS_AFTER = 500;

/**
 * PGlite runs neither autovacuum nor autoanalyze, so the filer does both for the audit tables.
 * Filing leaves a dead row in the inbox for every document it moved: vacuumed every 1,000, so
 * its pages are reused (migration 0106 keeps them: a file cut to nothing was planned as an
 * empty table, and the read's probes scanned it). And the chain's probes on the path of
 * every answered read (is the remembered head still the last link?) are planned from the tables'
 * statistics: analysed while the chain was empty (a new store) they scan the whole chain, and
 * every read grew slower as the trail grew. The audit tables are analysed each time the chain has
 * grown by half (at least 500 links), which replans those statements.
 */
async function tendInbox(db: Db, filed: number, lastFiled: number): Promise<void> {
  if (db.dialect !== 'pglite' || filed === 0) return;
  const care = inboxCare.get(db) ?? { sinceVacuum: 0, linksAtAnalyze: undefined };
  inboxCare.set(db, care);
  care.sinceVacuum += filed;
  if (care.sinceVacuum >= VACUUM_INBOX_AFTER) {
    care.sinceVacuum = 0;
    await db.query('VACUUM audit_inbox');
  }
  // Filing goes oldest first and PGlite has no other filer: the last seq filed is the chain's length.
  care.linksAtAnalyze ??= lastFiled - filed;
  if (lastFiled - care.linksAtAnalyze >= Math.max(ANALYZE_LINKS_AFTER, care.linksAtAnalyze / 2)) {
    care.linksAtAnalyze = lastFiled;
    await db.query('ANALYZE audit_chain, audit_inbox');
  }
}

/** When the background filer yields to reads (startAuditFiler). */
export interface FilerPacing {
  /** Every this often it considers a round (default 200 ms). */
  intervalMs?: number;
  /** A read recorded this recently makes the server busy: the round waits (default 100 ms). */
  quietMs?: number;
  /** ... unless this many reads wait to be filed (default 2,500, ten filing batches) ... */
  maxWaiting?: number;
  /** ... or the oldest of them has waited this long (default 5 s). */
  maxDelayMs?: number;
}

/**
 * Files the audit inbox in the background; rounds never overlap. Filing is bookkeeping (every
 * read is on record in the inbox already), so it waits for a quiet moment: while reads keep
 * arriving, a round runs only once enough of them wait or the oldest has waited long enough. A
 * burst of reads is then answered without the filing's statements beside them (on a server, its
 * CPU shared the two cores with every read), and the inbox stays bounded under steady load.
 * Whatever reads AuditEvents files first (flushAudit), so nothing recorded is ever missing.
 */
export function startAuditFiler(
  db: Db,
  options: FilerPacing & { onError?: (err: unknown) => void } = {},
): { stop(): Promise<void> } {
  const { quietMs = 100, maxWaiting = 2500, maxDelayMs = 5000 } = options;
  const q = queueOf(db);
  const mayWait = (): boolean => {
    const now = performance.now();
    return now - q.lastRecordedAt < quietMs && q.unfiled < maxWaiting && now - q.firstUnfiledAt < maxDelayMs;
  };
  // Counted down as batches are filed, and to none when the inbox is found empty (whoever filed
  // them: a flush before an AuditEvent search files too). The oldest waiting read's time is kept
  // until none wait: the ones left may be younger, so the filer files sooner, never later.
  const emptied = (): void => {
    q.unfiled = 0;
    q.firstUnfiledAt = Infinity;
  };
  const filed = (n: number): void => {
    q.unfiled = Math.max(0, q.unfiled - n);
    if (q.unfiled === 0) emptied();
  };
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running || mayWait()) return;
    running = fileAuditEvents(db, { filed, emptied, yieldNow: mayWait })
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
    // Each table's last link by its key: the audit_links view's was planned as a scan of the
    // inbox, which filing keeps full of dead rows between autovacuums.
    `SELECT seq, hash FROM ((SELECT seq, hash FROM audit_inbox WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1)
                            UNION ALL (SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1)) AS last
      ORDER BY seq DESC LIMIT 1`,
    [],
    { keep: true },
  );
  return { seq: Number(last.rows[0]?.seq ?? 0), hash: last.rows[0]?.hash ?? GENESIS_HASH };
}

/**
 * Appends AuditEvents inside the caller's transaction: they commit or roll back with the change
 * they record. The chain lock serialises appenders so each event hashes its predecessor.
 */
export async function appendAudit(tx: Queryable, entries: AuditEntry[]): Promise<AuditEvent[]> {
  if (entries.length === 0) return [];
  const chained = chainAfter(entries, await lockedHead(tx));
  await insertLinks(tx, chained);
  return chained.events;
}

/**
 * The head the last group commit of reads left, per database. A group commit of reads chains
 * after it in ONE statement that takes the chain lock itself (insertLinksAfter), instead of a
 * transaction of five round trips (begin, lock, last link, insert, commit) on the path every
 * answered read waits for; the chain lock is then held only while the row goes in, not while the
 * events are built. Whoever else appends (a change's events in its transaction, another server
 * process on the same PostgreSQL database) moves the chain on without telling this cache; the
 * next group commit then finds the head stale, writes nothing, and takes the locked path.
 */
const readHeads = new WeakMap<Db, ChainHead>();

async function recordReads(db: Db, entries: AuditEntry[]): Promise<void> {
  const cached = readHeads.get(db);
  readHeads.delete(db);
  if (cached) {
    const chained = chainAfter(entries, cached);
    if (await insertLinksAfter(db, chained, cached)) {
      readHeads.set(db, chained.head);
      return;
    }
  }
  const head = await db.transaction(async (tx) => {
    const chained = chainAfter(entries, await lockedHead(tx));
    await insertLinks(tx, chained);
    return chained.head;
  });
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
  /** When the last group commit of reads was written (performance.now()), for the filer's pacing. */
  lastRecordedAt: number;
  /** Reads recorded since the filer's last round, and when the first of them was. */
  unfiled: number;
  firstUnfiledAt: number;
}

const queues = new WeakMap<Db, AuditQueue>();

function queueOf(db: Db): AuditQueue {
  let q = queues.get(db);
  if (!q) {
    q = { pending: [], flushing: undefined, lastRecordedAt: -Infinity, unfiled: 0, firstUnfiledAt: Infinity };
    queues.set(db, q);
  }
  return q;
}

function noteRecorded(q: AuditQueue, reads: number): void {
  q.lastRecordedAt = performance.now();
  if (q.unfiled === 0) q.firstUnfiledAt = q.lastRecordedAt;
  q.unfiled += reads;
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
        noteRecorded(q, batch.length);
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
    `SELECT coalesce(r.content, i.content::jsonb) AS content FROM audit_links c
       LEFT JOIN fhir_resource r ON r.resource_type = 'AuditEvent' AND r.id = c.event_id
       LEFT JOIN audit_inbox i ON i.seq = c.seq
      WHERE c.patient_ids @> ARRAY[$1]::text[] AND coalesce(r.content, i.content::jsonb) IS NOT NULL
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
      `SELECT c.seq, c.event_id, c.prev_hash, c.hash, coalesce(r.content, i.content::jsonb) AS content
         FROM audit_links c LEFT JOIN fhir_resource r ON r.resource_type = 'AuditEvent' AND r.id = c.event_id
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
