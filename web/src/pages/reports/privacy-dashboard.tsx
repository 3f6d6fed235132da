import type { ReactNode } from 'react';
import { get } from '../../api.ts';
import { Page } from '../../components/page.tsx';
import { useLoad } from '../../components/use-load.ts';
import { useLocation } from '../../router.tsx';
import { Loaded, RangeForm, Tiles, type TileSpec } from './dashboard.tsx';
import { ReportChart } from './report-chart.tsx';
import { cell, fetchReport, num, rangeFrom, type ReportResult } from './reports-api.ts';

const PATH = '/reports/privacy';

interface ChainStatus {
  ok: boolean;
  checked: number;
}

/** The privacy officer's dashboard: break-the-glass, who looks at how much, the audit chain. */
export function PrivacyDashboard(): ReactNode {
  const range = rangeFrom(useLocation().search, 29);
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
      <RangeForm path={PATH} range={range} />
      <Loaded state={state} retry={retry}>
        {(r) => <PrivacyBody glass={r['break-glass']} volume={r['access-volume']} chain={r.chain} />}
      </Loaded>
    </Page>
  );
}

function PrivacyBody({
  glass,
  volume,
  chain,
}: {
  glass: ReportResult | undefined;
  volume: ReportResult | undefined;
  chain: ChainStatus;
}): ReactNode {
  if (!glass || !volume) return null;
  const days = [...new Set(glass.rows.map((row) => String(cell(glass, row, 'day'))))].sort();
  const perDay = (column: string): number[] =>
    days.map((d) =>
      glass.rows
        .filter((row) => cell(glass, row, 'day') === d)
        .reduce((n, row) => n + num(cell(glass, row, column)), 0),
    );
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
      value: perDay('unreviewed').reduce((a, b) => a + b, 0),
      description: 'Emergency access grants in the range awaiting review',
      path: '/reports/break-glass',
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
              { name: 'Reviewed', values: perDay('reviewed') },
              { name: 'Awaiting review', values: perDay('unreviewed') },
            ],
            link: () => '/reports/break-glass',
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
