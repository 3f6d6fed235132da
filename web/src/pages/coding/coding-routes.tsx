import type { ReactNode } from 'react';
import { matchPath } from '../../router.tsx';
import { CodeSearchPage } from './code-search-page.tsx';
import { EncounterCodingPage } from './encounter-coding-page.tsx';
import { CodingWorklistPage } from './worklist-page.tsx';

/** The coding screens' routes below /app (undefined: not a coding path). */
export function codingRoute(path: string): ReactNode | undefined {
  if (path === '/coding/worklist' || path === '/coding') return <CodingWorklistPage />;
  if (path === '/coding/codes') return <CodeSearchPage />;
  const m = matchPath('/coding/encounters/:id', path);
  if (m?.id) return <EncounterCodingPage encounterId={m.id} />;
  return undefined;
}
