import type { AmendmentView } from '../../../../src/disclosure/index.ts';
import { get, post } from '../../api.ts';

/** The amendment screens' calls to the server (src/disclosure amendment routes). */

export type { AmendmentView };

const path = (id: string, step = ''): string => `/disclosure/amendments/${encodeURIComponent(id)}${step}`;

export const fetchAmendments = (status: string): Promise<{ total: number; amendments: AmendmentView[] }> =>
  get(`/disclosure/amendments?status=${encodeURIComponent(status)}`);
export const fetchAmendment = (id: string): Promise<AmendmentView> => get(path(id));
export const amendmentStep = (id: string, step: string, body: unknown): Promise<AmendmentView> =>
  post(path(id, `/${step}`), body);
export const letterPath = (id: string): string => path(id, '/letter');
