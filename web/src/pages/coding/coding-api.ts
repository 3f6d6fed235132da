import type * as Coding from '../../../../src/coding/index.ts';
import type { DocumentReference } from '@medplum/fhirtypes';
import { fhirSearch, get, post, request } from '../../api.ts';

/** The coding screens' calls to the server (code search, validation, worklist, encounter coding). */

// The server's own types, so a screen and the route it calls cannot drift apart. This file uses them
// through the `Coding` namespace, so the list of names is written once.
export type {
  CodeDetail,
  CodeHit,
  CodingRequest,
  Edit,
  EncounterCodingView,
  Override,
  SaveResult,
  WorklistItem,
  WorklistPage,
  WorklistFacets,
  CodingEvent,
  PcsStep,
} from '../../../../src/coding/index.ts';

export type SystemChoice = 'icd10cm' | 'hcpcs' | 'icd10pcs' | '';

export function searchCodes(
  q: string,
  system: SystemChoice,
  limit = 20,
): Promise<{ codes: Coding.CodeHit[] }> {
  const params = new URLSearchParams({ q, limit: String(limit) });
  if (system) params.set('system', system);
  return get(`/coding/codes?${params.toString()}`);
}

export function validateCodes(req: Coding.CodingRequest): Promise<{ edits: Coding.Edit[] }> {
  return post('/coding/validate', req);
}

/**
 * The worklist's filters, sort and page: the route's query parameters, and the same names in the
 * page's own URL (`/app/coding/worklist?dnfbMin=30&payer=...`), which dashboards link to.
 */
export const WORKLIST_PARAMS = [
  'state',
  'class',
  'service',
  'payer',
  'coder',
  'ageMin',
  'ageMax',
  'dnfbMin',
  'dnfbMax',
  'sort',
  'offset',
  'limit',
] as const;
export type WorklistQuery = Partial<Record<(typeof WORKLIST_PARAMS)[number], string>>;

/** The worklist query a URL's search part names (other parameters are ignored). */
export function worklistQueryOf(search: URLSearchParams): WorklistQuery {
  const query: WorklistQuery = {};
  for (const name of WORKLIST_PARAMS) {
    const value = search.get(name);
    if (value) query[name] = value;
  }
  return query;
}

/**
 * One page of the worklist; `facets`: with the filter menus' values too (they do not change from
 * page to page, and the server computes them from whole tallies, so a screen asks once).
 */
export function fetchWorklist(
  query: WorklistQuery,
  options: { facets?: boolean } = {},
): Promise<Coding.WorklistPage> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  if (options.facets) params.set('facets', '1');
  return get(`/coding/worklist?${params.toString()}`);
}

const LAST_QUERY = 'custodian.coding.worklist';

/** The worklist as last filtered, so "save and next" walks the same list. */
export function rememberWorklistQuery(query: WorklistQuery): void {
  sessionStorage.setItem(LAST_QUERY, JSON.stringify(query));
}

export function lastWorklistQuery(): WorklistQuery {
  try {
    return JSON.parse(sessionStorage.getItem(LAST_QUERY) ?? '{}') as WorklistQuery;
  } catch {
    return {};
  }
}

/**
 * The case after this one in the last worklist (the first other case of its page when it is no
 * longer listed). Reads the page it was opened from and one row more, not the whole list: every
 * row read is a patient named in the audit trail.
 */
export async function nextCase(encounterId: string): Promise<string | undefined> {
  const { limit, ...query } = lastWorklistQuery();
  const list = await fetchWorklist({ ...query, limit: String(Math.min(Number(limit || '50') + 1, 1000)) });
  const at = list.items.findIndex((i) => i.encounterId === encounterId);
  const rest = at >= 0 ? list.items.slice(at + 1) : list.items;
  return rest.find((i) => i.encounterId !== encounterId)?.encounterId;
}

/** Claims a case (no coder), assigns it (a user name) or releases it (null). */
export function assignCase(id: string, coder?: string | null): Promise<{ assignee: string | null }> {
  return post(`/coding/encounters/${encodeURIComponent(id)}/assign`, coder === undefined ? {} : { coder });
}

export function reopenCase(id: string, reason: string): Promise<{ state: 'coded' }> {
  return post(`/coding/encounters/${encodeURIComponent(id)}/reopen`, { reason });
}

/** The chart's documents of the encounter (notes, reports), newest first. */
export async function encounterDocuments(id: string): Promise<DocumentReference[]> {
  const bundle = await fhirSearch<DocumentReference>('DocumentReference', {
    encounter: `Encounter/${id}`,
    _sort: '-date',
    _count: '50',
  });
  return (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
}

export function fetchEncounterCoding(id: string): Promise<Coding.EncounterCodingView> {
  return get(`/coding/encounters/${encodeURIComponent(id)}`);
}

export interface CodesBody {
  diagnoses: Array<{ code: string; principal: boolean; poa?: string | undefined }>;
  procedures: Array<{ code: string; date?: string | undefined }>;
}

export function saveCodes(id: string, body: CodesBody): Promise<Coding.SaveResult> {
  return request('PUT', `/coding/encounters/${encodeURIComponent(id)}/codes`, body);
}

export function finalizeCoding(id: string, overrides: Coding.Override[]): Promise<{ state: 'final' }> {
  return post(`/coding/encounters/${encodeURIComponent(id)}/finalize`, { overrides });
}

/** The ICD-10-PCS builder's next axis after `prefix` (the values that lead to valid codes). */
export function pcsStep(prefix: string): Promise<Coding.PcsStep> {
  return get(`/coding/pcs/builder?prefix=${encodeURIComponent(prefix)}`);
}

/** One code with its notes, the levels above it and the codes below it. */
export function lookupCode(system: string, code: string, fy?: string): Promise<Coding.CodeDetail> {
  const params = fy ? `?fy=${encodeURIComponent(fy)}` : '';
  return get(`/coding/codes/${encodeURIComponent(system)}/${encodeURIComponent(code)}${params}`);
}
