import { useState, type FormEvent, type ReactNode } from 'react';
import { ErrorMessage } from '../../components/status.tsx';
import { attachAuthorization, type ReleaseRequest } from './disclosure-api.ts';
import { consentFromForm, SENSITIVE_LABELS, type AuthorizationFormValues } from './disclosure-words.ts';

/** Enters a signed authorization form as the fields HIPAA 164.508 asks for. */
export function AuthorizationForm({
  request,
  onSaved,
}: {
  request: ReleaseRequest;
  onSaved: (r: ReleaseRequest) => void;
}): ReactNode {
  const [v, setV] = useState<AuthorizationFormValues>({
    signedOn: '',
    signedBy: request.patient.name,
    discloser: 'Health Information Management',
    recipient: request.recipient,
    purpose: request.purpose,
    description: '',
    expires: '',
    expiryEvent: '',
    statements: { revocation: false, redisclosure: false, conditioning: false },
    labels: [],
    formTitle: 'Signed authorization form',
  });
  const [error, setError] = useState<unknown>(null);
  const set = <K extends keyof AuthorizationFormValues>(key: K, value: AuthorizationFormValues[K]): void =>
    setV((old) => ({ ...old, [key]: value }));
  const text = (
    key: 'signedBy' | 'discloser' | 'recipient' | 'purpose' | 'description' | 'expiryEvent',
    label: string,
  ): ReactNode => (
    <div className="field">
      <label htmlFor={`auth-${key}`}>{label}</label>
      <input id={`auth-${key}`} value={v[key]} onChange={(e) => set(key, e.target.value)} />
    </div>
  );
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    try {
      onSaved(await attachAuthorization(request.id, consentFromForm(request.patient.id, v)));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="roi-form" aria-label="Authorization form" onSubmit={(e) => void submit(e)}>
      {text('description', 'Information to be disclosed')}
      {text('discloser', 'Who may disclose')}
      {text('recipient', 'Who may receive it')}
      {text('purpose', 'Purpose')}
      <div className="field">
        <label htmlFor="auth-expires">Expires on</label>
        <input
          id="auth-expires"
          type="date"
          value={v.expires}
          onChange={(e) => set('expires', e.target.value)}
        />
      </div>
      {text('expiryEvent', 'Or expires at this event')}
      {text('signedBy', 'Signed by')}
      <div className="field">
        <label htmlFor="auth-signed">Date signed</label>
        <input
          id="auth-signed"
          type="date"
          value={v.signedOn}
          onChange={(e) => set('signedOn', e.target.value)}
        />
      </div>
      <fieldset>
        <legend>The form states</legend>
        {(
          [
            ['revocation', 'The right to revoke it'],
            ['redisclosure', 'That information may be redisclosed'],
            ['conditioning', 'That care is not conditioned on signing'],
          ] as const
        ).map(([key, label]) => (
          <label key={key}>
            <input
              type="checkbox"
              checked={v.statements[key]}
              onChange={(e) => set('statements', { ...v.statements, [key]: e.target.checked })}
            />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Sensitive records it names explicitly</legend>
        {SENSITIVE_LABELS.map(([code, label]) => (
          <label key={code}>
            <input
              type="checkbox"
              checked={v.labels.includes(code)}
              onChange={(e) =>
                set('labels', e.target.checked ? [...v.labels, code] : v.labels.filter((c) => c !== code))
              }
            />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      {error !== null && <ErrorMessage error={error} title="The authorization was not saved" />}
      <div className="button-row">
        <button type="submit" className="button primary">
          Save authorization
        </button>
      </div>
    </form>
  );
}
