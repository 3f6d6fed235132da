import { useState, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { ErrorMessage } from '../../components/status.tsx';
import { formatDate } from '../../fhir-format.ts';
import { EVENT_LABELS, percent } from './agreement.ts';
import { unmerge, type PairDetail } from './duplicates-api.ts';

type PairEvent = PairDetail['history'][number];
type StandingMerge = PairDetail['merges'][number];

/** How a history row names a record: its MRN where the screen knows it. */
export type RecordLabel = (patientId: string) => string;

function what(e: PairEvent, label: RecordLabel): string {
  const d = e.detail;
  if (e.event === 'scored' && typeof d.score === 'number') return `match probability ${percent(d.score)}`;
  if ((e.event === 'merged' || e.event === 'unmerged') && typeof d.source === 'string')
    return `${label(d.source)} into ${label(String(d.target))}`;
  return `${label(e.a)} and ${label(e.b)}`;
}

/** Each decision about the pair (or the group's pairs): what, who, when, why. Oldest first. */
export function PairHistory({ history, label }: { history: PairEvent[]; label: RecordLabel }): ReactNode {
  const columns: Array<Column<PairEvent>> = [
    { header: 'When', cell: (e) => formatDate(e.at) },
    { header: 'Event', cell: (e) => EVENT_LABELS[e.event] ?? e.event, rowHeader: true },
    { header: 'Records', cell: (e) => what(e, label) },
    { header: 'By', cell: (e) => e.actor },
    { header: 'Why', cell: (e) => e.reason ?? '—' },
  ];
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      {history.length === 0 ? (
        <p>No decisions yet.</p>
      ) : (
        <div className="table-wrap">
          <DataTable
            className="results compact"
            caption="What happened to these records, oldest first"
            columns={columns}
            rows={history}
            rowKey={(e, n) => `${e.at}-${n}`}
          />
        </div>
      )}
    </section>
  );
}

/** Undo a merge that still stands: a reason, then the unmerge; the screen reloads after. */
export function UnmergeBox({
  merge,
  label,
  onDone,
}: {
  merge: StandingMerge;
  label: RecordLabel;
  onDone: () => void;
}): ReactNode {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const id = `unmerge-${merge.mergeId}`;
  const run = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await unmerge(merge.mergeId, reason);
      onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <section className="decision" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>
        Undo the merge of {label(merge.source)} into {label(merge.target)}
      </h2>
      <p>
        Merged by {merge.actor} on {formatDate(merge.at.slice(0, 10))}. Undoing it moves each record back
        where it was and returns the pair to the worklist.
      </p>
      <div className="field">
        <label htmlFor={`${id}-reason`}>Reason for the unmerge (required)</label>
        <textarea id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      <button
        type="button"
        className="button danger"
        disabled={busy || reason.trim() === ''}
        onClick={() => void run()}
      >
        Unmerge
      </button>
      {error !== null && <ErrorMessage error={error} title="The unmerge was not saved" />}
    </section>
  );
}
