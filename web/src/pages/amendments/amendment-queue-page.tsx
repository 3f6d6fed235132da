import type { ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link, navigate, useLocation } from '../../router.tsx';
import { fetchAmendments, type AmendmentView } from './amendments-api.ts';
import '../disclosure/disclosure.css';

/** The clock in words (and colour): overdue, due today, due in n days, or answered. */
export function clockText(a: AmendmentView): { text: string; tone: string } {
  const left = a.clock.daysLeft ?? 0;
  switch (a.clock.state) {
    case 'stopped':
      return { text: 'Answered', tone: '' };
    case 'overdue':
      return { text: `Overdue by ${-left} days`, tone: 'danger' };
    case 'due-today':
      return { text: 'Due today', tone: 'warn' };
    case 'near-due':
      return { text: `Due in ${left} days`, tone: 'warn' };
    case 'on-time':
      return { text: `Due in ${left} days`, tone: '' };
  }
}

const COLUMNS: Array<Column<AmendmentView>> = [
  {
    header: 'Due',
    rowHeader: true,
    cell: (a) => (
      <>
        {a.dueDate}
        {a.extension && <span className="badge">extended</span>}
        <div>
          <span className={`clock ${clockText(a).tone}`}>{clockText(a).text}</span>
        </div>
      </>
    ),
  },
  { header: 'Patient', cell: (a) => a.patient.name },
  { header: 'Change asked for', cell: (a) => a.change },
  { header: 'Received', cell: (a) => a.received },
  { header: 'Status', cell: (a) => a.status },
  {
    header: <span className="visually-hidden">Action</span>,
    cell: (a) => (
      <Link to={`/amendments/${encodeURIComponent(a.id)}`} className="button small secondary">
        Open<span className="visually-hidden"> the amendment request of {a.patient.name}</span>
      </Link>
    ),
  },
];

/** The amendment queue: requests soonest due first, the 60-day clock in words and colour. */
export function AmendmentQueuePage(): ReactNode {
  const location = useLocation();
  const status = location.search.get('status') ?? 'open';
  const [state, reload] = useLoad(`amendments:${status}`, () => fetchAmendments(status));
  return (
    <Page title="Amendment requests">
      <div className="field">
        <label htmlFor="amendment-status">Show</label>
        <select
          id="amendment-status"
          value={status}
          onChange={(e) => navigate(`/amendments?status=${encodeURIComponent(e.target.value)}`)}
        >
          {['open', 'all', 'received', 'routed', 'accepted', 'denied'].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' &&
        (state.data.amendments.length === 0 ? (
          <Empty>No amendment requests.</Empty>
        ) : (
          <DataTable
            className="worklist"
            caption="Amendment requests"
            columns={COLUMNS}
            rows={state.data.amendments}
            rowKey={(a) => a.id}
            rowData={(a) => ({ 'data-amendment': a.id, 'data-clock': a.clock.state })}
          />
        ))}
    </Page>
  );
}
