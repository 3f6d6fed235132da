import type { ReactNode } from 'react';
import { Page } from '../../components/page.tsx';
import { useLocation } from '../../router.tsx';
import { casesPath, procedureCasesPath } from './cases-page.tsx';
import { columnSeries, distinctOf, pivotSeries, totalOf } from './chart-series.ts';
import { FilterBar, filtersFrom, Loaded, Tiles, useReports, type DashboardFilters } from './dashboard.tsx';
import { backlogWorklistPath, finalizedPath, overridesPath } from './dashboard-links.ts';
import { ReportChart } from './report-chart.tsx';
import { cell, type ReportResult } from './reports-api.ts';

const PATH = '/reports/coding';
const WORKLIST = '/coding/worklist';

/** The coding manager's dashboard: backlog, productivity per coder, what is being coded. */
export function CodingDashboard(): ReactNode {
  const range = filtersFrom(useLocation().search, 29);
  const [state, retry] = useReports(
    'coding',
    [
      { name: 'coding-backlog' },
      { name: 'coding-productivity' },
      { name: 'top-diagnoses', filters: { limit: '10' } },
      { name: 'top-procedures', filters: { limit: '10' } },
      { name: 'diagnosis-trend', filters: { limit: '5' } },
      { name: 'coding-quality' },
    ],
    range,
  );
  return (
    <Page title="Coding manager's dashboard">
      <FilterBar path={PATH} filters={range} />
      <Loaded state={state} retry={retry}>
        {(r) => <CodingBody reports={r} range={range} />}
      </Loaded>
    </Page>
  );
}

/** The first and last day of a month (YYYY-MM). */
function monthRange(month: string): { from: string; to: string } {
  const [year, mon] = month.split('-').map(Number);
  const last = new Date(Date.UTC(year ?? 1970, mon ?? 1, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

const rowsOf = (r: Record<string, ReportResult>, name: string): ReportResult => r[name] as ReportResult;

function CodingBody({
  reports,
  range,
}: {
  reports: Record<string, ReportResult>;
  range: DashboardFilters;
}): ReactNode {
  const backlog = rowsOf(reports, 'coding-backlog');
  const productivity = rowsOf(reports, 'coding-productivity');
  const diagnoses = rowsOf(reports, 'top-diagnoses');
  const procedures = rowsOf(reports, 'top-procedures');
  const trend = rowsOf(reports, 'diagnosis-trend');
  const quality = rowsOf(reports, 'coding-quality');
  const backlogIn = (state: string): number =>
    totalOf(backlog, 'encounters', (row) => cell(backlog, row, 'state') === state);
  const coders = distinctOf(productivity, 'coder').sort();
  const perCoder = (column: string): number[] =>
    coders.map((c) => totalOf(productivity, column, (row) => cell(productivity, row, 'coder') === c));
  const finalized = perCoder('finalized');
  const overrides = pivotSeries(quality, {
    category: 'kind',
    series: 'coder',
    value: 'overrides',
    seriesNames: distinctOf(quality, 'coder').sort(),
  });
  const byMonth = pivotSeries(trend, { category: 'month', series: 'code', value: 'count' });
  const codes = byMonth.series.map((s) => s.name);
  const coderPath = (coder: string | undefined, state: 'coded'): string =>
    `${WORKLIST}?${new URLSearchParams({ state, ...(coder ? { coder } : {}) }).toString()}`;
  return (
    <>
      <Tiles
        tiles={[
          {
            id: 'uncoded',
            title: 'Uncoded',
            value: backlogIn('uncoded'),
            description: 'Discharged encounters not yet coded',
            path: backlogWorklistPath('uncoded', undefined, {}),
          },
          {
            id: 'coded',
            title: 'Coded, awaiting final',
            value: backlogIn('coded'),
            description: 'Saved by a coder, not yet final (no bill can drop)',
            path: backlogWorklistPath('coded', undefined, {}),
          },
          {
            id: 'finalized',
            title: 'Finalized in the range',
            value: finalized.reduce((a, b) => a + b, 0),
            description: `Encounters made final from ${range.from} to ${range.to}`,
            path: finalizedPath(range),
          },
          {
            id: 'overrides',
            title: 'Edits overridden',
            value: totalOf(quality, 'overrides'),
            description: 'Coding edits overridden with a reason to finalize, in the range',
            path: overridesPath(range),
          },
        ]}
      />
      <div className="chart-grid">
        <ReportChart
          id="productivity"
          title="Encounters worked per coder"
          kind="bar"
          stacked
          data={{
            categories: coders,
            series: [
              { name: 'Finalized', values: finalized },
              { name: 'Coded, not final', values: perCoder('inProgress') },
            ],
            // A coder's cases made final in the range, or their work still on the worklist: what
            // they saved and have not made final.
            link: (i, s) => (s === 1 ? coderPath(coders[i], 'coded') : finalizedPath(range, coders[i])),
          }}
        />
        <ReportChart
          id="quality"
          title="Edits overridden at final coding, by edit kind and coder"
          kind="bar"
          stacked
          data={{
            ...overrides,
            link: (i, s) =>
              overridesPath(range, { kind: overrides.categories[i], coder: overrides.series[s]?.name }),
          }}
        />
        <ReportChart
          id="trend"
          title="Top diagnoses by month"
          kind="line"
          data={{
            ...byMonth,
            // A code's cases coded in the month clicked.
            link: (i, s) => {
              const month = byMonth.categories[i];
              return codes[s] && month ? casesPath(codes[s], monthRange(month)) : undefined;
            },
          }}
        />
        <ReportChart
          id="diagnoses"
          title="Top diagnoses (coded)"
          kind="bar"
          horizontal
          data={{
            ...columnSeries(diagnoses, 'code', [{ name: 'Coded', column: 'count' }]),
            link: (i) => casesPath(String(cell(diagnoses, diagnoses.rows[i] ?? [], 'code')), range),
          }}
        />
        <ReportChart
          id="procedures"
          title="Top procedures (coded)"
          kind="bar"
          horizontal
          data={{
            ...columnSeries(procedures, 'code', [{ name: 'Coded', column: 'count' }]),
            link: (i) =>
              procedureCasesPath(String(cell(procedures, procedures.rows[i] ?? [], 'code')), range),
          }}
        />
      </div>
    </>
  );
}
