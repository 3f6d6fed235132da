import { useState, type ReactNode } from 'react';
import { Page } from '../../components/page.tsx';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link, navigate } from '../../router.tsx';
import { gradeLabel, percent } from './agreement.ts';
import { fetchGroup, markNotDuplicate, mergeGroup, type GroupDetail } from './duplicates-api.ts';
import { PairHistory, type RecordLabel } from './pair-history.tsx';
import './duplicates.css';

type Summary = GroupDetail['records'][number];

/** Three or more records that may be one person, side by side, decided together. */
export function DuplicateGroupPage({ taskId }: { taskId: string }): ReactNode {
  const [state, reload] = useLoad(`group:${taskId}`, () => fetchGroup(taskId));
  return (
    <Page title="Review a group of possible duplicates">
      <p>
        <Link to="/duplicates">Back to the duplicate worklist</Link>
      </p>
      {state.status === 'loading' && <Loading label="Loading the records" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && <GroupView group={state.data} />}
    </Page>
  );
}

const ROWS: Array<[string, (r: Summary, g: GroupDetail) => ReactNode]> = [
  ['Name', (r) => r.name],
  ['Date of birth', (r) => r.birthDate || '—'],
  ['Sex', (r) => r.gender || '—'],
  ['Address', (r) => r.address || '—'],
  ['Phone', (r) => r.phone || '—'],
  ['SSN', (r) => r.ssn || '—'],
  ['Encounters', (r, g) => g.encounters[r.id] ?? 0],
];

function GroupView({ group }: { group: GroupDetail }): ReactNode {
  const label: RecordLabel = (id) => {
    const r = group.records.find((x) => x.id === id);
    return r?.mrn ? `MRN ${r.mrn}` : `record ${id}`;
  };
  return (
    <>
      <p>
        {group.records.length} records are linked by {group.pairs.length} possible matches. Decide them
        together: merge the ones that are this person into one survivor, and set apart any that is someone
        else.
      </p>
      <div className="table-wrap">
        <table className="results pair-compare group-compare">
          <caption className="visually-hidden">The records of the group side by side</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              {group.records.map((r) => (
                <th scope="col" key={r.id}>
                  <Link to={`/patients/${encodeURIComponent(r.id)}`}>
                    MRN {r.mrn || r.id}
                    <span className="visually-hidden"> (open the chart of {r.name})</span>
                  </Link>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {ROWS.map(([name, cell]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                {group.records.map((r) => (
                  <td className="value" key={r.id}>
                    {cell(r, group)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <section aria-labelledby="matches-heading">
        <h2 id="matches-heading">Matches in the group</h2>
        <ul>
          {group.pairs.map((p) => (
            <li key={p.taskId}>
              <Link to={`/duplicates/${encodeURIComponent(p.taskId)}`}>
                {label(p.a.id)} and {label(p.b.id)}
              </Link>
              : {percent(p.score)} <span className="badge">{gradeLabel(p.grade)}</span>
            </li>
          ))}
        </ul>
      </section>
      <GroupDecision group={group} label={label} />
      <PairHistory history={group.history} label={label} />
    </>
  );
}

function GroupDecision({ group, label }: { group: GroupDetail; label: RecordLabel }): ReactNode {
  const ids = group.records.map((r) => r.id);
  const busiest = [...ids].sort((x, y) => (group.encounters[y] ?? 0) - (group.encounters[x] ?? 0))[0] ?? '';
  const [survivor, setSurvivor] = useState(busiest);
  const [excluded, setExcluded] = useState<Set<string>>(new Set());
  const [reason, setReason] = useState('');
  const [apart, setApart] = useState('');
  const [apartReason, setApartReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const sources = ids.filter((id) => id !== survivor && !excluded.has(id));

  const run = async (work: () => Promise<unknown>, done: string): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await work();
      navigate(`/duplicates?done=${done}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const toggle = (id: string): void =>
    setExcluded((old) => {
      const next = new Set(old);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div className="decision-grid">
      <section className="decision" aria-labelledby="group-merge-heading">
        <h2 id="group-merge-heading">Same person: merge into one record</h2>
        <fieldset>
          <legend>Which record survives?</legend>
          {group.records.map((r) => (
            <label key={r.id} className="radio">
              <input
                type="radio"
                name="survivor"
                checked={survivor === r.id}
                onChange={() => setSurvivor(r.id)}
              />{' '}
              Keep {label(r.id)}: {r.name}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Merge into it</legend>
          {group.records
            .filter((r) => r.id !== survivor)
            .map((r) => (
              <label key={r.id} className="radio">
                <input type="checkbox" checked={!excluded.has(r.id)} onChange={() => toggle(r.id)} />{' '}
                {label(r.id)}: {r.name}
              </label>
            ))}
        </fieldset>
        <div className="field">
          <label htmlFor="group-merge-reason">Why they are one person (optional)</label>
          <textarea id="group-merge-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
        <button
          type="button"
          className="button primary"
          disabled={busy || sources.length === 0}
          onClick={() => setConfirming(true)}
        >
          Merge {sources.length} {sources.length === 1 ? 'record' : 'records'}…
        </button>
        {confirming && (
          <div className="confirm-box" role="alertdialog" aria-labelledby="group-confirm-text">
            <p id="group-confirm-text">
              Move everything in {sources.map(label).join(' and ')} to {label(survivor)}? The merged records
              become inactive. Each merge can be undone from its pair’s screen.
            </p>
            <div className="button-row">
              <button
                type="button"
                className="button danger"
                disabled={busy}
                onClick={() => void run(() => mergeGroup(survivor, sources, reason), 'group-merged')}
              >
                Confirm merge
              </button>
              <button type="button" className="button secondary" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          </div>
        )}
      </section>
      <section className="decision" aria-labelledby="apart-heading">
        <h2 id="apart-heading">A different person</h2>
        <div className="field">
          <label htmlFor="apart-record">Record that is someone else</label>
          <select id="apart-record" value={apart} onChange={(e) => setApart(e.target.value)}>
            <option value="">Choose a record</option>
            {group.records.map((r) => (
              <option key={r.id} value={r.id}>
                {label(r.id)}: {r.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="apart-reason">Reason (required)</label>
          <textarea id="apart-reason" value={apartReason} onChange={(e) => setApartReason(e.target.value)} />
        </div>
        <button
          type="button"
          className="button secondary"
          disabled={busy || !apart || apartReason.trim() === ''}
          onClick={() =>
            void run(
              () =>
                markNotDuplicate(
                  apart,
                  ids.filter((id) => id !== apart),
                  apartReason,
                ),
              'not-duplicate',
            )
          }
        >
          Not the same person as the others
        </button>
      </section>
      {error !== null && <ErrorMessage error={error} title="The decision was not saved" />}
    </div>
  );
}
