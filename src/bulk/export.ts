import type { Group } from '@medplum/fhirtypes';
import { stringifyExact } from '../fhir/exact-json.ts';
import { flushAudit } from '../fhir/audit-trail.ts';
import { isOutcomeError } from '../fhir/outcomes.ts';
import { countRecords, storedTypes, streamRecords, type RecordScope } from '../fhir/record-stream.ts';
import type { FhirStore } from '../fhir/store.ts';
import type { ExportRequest } from './export-request.ts';

/**
 * Bulk Data export (FHIR Bulk Data Access IG 2.0): the records a request asks for, type by type,
 * written to a sink as NDJSON a page at a time. The HTTP job (export-jobs.ts) and `custodian
 * export` share it; the store decides, page by page, what the caller may see.
 */

/** Where the NDJSON goes: called once per page, in order, each line ending with a newline. */
export interface ExportSink {
  write(type: string, ndjson: string, count: number): Promise<void>;
  /** After the last page: write out anything held back. */
  finish?(): Promise<void>;
}

export interface ExportProgress {
  /** The type being written now. */
  type: string;
  done: number;
  total: number;
}

export interface ExportSummary {
  types: Array<{ type: string; count: number }>;
  total: number;
}

export interface ExportOptions {
  onProgress?: (progress: ExportProgress) => void | Promise<void>;
  pageSize?: number;
  /** Asked between pages: true stops the export (a cancelled job, a server shutting down). */
  stopped?: () => boolean;
}

/**
 * What the kick-off checks before a job is queued, so a bad request is answered at once and
 * never becomes a failed job: the Group is readable, each `_type` may be searched, and each
 * `_typeFilter` is a valid search of its type. The job checks them again as it runs.
 */
export async function checkExportRequest(store: FhirStore, request: ExportRequest): Promise<void> {
  if (request.level === 'group') await store.read('Group', request.groupId ?? '');
  for (const type of request.types ?? []) store.assertMay(type, 'search');
  for (const [type, queries] of Object.entries(request.typeFilters))
    await countRecords(store, type, { filters: queries, patients: [] });
}

/** Types never exported unless asked for by name: the audit trail is not a chart. */
const NOT_BY_DEFAULT = new Set(['AuditEvent']);

/** Runs an export into `sink`; the count per type written. */
export async function runExport(
  store: FhirStore,
  request: ExportRequest,
  sink: ExportSink,
  options: ExportOptions = {},
): Promise<ExportSummary> {
  const patients = await patientsOf(store, request);
  const types = await typesOf(store, request);
  const plan: Array<{ type: string; scope: RecordScope; count: number }> = [];
  for (const type of types) {
    const scope: RecordScope = {
      ...(patients ? { patients } : {}),
      ...(request.since ? { since: request.since } : {}),
      ...(request.typeFilters[type] ? { filters: request.typeFilters[type] } : {}),
    };
    plan.push({ type, scope, count: await countRecords(store, type, scope) });
  }
  const total = plan.reduce((n, p) => n + p.count, 0);
  const summary: ExportSummary = { types: [], total: 0 };
  for (const { type, scope, count } of plan) {
    if (count === 0) continue;
    let written = 0;
    for await (const page of streamRecords(store, type, scope, options.pageSize)) {
      if (options.stopped?.()) return summary;
      await sink.write(type, page.map((r) => `${stringifyExact(r)}\n`).join(''), page.length);
      written += page.length;
      summary.total += page.length;
      await options.onProgress?.({ type, done: summary.total, total: Math.max(total, summary.total) });
    }
    if (written > 0) summary.types.push({ type, count: written });
  }
  await sink.finish?.();
  return summary;
}

/**
 * The patients a patient-level export covers: every patient ('any'), a Group's members (read
 * through the store, so a Group the caller may not see is refused), or none (a system export).
 */
async function patientsOf(
  store: FhirStore,
  request: ExportRequest,
): Promise<RecordScope['patients'] | undefined> {
  if (request.level === 'system') return undefined;
  if (request.level === 'patient') return 'any';
  const group = (await store.read('Group', request.groupId ?? '')) as Group;
  return (group.member ?? [])
    .filter((m) => m.inactive !== true)
    .map((m) => /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(m.entity.reference ?? '')?.[1])
    .filter((id): id is string => id !== undefined);
}

/**
 * The types to export: those named in `_type`, each of which the caller must be allowed to
 * search (403 otherwise); or every type the store holds that the caller may search, the others
 * left out as `$everything` leaves them.
 */
async function typesOf(store: FhirStore, request: ExportRequest): Promise<string[]> {
  if (request.types) {
    for (const type of request.types) store.assertMay(type, 'search');
    // The audit trail's documents waiting in its inbox are filed first, so the export holds them.
    if (request.types.includes('AuditEvent')) await flushAudit(store.db);
    return request.types;
  }
  const out: string[] = [];
  for (const type of await storedTypes(store)) {
    if (NOT_BY_DEFAULT.has(type)) continue;
    try {
      store.assertMay(type, 'search');
      out.push(type);
    } catch (err) {
      if (!isOutcomeError(err) || err.status !== 403) throw err;
    }
  }
  return out;
}
