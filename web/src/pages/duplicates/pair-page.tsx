import { useState, type ReactNode } from 'react';
import { Page } from '../../components/page.tsx';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link, navigate } from '../../router.tsx';
import { FIELD_LABELS, LEVEL_LABELS, gradeLabel, percent } from './agreement.ts';
import { fetchPair, markNotDuplicate, mergePair, type PairDetail } from './duplicates-api.ts';
import { PairHistory, UnmergeBox, type RecordLabel } from './pair-history.tsx';
import './duplicates.css';

/** Two records side by side, field by field, and the reviewer's decision. */
export function DuplicatePairPage({ taskId }: { taskId: string }): ReactNode {
  const [state, reload] = useLoad(`pair:${taskId}`, () => fetchPair(taskId));
  return (
    <Page title="Review possible duplicate">
      <p>
        <Link to="/duplicates">Back to the duplicate worklist</Link>
      </p>
      {state.status === 'loading' && <Loading label="Loading the two records" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && <PairView pair={state.data} onChanged={reload} />}
    </Page>
  );
}

/** A record as the screen names it: its MRN, else its id. */
function recordLabel(pair: PairDetail): RecordLabel {
  return (id) => {
    const p = id === pair.a.id ? pair.a : id === pair.b.id ? pair.b : undefined;
    return p?.mrn ? `MRN ${p.mrn}` : `record ${id}`;
  };
}

function ChartLink({ record }: { record: PairDetail['a'] }): ReactNode {
  return (
    <Link to={`/patients/${encodeURIComponent(record.id)}`}>
      MRN {record.mrn || record.id}
      <span className="visually-hidden"> (open the chart of {record.name})</span>
    </Link>
  );
}

function PairView({ pair, onChanged }: { pair: PairDetail; onChanged: () => void }): ReactNode {
  const open = pair.status === 'requested' || pair.status === 'ready' || pair.status === 'in-progress';
  const label = recordLabel(pair);
  return (
    <>
      <p>
        Match probability <strong>{percent(pair.score)}</strong>
        <span className={pair.grade === 'probable' ? 'badge warn' : 'badge'}>{gradeLabel(pair.grade)}</span>
      </p>
      <div className="table-wrap">
        <table className="results pair-compare">
          <caption className="visually-hidden">The two records compared field by field</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">
                Record A (<ChartLink record={pair.a} />)
              </th>
              <th scope="col">
                Record B (<ChartLink record={pair.b} />)
              </th>
              <th scope="col">Agreement</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Full name</th>
              <td className="value">{pair.a.name}</td>
              <td className="value">{pair.b.name}</td>
              <td />
            </tr>
            {pair.fields.map((f) => (
              <tr key={f.field} className={`level-${f.level}`}>
                <th scope="row">{FIELD_LABELS[f.field] ?? f.field}</th>
                <td className="value">{f.valueA || '—'}</td>
                <td className="value">{f.valueB || '—'}</td>
                <td>
                  <span className={`agree ${f.level}`}>{LEVEL_LABELS[f.level] ?? f.level}</span>
                </td>
              </tr>
            ))}
            <tr>
              <th scope="row">Sex</th>
              <td className="value">{pair.a.gender || '—'}</td>
              <td className="value">{pair.b.gender || '—'}</td>
              <td />
            </tr>
            <tr>
              <th scope="row">Encounters</th>
              <td className="value">{pair.encounters[pair.a.id] ?? 0}</td>
              <td className="value">{pair.encounters[pair.b.id] ?? 0}</td>
              <td />
            </tr>
            <tr>
              <th scope="row">Status</th>
              <td className="value">{pair.a.active ? 'Active' : 'Inactive'}</td>
              <td className="value">{pair.b.active ? 'Active' : 'Inactive'}</td>
              <td />
            </tr>
          </tbody>
        </table>
      </div>
      {open ? <Decision pair={pair} /> : <p role="status">This pair has been decided ({pair.status}).</p>}
      {pair.merges.map((m) => (
        <UnmergeBox key={m.mergeId} merge={m} label={label} onDone={onChanged} />
      ))}
      <PairHistory history={pair.history} label={label} />
    </>
  );
}

type Pending = { kind: 'merge' } | { kind: 'not-duplicate' } | null;

