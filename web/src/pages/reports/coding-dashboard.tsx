import type { ReactNode } from 'react';
import { Page } from '../../components/page.tsx';
import { useLocation } from '../../router.tsx';
import { casesPath } from './cases-page.tsx';
import { Loaded, RangeForm, Tiles, useReports } from './dashboard.tsx';
import { ReportChart } from './report-chart.tsx';
import { cell, num, rangeFrom, type Range, type ReportResult } from './reports-api.ts';

const PATH = '/reports/coding';
const WORKLIST = '/coding/worklist';

/** The coding manager's dashboard: backlog, productivity per coder, what is being coded. */
export function CodingDashboard(): ReactNode {
  const range = rangeFrom(useLocation().search, 29);
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
      <RangeForm path={PATH} range={range} />
      <Loaded state={state} retry={retry}>
        {(r) => <CodingBody reports={r} range={range} />}
      </Loaded>
    </Page>
  );
}

const rowsOf = (r: Record<string, ReportResult>, name: string): ReportResult => r[name] as ReportResult;

function CodingBody({ reports, range }: { reports: Record<string, ReportResult>; range: Range }): ReactNode {
  const backlog = rowsOf(reports, 'coding-backlog');
  const productivity = rowsOf(reports, 'coding-productivity');
  const diagnoses = rowsOf(reports, 'top-diagnoses');
  const procedures = rowsOf(reports, 'top-procedures');
  const trend = rowsOf(reports, 'diagnosis-trend');
  const quality = rowsOf(reports, 'coding-quality');
  const editKinds = [...new Set(quality.rows.map((row) => String(cell(quality, row, 'kind'))))];
  const overriders = [...new Set(quality.rows.map((row) => String(cell(quality, row, 'coder'))))].sort();
  const backlogIn = (state: string): number =>
    backlog.rows
      .filter((row) => cell(backlog, row, 'state') === state)
      .reduce((n, row) => n + num(cell(backlog, row, 'encounters')), 0);
  const coders = [
    ...new Set(productivity.rows.map((row) => String(cell(productivity, row, 'coder')))),
  ].sort();
  const perCoder = (column: string): number[] =>
    coders.map((c) =>
      productivity.rows
        .filter((row) => cell(productivity, row, 'coder') === c)
        .reduce((n, row) => n + num(cell(productivity, row, column)), 0),
    );
  const finalized = perCoder('finalized');
  const months = [...new Set(trend.rows.map((row) => String(cell(trend, row, 'month'))))];
  const codes = [...new Set(trend.rows.map((row) => String(cell(trend, row, 'code'))))];
  return (
    <>
      <Tiles
        tiles={[
          {
            id: 'uncoded',
            title: 'Uncoded',
            value: backlogIn('uncoded'),
            description: 'Discharged encounters not yet coded',
            path: WORKLIST,
          },
          {
            id: 'coded',
            title: 'Coded, awaiting final',
            value: backlogIn('coded'),
            description: 'Saved by a coder, not yet final (no bill can drop)',
            path: WORKLIST,
          },
          {
            id: 'finalized',
            title: 'Finalized in the range',
            value: finalized.reduce((a, b) => a + b, 0),
            description: `Encounters made final from ${range.from} to ${range.to}`,
            path: WORKLIST,
          },
          {
            id: 'overrides',
            title: 'Edits overridden',
            value: quality.rows.reduce((n, row) => n + num(cell(quality, row, 'overrides')), 0),
            description: 'Coding edits overridden with a reason to finalize, in the range',
            path: WORKLIST,
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
            link: () => WORKLIST,
          }}
        />
        <ReportChart
          id="quality"
          title="Edits overridden at final coding, by edit kind and coder"
          kind="bar"
          stacked
          data={{
            categories: editKinds,
            series: overriders.map((coder) => ({
              name: coder,
              values: editKinds.map((kind) =>
                num(
                  cell(
                    quality,
                    quality.rows.find(
                      (row) => cell(quality, row, 'kind') === kind && cell(quality, row, 'coder') === coder,
                    ) ?? [],
                    'overrides',
                  ),
                ),
              ),
            })),
            link: () => WORKLIST,
          }}
        />
        <ReportChart
          id="trend"
          title="Top diagnoses by month"
          kind="line"
          data={{
            categories: months,
            series: codes.map((code) => ({
              name: code,
              values: months.map((m) =>
                num(cell(trend, trend.rows.find((row) => row[0] === m && row[1] === code) ?? [], 'count')),
              ),
            })),
            link: (_, s) => (codes[s] ? casesPath(codes[s], range) : undefined),
          }}
        />
        <ReportChart
          id="diagnoses"
          title="Top diagnoses (coded)"
          kind="bar"
          horizontal
          data={{
            categories: diagnoses.rows.map((row) => String(cell(diagnoses, row, 'code'))),
            series: [
              { name: 'Coded', values: diagnoses.rows.map((row) => num(cell(diagnoses, row, 'count'))) },
            ],
            link: (i) => casesPath(String(cell(diagnoses, diagnoses.rows[i] ?? [], 'code')), range),
          }}
        />
        <ReportChart
          id="procedures"
          title="Top procedures (coded)"
          kind="bar"
          horizontal
          data={{
            categories: procedures.rows.map((row) => String(cell(procedures, row, 'code'))),
            series: [
              { name: 'Coded', values: procedures.rows.map((row) => num(cell(procedures, row, 'count'))) },
            ],
            link: () => WORKLIST,
          }}
        />
      </div>
    </>
  );
}
