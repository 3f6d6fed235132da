import { useState, type FormEvent, type ReactNode } from 'react';
import { Page } from '../../components/page.tsx';
import { ErrorMessage } from '../../components/status.tsx';
import { navigate } from '../../router.tsx';
import { logRequest } from './disclosure-api.ts';
import { PURPOSES, REQUESTER_TYPES } from './disclosure-words.ts';
import { PatientPicker, type ChosenPatient } from './patient-picker.tsx';

const todayIso = (): string => new Date().toISOString().slice(0, 10);

/** Logs a request: who asks, for whom, why, when it came in, and what is asked for. */
export function NewRequestPage(): ReactNode {
  const [patient, setPatient] = useState<ChosenPatient | null>(null);
  const [requesterType, setRequesterType] = useState('patient');
  const [requesterName, setRequesterName] = useState('');
  const [recipient, setRecipient] = useState('');
  const [address, setAddress] = useState('');
  const [purpose, setPurpose] = useState('personal');
  const [received, setReceived] = useState(todayIso());
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [bundle, setBundle] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!patient) return;
    setBusy(true);
    setError(null);
    try {
      const made = await logRequest({
        patient: `Patient/${patient.id}`,
        requesterType,
        ...(requesterName.trim() ? { requesterName: requesterName.trim() } : {}),
        recipient: recipient.trim(),
        ...(address.trim() ? { recipientAddress: address.trim() } : {}),
        purpose,
        received,
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        delivery: bundle ? ['pdf', 'bundle'] : ['pdf'],
      });
      navigate(`/disclosure/${encodeURIComponent(made.id)}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Page title="Log a release request">
      <PatientPicker chosen={patient} onChoose={setPatient} />
      {patient && (
        <form className="roi-form" onSubmit={(e) => void submit(e)}>
          <div className="field">
            <label htmlFor="roi-requester-type">Requester</label>
            <select
              id="roi-requester-type"
              value={requesterType}
              onChange={(e) => setRequesterType(e.target.value)}
            >
              {REQUESTER_TYPES.map(([code, label]) => (
                <option key={code} value={code}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="roi-requester-name">Requester name (optional)</label>
            <input
              id="roi-requester-name"
              value={requesterName}
              onChange={(e) => setRequesterName(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="roi-recipient">Recipient</label>
            <input
              id="roi-recipient"
              required
              value={recipient}
              onChange={(e) => setRecipient(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="roi-address">Recipient address (optional)</label>
            <input id="roi-address" value={address} onChange={(e) => setAddress(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="roi-purpose">Purpose</label>
            <select id="roi-purpose" value={purpose} onChange={(e) => setPurpose(e.target.value)}>
              {PURPOSES.map(([code, label]) => (
                <option key={code} value={code}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="roi-received">Date received</label>
            <input
              id="roi-received"
              type="date"
              required
              max={todayIso()}
              value={received}
              onChange={(e) => setReceived(e.target.value)}
            />
          </div>
          <fieldset>
            <legend>Dates of service asked for (optional)</legend>
            <div className="field">
              <label htmlFor="roi-from">From</label>
              <input id="roi-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="roi-to">To</label>
              <input id="roi-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
            </div>
          </fieldset>
          <label>
            <input type="checkbox" checked={bundle} onChange={(e) => setBundle(e.target.checked)} /> Also
            deliver a FHIR Bundle
          </label>
          {error !== null && <ErrorMessage error={error} title="The request was not logged" />}
          <div className="button-row">
            <button type="submit" className="button primary" disabled={busy || !recipient.trim()}>
              Log request
            </button>
          </div>
        </form>
      )}
    </Page>
  );
}
