import { useState, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link, navigate, useLocation } from '../../router.tsx';
import { gradeLabel, percent } from './agreement.ts';
import {
  fetchWorklist,
  worklistQuery,
  type DecidedPair,
  type MatchPair,
  type Worklist,
  type WorklistFilters,
} from './duplicates-api.ts';
import './duplicates.css';

const DONE: Record<string, string> = {
  merged: 'The records were merged. The pair has left the worklist.',
  'group-merged': 'The records were merged. The group has left the worklist.',
  'not-duplicate': 'The pair was marked as not a duplicate and will not come back.',
};

/** One line of the worklist: a pair of records, or a group of three or more reviewed together. */
type Item = { kind: 'pair'; pair: MatchPair } | { kind: 'group'; group: Worklist['groups'][number] };

const itemKey = (i: Item): string => (i.kind === 'pair' ? i.pair.taskId : i.group.groupId);
const createdAt = (i: Item): string => (i.kind === 'pair' ? i.pair.createdAt : i.group.createdAt);
/** An item's match probability: a group's best pair (its pairs come best first). */
const bestScore = (i: Item): number => (i.kind === 'pair' ? i.pair.score : (i.group.pairs[0]?.score ?? 0));

const ORDERS = {
  oldest: { label: 'Oldest first', compare: (x: Item, y: Item) => createdAt(x).localeCompare(createdAt(y)) },
  likely: {
    label: 'Most likely the same person first',
    compare: (x: Item, y: Item) => bestScore(y) - bestScore(x),
  },
  doubtful: { label: 'Least certain first', compare: (x: Item, y: Item) => bestScore(x) - bestScore(y) },
} as const;
type Order = keyof typeof ORDERS;

function MatchCell({ pair }: { pair: MatchPair | undefined }): ReactNode {
  if (!pair) return '—';
  return (
    <>
      {percent(pair.score)}
      <span className={pair.grade === 'probable' ? 'badge warn' : 'badge'}>{gradeLabel(pair.grade)}</span>
    </>
  );
}

const COLUMNS: Array<Column<Item>> = [
  {
    header: 'Match',
    cell: (i) => (i.kind === 'pair' ? <MatchCell pair={i.pair} /> : <MatchCell pair={i.group.pairs[0]} />),
  },
  {
    header: 'Records',
    cell: (i) =>
      i.kind === 'pair' ? (
        <ul className="record-list">
          <li>
            <RecordSummary record={i.pair.a} />
          </li>
          <li>
            <RecordSummary record={i.pair.b} />
          </li>
        </ul>
      ) : (
        <>
          <span className="badge">Group of {i.group.records.length} records</span>
          <ul className="record-list">
            {i.group.records.map((r) => (
              <li key={r.id}>
                <RecordSummary record={r} />
              </li>
            ))}
          </ul>
        </>
      ),
  },
  { header: 'Waiting since', cell: (i) => new Date(createdAt(i)).toLocaleDateString() },
  {
    header: <span className="visually-hidden">Action</span>,
    cell: (i) => {
      const names =
        i.kind === 'pair'
          ? `${i.pair.a.name} and ${i.pair.b.name}`
          : i.group.records.map((r) => r.name).join(', ');
      const to =
        i.kind === 'pair'
          ? `/duplicates/${encodeURIComponent(i.pair.taskId)}`
          : `/duplicates/groups/${encodeURIComponent(i.group.groupId)}`;
      return (
        <Link to={to} className="button small secondary">
          Review<span className="visually-hidden"> {names}</span>
        </Link>
      );
    },
  },
];

/** One record: the name, with the birth date and MRN a reviewer tells records apart by. */
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

const STATUS_LABELS: Record<WorklistFilters['status'], string> = {
  open: 'Waiting for review',
  merged: 'Merged',
  'not-duplicate': 'Decided not duplicates',
};

function filtersOf(search: URLSearchParams): WorklistFilters {
  const status = search.get('status');
  const month = search.get('month') ?? '';
  return {
    status: status === 'merged' || status === 'not-duplicate' ? status : 'open',
    ...(month ? { month } : {}),
  };
}

