import type { ReactNode } from 'react';
import { matchPath } from '../../router.tsx';
import { AbstractPage } from './abstract-page.tsx';
import { ExportPage } from './export-page.tsx';
import { FollowUpPage } from './follow-up-page.tsx';
import { SuspenseQueuePage } from './queue-page.tsx';

/** The cancer registry screens' routes below /app (undefined: not a registry path). */
export function registryRoute(path: string): ReactNode | undefined {
  if (path === '/registry') return <SuspenseQueuePage />;
  if (path === '/registry/follow-up') return <FollowUpPage />;
  if (path === '/registry/export') return <ExportPage />;
  const m = matchPath('/registry/abstracts/:patientId/:caseId', path);
  if (m?.patientId && m.caseId) return <AbstractPage patientId={m.patientId} caseId={m.caseId} />;
  return undefined;
}
