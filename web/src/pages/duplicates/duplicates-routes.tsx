import type { ReactNode } from 'react';
import { matchPath } from '../../router.tsx';
import { DuplicateGroupPage } from './group-page.tsx';
import { DuplicatePairPage } from './pair-page.tsx';
import { DuplicateWorklistPage } from './worklist-page.tsx';

/** The duplicate review screens' routes below /app (undefined: not a duplicates path). */
export function duplicatesRoute(path: string): ReactNode | undefined {
  if (path === '/duplicates') return <DuplicateWorklistPage />;
  const g = matchPath('/duplicates/groups/:taskId', path);
  if (g?.taskId) return <DuplicateGroupPage taskId={g.taskId} />;
  const m = matchPath('/duplicates/:taskId', path);
  if (m?.taskId) return <DuplicatePairPage taskId={m.taskId} />;
  return undefined;
}
