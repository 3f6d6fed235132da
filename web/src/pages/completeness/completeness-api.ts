import type { Communication, DocumentReference, OperationOutcome, Task } from '@medplum/fhirtypes';
import type { Deficiency, DelinquencyReport, WorklistPage } from '../../../../src/completeness/index.ts';
import { ApiError, get, getSession, outcomeMessage, post } from '../../api.ts';

/** The chart completeness screens' calls to the server (src/completeness routes). */

export type { Deficiency, DelinquencyReport, WorklistPage };

export interface WorklistQuery {
  service?: string;
  provider?: string;
  minAgeDays?: string;
  maxAgeDays?: string;
  sort: string;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

export const fetchWorklist = (q: WorklistQuery): Promise<WorklistPage> => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, String(v));
  return get(`/completeness/worklist?${params.toString()}`);
};

export const waiveDeficiency = (taskId: string, reason: string): Promise<Task> =>
  post(`/completeness/deficiencies/${encodeURIComponent(taskId)}/waive`, { reason });

export interface QueryItem {
  taskId: string;
  encounterId: string;
  patientId: string;
  sentBy: string;
  sentAt: string;
  task: Task | undefined;
}

export interface Inbox {
  practitioner: { id: string; name: string };
  deficiencies: WorklistPage;
  queries: QueryItem[];
}

export const fetchInbox = (): Promise<Inbox> => get('/completeness/inbox');

export const signDocument = (documentId: string): Promise<DocumentReference> =>
  post(`/documents/${encodeURIComponent(documentId)}/sign`);

export const answerQuery = (
  taskId: string,
  option: string,
  text?: string,
): Promise<{ task: Task; communication: Communication }> =>
  post(`/completeness/queries/${encodeURIComponent(taskId)}/answer`, { option, ...(text ? { text } : {}) });

/** The parts of a query Task: its question, quoted indicators and offered options. */
export function queryParts(
  task: Task | undefined,
  code: 'question' | 'clinical-indicator' | 'option',
): string[] {
  return (task?.input ?? [])
    .filter((i) => i.type.coding?.some((c) => c.code === code))
    .map((i) => i.valueString ?? '');
}

export interface QueuedDocument {
  id: string;
  title: string;
  contentType: string | undefined;
  size: number | undefined;
  date: string | undefined;
}

export const fetchQueue = (): Promise<{ total: number; documents: QueuedDocument[] }> =>
  get('/documents/queue?limit=100');

export const fileDocument = (
  id: string,
  filing: { patient: string; encounter?: string; type?: string; reason?: string },
): Promise<DocumentReference> => post(`/documents/${encodeURIComponent(id)}/file`, filing);

export const fetchDelinquency = (month: string): Promise<DelinquencyReport> =>
  get(`/completeness/delinquency?month=${encodeURIComponent(month)}`);

/** fetch with the session's token for what JSON helpers do not carry: files in and out. */
async function authorised(path: string, init: RequestInit = {}): Promise<Response> {
  const token = getSession()?.token;
  const res = await fetch(path, {
    ...init,
    headers: {
      ...(init.headers as Record<string, string>),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  });
  if (res.ok) return res;
  const text = await res.text().catch(() => '');
  let message = `The server answered ${res.status}`;
  try {
    const body = JSON.parse(text) as OperationOutcome;
    if (body.resourceType === 'OperationOutcome') message = outcomeMessage(body);
  } catch {
    // not JSON: keep the status line
  }
  throw new ApiError(message, res.status);
}

/** Uploads a scanned or electronic document; fields empty are left out (unfiled: the indexing queue). */
export async function uploadDocument(file: File, fields: Record<string, string>): Promise<string> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) if (v.trim()) form.set(k, v.trim());
  form.set('file', file, file.name);
  const res = await authorised('/documents', { method: 'POST', body: form });
  return ((await res.json()) as { documentReference: string }).documentReference;
}

/** A document's bytes as a blob URL for the viewer (read through the audited API). */
export async function documentBlob(id: string): Promise<{ url: string; contentType: string }> {
  const res = await authorised(`/documents/${encodeURIComponent(id)}/content`);
  const blob = await res.blob();
  return { url: URL.createObjectURL(blob), contentType: blob.type };
}

/** The delinquency report as CSV, for a download link. */
export async function delinquencyCsvUrl(month: string): Promise<string> {
  const res = await authorised(`/completeness/delinquency?month=${encodeURIComponent(month)}`, {
    headers: { accept: 'text/csv' },
  });
  return URL.createObjectURL(await res.blob());
}
