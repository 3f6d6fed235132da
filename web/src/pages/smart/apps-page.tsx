import { useState, type FormEvent, type ReactNode } from 'react';
import type { SmartApp } from '../../../../src/auth/smart/apps.ts';
import { get, post } from '../../api.ts';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';

const COLUMNS: ReadonlyArray<Column<SmartApp>> = [
  { header: 'App', cell: (a) => a.name, rowHeader: true },
  { header: 'Client id', cell: (a) => a.id, className: 'mono' },
  { header: 'Kind', cell: (a) => (a.jwks ? 'Backend service' : a.confidential ? 'Confidential' : 'Public') },
  { header: 'Scopes', cell: (a) => a.scope, className: 'mono' },
  { header: 'Redirect addresses', cell: (a) => a.redirectUris.join(' ') },
  { header: 'Status', cell: (a) => (a.disabled ? 'Disabled' : 'Active') },
];

/**
 * SMART app registration (administrators): the apps allowed to ask users for access, and a form
 * to register a user-facing one. A confidential app's secret is shown once, right after.
 */
export function SmartAppsPage(): ReactNode {
  const [apps, reload] = useLoad('apps', () => get<{ apps: SmartApp[] }>('/admin/smart-apps'));
  const [name, setName] = useState('');
  const [redirects, setRedirects] = useState('');
  const [scope, setScope] = useState('launch launch/patient offline_access patient/*.rs');
  const [confidential, setConfidential] = useState(false);
  const [made, setMade] = useState<{ app: SmartApp; secret?: string } | null>(null);
  const [error, setError] = useState<unknown>(null);

  const register = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    try {
      const redirectUris = redirects.split(/\s+/).filter(Boolean);
      setMade(await post('/admin/smart-apps', { name, redirectUris, scope, confidential }));
      reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Page title="SMART apps">
      {apps.status === 'loading' && <Loading />}
      {apps.status === 'error' && <ErrorMessage error={apps.error} onRetry={reload} />}
      {apps.status === 'done' &&
        (apps.data.apps.length === 0 ? (
          <Empty>No app is registered yet.</Empty>
        ) : (
          <DataTable
            className="data-table"
            caption="Registered apps"
            columns={COLUMNS}
            rows={apps.data.apps}
            rowKey={(a) => a.id}
          />
        ))}
      <h2>Register an app</h2>
      <form onSubmit={(e) => void register(e)}>
        <div className="field">
          <label htmlFor="app-name">Name</label>
          <input id="app-name" value={name} onChange={(e) => setName(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="app-redirects">Redirect addresses (one per line)</label>
          <textarea
            id="app-redirects"
            value={redirects}
            onChange={(e) => setRedirects(e.target.value)}
            required
          />
        </div>
        <div className="field">
          <label htmlFor="app-scope">Scopes it may ask for</label>
          <input id="app-scope" value={scope} onChange={(e) => setScope(e.target.value)} required />
        </div>
        <div className="field">
          <label>
            <input
              type="checkbox"
              checked={confidential}
              onChange={(e) => setConfidential(e.target.checked)}
            />{' '}
            Confidential (runs on a server and keeps a secret)
          </label>
        </div>
        <button type="submit" className="button">
          Register
        </button>
      </form>
      {error !== null && <ErrorMessage error={error} />}
      {made && (
        <p role="status">
          Registered {made.app.name}: client id <code>{made.app.id}</code>
          {made.secret && (
            <>
              , secret <code>{made.secret}</code> (shown once: store it now)
            </>
          )}
          .
        </p>
      )}
    </Page>
  );
}
