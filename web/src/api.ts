import type { Binary, Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { Purpose, Role } from '../../src/shared/index.ts';
import type { FinderResult } from '../../src/chart/index.ts';

/**
 * The one way the application talks to the server: typed fetch helpers that attach the
 * session's bearer token and turn OperationOutcome / OAuth errors into readable messages.
 */

export interface Session {
  token: string;
  username: string;
  role: Role;
  purpose: Purpose;
}

const STORAGE_KEY = 'custodian.session';
const EXPIRED_KEY = 'custodian.expired';
export const FHIR = '/fhir/R4';

/** An API failure in words a person can act on; `breakGlass` marks a restricted chart. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly breakGlass = false,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let current: Session | null = readStoredSession();
const listeners = new Set<(s: Session | null) => void>();

function readStoredSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

/** True once after the server ended the session (expired or revoked token). */
export function takeSessionExpired(): boolean {
  const expired = sessionStorage.getItem(EXPIRED_KEY) === '1';
  sessionStorage.removeItem(EXPIRED_KEY);
  return expired;
}

export function getSession(): Session | null {
  return current;
}

export function setSession(session: Session | null): void {
  current = session;
  if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(STORAGE_KEY);
  for (const l of listeners) l(session);
}

export function onSessionChange(listener: (s: Session | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The text of an OperationOutcome: diagnostics, else details text, else the issue code. */
export function outcomeMessage(outcome: OperationOutcome): string {
  const texts = (outcome.issue ?? []).map((i) => i.diagnostics ?? i.details?.text ?? i.code).filter(Boolean);
  return texts.join('; ') || 'The server refused the request';
}

function isBreakGlass(outcome: OperationOutcome): boolean {
  return (outcome.issue ?? []).some(
    (i) => i.code === 'suppressed' && i.details?.coding?.some((c) => c.code === 'break-glass-required'),
  );
}

async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const record = body as Partial<OperationOutcome> & { error_description?: string; error?: string };
  if (record?.resourceType === 'OperationOutcome') {
    const outcome = record as OperationOutcome;
    return new ApiError(outcomeMessage(outcome), res.status, res.status === 403 && isBreakGlass(outcome));
  }
  if (record?.error_description) return new ApiError(record.error_description, res.status);
  const fallback: Record<number, string> = {
    401: 'Your session has ended; sign in again',
    403: 'You are not allowed to do this',
    404: 'Not found',
    429: 'Too many requests; wait a minute and try again',
  };
  return new ApiError(
    fallback[res.status] ?? `The server answered ${res.status} ${res.statusText}`,
    res.status,
  );
}

/** fetch with the session token; a 401 ends the session (token expired or revoked). */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/fhir+json, application/json' };
  if (current) headers.authorization = `Bearer ${current.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError('The server cannot be reached; check the connection and try again', 0);
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 401 && current) {
      sessionStorage.setItem(EXPIRED_KEY, '1');
      setSession(null);
    }
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown): Promise<T> => request<T>('POST', path, body);

/** Signs in at the token endpoint; wrong passwords come back as the server's own words. */
export async function login(username: string, password: string, purpose: Purpose): Promise<Session> {
  const form = new URLSearchParams({ grant_type: 'password', username, password, purpose_of_use: purpose });
  let res: Response;
  try {
    res = await fetch('/oauth2/token', { method: 'POST', body: form });
  } catch {
    throw new ApiError('The server cannot be reached; check the connection and try again', 0);
  }
  if (!res.ok) throw await errorFrom(res);
  const json = (await res.json()) as { access_token: string; role: Role; purpose_of_use: Purpose };
  const session: Session = {
    token: json.access_token,
    username,
    role: json.role,
    purpose: json.purpose_of_use,
  };
  setSession(session);
  return session;
}

export async function logout(): Promise<void> {
  try {
    if (current) await post('/oauth2/logout');
  } finally {
    setSession(null);
  }
}

const query = (params: Record<string, string | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

export function fhirSearch<T extends Resource>(
  type: string,
  params: Record<string, string | undefined>,
): Promise<Bundle<T>> {
  return get<Bundle<T>>(`${FHIR}/${type}${query(params)}`);
}

export function fhirRead<T extends Resource>(type: string, id: string): Promise<T> {
  return get<T>(`${FHIR}/${type}/${encodeURIComponent(id)}`);
}

export function patientEverything(patientId: string): Promise<Bundle> {
  return get<Bundle>(`${FHIR}/Patient/${encodeURIComponent(patientId)}/$everything`);
}

export function readBinary(id: string): Promise<Binary> {
  return fhirRead<Binary>('Binary', id);
}

export function findPatients(q: string, birthdate?: string): Promise<FinderResult> {
  return get<FinderResult>(`/chart/patients${query({ q, birthdate, limit: '50' })}`);
}

export function breakGlass(patient: string, reason: string): Promise<{ expiresAt: string }> {
  return post<{ expiresAt: string }>('/auth/break-glass', { patient, reason });
}

/** A count from `_summary=count` (FHIR Bundle.total) or a `{ total }` / `{ count }` answer. */
export async function fetchCount(path: string): Promise<number> {
  const body = await get<{ total?: number; count?: number }>(path);
  return body.total ?? body.count ?? 0;
}
