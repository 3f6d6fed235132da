import type { ReactNode } from 'react';
import { isAllowed } from '../../../../src/shared/index.ts';
import type { Session } from '../../api.ts';
import { Page } from '../../components/page.tsx';
import { useLocation } from '../../router.tsx';
import { Loaded, RangeForm, Tiles, useReports, type TileSpec } from './dashboard.tsx';
import { ReportChart } from './report-chart.tsx';
import { casesPath } from './cases-page.tsx';
import { cell, num, rangeFrom, type ReportResult } from './reports-api.ts';

const PATH = '/reports/director';

/** The HIM director's dashboard: DNFB, coding backlog, duplicates, diagnoses, the privacy queue. */
export function DirectorDashboard({ session }: { session: Session }): ReactNode {
  const range = rangeFrom(useLocation().search, 90);
  const privacy = isAllowed(session.role, 'PrivacyReport', 'read');
  const [state, retry] = useReports(
    'director',
    [
      { name: 'dnfb' },
      { name: 'coding-backlog' },
      { name: 'duplicate-rate' },
      { name: 'top-diagnoses', filters: { limit: '10' } },
      { name: 'roi-volume' },
      { name: 'chart-deficiencies' },
      { name: 'chart-delinquency' },
      { name: 'roi-turnaround' },
      ...(privacy ? [{ name: 'break-glass' }] : []),
    ],
    range,
  );
  return (
    <Page title="HIM director's dashboard">
      <RangeForm path={PATH} range={range} />
      <Loaded state={state} retry={retry}>
        {(r) => <DirectorBody reports={r} range={range} />}
      </Loaded>
    </Page>
  );
}

