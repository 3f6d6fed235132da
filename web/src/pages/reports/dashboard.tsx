import { useState, type FormEvent, type ReactNode } from 'react';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad, type LoadState } from '../../components/use-load.ts';
import { Link, navigate } from '../../router.tsx';
import { fetchReport, type Range, type ReportResult } from './reports-api.ts';

/** What the dashboards share: the date range form, tiles that link to worklists, report loading. */

export function RangeForm({ path, range }: { path: string; range: Range }): ReactNode {
  const [from, setFrom] = useState(range.from);
  const [to, setTo] = useState(range.to);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    navigate(`${path}?${new URLSearchParams({ from, to }).toString()}`);
  };
  return (
    <form className="report-range" onSubmit={submit}>
      <label>
        From <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} required />
      </label>
      <label>
        To <input type="date" value={to} onChange={(e) => setTo(e.target.value)} required />
      </label>
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

/** Loads several reports for one range; a report the role may not read is left out. */
export function useReports(
  key: string,
  requests: Array<{ name: string; filters?: Record<string, string> }>,
  range: Range,
): ReturnType<typeof useLoad<Reports>> {
  return useLoad(`${key}:${range.from}:${range.to}`, async () => {
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

/** The range as a query string, to keep it when following a link between dashboards. */
export const rangeQuery = (range: Range): string => `?${new URLSearchParams({ ...range }).toString()}`;