function Decision({ pair }: { pair: PairDetail }): ReactNode {
  const [survivor, setSurvivor] = useState<'a' | 'b'>('a');
  const [reason, setReason] = useState('');
  const [mergeReason, setMergeReason] = useState('');
  const [pending, setPending] = useState<Pending>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const keep = survivor === 'a' ? pair.a : pair.b;
  const retire = survivor === 'a' ? pair.b : pair.a;

  const run = async (work: () => Promise<unknown>, done: string): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await work();
      navigate(`/duplicates?done=${done}&pair=${encodeURIComponent(pair.taskId)}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <div className="decision-grid">
      <section className="decision" aria-labelledby="merge-heading">
        <h2 id="merge-heading">Same person: merge</h2>
        <fieldset>
          <legend>Which record survives?</legend>
          {(['a', 'b'] as const).map((side) => {
            const p = side === 'a' ? pair.a : pair.b;
            return (
              <label key={side} className="radio">
                <input
                  type="radio"
                  name="survivor"
                  value={side}
                  checked={survivor === side}
                  onChange={() => setSurvivor(side)}
                />{' '}
                Keep record {side.toUpperCase()}: {p.name} (MRN {p.mrn || p.id})
              </label>
            );
          })}
        </fieldset>
        <div className="field">
          <label htmlFor="merge-reason">Why they are one person (optional)</label>
          <textarea
            id="merge-reason"
            value={mergeReason}
            onChange={(e) => setMergeReason(e.target.value)}
            placeholder="e.g. same SSN card; confirmed with the patient"
          />
        </div>
        <button
          type="button"
          className="button primary"
          onClick={() => setPending({ kind: 'merge' })}
          disabled={busy}
        >
          Merge records…
        </button>
        {pending?.kind === 'merge' && (
          <ConfirmBox
            id="merge-confirm-text"
            confirmLabel="Confirm merge"
            confirmClass="danger"
            busy={busy}
            onConfirm={() => void run(() => mergePair(retire.id, keep.id, mergeReason), 'merged')}
            onCancel={() => setPending(null)}
          >
            Move everything in record MRN {retire.mrn || retire.id} ({retire.name}) to MRN{' '}
            {keep.mrn || keep.id} ({keep.name})? Record {retire.mrn || retire.id} becomes inactive. This can
            be undone by an unmerge.
          </ConfirmBox>
        )}
      </section>
      <section className="decision" aria-labelledby="distinct-heading">
        <h2 id="distinct-heading">Different people</h2>
        <div className="field">
          <label htmlFor="not-duplicate-reason">Reason (required)</label>
          <textarea
            id="not-duplicate-reason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. twins; different SSNs confirmed with registration"
          />
        </div>
        <button
          type="button"
          className="button secondary"
          disabled={busy || reason.trim() === ''}
          onClick={() => setPending({ kind: 'not-duplicate' })}
        >
          Not a duplicate…
        </button>
        {pending?.kind === 'not-duplicate' && (
          <ConfirmBox
            id="distinct-confirm-text"
            confirmLabel="Confirm: not a duplicate"
            confirmClass="primary"
            busy={busy}
            onConfirm={() => void run(() => markNotDuplicate(pair.a.id, pair.b.id, reason), 'not-duplicate')}
            onCancel={() => setPending(null)}
          >
            Record that {pair.a.name} and {pair.b.name} are different people? The pair will not be suggested
            again.
          </ConfirmBox>
        )}
      </section>
      {error !== null && <ErrorMessage error={error} title="The decision was not saved" />}
    </div>
  );
}

/**
 * The last step of a decision: says what will happen and asks to confirm or cancel. An alert
 * dialog named by its text, so a screen reader reads the consequence before the buttons.
 */
function ConfirmBox({
  id,
  confirmLabel,
  confirmClass,
  busy,
  onConfirm,
  onCancel,
  children,
}: {
  id: string;
  confirmLabel: string;
  /** `danger` for what is hard to undo (a merge), `primary` otherwise. */
  confirmClass: 'danger' | 'primary';
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}): ReactNode {
  return (
    <div className="confirm-box" role="alertdialog" aria-labelledby={id}>
      <p id={id}>{children}</p>
      <div className="button-row">
        <button type="button" className={`button ${confirmClass}`} disabled={busy} onClick={onConfirm}>
          {confirmLabel}
        </button>
        <button type="button" className="button secondary" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </div>
  );
}
