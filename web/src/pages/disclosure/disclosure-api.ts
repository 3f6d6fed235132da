import type { Consent } from '@medplum/fhirtypes';
import type { Accounting } from '../../../../src/disclosure/accounting.ts';
import type { ReleasePreview, ReleaseResult } from '../../../../src/disclosure/release.ts';
import type { ReleaseRequest } from '../../../../src/disclosure/requests.ts';
import { ApiError, get, getSession, post } from '../../api.ts';

/** The release of information screens' calls to the server (src/disclosure routes). */

export type { Accounting, ReleasePreview, ReleaseRequest, ReleaseResult };

export interface NewRequestBody {
  patient: string;
  requesterType: string;
  requesterName?: string;
  recipient: string;
  recipientAddress?: string;
  purpose: string;
  received: string;
  from?: string;
  to?: string;
  delivery: string[];
}

export interface Selection {
  from?: string;
  to?: string;
  types?: string[];
  delivery?: string[];
}

const path = (id: string, action = ''): string => `/disclosure/requests/${encodeURIComponent(id)}${action}`;

/** The queue's filters, as the page's URL and the list API both name them. */
export interface QueueFilters {
  status: string;
  /** Month received (YYYY-MM). */
  received?: string;
  /** Month released (YYYY-MM). */
  released?: string;
  late?: boolean;
}

/** The filters as a query string (without the `?`), empty ones left out. */
export function queueQuery(f: QueueFilters): string {
  const q = new URLSearchParams({ status: f.status });
  if (f.received) q.set('received', f.received);
  if (f.released) q.set('released', f.released);
  if (f.late) q.set('late', 'true');
  return q.toString();
}

export const fetchQueue = (filters: QueueFilters): Promise<{ total: number; requests: ReleaseRequest[] }> =>
  get(`/disclosure/requests?${queueQuery(filters)}`);
export const fetchRequest = (id: string): Promise<ReleaseRequest> => get(path(id));
export const logRequest = (body: NewRequestBody): Promise<ReleaseRequest> =>
  post('/disclosure/requests', body);
export const attachAuthorization = (id: string, consent: Consent): Promise<ReleaseRequest> =>
  post(path(id, '/authorization'), consent);
export const saveSelection = (id: string, selection: Selection): Promise<ReleaseRequest> =>
  post(path(id, '/review'), selection);
export const extendRequest = (id: string, notice: string): Promise<ReleaseRequest> =>
  post(path(id, '/extend'), { notice });
export const denyRequest = (id: string, reason: string): Promise<ReleaseRequest> =>
  post(path(id, '/deny'), { reason });
export const closeRequest = (id: string, reason: string): Promise<ReleaseRequest> =>
  post(path(id, '/close'), reason ? { reason } : {});
export const fetchPreview = (id: string): Promise<ReleasePreview> => get(path(id, '/preview'));
export const releaseNow = (id: string): Promise<ReleaseResult> => post(path(id, '/release'));
export const fetchAccounting = (patientId: string): Promise<Accounting> =>
  get(`/disclosure/accounting?patient=${encodeURIComponent(patientId)}`);

/** A file the server makes (packet PDF, accounting PDF or CSV) as an object URL the page can show. */
export async function fileUrl(url: string): Promise<string> {
  const token = getSession()?.token;
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new ApiError(`The server answered ${res.status} for the file`, res.status);
  return URL.createObjectURL(await res.blob());
}

export const packetUrl = (id: string): string => path(id, '/packet');
export const accountingFileUrl = (patientId: string, format: 'pdf' | 'csv'): string =>
  `/disclosure/accounting?patient=${encodeURIComponent(patientId)}&format=${format}`;
