import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/index.ts';
import type { RequestContext } from '../fhir/request-context.ts';
import { FhirStore } from '../fhir/store.ts';
import { forbidden, isOutcomeError, notFound } from '../fhir/outcomes.ts';
import { runExport, type ExportProgress, type ExportSink } from './export.ts';
import type { ExportRequest } from './export-request.ts';

/**
 * Export jobs: the kick-off records a job (who asked, under which access, what), a runner in the
 * server works through the jobs one at a time (so an export's cost stays one page of memory and
 * one connection's work however many are asked for), its NDJSON is kept in the module's tables
 * a page per row, and the whole job goes when it expires or is cancelled.
 */

export type JobStatus = 'in-progress' | 'complete' | 'error';

export interface ExportJob {
  id: string;
  ownerId: string;
  context: RequestContext;
  request: ExportRequest;
  requestUrl: string;
  status: JobStatus;
  progress: string;
  error: string | null;
  transactionTime: string;
  completedAt: string | null;
  expiresAt: string | null;
  updatedAt: string;
}

export interface ExportFile {
  fileNo: number;
  type: string;
  count: number;
}

/** How long finished output is kept for its client to fetch. */
export const EXPORT_KEPT_HOURS = 24;
/** A file is split past this many records, so each stays a size a client can fetch and retry. */
export const RECORDS_PER_FILE = 100_000;

interface JobRow {
  id: string;
  owner_id: string;
  context: RequestContext;
  request: ExportRequest;
  request_url: string;
  status: JobStatus;
  progress: string;
  error: string | null;
  transaction_time: Date | string;
  completed_at: Date | string | null;
  expires_at: Date | string | null;
  updated_at: Date | string;
}

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());

function jobOf(row: JobRow): ExportJob {
  return {
    id: row.id,
    ownerId: row.owner_id,
    context: row.context,
    request: row.request,
    requestUrl: row.request_url,
    status: row.status,
    progress: row.progress,
    error: row.error,
    transactionTime: iso(row.transaction_time) ?? '',
    completedAt: iso(row.completed_at),
    expiresAt: iso(row.expires_at),
    updatedAt: iso(row.updated_at) ?? '',
  };
}

/** Records a new job, not yet started. */
export async function createExportJob(
  db: Queryable,
  ctx: RequestContext,
  request: ExportRequest,
  requestUrl: string,
): Promise<ExportJob> {
  const id = randomUUID();
  const rows = await db.query<JobRow>(
    `INSERT INTO bulk_export_job (id, owner_id, context, request, request_url, status, progress, transaction_time)
     VALUES ($1, $2, $3, $4, $5, 'in-progress', 'queued', now()) RETURNING *`,
    [id, ctx.userId, JSON.stringify(ctx), JSON.stringify(request), requestUrl],
  );
  return jobOf(rows.rows[0] as JobRow);
}

/** A job as its owner sees it: 404 when there is none (or it expired), 403 for anyone else's. */
export async function ownJob(db: Queryable, ctx: RequestContext, id: string): Promise<ExportJob> {
  const rows = await db.query<JobRow>(
    `SELECT * FROM bulk_export_job WHERE id = $1 AND (expires_at IS NULL OR expires_at > now())`,
    [id],
  );
  const row = rows.rows[0];
  if (!row) throw notFound(`No export job '${id}' (it may have expired or been cancelled)`);
  if (row.owner_id !== ctx.userId) throw forbidden('This export belongs to another client');
  return jobOf(row);
}

export async function jobFiles(db: Queryable, jobId: string): Promise<ExportFile[]> {
  const rows = await db.query<{ file_no: number; resource_type: string; resource_count: number }>(
    `SELECT file_no, resource_type, resource_count FROM bulk_export_file WHERE job_id = $1 ORDER BY file_no`,
    [jobId],
  );
  return rows.rows.map((r) => ({ fileNo: r.file_no, type: r.resource_type, count: r.resource_count }));
}

/** A file's NDJSON, a piece (one page of records) at a time. */
export async function* filePieces(db: Queryable, jobId: string, fileNo: number): AsyncGenerator<string> {
  for (let piece = 0; ; piece += 1) {
    const rows = await db.query<{ ndjson: string }>(
      `SELECT ndjson FROM bulk_export_piece WHERE job_id = $1 AND file_no = $2 AND piece_no = $3`,
      [jobId, fileNo, piece],
    );
    const text = rows.rows[0]?.ndjson;
    if (text === undefined) return;
    yield text;
  }
}

/** Cancels a job (running or not) and deletes its output; the runner stops at its next page. */
export async function deleteExportJob(db: Queryable, jobId: string): Promise<void> {
  await db.query(`DELETE FROM bulk_export_job WHERE id = $1`, [jobId]);
}

/** A running job that has not moved for this long lost its runner (its server stopped). */
export const STALLED_AFTER_MS = 15 * 60_000;

export function hasStalled(job: ExportJob, now = new Date()): boolean {
  return job.status === 'in-progress' && now.getTime() - Date.parse(job.updatedAt) > STALLED_AFTER_MS;
}

/**
 * Deletes every job past its expiry, output and all, and jobs that stalled longer ago than
 * output is kept.
 */
export async function deleteExpiredExports(db: Queryable, now = new Date()): Promise<number> {
  const rows = await db.query(
    `DELETE FROM bulk_export_job WHERE expires_at <= $1
        OR (status = 'in-progress' AND updated_at <= $1::timestamptz - make_interval(hours => $2)) RETURNING id`,
    [now, EXPORT_KEPT_HOURS],
  );
  return rows.rowCount;
}

