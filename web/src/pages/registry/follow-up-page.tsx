import type { ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link } from '../../router.tsx';
import { fetchFollowUp, showDate, type FollowUpWorklist } from './registry-api.ts';
import './registry.css';

type Due = FollowUpWorklist['due'][number];

const COLUMNS: Array<Column<Due>> = [
  {
    header: 'Patient',
    rowHeader: true,
    cell: (d) => (
      <Link to={`/patients/${encodeURIComponent(d.patient.replace(/^Patient\//, ''))}`}>{d.patientName}</Link>
    ),
  },
  { header: 'Patient ID Number', className: 'mono', cell: (d) => d.patientIdNumber ?? '—' },
  { header: 'Primary sites', className: 'mono', cell: (d) => d.sites.join(', ') },
  { header: 'Last contact', cell: (d) => showDate(d.dateOfLastContact) },
];

const percent = (r: { rate: number }): string => `${Math.round(r.rate * 1000) / 10} %`;

/** Living patients with analytic cases not heard from in a year, and the follow-up rates. */
export function FollowUpPage(): ReactNode {
  const [state, reload] = useLoad('registry-follow-up', fetchFollowUp);
  return (
    <Page title="Follow-up">
      {state.status === 'loading' && <Loading label="Loading the follow-up worklist" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && (
        <>
          <dl className="rate-list">
            <div>
              <dt>Follow-up rate, all analytic patients</dt>
              <dd>
                {percent(state.data.rate)} ({state.data.rate.followed} of {state.data.rate.eligible})
              </dd>
            </div>
            <div>
              <dt>Diagnosed in the last five years</dt>
              <dd>
                {percent(state.data.rateLastFiveYears)} ({state.data.rateLastFiveYears.followed} of{' '}
                {state.data.rateLastFiveYears.eligible})
              </dd>
            </div>
          </dl>
          {state.data.due.length === 0 ? (
            <Empty>Every living patient has been contacted within the year.</Empty>
          ) : (
            <div className="table-wrap">
              <DataTable
                className="results"
                caption={`${state.data.due.length} patients due for follow-up, longest without contact first`}
                columns={COLUMNS}
                rows={state.data.due}
                rowKey={(d) => d.patient}
              />
            </div>
          )}
        </>
      )}
    </Page>
  );
}
