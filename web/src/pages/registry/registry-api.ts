import type {
  Abstract,
  AbstractSummary,
  Candidate,
  EditFailure,
  FollowUpWorklist,
  PeriodCounts,
} from '../../../../src/registry/index.ts';
import { ApiError, get, getSession, post, request } from '../../api.ts';

/** The cancer registry screens' calls to the server (src/registry routes). */

export type { Abstract, AbstractSummary, Candidate, EditFailure, FollowUpWorklist, PeriodCounts };

/** One NAACCR item as GET /registry/items describes it (its format as a pattern source or 'date'). */
export interface ItemInfo {
  number: number;
  naaccrId: string;
  label: string;
  level: 'Patient' | 'Tumor';
  section: string;
  format: string;
  codes?: Record<string, string>;
}

export type Values = Record<string, string>;

const casePath = (patient: string, caseId: string, action = ''): string =>
  `/registry/abstracts/${encodeURIComponent(patient.replace(/^Patient\//, ''))}/${encodeURIComponent(caseId)}${action}`;

export const fetchQueue = (): Promise<{ candidates: Candidate[] }> => get('/registry/casefinding');
export const accession = (patient: string, source: string): Promise<Abstract> =>
  post('/registry/casefinding/accession', { patient, source });
export const dismiss = (patient: string, source: string): Promise<unknown> =>
  post('/registry/casefinding/dismiss', { patient, source });
export const fetchAbstracts = (): Promise<{ abstracts: AbstractSummary[] }> => get('/registry/abstracts');
export const fetchItems = (): Promise<{ sections: string[]; items: ItemInfo[] }> => get('/registry/items');
export const fetchAbstract = (patient: string, caseId: string): Promise<Abstract> =>
  get(casePath(patient, caseId));
export const saveAbstract = (patient: string, caseId: string, values: Values): Promise<Abstract> =>
  request('PUT', casePath(patient, caseId), { values });
export const checkEdits = (
  patient: string,
  caseId: string,
  values: Values,
): Promise<{ edits: EditFailure[] }> => post(casePath(patient, caseId, '/edits'), { values });
export const completeAbstract = (patient: string, caseId: string, values: Values): Promise<Abstract> =>
  post(casePath(patient, caseId, '/complete'), { values });
export const fetchFollowUp = (): Promise<FollowUpWorklist> => get('/registry/follow-up');
export const fetchCounts = (from: string, to: string): Promise<PeriodCounts> =>
  get(`/registry/export/counts?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);

/** The period's NAACCR XML document as an object URL to download. */
export async function exportFileUrl(from: string, to: string): Promise<string> {
  const token = getSession()?.token;
  const res = await fetch(`/registry/export?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) throw new ApiError(`The server answered ${res.status} for the export`, res.status);
  return URL.createObjectURL(await res.blob());
}

/** A NAACCR date (YYYYMMDD, YYYYMM, YYYY) as people read it. */
export function showDate(value: string | null | undefined): string {
  if (!value) return '—';
  return [value.slice(0, 4), value.slice(4, 6), value.slice(6, 8)].filter(Boolean).join('-');
}
