import type { ReactNode } from 'react';
import type { Session } from '../../api.ts';
import { AccessReportPage } from './access-page.tsx';
import { AuditStatusPage } from './audit-page.tsx';
import { BreakGlassReviewPage } from './break-glass-page.tsx';
import { CasesPage } from './cases-page.tsx';
import { CodingDashboard } from './coding-dashboard.tsx';
import { FinalizedCasesPage, OverriddenEditsPage } from './coding-records-page.tsx';
import { DirectorDashboard } from './director-dashboard.tsx';
import { PrivacyDashboard } from './privacy-dashboard.tsx';

/** The dashboards' and oversight screens' routes below /app (undefined: not a reports path). */
export function reportsRoute(path: string, session: Session): ReactNode | undefined {
  if (path === '/reports/director') return <DirectorDashboard session={session} />;
  if (path === '/reports/coding') return <CodingDashboard />;
  if (path === '/reports/privacy') return <PrivacyDashboard />;
  if (path === '/reports/cases') return <CasesPage />;
  if (path === '/reports/finalized') return <FinalizedCasesPage />;
  if (path === '/reports/overrides') return <OverriddenEditsPage />;
  if (path === '/reports/access') return <AccessReportPage />;
  if (path === '/reports/break-glass') return <BreakGlassReviewPage session={session} />;
  if (path === '/reports/audit') return <AuditStatusPage />;
  return undefined;
}
