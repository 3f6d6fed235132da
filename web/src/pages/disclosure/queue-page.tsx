import type { ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link, navigate, useLocation } from '../../router.tsx';
import { fetchQueue, queueQuery, type QueueFilters, type ReleaseRequest } from './disclosure-api.ts';
import { clockWords, requesterLabel, STATUSES, statusLabel } from './disclosure-words.ts';
import './disclosure.css';

/** The clock as a flag: colour AND words, so it reads without colour too. */
export function ClockFlag({ request }: { request: ReleaseRequest }): ReactNode {
  const { text, tone } = clockWords(request);
  return <span className={`clock ${tone}`}>{text}</span>;
}

const COLUMNS: Array<Column<ReleaseRequest>> = [
  {
    header: 'Due',
    rowHeader: true,
    cell: (r) => (
      <>
        {r.dueDate}
        {r.extension && <span className="badge">extended</span>}
        <div>
          <ClockFlag request={r} />
        </div>
      </>
    ),
  },
  {
    header: 'Patient',
    cell: (r) => (
      <>
        {r.patient.name}
        <div className="issuer">MRN {r.patient.mrn ?? 'none'}</div>
      </>
    ),
  },
  {
    header: 'Requester',
    cell: (r) => (
      <>
        {requesterLabel(r.requesterType)}
        <div className="issuer">{r.recipient}</div>
      </>
    ),
  },
  { header: 'Received', cell: (r) => r.received },
  { header: 'Status', cell: (r) => statusLabel(r.status) },
  {
    header: <span className="visually-hidden">Action</span>,
    cell: (r) => (
      <Link to={`/disclosure/${encodeURIComponent(r.id)}`} className="button small secondary">
        Open
        <span className="visually-hidden">
          {' '}
          the request for {r.patient.name} from {r.recipient}
        </span>
      </Link>
    ),
  },
];

/** The queue's filters from the page's URL: a shared link or a dashboard's point opens them. */
function filtersOf(search: URLSearchParams): QueueFilters {
  const received = search.get('received') ?? '';
  const released = search.get('released') ?? '';
  return {
    status: search.get('status') ?? 'open',
    ...(received ? { received } : {}),
    ...(released ? { released } : {}),
    ...(search.get('late') === 'true' ? { late: true } : {}),
  };
}

/** The ROI queue: requests ordered by due date, with overdue and near-due flags. */
export function DisclosureQueuePage(): ReactNode {
  const filters = filtersOf(useLocation().search);
  const query = queueQuery(filters);
  const [state, reload] = useLoad(`queue:${query}`, () => fetchQueue(filters));
  const rows = state.status === 'done' ? state.data.requests : [];
  const overdue = rows.filter((r) => r.clock.state === 'overdue').length;
  const near = rows.filter((r) => r.clock.state === 'near-due' || r.clock.state === 'due-today').length;
  // Every change goes into the URL, so a reload or a shared link shows the same requests.
  const change = (next: Partial<QueueFilters>): void => {
    const merged = { ...filters, ...next };
    navigate(`/disclosure?${queueQuery(merged)}`);
  };
  return (
    <Page
      title="Release of information"
      actions={
        <>
          <Link to="/disclosure/new" className="button primary">
            Log a request
          </Link>
          <Link to="/disclosure/accounting" className="button secondary">
            Accounting of disclosures
          </Link>
        </>
      }
    >
      <div className="search-form">
        <div className="field">
          <label htmlFor="roi-status">Show</label>
          <select id="roi-status" value={filters.status} onChange={(e) => change({ status: e.target.value })}>
            <option value="open">Open requests</option>
            <option value="all">All requests</option>
            {STATUSES.map(([code, label]) => (
              <option key={code} value={code}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="roi-received">Received in</label>
          <input
            id="roi-received"
            type="month"
            value={filters.received ?? ''}
            onChange={(e) => change({ received: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="roi-released">Released in</label>
          <input
            id="roi-released"
            type="month"
            value={filters.released ?? ''}
            onChange={(e) => change({ released: e.target.value })}
          />
        </div>
        <div className="field">
          <label>
            <input
              type="checkbox"
              checked={!!filters.late}
              onChange={(e) => change({ late: e.target.checked })}
            />{' '}
            Released late only
          </label>
        </div>
      </div>
      {state.status === 'loading' && <Loading label="Loading the requests" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && rows.length === 0 && <Empty>No requests to show.</Empty>}
      {state.status === 'done' && rows.length > 0 && (
        <>
          <p className="lead" role="status">
            {rows.length} requests · {overdue} overdue · {near} due within 5 days
          </p>
          <div className="table-wrap">
            <DataTable
              className="results"
              caption="Requests, soonest due first"
              columns={COLUMNS}
              rows={rows}
              rowKey={(r) => r.id}
              rowData={(r) => ({ 'data-request': r.id, 'data-clock': r.clock.state })}
            />
          </div>
        </>
      )}
    </Page>
  );
}
