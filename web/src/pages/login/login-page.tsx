import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { Purpose } from '../../../../src/shared/index.ts';
import { login, takeSessionExpired } from '../../api.ts';
import { DEFAULT_PURPOSE, LOGIN_PURPOSES, PURPOSE_LABELS } from '../../purposes.ts';
import { useLocation } from '../../router.tsx';

/** Sign-in at the token endpoint with a purpose of use; the server's refusal is shown as it says it. */
export function LoginPage(): ReactNode {
  const { search } = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [purpose, setPurpose] = useState<Purpose>(DEFAULT_PURPOSE);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const signedOut = search.get('signedOut') === '1';
  const [expired] = useState(takeSessionExpired);

  useEffect(() => {
    // The user name field has autofocus: signing in is the only thing to do here.
    document.title = 'Sign in · Custodian';
  }, []);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // The application moves on to the page asked for (?next=) once the session is set.
      await login(username.trim(), password, purpose);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" className="login">
      <div className="login-card">
        <p className="brand login-brand">
          Custodian <span className="brand-sub">HIM</span>
        </p>
        <h1>Sign in</h1>
        {signedOut && !error && (
          <p className="notice" role="status">
            You have signed out.
          </p>
        )}
        {expired && !error && (
          <p className="notice" role="status">
            Your session has ended. Sign in again to continue.
          </p>
        )}
        {error && (
          <div className="error-box" role="alert" id="login-error">
            <strong>Sign-in failed</strong>
            <p>{error}</p>
          </div>
        )}
        <form onSubmit={(e) => void submit(e)} aria-describedby={error ? 'login-error' : undefined}>
          <div className="field">
            <label htmlFor="username">User name</label>
            <input
              id="username"
              name="username"
              autoComplete="username"
              required
              autoFocus
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="purpose">Purpose of use</label>
            <select
              id="purpose"
              name="purpose"
              value={purpose}
              onChange={(e) => setPurpose(e.target.value as Purpose)}
              aria-describedby="purpose-help"
            >
              {LOGIN_PURPOSES.map((p) => (
                <option key={p} value={p}>
                  {PURPOSE_LABELS[p]} ({p})
                </option>
              ))}
            </select>
            <p id="purpose-help" className="help">
              Recorded with everything you open in this session.
            </p>
          </div>
          <button type="submit" className="button primary wide" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
