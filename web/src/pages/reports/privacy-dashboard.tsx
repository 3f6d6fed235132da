import type { ReactNode } from 'react';
import { get } from '../../api.ts';
import { Page } from '../../components/page.tsx';
import { useLoad } from '../../components/use-load.ts';
import { useLocation } from '../../router.tsx';
import { distinctOf, totalOf } from './chart-series.ts';
import { FilterBar, filtersFrom, Loaded, Tiles, type DashboardFilters, type TileSpec } from './dashboard.tsx';
import { breakGlassPath } from './dashboard-links.ts';
import { ReportChart } from './report-chart.tsx';
import { cell, fetchReport, num, type ReportResult } from './reports-api.ts';

const PATH = '/reports/privacy';

interface ChainStatus {
  ok: boolean;
  checked: number;
}

/** The privacy officer's dashboard: break-the-glass, who looks at how much, the audit chain. */
export function PrivacyDashboard(): ReactNode {
  const range = filtersFrom(useLocation().search, 29);
  const [state, retry] = useLoad(`privacy:${range.from}:${range.to}`, async () => {
    const [glass, volume, chain] = await Promise.all([
      fetchReport('break-glass', range),
      fetchReport('access-volume', range),
      get<ChainStatus>('/audit/verify'),
    ]);
    return { 'break-glass': glass, 'access-volume': volume, chain };
  });
  return (
    <Page title="Privacy officer's dashboard">
      <FilterBar path={PATH} filters={range} />
      <Loaded state={state} retry={retry}>
        {(r) => (
          <PrivacyBody glass={r['break-glass']} volume={r['access-volume']} chain={r.chain} range={range} />
        )}
      </Loaded>
    </Page>
  );
}

function PrivacyBody({
  glass,
  volume,
  chain,
  range,
}: {
  glass: ReportResult | undefined;
  volume: ReportResult | undefined;
  chain: ChainStatus;
  range: DashboardFilters;
}): ReactNode {
  if (!glass || !volume) return null;
  // The report has one row per day (and user): reviewed and awaiting review, summed per day.
  const days = distinctOf(glass, 'day').sort();
  const sumOn = (column: string): number[] =>
    days.map((d) => totalOf(glass, column, (row) => cell(glass, row, 'day') === d));
  const users = new Map<string, { accesses: number; refused: number }>();
  for (const row of volume.rows) {
    const user = String(cell(volume, row, 'user'));
    const u = users.get(user) ?? { accesses: 0, refused: 0 };
    u.accesses += num(cell(volume, row, 'accesses'));
    u.refused += num(cell(volume, row, 'refused'));
    users.set(user, u);
  }
  const byVolume = [...users.entries()].sort((a, b) => b[1].accesses - a[1].accesses).slice(0, 15);
  const tiles: TileSpec[] = [
    {
      id: 'break-glass-unreviewed',
      title: 'Break-the-glass to review',
      value: totalOf(glass, 'unreviewed'),
      description: 'Emergency access grants in the range awaiting review',
      path: `${breakGlassPath(range)}&unreviewed=true`,
    },
    {
      id: 'audit-chain',
      title: 'Audit chain',
      value: chain.ok ? 'Intact' : 'Broken',
      description: `${chain.checked} events verified against their hash chain`,
      path: '/reports/audit',
    },
    {
      id: 'refused',
      title: 'Refused accesses',
      value: [...users.values()].reduce((n, u) => n + u.refused, 0),
      description: 'Requests the permission table or a restriction refused',
      path: '/reports/access',
    },
  ];
  return (
    <>
      <Tiles tiles={tiles} />
      <div className="chart-grid">
        <ReportChart
          id="break-glass"
          title="Break-the-glass grants per day"
          kind="bar"
          stacked
          data={{
            categories: days,
            series: [
              { name: 'Reviewed', values: sumOn('reviewed') },
              { name: 'Awaiting review', values: sumOn('unreviewed') },
            ],
            // The grants of the day clicked; the awaiting series to those not yet reviewed.
            link: (i, s) => {
              const day = days[i];
              if (!day) return undefined;
              const path = breakGlassPath({ from: day, to: day });
              return s === 1 ? `${path}&unreviewed=true` : path;
            },
          }}
        />
        <ReportChart
          id="access-volume"
          title="Accesses per user"
          kind="bar"
          horizontal
          data={{
            categories: byVolume.map(([user]) => user),
            series: [
              { name: 'Accesses', values: byVolume.map(([, u]) => u.accesses) },
              { name: 'Refused', values: byVolume.map(([, u]) => u.refused) },
            ],
            link: (i) => {
              const user = byVolume[i]?.[0];
              return user ? `/reports/access?user=${encodeURIComponent(user)}` : undefined;
            },
          }}
        />
      </div>
    </>
  );
}
