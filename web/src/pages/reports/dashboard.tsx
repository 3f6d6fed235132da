import { useState, type FormEvent, type ReactNode } from 'react';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad, type LoadState } from '../../components/use-load.ts';
import { Link, navigate } from '../../router.tsx';
import type { EncounterFilters } from './dashboard-links.ts';
import { fetchReport, rangeFrom, type Range, type ReportResult } from './reports-api.ts';

/** What the dashboards share: the filter bar, tiles that link to worklists, report loading. */

/** A dashboard's filters: the date range, and the encounter filters the dashboard offers. */
export interface DashboardFilters extends Range, EncounterFilters {}

const ENCOUNTER_FIELDS = {
  service: { label: 'Service', hint: 'Encounter type code' },
  payer: { label: 'Payer', hint: 'Payer id or self-pay' },
} as const;
export type EncounterField = keyof typeof ENCOUNTER_FIELDS;

/** The dashboard's filters from its URL (?from&to&service&payer), the range defaulting to `days`. */
export function filtersFrom(
  search: URLSearchParams,
  days: number,
  fields: EncounterField[] = [],
): DashboardFilters {
  const filters: DashboardFilters = rangeFrom(search, days);
  for (const field of fields) {
    const value = search.get(field)?.trim();
    if (value) filters[field] = value;
  }
  return filters;
}

/** The encounter filters set, as report filters (for the reports that take them). */
export const encounterFilters = (f: DashboardFilters): Record<string, string> => ({
  ...(f.service ? { service: f.service } : {}),
  ...(f.payer ? { payer: f.payer } : {}),
});

/**
 * The dashboard's filter bar: date range and the encounter filters it offers. Showing writes the
 * filters to the URL, so a reload or a shared link keeps them and the links below carry them.
 */
export function FilterBar({
  path,
  filters,
  fields = [],
}: {
  path: string;
  filters: DashboardFilters;
  fields?: EncounterField[];
}): ReactNode {
  const [draft, setDraft] = useState<DashboardFilters>(filters);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    navigate(`${path}${dashboardQuery(draft)}`);
  };
  return (
    <form className="report-range" onSubmit={submit} aria-label="Dashboard filters">
      <label>
        From{' '}
        <input
          type="date"
          value={draft.from}
          onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          required
        />
      </label>
      <label>
        To{' '}
        <input
          type="date"
          value={draft.to}
          onChange={(e) => setDraft({ ...draft, to: e.target.value })}
          required
        />
      </label>
      {fields.map((field) => (
        <label key={field}>
          {ENCOUNTER_FIELDS[field].label}{' '}
          <input
            value={draft[field] ?? ''}
            placeholder={ENCOUNTER_FIELDS[field].hint}
            onChange={(e) => setDraft({ ...draft, [field]: e.target.value })}
          />
        </label>
      ))}
      <button type="submit" className="button secondary">
        Show
      </button>
    </form>
  );
}

export interface TileSpec {
  id: string;
  title: string;
  value: number | string;
  description: string;
  /** The worklist or records behind the number. */
  path: string;
}

export function Tiles({ tiles }: { tiles: TileSpec[] }): ReactNode {
  return (
    <ul className="tiles">
      {tiles.map((t) => (
        <li key={t.id} className="tile" data-tile={t.id}>
          <h3>
            <Link to={t.path}>{t.title}</Link>
          </h3>
          <p className="tile-count">
            <span className="count">{t.value}</span>
          </p>
          <p className="tile-desc">{t.description}</p>
        </li>
      ))}
    </ul>
  );
}

export type Reports = Record<string, ReportResult>;

/** Loads several reports for one set of filters; a report the role may not read is left out. */
export function useReports(
  key: string,
  requests: Array<{ name: string; filters?: Record<string, string> }>,
  range: DashboardFilters,
): ReturnType<typeof useLoad<Reports>> {
  return useLoad(`${key}${dashboardQuery(range)}`, async () => {
    const answers = await Promise.all(
      requests.map(async (r) => [r.name, await fetchReport(r.name, range, r.filters)] as const),
    );
    return Object.fromEntries(answers);
  });
}

/** Loading and error lines for a dashboard's reports; the body once they are in. */
export function Loaded<T>({
  state,
  retry,
  children,
}: {
  state: LoadState<T>;
  retry: () => void;
  children: (reports: T) => ReactNode;
}): ReactNode {
  if (state.status === 'loading') return <Loading label="Computing the reports" />;
  if (state.status === 'error')
    return <ErrorMessage error={state.error} title="The reports could not be computed" onRetry={retry} />;
  return children(state.data);
}

/** The filters as a query string, to keep them when following a link between dashboards. */
export const dashboardQuery = (f: DashboardFilters): string =>
  `?${new URLSearchParams({ from: f.from, to: f.to, ...encounterFilters(f) }).toString()}`;
