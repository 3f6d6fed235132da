import { useState, type ReactNode } from 'react';
import type { ConsentRequest } from '../../../../src/auth/smart/authorize.ts';
import { get, post } from '../../api.ts';
import { Page } from '../../components/page.tsx';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { useLocation } from '../../router.tsx';
import { PatientPicker, type ChosenPatient } from '../disclosure/patient-picker.tsx';

/**
 * The SMART consent screen: an app asked to act with the signed-in user's access (the server
 * parked the request at /oauth2/authorize and sent the browser here). The user sees the app and
 * what it asks for in words, chooses the patient when the app needs one, and allows or denies;
 * either way the browser goes back to the app.
 */
export function ConsentPage(): ReactNode {
  const requestId = useLocation().search.get('request') ?? '';
  const path = `/oauth2/authorize/requests/${encodeURIComponent(requestId)}`;
  const [state] = useLoad(requestId, () => get<ConsentRequest>(path));
  const [patient, setPatient] = useState<ChosenPatient | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const decide = async (decision: 'approve' | 'deny'): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const answer = await post<{ redirect: string }>(path, {
        decision,
        ...(patient ? { patient: patient.id } : {}),
      });
      window.location.assign(answer.redirect);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  if (state.status === 'loading') return <Loading label="Loading the app's request" />;
  if (state.status === 'error')
    return (
      <Page title="App authorisation">
        <ErrorMessage error={state.error} title="This request cannot be answered" />
      </Page>
    );
  const request = state.data;
  const needsChoice = request.choosePatient && !patient;
  return (
    <Page title={`Allow ${request.app.name}?`}>
      <p>
        <strong>{request.app.name}</strong> asks to use your access to:
      </p>
      <ul aria-label="What the app asks for">
        {request.scopes.map((s) => (
          <li key={s.scope}>
            {s.description} <code>{s.scope}</code>
          </li>
        ))}
      </ul>
      <p>It can never do more than your own role allows, and every access is recorded.</p>
      {request.choosePatient && (
        <section aria-label="Patient for the app">
          <h2>Which patient?</h2>
          <PatientPicker chosen={patient} onChoose={setPatient} />
        </section>
      )}
      {error !== null && <ErrorMessage error={error} />}
      <div className="page-actions">
        <button
          type="button"
          className="button"
          disabled={busy || needsChoice}
          onClick={() => void decide('approve')}
        >
          Allow
        </button>{' '}
        <button
          type="button"
          className="button secondary"
          disabled={busy}
          onClick={() => void decide('deny')}
        >
          Deny
        </button>
      </div>
    </Page>
  );
}
