import type { ReactNode } from 'react';
import { isAllowed } from '../../../../src/shared/index.ts';
import type { Session } from '../../api.ts';
import { Page } from '../../components/page.tsx';
import { useLocation } from '../../router.tsx';
import { casesPath } from './cases-page.tsx';
import { columnSeries, distinctOf, labelsOf, pivotSeries, totalOf } from './chart-series.ts';
import {
  encounterFilters,
  FilterBar,
  filtersFrom,
  Loaded,
  Tiles,
  useReports,
  type DashboardFilters,
  type TileSpec,
} from './dashboard.tsx';
import {
  backlogWorklistPath,
  breakGlassPath,
  deficienciesPath,
  dnfbWorklistPath,
  duplicatesPath,
  receivedPath,
  releasedPath,
} from './dashboard-links.ts';
import { ReportChart } from './report-chart.tsx';
import { cell, type ReportResult } from './reports-api.ts';

const PATH = '/reports/director';
const FIELDS = ['service', 'payer'] as const;

/** The HIM director's dashboard: DNFB, coding backlog, duplicates, diagnoses, the privacy queue. */
export function DirectorDashboard({ session }: { session: Session }): ReactNode {
  const filters = filtersFrom(useLocation().search, 90, [...FIELDS]);
  const privacy = isAllowed(session.role, 'PrivacyReport', 'read');
  const encounters = encounterFilters(filters);
  const [state, retry] = useReports(
    'director',
    [
      { name: 'dnfb', filters: encounters },
      { name: 'coding-backlog', filters: encounters },
      { name: 'duplicate-rate' },
      { name: 'top-diagnoses', filters: { limit: '10' } },
      { name: 'roi-volume' },
      { name: 'chart-deficiencies' },
      { name: 'chart-delinquency' },
      { name: 'roi-turnaround' },
      ...(privacy ? [{ name: 'break-glass' }] : []),
    ],
    filters,
  );
  return (
    <Page title="HIM director's dashboard">
      <FilterBar path={PATH} filters={filters} fields={[...FIELDS]} />
      <Loaded state={state} retry={retry}>
        {(r) => <DirectorBody reports={r} filters={filters} />}
      </Loaded>
    </Page>
  );
}

