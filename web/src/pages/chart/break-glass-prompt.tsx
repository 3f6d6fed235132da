import { useState, type FormEvent, type ReactNode } from 'react';
import { breakGlass } from '../../api.ts';
import { Page } from '../../components/page.tsx';
import { Link } from '../../router.tsx';

const MIN_REASON = 10;

/**
 * A restricted chart: the user states why they need it, the server grants 30 minutes of access,
 * audits it and lists it for the privacy officer; then the chart loads again.
 */
export function BreakGlassPrompt({
  patientId,
  message,
  onGranted,
}: {
  patientId: string;
  message: string;
  onGranted: () => void;
}): ReactNode {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (reason.trim().length < MIN_REASON) {
      setError(`State the reason in at least ${MIN_REASON} characters.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await breakGlass(patientId, reason.trim());
      onGranted();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <Page title="Restricted record">
      <div className="break-glass" data-testid="break-glass">
        <p className="warn-text">
          <strong>This chart is confidential.</strong> {message}
        </p>
        <p>
          You may open it only if you have a legitimate need now. Access is granted for 30 minutes, recorded
          with your reason, and reviewed by the privacy officer.
        </p>
        {error && (
          <div className="error-box" role="alert" id="glass-error">
            <p>{error}</p>
          </div>
        )}
        <form onSubmit={(e) => void submit(e)}>
          <div className="field">
            <label htmlFor="glass-reason">Reason for access (required)</label>
            <textarea
              id="glass-reason"
              name="reason"
              rows={3}
              required
              minLength={MIN_REASON}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              aria-describedby={error ? 'glass-help glass-error' : 'glass-help'}
            />
            <p id="glass-help" className="help">
              For example: “Patient in the emergency department, records needed for treatment”.
            </p>
          </div>
          <div className="button-row">
            <button type="submit" className="button danger" disabled={busy}>
              {busy ? 'Requesting access…' : 'Break the glass and open the chart'}
            </button>
            <Link to="/search" className="button secondary">
              Cancel
            </Link>
          </div>
        </form>
      </div>
    </Page>
  );
}
