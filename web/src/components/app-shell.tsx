import { useState, type ReactNode } from 'react';
import { logout, type Session } from '../api.ts';
import { navigationFor, ROLE_LABELS } from '../navigation.ts';
import { PURPOSE_LABELS } from '../purposes.ts';
import { Link, navigate, useLocation } from '../router.tsx';

/** Skip link, header with the user and logout, the role's navigation, and the page. */
export function AppShell({ session, children }: { session: Session; children: ReactNode }): ReactNode {
  const { path } = useLocation();
  const [leaving, setLeaving] = useState(false);
  const items = navigationFor(session.role);
  const signOut = async (): Promise<void> => {
    setLeaving(true);
    try {
      await logout();
    } finally {
      navigate('/login?signedOut=1', { replace: true });
    }
  };
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Custodian <span className="brand-sub">HIM</span>
        </Link>
        <nav aria-label="Main" className="mainnav">
          <ul>
            {items.map((item) => {
              const active = item.path === '/' ? path === '/' : path.startsWith(item.path);
              return (
                <li key={item.path}>
                  <Link to={item.path} aria-current={active ? 'page' : undefined}>
                    {item.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="user">
          <span className="user-id">
            <span className="user-name">{session.username}</span>
            <span className="user-role">
              {ROLE_LABELS[session.role]} · {PURPOSE_LABELS[session.purpose] ?? session.purpose}
            </span>
          </span>
          <button
            type="button"
            className="button secondary small"
            onClick={() => void signOut()}
            disabled={leaving}
          >
            {leaving ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