/** Pages are gathered into pieces of about this size: one durable commit per piece, not per page. */
export const PIECE_BYTES = 4 * 1024 * 1024;

/**
 * Writes pages into the job's files, a piece (several pages, at most about PIECE_BYTES) at a
 * time, each piece in one transaction: a cancelled job (its row gone) writes nothing more.
 */
class JobSink implements ExportSink {
  private current: { type: string; fileNo: number; count: number; pieces: number } | undefined;
  private nextFileNo = 0;
  private held: { type: string; texts: string[]; bytes: number; count: number } | undefined;
  cancelled = false;

  constructor(
    private readonly db: Db,
    private readonly jobId: string,
  ) {}

  async write(type: string, ndjson: string, count: number): Promise<void> {
    if (this.held && (this.held.type !== type || this.held.count + count > RECORDS_PER_FILE))
      await this.flush();
    this.held ??= { type, texts: [], bytes: 0, count: 0 };
    this.held.texts.push(ndjson);
    this.held.bytes += ndjson.length;
    this.held.count += count;
    if (this.held.bytes >= PIECE_BYTES) await this.flush();
  }

  async finish(): Promise<void> {
    await this.flush();
  }

  private async flush(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (!held || this.cancelled) return;
    const { type, count } = held;
    await this.db.transaction(async (tx) => {
      const job = await tx.query(`SELECT 1 FROM bulk_export_job WHERE id = $1 FOR UPDATE`, [this.jobId]);
      if (job.rows.length === 0) {
        this.cancelled = true;
        return;
      }
      if (!this.current || this.current.type !== type || this.current.count + count > RECORDS_PER_FILE) {
        this.current = { type, fileNo: this.nextFileNo, count: 0, pieces: 0 };
        this.nextFileNo += 1;
        await tx.query(`INSERT INTO bulk_export_file (job_id, file_no, resource_type) VALUES ($1, $2, $3)`, [
          this.jobId,
          this.current.fileNo,
          type,
        ]);
      }
      const file = this.current;
      await tx.query(
        `INSERT INTO bulk_export_piece (job_id, file_no, piece_no, ndjson) VALUES ($1, $2, $3, $4)`,
        [this.jobId, file.fileNo, file.pieces, held.texts.join('')],
      );
      await tx.query(
        `UPDATE bulk_export_file SET resource_count = resource_count + $3 WHERE job_id = $1 AND file_no = $2`,
        [this.jobId, file.fileNo, count],
      );
      file.pieces += 1;
      file.count += count;
    });
  }
}

export function progressText(p: ExportProgress): string {
  const pct = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 100;
  return `${pct}% (${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} records; writing ${p.type})`;
}

/** Runs one job to its end: complete with its files, or error with the reason. */
async function runJob(db: Db, job: ExportJob, stopped: () => boolean): Promise<void> {
  const store = new FhirStore(db, job.context);
  const sink = new JobSink(db, job.id);
  const finish = async (status: JobStatus, error: string | null, progress: string): Promise<void> => {
    await db.query(
      `UPDATE bulk_export_job SET status = $2, error = $3, progress = $4, completed_at = now(), updated_at = now(),
         expires_at = now() + make_interval(hours => $5) WHERE id = $1`,
      [job.id, status, error, progress, EXPORT_KEPT_HOURS],
    );
  };
  try {
    if (stopped()) {
      await finish('error', 'The server stopped before the export began; kick it off again', 'stopped');
      return;
    }
    await db.query(`UPDATE bulk_export_job SET progress = $2, updated_at = now() WHERE id = $1`, [
      job.id,
      'counting records',
    ]);
    let lastProgress = performance.now();
    const summary = await runExport(store, job.request, sink, {
      stopped: () => sink.cancelled || stopped(),
      // At most once a second: each update is a commit, and pollers need no finer news.
      onProgress: async (p) => {
        if (performance.now() - lastProgress < 1000) return;
        lastProgress = performance.now();
        await db.query(`UPDATE bulk_export_job SET progress = $2, updated_at = now() WHERE id = $1`, [
          job.id,
          progressText(p),
        ]);
      },
    });
    if (sink.cancelled) return;
    if (stopped()) {
      await finish('error', 'The server stopped before the export finished; kick it off again', 'stopped');
      return;
    }
    await finish('complete', null, `100% (${summary.total.toLocaleString('en-US')} records)`);
  } catch (err) {
    const message = isOutcomeError(err) || err instanceof Error ? err.message : String(err);
    if (!isOutcomeError(err)) console.error(err);
    await finish('error', message, 'failed').catch(() => undefined);
  }
}

/**
 * The server's export runner: jobs run one after another in the order asked. `settled(id)` is
 * when a job has finished (tests and the CLI wait on it rather than on the clock); `stop()`
 * ends the running job at its next page and waits for it.
 */
export class ExportRunner {
  private queue: Promise<void> = Promise.resolve();
  private readonly pending = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(private readonly db: Db) {}

  start(job: ExportJob): void {
    const run = this.queue.then(() => runJob(this.db, job, () => this.stopping));
    this.queue = run;
    this.pending.set(job.id, run);
    void run.finally(() => this.pending.delete(job.id));
  }

  async settled(jobId: string): Promise<void> {
    await this.pending.get(jobId);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.queue;
  }
}
