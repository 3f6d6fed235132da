import { useEffect, useState, type ReactNode } from 'react';
import { getSession, onSessionChange, type Session } from './api.ts';
import { AppShell } from './components/app-shell.tsx';
import { Page } from './components/page.tsx';
import { ChartPage } from './pages/chart/chart-page.tsx';
import { codingRoute } from './pages/coding/coding-routes.tsx';
import { duplicatesRoute } from './pages/duplicates/duplicates-routes.tsx';
import { completenessRoute } from './pages/completeness/completeness-routes.tsx';
import { disclosureRoute } from './pages/disclosure/disclosure-routes.tsx';
import { registryRoute } from './pages/registry/registry-routes.tsx';
import { amendmentsRoute } from './pages/amendments/amendments-routes.tsx';
import { retentionRoute } from './pages/retention/retention-routes.tsx';
import { reportsRoute } from './pages/reports/reports-routes.tsx';
import { HomePage } from './pages/home/home-page.tsx';
import { ConsentPage } from './pages/smart/consent-page.tsx';
import { SmartAppsPage } from './pages/smart/apps-page.tsx';
import { LoginPage } from './pages/login/login-page.tsx';
import { PatientSearchPage } from './pages/search/patient-search-page.tsx';
import { Link, matchPath, navigate, useLocation } from './router.tsx';

/** Routes below /app; later screens add theirs here and a row in navigation.ts. */
function route(path: string, session: Session): ReactNode {
  if (path === '/' || path === '') return <HomePage session={session} />;
  if (path === '/search') return <PatientSearchPage />;
  if (path === '/smart/authorize') return <ConsentPage />;
  if (path === '/smart/apps') return <SmartAppsPage />;
  const coding = path.startsWith('/coding/') ? codingRoute(path) : undefined;
  if (coding) return coding;
  const duplicates = path.startsWith('/duplicates') ? duplicatesRoute(path) : undefined;
  if (duplicates) return duplicates;
  const disclosure = path.startsWith('/disclosure') ? disclosureRoute(path) : undefined;
  if (disclosure) return disclosure;
  const completeness = path.startsWith('/completeness') ? completenessRoute(path) : undefined;
  if (completeness) return completeness;
  const registry = path.startsWith('/registry') ? registryRoute(path) : undefined;
  if (registry) return registry;
  const amendments = path.startsWith('/amendments') ? amendmentsRoute(path) : undefined;
  if (amendments) return amendments;
  const retention = path.startsWith('/retention/') ? retentionRoute(path) : undefined;
  if (retention) return retention;
  const reports = path.startsWith('/reports/') ? reportsRoute(path, session) : undefined;
  if (reports) return reports;
  let m = matchPath('/patients/:id', path);
  if (m?.id) return <ChartPage patientId={m.id} view={{ kind: 'overview' }} />;
  m = matchPath('/patients/:id/encounters/:eid', path);
  if (m?.id && m.eid) return <ChartPage patientId={m.id} view={{ kind: 'encounter', encounterId: m.eid }} />;
  m = matchPath('/patients/:id/documents/:did', path);
  if (m?.id && m.did) return <ChartPage patientId={m.id} view={{ kind: 'document', documentId: m.did }} />;
  return (
    <Page title="Page not found">
      <p>
        There is no page at this address. <Link to="/">Go to the home page</Link>.
      </p>
    </Page>
  );
}

export function App(): ReactNode {
  const location = useLocation();
  const [session, setSession] = useState<Session | null>(getSession);
  useEffect(() => onSessionChange(setSession), []);

  const onLogin = location.path === '/login';
  useEffect(() => {
    // Signed out (or the token expired): back to the login page, remembering where the user was.
    if (!session && !onLogin) {
      const next = `${location.path}${location.search.size ? `?${location.search.toString()}` : ''}`;
      navigate(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`, { replace: true });
    }
    if (session && onLogin) {
      const next = location.search.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    }
  }, [session, onLogin, location]);

  if (!session || onLogin) return onLogin ? <LoginPage /> : null;
  return <AppShell session={session}>{route(location.path, session)}</AppShell>;
}
