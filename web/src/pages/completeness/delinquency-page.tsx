import { useState, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { delinquencyCsvUrl, fetchDelinquency, type DelinquencyReport } from './completeness-api.ts';
import { BUCKET_COLOURS, lastMonth, percent } from './completeness-words.ts';
import './completeness.css';

type Line = DelinquencyReport['byProvider'][number];

const BAR_HEIGHT = 22;
const LABEL_WIDTH = 190;
const CHART_WIDTH = 720;

/**
 * Open deficiencies by age bucket and provider: one horizontal bar per provider, a segment per
 * bucket (older darker). Drawn as SVG (no chart library: the CSP allows only our own scripts);
 * the table below holds the same figures for screen readers.
 */
function BucketChart({ report }: { report: DelinquencyReport }): ReactNode {
  const lines = report.byProvider.filter((l) => l.openDeficiencies > 0).slice(0, 12);
  const max = Math.max(1, ...lines.map((l) => l.openDeficiencies));
  const scale = (CHART_WIDTH - LABEL_WIDTH - 40) / max;
  const height = lines.length * (BAR_HEIGHT + 8) + 10;
  return (
    <figure>
      <figcaption>Open deficiencies by days since discharge, per provider</figcaption>
      <ul className="legend" aria-hidden="true">
        {report.buckets.map((b, i) => (
          <li key={b.label}>
            <span style={{ background: BUCKET_COLOURS[i] }} />
            {b.label} days
          </li>
        ))}
      </ul>
      <svg
        role="img"
        aria-label={`Bar chart of open deficiencies by age for ${lines.length} providers; the same figures are in the provider table`}
        width={CHART_WIDTH}
        height={height}
        viewBox={`0 0 ${CHART_WIDTH} ${height}`}
      >
        {lines.map((line, row) => {
          let x = LABEL_WIDTH;
          const y = row * (BAR_HEIGHT + 8) + 4;
          return (
            <g key={line.id}>
              <text x={LABEL_WIDTH - 8} y={y + BAR_HEIGHT * 0.7} textAnchor="end" fontSize="13">
                {line.name.length > 26 ? `${line.name.slice(0, 25)}…` : line.name}
              </text>
              {line.buckets.map((n, i) => {
                const w = n * scale;
                const rect = (
                  <rect
                    key={i}
                    x={x}
                    y={y}
                    width={w}
                    height={BAR_HEIGHT}
                    fill={BUCKET_COLOURS[i]}
                    stroke="#fff"
                  >
                    <title>{`${line.name}: ${n} open, ${report.buckets[i]?.label ?? ''} days`}</title>
                  </rect>
                );
                x += w;
                return rect;
              })}
              <text x={x + 6} y={y + BAR_HEIGHT * 0.7} fontSize="13">
                {line.openDeficiencies}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

function lineColumns(report: DelinquencyReport, what: string): Array<Column<Line>> {
  return [
    { header: what, rowHeader: true, cell: (l) => l.name },
    { header: 'Delinquent charts', numeric: true, cell: (l) => l.delinquentCharts },
    { header: 'Open deficiencies', numeric: true, cell: (l) => l.openDeficiencies },
    { header: 'Average monthly discharges', numeric: true, cell: (l) => l.averageMonthlyDischarges },
    { header: 'Rate', numeric: true, cell: (l) => percent(l.rate) },
    ...report.buckets.map((b, i) => ({
      header: `${b.label} days`,
      numeric: true,
      cell: (l: Line) => l.buckets[i] ?? 0,
    })),
  ];
}

/** The delinquency report of a month: the accreditation rate, aging buckets, providers and services. */
export function DelinquencyPage(): ReactNode {
  const [month, setMonth] = useState(lastMonth());
  const [state, reload] = useLoad(`delinquency-${month}`, () => fetchDelinquency(month));
  const [csv, setCsv] = useState<string>();
  return (
    <Page title="Delinquent charts">
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Choose the month">
        <label>
          Month
          <input type="month" value={month} onChange={(e) => e.target.value && setMonth(e.target.value)} />
        </label>
        <button
          type="button"
          className="button secondary"
          onClick={() => void delinquencyCsvUrl(month).then(setCsv)}
        >
          Prepare CSV
        </button>
        {csv && (
          <a href={csv} download={`delinquency-${month}.csv`}>
            Download delinquency-{month}.csv
          </a>
        )}
      </form>
      {state.status === 'loading' && <Loading label="Computing the report" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && (
        <>
          <div className="delinquency-summary">
            <div>
              Delinquent charts<strong>{state.data.delinquentCharts}</strong>
            </div>
            <div>
              Average monthly discharges<strong>{state.data.averageMonthlyDischarges}</strong>
            </div>
            <div>
              Delinquency rate
              <strong
                className={
                  state.data.rate !== null && state.data.rate > state.data.threshold ? 'warn-text' : undefined
                }
              >
                {percent(state.data.rate)}
              </strong>
              limit {percent(state.data.threshold)}
            </div>
          </div>
          <p className="help">
            As of {new Date(state.data.asOf).toLocaleString()}: a chart is delinquent when a deficiency is
            open more than {state.data.delinquentAfterDays} days after discharge; discharges averaged over{' '}
            {state.data.dischargesByMonth.map((m) => `${m.month} (${m.discharges})`).join(', ')}.
          </p>
          <BucketChart report={state.data} />
          <h2>By provider</h2>
          <div className="table-wrap">
            <DataTable
              className="results"
              columns={lineColumns(state.data, 'Provider')}
              rows={state.data.byProvider}
              rowKey={(l) => l.id}
            />
          </div>
          <h2>By service</h2>
          <div className="table-wrap">
            <DataTable
              className="results"
              columns={lineColumns(state.data, 'Service')}
              rows={state.data.byService}
              rowKey={(l) => l.id}
            />
          </div>
        </>
      )}
    </Page>
  );
}
