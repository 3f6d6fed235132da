import type { ReactNode } from 'react';
import { DataTable } from '../../components/data-table.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link, useLocation } from '../../router.tsx';
import { cell, fetchReport, rangeFrom } from './reports-api.ts';

/** The anomaly flags a privacy officer follows up, each linking to the access report behind it. */
export function AnomalyList(): ReactNode {
  const range = rangeFrom(useLocation().search, 29);
  const [state, retry] = useLoad(`anomalies:${range.from}:${range.to}`, () =>
    fetchReport('anomalies', range),
  );
  return (
    <section aria-labelledby="anomalies-heading">
      <h2 id="anomalies-heading">
        Anomalies from {range.from} to {range.to}
      </h2>
      {state.status === 'loading' && <Loading label="Looking for anomalies" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={retry} />}
      {state.status === 'done' && state.data.rows.length === 0 && <Empty>No anomaly flagged.</Empty>}
      {state.status === 'done' && state.data.rows.length > 0 && (
        <DataTable
          className="data-table"
          caption="Anomaly flags"
          rows={state.data.rows}
          rowKey={(_, i) => i}
          columns={[
            { header: 'Flag', cell: (row) => String(cell(state.data, row, 'flag')), rowHeader: true },
            {
              header: 'User',
              cell: (row) => {
                const user = String(cell(state.data, row, 'user'));
                return <Link to={`/reports/access?user=${encodeURIComponent(user)}`}>{user}</Link>;
              },
            },
            { header: 'Day', cell: (row) => String(cell(state.data, row, 'day') ?? '') },
            { header: 'Detail', cell: (row) => String(cell(state.data, row, 'detail') ?? '') },
          ]}
        />
      )}
    </section>
  );
}
