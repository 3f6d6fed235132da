import type { ReactNode } from 'react';
import { matchPath } from '../../router.tsx';
import { AmendmentPage } from './amendment-page.tsx';
import { AmendmentQueuePage } from './amendment-queue-page.tsx';

/** The amendment screens' routes below /app (undefined: not an amendment path). */
export function amendmentsRoute(path: string): ReactNode | undefined {
  if (path === '/amendments') return <AmendmentQueuePage />;
  const m = matchPath('/amendments/:id', path);
  if (m?.id) return <AmendmentPage key={m.id} id={m.id} />;
  return undefined;
}