const dollars = (value: number): string =>
  value.toLocaleString('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });

const sum = (result: ReportResult | undefined, column: string): number =>
  result ? result.rows.reduce((n, row) => n + num(cell(result, row, column)), 0) : 0;

function DirectorBody({
  reports,
  range,
}: {
  reports: Record<string, ReportResult>;
  range: { from: string; to: string };
}): ReactNode {
  const dnfb = reports.dnfb as ReportResult;
  const backlog = reports['coding-backlog'] as ReportResult;
  const duplicates = reports['duplicate-rate'] as ReportResult;
  const diagnoses = reports['top-diagnoses'] as ReportResult;
  const glass = reports['break-glass'];
  const roi = reports['roi-volume'] as ReportResult;
  const deficiencies = reports['chart-deficiencies'] as ReportResult;
  const roiMonths = [...new Set(roi.rows.map((row) => String(cell(roi, row, 'month'))))];
  const roiStatuses = [...new Set(roi.rows.map((row) => String(cell(roi, row, 'status'))))].sort();
  const over30 = dnfb.rows.find((row) => cell(dnfb, row, 'bucket') === 'over 30 days');
  const delinquency = reports['chart-delinquency'] as ReportResult;
  const turnaround = reports['roi-turnaround'] as ReportResult;
  // One row per provider and age bucket: providers in the report's order (most delinquent first).
  const providers = [...new Set(delinquency.rows.map((row) => String(cell(delinquency, row, 'provider'))))];
  const ageBuckets = [...new Set(delinquency.rows.map((row) => String(cell(delinquency, row, 'ageBucket'))))];
  const delinquentCharts = providers.reduce((n, p) => {
    const row = delinquency.rows.find((r) => cell(delinquency, r, 'provider') === p);
    return n + (row ? num(cell(delinquency, row, 'delinquentCharts')) : 0);
  }, 0);
  const tiles: TileSpec[] = [
    {
      id: 'dnfb',
      title: 'Discharged, not final billed',
      value: sum(dnfb, 'encounters'),
      description: 'Encounters discharged in the range whose coding is not final',
      path: '/coding/worklist',
    },
    {
      id: 'dnfb-over-30',
      title: 'DNFB over 30 days',
      value: over30 ? num(cell(dnfb, over30, 'encounters')) : 0,
      description: 'The oldest accounts, first on the coding worklist',
      path: '/coding/worklist',
    },
    {
      id: 'dnfb-charges',
      title: 'DNFB charges',
      value: dollars(sum(dnfb, 'charges')),
      description: 'Total charges of the encounters not final billed',
      path: '/coding/worklist',
    },
    {
      id: 'delinquent-charts',
      title: 'Delinquent charts',
      value: delinquentCharts,
      description: `Charts with a deficiency open past the delinquency threshold on ${range.to}`,
      path: '/completeness/delinquency',
    },
    {
      id: 'roi-late',
      title: 'Releases past the legal clock',
      value: sum(turnaround, 'late'),
      description: 'Requests released after their due date (30 days, or the extension) in the range',
      path: '/disclosure',
    },
    {
      id: 'duplicates-open',
      title: 'Duplicate pairs open',
      value: sum(duplicates, 'open'),
      description: 'Possible duplicate patients flagged in the range, not yet decided',
      path: '/duplicates',
    },
    {
      id: 'deficiencies-open',
      title: 'Chart deficiencies open',
      value: sum(deficiencies, 'open'),
      description: 'Deficiencies raised in the range and not yet resolved',
      path: '/completeness',
    },
    {
      id: 'roi-requests',
      title: 'Release requests logged',
      value: sum(roi, 'requests'),
      description: 'Requests for records logged in the range',
      path: '/disclosure',
    },
  ];
  if (glass)
    tiles.push({
      id: 'break-glass',
      title: 'Break-the-glass to review',
      value: sum(glass, 'unreviewed'),
      description: 'Emergency access grants awaiting the privacy review',
      path: '/reports/break-glass',
    });
  const classes = [...new Set(backlog.rows.map((row) => String(cell(backlog, row, 'class'))))];
  const backlogOf = (state: string): number[] =>
    classes.map((c) =>
      backlog.rows
        .filter((row) => cell(backlog, row, 'class') === c && cell(backlog, row, 'state') === state)
        .reduce((n, row) => n + num(cell(backlog, row, 'encounters')), 0),
    );
  return (
    <>
      <Tiles tiles={tiles} />
      <div className="chart-grid">
        <ReportChart
          id="dnfb"
          title="DNFB by days since discharge"
          kind="bar"
          data={{
            categories: dnfb.rows.map((row) => String(cell(dnfb, row, 'bucket'))),
            series: [
              { name: 'Encounters', values: dnfb.rows.map((row) => num(cell(dnfb, row, 'encounters'))) },
            ],
            link: () => '/coding/worklist',
          }}
        />
        <ReportChart
          id="dnfb-charges"
          title="DNFB charges (USD) by days since discharge"
          kind="bar"
          data={{
            categories: dnfb.rows.map((row) => String(cell(dnfb, row, 'bucket'))),
            series: [
              { name: 'Charges (USD)', values: dnfb.rows.map((row) => num(cell(dnfb, row, 'charges'))) },
            ],
            link: () => '/coding/worklist',
          }}
        />
        <ReportChart
          id="delinquency"
          title={`Open deficiencies by days since discharge and provider, on ${range.to}`}
          kind="bar"
          stacked
          data={{
            categories: ageBuckets,
            series: providers.map((p) => ({
              name: p,
              values: ageBuckets.map((b) =>
                num(
                  cell(
                    delinquency,
                    delinquency.rows.find(
                      (row) =>
                        cell(delinquency, row, 'provider') === p && cell(delinquency, row, 'ageBucket') === b,
                    ) ?? [],
                    'openDeficiencies',
                  ),
                ),
              ),
            })),
            link: () => '/completeness/delinquency',
          }}
        />
        <ReportChart
          id="roi-turnaround"
          title="Release of information turnaround (days from received to released)"
          kind="line"
          data={{
            categories: turnaround.rows.map((row) => String(cell(turnaround, row, 'month'))),
            series: [
              {
                name: 'Median days',
                values: turnaround.rows.map((row) => num(cell(turnaround, row, 'medianDays'))),
              },
              {
                name: '90th percentile days',
                values: turnaround.rows.map((row) => num(cell(turnaround, row, 'p90Days'))),
              },
              {
                name: 'Released late',
                values: turnaround.rows.map((row) => num(cell(turnaround, row, 'late'))),
              },
            ],
            link: () => '/disclosure',
          }}
        />
        <ReportChart
          id="backlog"
          title="Coding backlog by encounter class"
          kind="bar"
          stacked
          data={{
            categories: classes,
            series: [
              { name: 'Uncoded', values: backlogOf('uncoded') },
              { name: 'Coded, not final', values: backlogOf('coded') },
            ],
            link: () => '/coding/worklist',
          }}
        />
        <ReportChart
          id="duplicates"
          title="Duplicate pairs by month"
          kind="line"
          data={{
            categories: duplicates.rows.map((row) => String(cell(duplicates, row, 'month'))),
            series: [
              {
                name: 'Flagged',
                values: duplicates.rows.map((row) => num(cell(duplicates, row, 'flagged'))),
              },
              { name: 'Merged', values: duplicates.rows.map((row) => num(cell(duplicates, row, 'merged'))) },
            ],
            link: () => '/duplicates',
          }}
        />
        <ReportChart
          id="roi"
          title="Release of information requests per month"
          kind="bar"
          stacked
          data={{
            categories: roiMonths,
            series: roiStatuses.map((status) => ({
              name: status,
              values: roiMonths.map((m) =>
                roi.rows
                  .filter((row) => cell(roi, row, 'month') === m && cell(roi, row, 'status') === status)
                  .reduce((n, row) => n + num(cell(roi, row, 'requests')), 0),
              ),
            })),
            link: () => '/disclosure',
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
      </div>
    </>
  );
}
