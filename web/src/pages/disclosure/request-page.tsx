import { useEffect, useState, type ReactNode } from 'react';
import { Page } from '../../components/page.tsx';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link } from '../../router.tsx';
import { AuthorizationForm } from './authorization-form.tsx';
import {
  closeRequest,
  denyRequest,
  extendRequest,
  fetchPreview,
  fetchRequest,
  fileUrl,
  packetUrl,
  releaseNow,
  saveSelection,
  type ReleasePreview,
  type ReleaseRequest,
} from './disclosure-api.ts';
import { ELEMENT_LABELS, RECORD_TYPES, requesterLabel, statusLabel } from './disclosure-words.ts';
import { ClockFlag } from './queue-page.tsx';
import './disclosure.css';

const OPEN = new Set(['logged', 'pending-authorization', 'in-review']);

/** One request: its clock, the authorization check, the records, the packet, and the decision. */
export function DisclosureRequestPage({ id }: { id: string }): ReactNode {
  const [state, reload] = useLoad(`request:${id}`, () => fetchRequest(id));
  const [request, setRequest] = useState<ReleaseRequest | null>(null);
  useEffect(() => {
    if (state.status === 'done') setRequest(state.data);
  }, [state]);
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={reload} />;
  if (!request) return <Loading label="Loading the request" />;
  return <RequestView request={request} onChange={setRequest} />;
}

function RequestView({
  request,
  onChange,
}: {
  request: ReleaseRequest;
  onChange: (r: ReleaseRequest) => void;
}): ReactNode {
  const open = OPEN.has(request.status);
  return (
    <Page
      title={`Request for ${request.patient.name}`}
      actions={<Link to="/disclosure">Back to the queue</Link>}
    >
      <p className="lead">
        {statusLabel(request.status)} · due {request.dueDate} <ClockFlag request={request} />
      </p>
      <div className="roi-grid">
        <section className="card" aria-labelledby="roi-details">
          <h2 id="roi-details">Request</h2>
          <dl className="facts">
            <dt>Patient</dt>
            <dd>
              <Link to={`/patients/${encodeURIComponent(request.patient.id)}`}>{request.patient.name}</Link> ·
              MRN {request.patient.mrn ?? 'none'}
            </dd>
            <dt>Requester</dt>
            <dd>
              {requesterLabel(request.requesterType)}
              {request.requesterName ? `: ${request.requesterName}` : ''}
            </dd>
            <dt>Recipient</dt>
            <dd>{request.recipient}</dd>
            <dt>Purpose</dt>
            <dd>{request.purpose}</dd>
            <dt>Received</dt>
            <dd>{request.received}</dd>
            <dt>Due</dt>
            <dd>
              {request.dueDate}
              {request.extension
                ? ` (extended from ${request.firstDueDate}; notice sent ${request.extension.noticeSent})`
                : ''}
            </dd>
            {request.denialReason && (
              <>
                <dt>Denied because</dt>
                <dd>{request.denialReason}</dd>
              </>
            )}
            {request.released && (
              <>
                <dt>Released</dt>
                <dd>
                  {request.released.at.slice(0, 10)}: {request.released.records} records,{' '}
                  {request.released.pages} pages, fee ${request.released.fee.amount}
                </dd>
              </>
            )}
          </dl>
        </section>
        <AuthorizationSection request={request} onChange={onChange} />
      </div>
      {open && <SelectionSection request={request} onChange={onChange} />}
      <PacketSection request={request} onChange={onChange} />
      {open && <DecisionSection request={request} onChange={onChange} />}
    </Page>
  );
}

function AuthorizationSection({
  request,
  onChange,
}: {
  request: ReleaseRequest;
  onChange: (r: ReleaseRequest) => void;
}): ReactNode {
  const [editing, setEditing] = useState(false);
  const check = request.authorization;
  const missing = new Set(request.missingAuthorizationElements);
  return (
    <section className="card" aria-labelledby="roi-authorization">
      <h2 id="roi-authorization">Authorization</h2>
      {!request.authorizationRequired && !check && (
        <p>No authorization is needed for this requester and purpose.</p>
      )}
      {(request.authorizationRequired || check) && (
        <>
          <p role="status">
            {check?.valid
              ? 'The authorization is valid.'
              : check
                ? 'The authorization does not allow this release yet.'
                : 'A signed authorization is needed and none is attached.'}
          </p>
          <ul className="roi-checks" aria-label="Authorization elements">
            {Object.entries(ELEMENT_LABELS).map(([code, label]) => (
              <li key={code} className={missing.has(code as never) ? 'missing' : ''}>
                {missing.has(code as never) ? `Missing: ${label}` : `Present: ${label}`}
              </li>
            ))}
          </ul>
          {check?.problems.map((p) => (
            <p key={p.code} className="warn-text">
              {p.message}
            </p>
          ))}
          {check && check.namedLabels.length > 0 && <p>Names explicitly: {check.namedLabels.join(', ')}</p>}
        </>
      )}
      {OPEN.has(request.status) && !editing && (
        <button type="button" className="button secondary" onClick={() => setEditing(true)}>
          Attach authorization…
        </button>
      )}
      {editing && (
        <AuthorizationForm
          request={request}
          onSaved={(r) => {
            setEditing(false);
            onChange(r);
          }}
        />
      )}
    </section>
  );
}

