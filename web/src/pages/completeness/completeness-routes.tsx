import type { ReactNode } from 'react';
import { DelinquencyPage } from './delinquency-page.tsx';
import { ProviderInboxPage } from './inbox-page.tsx';
import { IndexingQueuePage } from './indexing-page.tsx';
import { CompletenessRulesPage } from './rules-page.tsx';
import { CompletenessWorklistPage } from './worklist-page.tsx';

/** The chart completeness screens' routes below /app (undefined: not a completeness path). */
export function completenessRoute(path: string): ReactNode | undefined {
  if (path === '/completeness') return <CompletenessWorklistPage />;
  if (path === '/completeness/inbox') return <ProviderInboxPage />;
  if (path === '/completeness/indexing') return <IndexingQueuePage />;
  if (path === '/completeness/delinquency') return <DelinquencyPage />;
  if (path === '/completeness/rules') return <CompletenessRulesPage />;
  return undefined;
}
