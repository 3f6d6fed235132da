import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import { visibleTo } from './access-filter.ts';
import { storedResource } from './exact-json.ts';
import { badRequest } from './outcomes.ts';
import { parseDateValue } from './search/parse-values.ts';
import { SqlParams } from './search/sql-params.ts';
import type { SearchAccess } from './search/types.ts';

/** `_history` at the system, type or instance level, as parsed from its query. */
export interface HistoryRequest {
  type?: string | undefined;
  id?: string | undefined;
  count: number;
  since?: string;
  /** `_at`: versions current at some moment of this period. */
  at?: { low: string; high: string };
  cursor?: HistoryCursor;
  /** The query as it appears in the Bundle's links, without the cursor. */
  linkParams: Array<[string, string]>;
}

/**
 * Where the next page starts: the last entry's (lastUpdated, version, type, id), newest first,
 * and the total counted for the first page (versions written later sort before the cursor, so
 * the pages that follow are the ones that total counted).
 */
interface HistoryCursor {
  stamp: string;
  version: string;
  type: string;
  id: string;
  total: number;
}

export const DEFAULT_HISTORY_COUNT = 100;
const MAX_HISTORY_COUNT = 1000;

/** Parameters a history answers; anything else is refused rather than silently ignored. */
const HISTORY_PARAMS = new Set(['_count', '_since', '_at', '_cursor', '_format']);

export function parseHistory(
  type: string | undefined,
  id: string | undefined,
  query: URLSearchParams,
): HistoryRequest {
  for (const name of new Set(query.keys()))
    if (!HISTORY_PARAMS.has(name))
      throw badRequest(`Unknown history parameter '${name}' (this server takes _count, _since and _at)`);
  for (const name of ['_count', '_since', '_at', '_cursor'])
    if (query.getAll(name).length > 1) throw badRequest(`${name} may be given only once in a history`);
  const request: HistoryRequest = { type, id, count: historyCount(query.get('_count')), linkParams: [] };
  const since = query.get('_since');
  if (since !== null) {
    if (!/^\d{4}-\d{2}-\d{2}T/.test(since) || Number.isNaN(Date.parse(since)))
      throw badRequest(`Invalid _since '${since}': an instant such as 2024-01-31T12:00:00Z`);
    request.since = new Date(since).toISOString();
  }
  const at = query.get('_at');
  if (at !== null) {
    const range = parseDateValue('_at', at);
    if (range.prefix !== 'eq') throw badRequest(`_at takes a date or time without a prefix, not '${at}'`);
    request.at = { low: range.low, high: range.high };
  }
  const cursor = query.get('_cursor');
  if (cursor !== null) request.cursor = decodeHistoryCursor(cursor);
  request.linkParams = [...query.entries()].filter(([k]) => k !== '_cursor' && k !== '_format');
  return request;
}

function historyCount(raw: string | null): number {
  if (raw === null) return DEFAULT_HISTORY_COUNT;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) throw badRequest(`Invalid _count '${raw}' for a history`);
  return Math.min(Number(raw), MAX_HISTORY_COUNT);
}

/** The cursor's time, to the microsecond the database keeps (a JavaScript Date keeps milliseconds). */
const STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function encodeHistoryCursor(c: HistoryCursor): string {
  return Buffer.from(JSON.stringify([c.stamp, c.version, c.type, c.id, c.total]), 'utf8').toString(
    'base64url',
  );
}

function decodeHistoryCursor(text: string): HistoryCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 5) {
      const [stamp, version, type, id, total] = parsed as unknown[];
      if (
        typeof stamp === 'string' &&
        STAMP.test(stamp) &&
        typeof version === 'string' &&
        /^\d{1,15}$/.test(version) &&
        typeof type === 'string' &&
        typeof id === 'string' &&
        typeof total === 'number'
      )
        return { stamp, version, type, id, total };
    }
  } catch {
    // the 400 below
  }
  throw badRequest('Invalid _cursor');
}

interface VersionRow {
  resource_type: string;
  id: string;
  version: string;
  stamp: string;
  last_updated: string | Date;
  deleted: boolean;
  patient_id: string | null;
  content: Resource | null;
  content_text: string | null;
}