const dollars = (value: number): string =>
  value.toLocaleString('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });

function DirectorBody({
  reports,
  filters,
}: {
  reports: Record<string, ReportResult>;
  filters: DashboardFilters;
}): ReactNode {
  const dnfb = reports.dnfb as ReportResult;
  const backlog = reports['coding-backlog'] as ReportResult;
  const duplicates = reports['duplicate-rate'] as ReportResult;
  const diagnoses = reports['top-diagnoses'] as ReportResult;
  const glass = reports['break-glass'];
  const roi = reports['roi-volume'] as ReportResult;
  const deficiencies = reports['chart-deficiencies'] as ReportResult;
  const delinquency = reports['chart-delinquency'] as ReportResult;
  const turnaround = reports['roi-turnaround'] as ReportResult;
  // DNFB by age bucket, built once: the encounters chart, the charges chart and the tiles.
  const dnfbSeries = columnSeries(dnfb, 'bucket', [
    { name: 'Encounters', column: 'encounters' },
    { name: 'Charges (USD)', column: 'charges' },
  ]);
  const [dnfbCount, dnfbCharges] = dnfbSeries.series;
  const buckets = dnfbSeries.categories;
  const dnfbLink = (i: number): string => dnfbWorklistPath(buckets[i], filters);
  const over30 = buckets.indexOf('over 30 days');
  // One row per provider and age bucket: providers in the report's order (most delinquent first).
  const delinquent = pivotSeries(delinquency, {
    category: 'ageBucket',
    series: 'provider',
    value: 'openDeficiencies',
  });
  const providerId = (name: string | undefined): string | undefined => {
    const row = delinquency.rows.find((r) => cell(delinquency, r, 'provider') === name);
    const id = row ? cell(delinquency, row, 'providerId') : null;
    return id ? String(id) : undefined;
  };
  const delinquentCharts = delinquent.series.reduce((n, s) => {
    const row = delinquency.rows.find((r) => cell(delinquency, r, 'provider') === s.name);
    return n + (row ? Number(cell(delinquency, row, 'delinquentCharts') ?? 0) : 0);
  }, 0);
  const months = labelsOf(turnaround, 'month');
  const roiVolume = pivotSeries(roi, {
    category: 'month',
    series: 'status',
    value: 'requests',
    seriesNames: distinctOf(roi, 'status').sort(),
  });
  const duplicateMonths = labelsOf(duplicates, 'month');
  const backlogByClass = pivotSeries(backlog, {
    category: 'class',
    series: 'state',
    value: 'encounters',
    seriesNames: ['uncoded', 'coded'],
  });
  const tiles: TileSpec[] = [
    {
      id: 'dnfb',
      title: 'Discharged, not final billed',
      value: totalOf(dnfb, 'encounters'),
      description: 'Encounters discharged in the range whose coding is not final',
      path: dnfbWorklistPath(undefined, filters),
    },
    {
      id: 'dnfb-over-30',
      title: 'DNFB over 30 days',
      value: dnfbCount?.values[over30] ?? 0,
      description: 'The oldest accounts, first on the coding worklist',
      path: dnfbWorklistPath('over 30 days', filters),
    },
    {
      id: 'dnfb-charges',
      title: 'DNFB charges',
      value: dollars(totalOf(dnfb, 'charges')),
      description: 'Total charges of the encounters not final billed',
      path: dnfbWorklistPath(undefined, filters),
    },
    {
      id: 'delinquent-charts',
      title: 'Delinquent charts',
      value: delinquentCharts,
      description: `Charts with a deficiency open past the delinquency threshold on ${filters.to}`,
      path: '/completeness/delinquency',
    },
    {
      id: 'roi-late',
      title: 'Releases past the legal clock',
      value: totalOf(turnaround, 'late'),
      description: 'Requests released after their due date (30 days, or the extension) in the range',
      path: releasedPath(undefined, true),
    },
    {
      id: 'duplicates-open',
      title: 'Duplicate pairs open',
      value: totalOf(duplicates, 'open'),
      description: 'Possible duplicate patients flagged in the range, not yet decided',
      path: duplicatesPath('open'),
    },
    {
      id: 'deficiencies-open',
      title: 'Chart deficiencies open',
      value: totalOf(deficiencies, 'open'),
      description: 'Deficiencies raised in the range and not yet resolved',
      path: '/completeness',
    },
    {
      id: 'roi-requests',
      title: 'Release requests logged',
      value: totalOf(roi, 'requests'),
      description: 'Requests for records logged in the range',
      path: '/disclosure?status=all',
    },
  ];
  if (glass)
    tiles.push({
      id: 'break-glass',
      title: 'Break-the-glass to review',
      value: totalOf(glass, 'unreviewed'),
      description: 'Emergency access grants awaiting the privacy review',
      path: `${breakGlassPath(filters)}&unreviewed=true`,
    });
  return (
    <>
      <Tiles tiles={tiles} />
      <div className="chart-grid">
        <ReportChart
          id="dnfb"
          title="DNFB by days since discharge"
          kind="bar"
          data={{ categories: buckets, series: dnfbCount ? [dnfbCount] : [], link: dnfbLink }}
        />
        <ReportChart
          id="dnfb-charges"
          title="DNFB charges (USD) by days since discharge"
          kind="bar"
          data={{ categories: buckets, series: dnfbCharges ? [dnfbCharges] : [], link: dnfbLink }}
        />
        <ReportChart
          id="delinquency"
          title={`Open deficiencies by days since discharge and provider, on ${filters.to}`}
          kind="bar"
          stacked
          data={{
            ...delinquent,
            link: (i, s) =>
              deficienciesPath(providerId(delinquent.series[s]?.name), delinquent.categories[i]),
          }}
        />
        <ReportChart
          id="roi-turnaround"
          title="Release of information turnaround (days from received to released)"
          kind="line"
          data={{
            ...columnSeries(turnaround, 'month', [
              { name: 'Median days', column: 'medianDays' },
              { name: '90th percentile days', column: 'p90Days' },
              { name: 'Released late', column: 'late' },
            ]),
            // The late series leads to the month's late releases; the others to all its releases.
            link: (i, s) => releasedPath(months[i], s === 2),
          }}
        />
        <ReportChart
          id="backlog"
          title="Coding backlog by encounter class"
          kind="bar"
          stacked
          data={{
            categories: backlogByClass.categories,
            series: backlogByClass.series.map((s) => ({
              ...s,
              name: s.name === 'uncoded' ? 'Uncoded' : 'Coded, not final',
            })),
            link: (i, s) =>
              backlogWorklistPath(s === 0 ? 'uncoded' : 'coded', backlogByClass.categories[i], filters),
          }}
        />
        <ReportChart
          id="duplicates"
          title="Duplicate pairs by month"
          kind="line"
          data={{
            ...columnSeries(duplicates, 'month', [
              { name: 'Flagged', column: 'flagged' },
              { name: 'Still open', column: 'open' },
              { name: 'Merged', column: 'merged' },
              { name: 'Not duplicates', column: 'notDuplicate' },
            ]),
            link: (i, s) =>
              duplicatesPath(s === 2 ? 'merged' : s === 3 ? 'not-duplicate' : 'open', duplicateMonths[i]),
          }}
        />
        <ReportChart
          id="roi"
          title="Release of information requests per month"
          kind="bar"
          stacked
          data={{
            ...roiVolume,
            link: (i, s) => receivedPath(roiVolume.categories[i], roiVolume.series[s]?.name),
          }}
        />
        <ReportChart
          id="diagnoses"
          title="Top diagnoses (coded)"
          kind="bar"
          horizontal
          data={{
            ...columnSeries(diagnoses, 'code', [{ name: 'Coded', column: 'count' }]),
            link: (i) => casesPath(String(cell(diagnoses, diagnoses.rows[i] ?? [], 'code')), filters),
          }}
        />
      </div>
    </>
  );
}
