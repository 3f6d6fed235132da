import type { ReactNode } from 'react';
import { isAllowed } from '../../../../src/shared/index.ts';
import type { Session } from '../../api.ts';
import { Loading } from '../../components/status.tsx';
import { Page } from '../../components/page.tsx';
import { useLoad } from '../../components/use-load.ts';
import { navigationFor, ROLE_LABELS } from '../../navigation.ts';
import { Link } from '../../router.tsx';
import { WORKLISTS, worklistCount, type Worklist, type WorklistCount } from './worklists.ts';

/** The user's worklists with their counts, and shortcuts to the screens their role may use. */
export function HomePage({ session }: { session: Session }): ReactNode {
  const lists = WORKLISTS.filter((w) => isAllowed(session.role, w.access.resource, w.access.action));
  const [counts] = useLoad(`home:${session.token}`, async () =>
    Promise.all(lists.map(async (w) => [w, await worklistCount(w)] as const)),
  );
  const shortcuts = navigationFor(session.role).filter((n) => n.path !== '/');
  return (
    <Page title="Home">
      <p className="lead">
        Signed in as <strong>{session.username}</strong> ({ROLE_LABELS[session.role]}).
      </p>
      <section aria-labelledby="worklists-heading">
        <h2 id="worklists-heading">Your worklists</h2>
        {counts.status === 'loading' && <Loading label="Counting your worklists" />}
        {counts.status === 'done' && <Tiles items={counts.data} />}
        {counts.status === 'done' && counts.data.every(([, c]) => c.state === 'absent') && (
          <p className="empty">No worklists for your role yet.</p>
        )}
      </section>
      {shortcuts.length > 0 && (
        <section aria-labelledby="shortcuts-heading">
          <h2 id="shortcuts-heading">Go to</h2>
          <ul className="shortcuts">
            {shortcuts.map((s) => (
              <li key={s.path}>
                <Link to={s.path} className="button secondary">
                  {s.label}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}
    </Page>
  );
}

function Tiles({ items }: { items: ReadonlyArray<readonly [Worklist, WorklistCount]> }): ReactNode {
  const shown = items.filter(([, c]) => c.state !== 'absent');
  if (shown.length === 0) return null;
  return (
    <ul className="tiles">
      {shown.map(([w, c]) => (
        <li key={w.id} className="tile" data-worklist={w.id}>
          <h3>{w.path ? <Link to={w.path}>{w.title}</Link> : w.title}</h3>
          {c.state === 'ok' && (
            <p className="tile-count">
              <span className="count">{c.count}</span> <span className="visually-hidden">items</span>
            </p>
          )}
          {c.state === 'error' && (
            <p className="tile-error" role="alert">
              Count unavailable: {c.message}
            </p>
          )}
          <p className="tile-desc">{w.description}</p>
          {c.state === 'ok' && c.count === 0 && <p className="tile-note">Nothing waiting. Well done.</p>}
        </li>
      ))}
    </ul>
  );
}