/** The conditions of a history: its level, `_since`, `_at`, and the one access filter. */
function historyWhere(request: HistoryRequest, access: SearchAccess, p: SqlParams): string[] {
  const where: string[] = [];
  if (request.type) where.push(`v.resource_type = ${p.add(request.type, 'text')}`);
  if (request.id) where.push(`v.id = ${p.add(request.id, 'text')}`);
  // The audit trail has its own history; the system level leaves it out.
  if (request.type !== 'AuditEvent') where.push(`v.resource_type <> 'AuditEvent'`);
  if (request.since) where.push(`v.last_updated >= ${p.add(request.since, 'timestamptz')}`);
  if (request.at) {
    // Current at some moment of [low, high]: written by its end, and not yet replaced by a
    // later version at its start.
    where.push(`v.last_updated <= ${p.add(request.at.high, 'timestamptz')}`);
    where.push(
      `NOT EXISTS (SELECT 1 FROM fhir_resource_version n WHERE n.resource_type = v.resource_type AND n.id = v.id
         AND n.version_id > v.version_id AND n.last_updated <= ${p.add(request.at.low, 'timestamptz')})`,
    );
  }
  // Every version is judged by the record's current labels and its patient's: a record labelled
  // after it was written must not leak through its earlier versions. Hidden ones are not listed
  // nor counted.
  const filter = visibleTo(access, p, 'r');
  if (filter) where.push(filter);
  return where;
}

const FROM = `FROM fhir_resource_version v JOIN fhir_resource r ON r.resource_type = v.resource_type AND r.id = v.id`;

/**
 * One page of a history, newest first, with `next` while versions remain and the total of
 * versions the caller may see. Answers the patients it shows, for the audit.
 */
export async function historyPage(
  q: Queryable,
  request: HistoryRequest,
  access: SearchAccess,
  baseUrl: string,
): Promise<{ bundle: Bundle; patientIds: string[] }> {
  const p = new SqlParams();
  const where = historyWhere(request, access, p);
  const total = request.cursor?.total ?? (await countVersions(q, request, access));
  if (request.cursor) {
    const c = request.cursor;
    where.push(
      `(v.last_updated, v.version_id, v.resource_type, v.id) < (${p.add(c.stamp, 'timestamptz')}, ` +
        `${p.add(c.version, 'bigint')}, ${p.add(c.type, 'text')}, ${p.add(c.id, 'text')})`,
    );
  }
  const rows = await q.query<VersionRow>(
    `SELECT v.resource_type, v.id, v.version_id::text AS version, to_char(v.last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS stamp,
            v.last_updated, v.deleted, v.patient_id, v.content, v.content_text
       ${FROM}
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY v.last_updated DESC, v.version_id DESC, v.resource_type DESC, v.id DESC
      LIMIT ${p.add(request.count + 1, 'int')}`,
    p.values,
  );
  const page = rows.rows.slice(0, request.count);
  const last = page[page.length - 1];
  const next =
    rows.rows.length > request.count && last
      ? { stamp: last.stamp, version: last.version, type: last.resource_type, id: last.id, total }
      : undefined;
  const link = (cursor?: HistoryCursor): string => {
    const params = new URLSearchParams(request.linkParams);
    if (cursor) params.set('_cursor', encodeHistoryCursor(cursor));
    const path = [request.type, request.id, '_history'].filter(Boolean).join('/');
    const text = params.toString();
    return `${baseUrl}/${path}${text ? `?${text}` : ''}`;
  };
  const links: BundleLink[] = [{ relation: 'self', url: link(request.cursor) }];
  if (next) links.push({ relation: 'next', url: link(next) });
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    total,
    link: links,
    entry: page.map((row) => historyEntry(baseUrl, row)),
  };
  const patientIds = [...new Set(page.map((r) => r.patient_id).filter((x): x is string => !!x))];
  return { bundle, patientIds };
}

async function countVersions(q: Queryable, request: HistoryRequest, access: SearchAccess): Promise<number> {
  const p = new SqlParams();
  const where = historyWhere(request, access, p);
  const res = await q.query<{ n: number | string }>(
    `SELECT count(*)::int AS n ${FROM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
    p.values,
  );
  return Number(res.rows[0]?.n ?? 0);
}

function historyEntry(baseUrl: string, row: VersionRow): BundleEntry {
  const lastModified = new Date(row.last_updated).toISOString();
  const url = `${row.resource_type}/${row.id}`;
  if (row.deleted || !row.content)
    return {
      fullUrl: `${baseUrl}/${url}`,
      request: { method: 'DELETE', url },
      response: { status: '410 Gone', lastModified },
    };
  const first = row.version === '1';
  return {
    fullUrl: `${baseUrl}/${url}`,
    resource: storedResource(row.content_text, row.content),
    request: { method: first ? 'POST' : 'PUT', url: first ? row.resource_type : url },
    response: { status: first ? '201 Created' : '200 OK', etag: `W/"${row.version}"`, lastModified },
  };
}
