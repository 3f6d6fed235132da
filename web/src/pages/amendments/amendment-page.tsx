import { useState, type FormEvent, type ReactNode } from 'react';
import { Page } from '../../components/page.tsx';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { fileUrl } from '../disclosure/disclosure-api.ts';
import { clockText } from './amendment-queue-page.tsx';
import { amendmentStep, fetchAmendment, letterPath, type AmendmentView } from './amendments-api.ts';

const BASES: Record<string, string> = {
  'accurate-and-complete': 'The information is accurate and complete',
  'not-created-here': 'Not created by this facility',
  'not-in-record-set': 'Not part of the designated record set',
  'not-available-for-inspection': 'Not available for inspection (164.524)',
};

/** One text box and a button that sends it as a workflow step. */
function StepForm({
  id,
  label,
  field,
  button,
  onDone,
  send,
}: {
  id: string;
  label: string;
  field: string;
  button: string;
  onDone: (a: AmendmentView) => void;
  send: (text: string) => Promise<AmendmentView>;
}): ReactNode {
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setError(null);
    send(text).then(onDone, setError);
  };
  return (
    <form onSubmit={submit} className="step-form">
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <textarea id={id} name={field} value={text} onChange={(e) => setText(e.target.value)} rows={2} />
      </div>
      <button type="submit" className="button primary" disabled={!text.trim()}>
        {button}
      </button>
      {error !== null && <ErrorMessage error={error} />}
    </form>
  );
}

/** The request screen: details and clock, route, accept or deny, the letter, disagreement and rebuttal. */
export function AmendmentPage({ id }: { id: string }): ReactNode {
  const [state, reload] = useLoad(`amendment:${id}`, () => fetchAmendment(id));
  const [basis, setBasis] = useState('accurate-and-complete');
  const [letter, setLetter] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={reload} />;
  const a = state.data;
  const done = (): void => reload();
  const open = a.status === 'received' || a.status === 'routed';
  return (
    <Page title={`Amendment request: ${a.patient.name}`}>
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="amendment-status">{a.status}</dd>
        <dt>Received</dt>
        <dd>{a.received}</dd>
        <dt>Due</dt>
        <dd>
          {a.dueDate} <span className={`clock ${clockText(a).tone}`}>{clockText(a).text}</span>
        </dd>
        <dt>Records</dt>
        <dd>{a.records.join(', ')}</dd>
        <dt>Change asked for</dt>
        <dd>{a.change}</dd>
        {a.author && (
          <>
            <dt>Author</dt>
            <dd>{a.author}</dd>
          </>
        )}
        {a.noticeList.length > 0 && (
          <>
            <dt>To notify</dt>
            <dd>{a.noticeList.join('; ')}</dd>
          </>
        )}
        {a.disagreement && (
          <>
            <dt>Statement of disagreement</dt>
            <dd>{a.disagreement.text}</dd>
          </>
        )}
        {a.rebuttal && (
          <>
            <dt>Rebuttal</dt>
            <dd>{a.rebuttal.text}</dd>
          </>
        )}
      </dl>
      {open && (
        <section aria-labelledby="decide">
          <h2 id="decide">Decide</h2>
          {a.status === 'received' && (
            <StepForm
              id="am-author"
              label="Author to route to"
              field="author"
              button="Route to the author"
              onDone={done}
              send={(author) => amendmentStep(id, 'route', { author })}
            />
          )}
          <StepForm
            id="am-correction"
            label="Correction (appended to the record)"
            field="correction"
            button="Accept"
            onDone={done}
            send={(correction) => amendmentStep(id, 'accept', { correction })}
          />
          <form
            onSubmit={(e) => {
              e.preventDefault();
              amendmentStep(id, 'deny', { basis }).then(done, setError);
            }}
          >
            <div className="field">
              <label htmlFor="am-basis">Basis for denial</label>
              <select id="am-basis" value={basis} onChange={(e) => setBasis(e.target.value)}>
                {Object.entries(BASES).map(([code, label]) => (
                  <option key={code} value={code}>
                    {label}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" className="button danger">
              Deny
            </button>
          </form>
          {!a.extension && (
            <StepForm
              id="am-notice"
              label="Extension notice (reasons and the new date)"
              field="notice"
              button="Extend 30 days"
              onDone={done}
              send={(notice) => amendmentStep(id, 'extend', { notice })}
            />
          )}
        </section>
      )}
      {a.status === 'denied' && (
        <section aria-labelledby="after-denial">
          <h2 id="after-denial">Denial</h2>
          <button
            type="button"
            className="button secondary"
            onClick={() => void fileUrl(letterPath(id)).then(setLetter, setError)}
          >
            Show the denial letter
          </button>
          {letter && <iframe title="Denial letter" src={letter} className="roi-packet" />}
          {!a.disagreement && (
            <StepForm
              id="am-disagreement"
              label="Patient's statement of disagreement"
              field="statement"
              button="File the statement"
              onDone={done}
              send={(statement) => amendmentStep(id, 'disagreement', { statement })}
            />
          )}
          {a.disagreement && !a.rebuttal && (
            <StepForm
              id="am-rebuttal"
              label="Rebuttal"
              field="statement"
              button="File the rebuttal"
              onDone={done}
              send={(statement) => amendmentStep(id, 'rebuttal', { statement })}
            />
          )}
        </section>
      )}
      {error !== null && <ErrorMessage error={error} />}
    </Page>
  );
}
