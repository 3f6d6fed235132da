import type { ReactNode } from 'react';
import { DestructionPage } from './destruction-page.tsx';
import { HoldsPage } from './holds-page.tsx';
import '../disclosure/disclosure.css';

/** The retention screens' routes below /app (undefined: not a retention path). */
export function retentionRoute(path: string): ReactNode | undefined {
  if (path === '/retention/holds') return <HoldsPage />;
  if (path === '/retention/destruction') return <DestructionPage />;
  return undefined;
}