function SelectionSection({
  request,
  onChange,
}: {
  request: ReleaseRequest;
  onChange: (r: ReleaseRequest) => void;
}): ReactNode {
  const [from, setFrom] = useState(request.scope.from ?? '');
  const [to, setTo] = useState(request.scope.to ?? '');
  const [types, setTypes] = useState<string[]>(request.scope.types ?? []);
  const [error, setError] = useState<unknown>(null);
  const save = async (): Promise<void> => {
    setError(null);
    try {
      onChange(await saveSelection(request.id, { ...(from ? { from } : {}), ...(to ? { to } : {}), types }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card" aria-labelledby="roi-records">
      <h2 id="roi-records">Records to release</h2>
      <p className="help">Minimum necessary: choose only the dates and kinds of record this purpose needs.</p>
      <div className="search-form">
        <div className="field">
          <label htmlFor="sel-from">From</label>
          <input id="sel-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="sel-to">To</label>
          <input id="sel-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
      </div>
      <fieldset>
        <legend>Kinds of record (none chosen: all)</legend>
        {RECORD_TYPES.map(([code, label]) => (
          <label key={code} className="inline-choice">
            <input
              type="checkbox"
              checked={types.includes(code)}
              onChange={(e) =>
                setTypes(e.target.checked ? [...types, code] : types.filter((t) => t !== code))
              }
            />{' '}
            {label}{' '}
          </label>
        ))}
      </fieldset>
      {error !== null && <ErrorMessage error={error} />}
      <button type="button" className="button secondary" onClick={() => void save()}>
        Save selection
      </button>
    </section>
  );
}

function PacketSection({
  request,
  onChange,
}: {
  request: ReleaseRequest;
  onChange: (r: ReleaseRequest) => void;
}): ReactNode {
  const [preview, setPreview] = useState<ReleasePreview | null>(null);
  const [pdf, setPdf] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const open = OPEN.has(request.status);
  const showPacket = async (): Promise<void> => {
    setError(null);
    setBusy(true);
    try {
      if (open) setPreview(await fetchPreview(request.id));
      setPdf(await fileUrl(packetUrl(request.id)));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const release = async (): Promise<void> => {
    setError(null);
    setBusy(true);
    try {
      await releaseNow(request.id);
      setPreview(null);
      setPdf(null);
      onChange(await fetchRequest(request.id));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (!open && !request.released) return null;
  return (
    <section className="card" aria-labelledby="roi-packet">
      <h2 id="roi-packet">{open ? 'Packet' : 'Released packet'}</h2>
      <button type="button" className="button secondary" disabled={busy} onClick={() => void showPacket()}>
        {open ? 'Preview packet' : 'Show the released packet'}
      </button>
      {preview && (
        <div role="region" aria-label="Release preview">
          <p>
            {preview.records.length} records, {preview.pages} pages, fee ${preview.fee.amount} (
            {preview.fee.basis}).
          </p>
          {preview.withheld.length > 0 && (
            <>
              <h3>Withheld</h3>
              <ul>
                {preview.withheld.map((w) => (
                  <li key={w.reference}>
                    {w.reference}: {w.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
          {preview.blockers.length > 0 && (
            <div className="error-box" role="alert">
              <strong>Not ready to release</strong>
              <ul>
                {preview.blockers.map((b) => (
                  <li key={b.code}>{b.message}</li>
                ))}
              </ul>
            </div>
          )}
          <div className="button-row">
            <button
              type="button"
              className="button primary"
              disabled={busy || !preview.releasable}
              onClick={() => void release()}
            >
              Release to {request.recipient}
            </button>
          </div>
        </div>
      )}
      {pdf && <iframe className="roi-packet" src={pdf} title="Release packet (PDF)" />}
      {error !== null && <ErrorMessage error={error} />}
    </section>
  );
}

function DecisionSection({
  request,
  onChange,
}: {
  request: ReleaseRequest;
  onChange: (r: ReleaseRequest) => void;
}): ReactNode {
  const [reason, setReason] = useState('');
  const [notice, setNotice] = useState('');
  const [error, setError] = useState<unknown>(null);
  const act = async (work: () => Promise<ReleaseRequest>): Promise<void> => {
    setError(null);
    try {
      onChange(await work());
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card" aria-labelledby="roi-decision">
      <h2 id="roi-decision">Other decisions</h2>
      {!request.extension && (
        <div className="field">
          <label htmlFor="roi-notice">Extension notice (reasons and the new date)</label>
          <textarea id="roi-notice" value={notice} onChange={(e) => setNotice(e.target.value)} rows={2} />
          <button
            type="button"
            className="button secondary"
            disabled={!notice.trim()}
            onClick={() => void act(() => extendRequest(request.id, notice.trim()))}
          >
            Extend by 30 days
          </button>
        </div>
      )}
      <div className="field">
        <label htmlFor="roi-reason">Reason to deny or close</label>
        <textarea id="roi-reason" value={reason} onChange={(e) => setReason(e.target.value)} rows={2} />
      </div>
      <div className="button-row">
        <button
          type="button"
          className="button danger"
          disabled={!reason.trim()}
          onClick={() => void act(() => denyRequest(request.id, reason.trim()))}
        >
          Deny request
        </button>
        <button
          type="button"
          className="button secondary"
          disabled={!reason.trim()}
          onClick={() => void act(() => closeRequest(request.id, reason.trim()))}
        >
          Close without release
        </button>
      </div>
      {error !== null && <ErrorMessage error={error} />}
    </section>
  );
}
