import type { ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link, useLocation } from '../../router.tsx';
import { gradeLabel, percent } from './agreement.ts';
import { fetchWorklist, type MatchPair } from './duplicates-api.ts';
import './duplicates.css';

const DONE: Record<string, string> = {
  merged: 'The records were merged. The pair has left the worklist.',
  'not-duplicate': 'The pair was marked as not a duplicate and will not come back.',
};

const PAIR_COLUMNS: Array<Column<MatchPair>> = [
  {
    header: 'Match',
    cell: (p) => (
      <>
        {percent(p.score)}
        <span className={p.grade === 'probable' ? 'badge warn' : 'badge'}>{gradeLabel(p.grade)}</span>
      </>
    ),
  },
  { header: 'Record A', cell: (p) => <RecordSummary record={p.a} /> },
  { header: 'Record B', cell: (p) => <RecordSummary record={p.b} /> },
  { header: 'Waiting since', cell: (p) => new Date(p.createdAt).toLocaleDateString() },
  {
    header: <span className="visually-hidden">Action</span>,
    cell: (p) => (
      <Link to={`/duplicates/${encodeURIComponent(p.taskId)}`} className="button small secondary">
        Review
        <span className="visually-hidden">
          {' '}
          {p.a.name} and {p.b.name}
        </span>
      </Link>
    ),
  },
];

/** One side of a pair: the name, with the birth date and MRN a reviewer tells records apart by. */
function RecordSummary({ record }: { record: MatchPair['a'] }): ReactNode {
  return (
    <>
      {record.name || '(no name)'}
      <div className="issuer">
        born {record.birthDate || 'unknown'} · MRN {record.mrn || 'none'}
      </div>
    </>
  );
}

/** Pairs of patient records that may be one person, oldest first. */
export function DuplicateWorklistPage(): ReactNode {
  const location = useLocation();
  const [state, reload] = useLoad('duplicates', fetchWorklist);
  const done = DONE[location.search.get('done') ?? ''];
  return (
    <Page title="Duplicates to review">
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      {state.status === 'loading' && <Loading label="Loading the worklist" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && state.data.pairs.length === 0 && (
        <Empty>No possible duplicates are waiting for review.</Empty>
      )}
      {state.status === 'done' && state.data.pairs.length > 0 && (
        <div className="table-wrap">
          <DataTable
            className="results"
            caption={`${state.data.total} pairs waiting, oldest first`}
            columns={PAIR_COLUMNS}
            rows={state.data.pairs}
            rowKey={(p) => p.taskId}
          />
        </div>
      )}
    </Page>
  );
}
