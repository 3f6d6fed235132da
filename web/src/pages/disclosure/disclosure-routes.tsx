import type { ReactNode } from 'react';
import { matchPath } from '../../router.tsx';
import { AccountingPage } from './accounting-page.tsx';
import { NewRequestPage } from './new-request-page.tsx';
import { DisclosureQueuePage } from './queue-page.tsx';
import { DisclosureRequestPage } from './request-page.tsx';

/** The release of information screens' routes below /app (undefined: not a disclosure path). */
export function disclosureRoute(path: string): ReactNode | undefined {
  if (path === '/disclosure') return <DisclosureQueuePage />;
  if (path === '/disclosure/new') return <NewRequestPage />;
  if (path === '/disclosure/accounting') return <AccountingPage />;
  const m = matchPath('/disclosure/:id', path);
  if (m?.id) return <DisclosureRequestPage key={m.id} id={m.id} />;
  return undefined;
}