const DECISION_COLUMNS: Array<Column<DecidedPair>> = [
  { header: 'Decided', rowHeader: true, cell: (d) => new Date(d.decidedAt).toLocaleDateString() },
  {
    header: 'Records',
    cell: (d) => (
      <ul className="record-list">
        <li>
          <RecordSummary record={d.a} />
        </li>
        <li>
          <RecordSummary record={d.b} />
        </li>
      </ul>
    ),
  },
  { header: 'By', cell: (d) => d.decidedBy },
  { header: 'Reason', cell: (d) => d.reason ?? '' },
];

/** Pairs already decided (merged, or not duplicates): what the dashboard's duplicate rate counts. */
function DecisionsTable({ decisions, total }: { decisions: DecidedPair[]; total: number }): ReactNode {
  if (decisions.length === 0) return <Empty>No pairs were decided so.</Empty>;
  return (
    <div className="table-wrap">
      <DataTable
        className="results"
        caption={`${total} pairs decided, newest first`}
        columns={DECISION_COLUMNS}
        rows={decisions}
        rowKey={(d) => `${d.a.id}|${d.b.id}`}
      />
    </div>
  );
}

/** Pairs and groups of patient records that may be one person, oldest first. */
export function DuplicateWorklistPage(): ReactNode {
  const location = useLocation();
  const filters = filtersOf(location.search);
  const [state, reload] = useLoad(`duplicates:${worklistQuery(filters)}`, () => fetchWorklist(filters));
  // Filters go to the URL (replacing it), so a reload, a shared link or a dashboard point keeps them.
  const change = (next: Partial<WorklistFilters>): void => {
    const query = worklistQuery({ ...filters, ...next });
    navigate(`/duplicates${query ? `?${query}` : ''}`, { replace: true });
  };
  const decisions = state.status === 'done' ? state.data.decisions : undefined;
  const done = DONE[location.search.get('done') ?? ''];
  const decidedPair = location.search.get('pair');
  const [order, setOrder] = useState<Order>('oldest');
  const items: Item[] =
    state.status === 'done'
      ? [
          ...state.data.pairs.map((pair): Item => ({ kind: 'pair', pair })),
          ...state.data.groups.map((group): Item => ({ kind: 'group', group })),
        ].sort(ORDERS[order].compare)
      : [];
  return (
    <Page title="Duplicates to review">
      {done && (
        <p className="notice" role="status">
          {done}
          {decidedPair && (
            <>
              {' '}
              <Link to={`/duplicates/${encodeURIComponent(decidedPair)}`}>
                {done === DONE.merged ? 'See the pair’s history or undo the merge' : 'See the pair’s history'}
              </Link>
            </>
          )}
        </p>
      )}
      <form className="search-form" aria-label="Filter the worklist" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="duplicates-status">Show</label>
          <select
            id="duplicates-status"
            value={filters.status}
            onChange={(e) => change({ status: e.target.value as WorklistFilters['status'] })}
          >
            {Object.entries(STATUS_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="duplicates-month">{filters.status === 'open' ? 'Flagged in' : 'Decided in'}</label>
          <input
            id="duplicates-month"
            type="month"
            value={filters.month ?? ''}
            onChange={(e) => change({ month: e.target.value })}
          />
        </div>
      </form>
      {state.status === 'loading' && <Loading label="Loading the worklist" />}
      {decisions && (
        <DecisionsTable decisions={decisions} total={state.status === 'done' ? state.data.total : 0} />
      )}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && !decisions && items.length === 0 && (
        <Empty>No possible duplicates are waiting for review.</Empty>
      )}
      {state.status === 'done' && items.length > 0 && (
        <div className="field">
          <label htmlFor="worklist-order">Order</label>
          <select id="worklist-order" value={order} onChange={(e) => setOrder(e.target.value as Order)}>
            {Object.entries(ORDERS).map(([key, o]) => (
              <option key={key} value={key}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
      )}
      {state.status === 'done' && items.length > 0 && (
        <div className="table-wrap">
          <DataTable
            className="results"
            caption={`${state.data.total} items waiting, ${ORDERS[order].label.toLowerCase()}`}
            columns={COLUMNS}
            rows={items}
            rowKey={itemKey}
          />
        </div>
      )}
    </Page>
  );
}
