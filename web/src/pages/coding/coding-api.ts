import type * as Coding from '../../../../src/coding/index.ts';
import { get, post, request } from '../../api.ts';

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

export function fetchWorklist(limit = 200): Promise<{ total: number; items: Coding.WorklistItem[] }> {
  return get(`/coding/worklist?limit=${limit}`);
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
