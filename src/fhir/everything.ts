import type { BundleLink, Parameters } from '@medplum/fhirtypes';
import type { ChartKey } from './compartment.ts';
import { badRequest } from './outcomes.ts';

/**
 * `Patient/$everything` paging: `_count` records a page, `_cursor` where the next one starts.
 * Without `_count` the whole chart is one page (the chart viewer groups it in the browser).
 */
export interface EverythingRequest {
  count: number | undefined;
  after?: SectionedKey;
}

/** A chart record with its place: 0 the patient, 1 its own records, 2 what they refer to. */
export interface SectionedKey extends ChartKey {
  section: number;
}

const MAX_EVERYTHING_COUNT = 1000;
const EVERYTHING_PARAMS = new Set(['_count', '_cursor', '_format']);

export function parseEverything(query: URLSearchParams): EverythingRequest {
  for (const name of new Set(query.keys()))
    if (!EVERYTHING_PARAMS.has(name))
      throw badRequest(`Patient/$everything does not take '${name}' (this server takes _count)`);
  const raw = query.get('_count');
  if (raw !== null && (!/^\d{1,6}$/.test(raw) || Number(raw) < 1))
    throw badRequest(`Invalid _count '${raw}' for Patient/$everything`);
  const count = raw === null ? undefined : Math.min(Number(raw), MAX_EVERYTHING_COUNT);
  const cursor = query.get('_cursor');
  return { count, ...(cursor !== null ? { after: decodeChartCursor(cursor) } : {}) };
}

/** `$everything` POSTed with a Parameters body: its `_count` as the query would carry it. */
export function everythingQuery(query: URLSearchParams, body: unknown): URLSearchParams {
  const params = body as Parameters | undefined;
  if (params?.resourceType !== 'Parameters') return query;
  const merged = new URLSearchParams(query);
  for (const p of params.parameter ?? []) {
    const value = p.valueInteger ?? p.valueUnsignedInt ?? p.valuePositiveInt ?? p.valueString;
    if (p.name && value !== undefined) merged.set(p.name, String(value));
  }
  return merged;
}

const compare = (a: SectionedKey, b: SectionedKey): number =>
  a.section - b.section ||
  (a.type < b.type ? -1 : a.type > b.type ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * One page of the chart's keys after the cursor, in a fixed order (sorted here, so the cursor
 * compares the way the list is ordered whatever the database's collation), and the next cursor.
 */
export function chartPage(
  keys: SectionedKey[],
  request: EverythingRequest,
): { page: SectionedKey[]; next?: SectionedKey } {
  const sorted = [...keys].sort(compare);
  const { after } = request;
  const start = after ? sorted.findIndex((k) => compare(k, after) > 0) : 0;
  if (start < 0) return { page: [] };
  const count = request.count ?? sorted.length;
  const page = sorted.slice(start, start + count);
  const last = page[page.length - 1];
  return start + count < sorted.length && last ? { page, next: last } : { page };
}

export function chartLinks(
  url: string,
  request: EverythingRequest,
  next: SectionedKey | undefined,
): BundleLink[] {
  const link = (cursor?: SectionedKey): string => {
    const params = new URLSearchParams(request.count ? { _count: String(request.count) } : {});
    if (cursor) params.set('_cursor', encodeChartCursor(cursor));
    const query = params.toString();
    return query ? `${url}?${query}` : url;
  };
  const links: BundleLink[] = [{ relation: 'self', url: link(request.after) }];
  if (next) links.push({ relation: 'next', url: link(next) });
  return links;
}

function encodeChartCursor(k: SectionedKey): string {
  return Buffer.from(JSON.stringify([k.section, k.type, k.id]), 'utf8').toString('base64url');
}

function decodeChartCursor(text: string): SectionedKey {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 3) {
      const [section, type, id] = parsed as unknown[];
      if (typeof section === 'number' && typeof type === 'string' && typeof id === 'string')
        return { section, type, id };
    }
  } catch {
    // the 400 below
  }
  throw badRequest('Invalid _cursor');
}
