import { useState, type FormEvent, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { formatDay } from '../../fhir-format.ts';
import { Link, navigate, useLocation } from '../../router.tsx';
import { fetchWorklist, waiveDeficiency, type Deficiency, type WorklistQuery } from './completeness-api.ts';
import { kindLabel } from './completeness-words.ts';
import './completeness.css';

const PAGE_SIZE = 25;

type SortKey = 'age' | 'due' | 'provider' | 'service' | 'rule';

/** A column header that sorts by it; the current order is announced with aria-sort on the cell. */
function SortHeader({
  label,
  sortKey,
  query,
  onSort,
}: {
  label: string;
  sortKey: SortKey;
  query: WorklistQuery;
  onSort: (key: SortKey) => void;
}): ReactNode {
  const active = query.sort === sortKey;
  return (
    <button type="button" className="sort" onClick={() => onSort(sortKey)}>
      {label}
      <span aria-hidden="true">{active ? (query.order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      <span className="visually-hidden">
        {active ? `, sorted ${query.order === 'asc' ? 'ascending' : 'descending'}` : ', sort'}
      </span>
    </button>
  );
}

/** Waiving a deficiency: HIM staff say why, and the Task is cancelled with that reason. */
function WaiveForm({ deficiency, onDone }: { deficiency: Deficiency; onDone: () => void }): ReactNode {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  if (!open)
    return (
      <button type="button" className="button small secondary" onClick={() => setOpen(true)}>
        Waive<span className="visually-hidden"> {deficiency.description}</span>
      </button>
    );
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    waiveDeficiency(deficiency.taskId, reason).then(onDone, (err: unknown) =>
      setError(err instanceof Error ? err.message : String(err)),
    );
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label>
        Reason for waiving
        <input value={reason} onChange={(e) => setReason(e.target.value)} required minLength={3} />
      </label>
      <button type="submit" className="button small">
        Confirm waiver
      </button>
      {error && (
        <p role="alert" className="warn-text">
          {error}
        </p>
      )}
    </form>
  );
}

const FILTER_KEYS = ['service', 'provider', 'minAgeDays', 'maxAgeDays'] as const;

/** The worklist's query from the page's URL (the same names as the worklist API's). */
function worklistQueryOf(search: URLSearchParams): WorklistQuery {
  const filters: Partial<WorklistQuery> = {};
  for (const key of FILTER_KEYS) {
    const value = search.get(key);
    if (value) filters[key] = value;
  }
  const offset = Number(search.get('offset') ?? 0);
  return {
    ...filters,
    sort: search.get('sort') ?? 'age',
    order: search.get('order') === 'asc' ? 'asc' : 'desc',
    limit: PAGE_SIZE,
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  };
}

/** The page's URL query for a worklist query: set filters only, the page size left out. */
function worklistSearch(q: WorklistQuery): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (q[key]) params.set(key, q[key]);
  params.set('sort', q.sort);
  params.set('order', q.order);
  if (q.offset > 0) params.set('offset', String(q.offset));
  return params.toString();
}

/** The technician's completeness worklist: open deficiencies, filtered, sortable and paged. */
export function CompletenessWorklistPage(): ReactNode {
  const query = worklistQueryOf(useLocation().search);
  const [state, reload] = useLoad(JSON.stringify(query), () => fetchWorklist(query));
  const [done, setDone] = useState<string>();
  // Filters live in the URL: a reload, a shared link or a dashboard's chart point opens them.
  // Replaced, not pushed: typing a number does not leave a history entry per keystroke.
  const show = (next: WorklistQuery): void =>
    navigate(`/completeness?${worklistSearch(next)}`, { replace: true });
  const change = (patch: Partial<WorklistQuery>): void => show({ ...query, offset: 0, ...patch });
  const onSort = (sort: SortKey): void =>
    change({ sort, order: query.sort === sort && query.order === 'desc' ? 'asc' : 'desc' });

  const columns: Array<Column<Deficiency>> = [
    {
      header: 'Patient',
      rowHeader: true,
      cell: (d) => (
        <>
          <Link
            to={`/patients/${encodeURIComponent(d.patientId)}/encounters/${encodeURIComponent(d.encounterId)}`}
          >
            {d.patientName}
          </Link>
          <div className="issuer">MRN {d.mrn ?? 'none'}</div>
        </>
      ),
    },
    {
      header: <SortHeader label="Deficiency" sortKey="rule" query={query} onSort={onSort} />,
      cell: (d) => (
        <>
          <span className={d.kind === 'unsigned' ? 'badge' : 'badge warn'}>{kindLabel(d.kind)}</span>{' '}
          {d.description}
        </>
      ),
    },
    {
      header: <SortHeader label="Provider" sortKey="provider" query={query} onSort={onSort} />,
      cell: (d) => d.ownerName ?? 'Unassigned',
    },
    {
      header: <SortHeader label="Service" sortKey="service" query={query} onSort={onSort} />,
      cell: (d) => d.service,
    },
    {
      header: <SortHeader label="Days since discharge" sortKey="age" query={query} onSort={onSort} />,
      numeric: true,
      cell: (d) => d.ageDays ?? '',
    },
    {
      header: <SortHeader label="Due" sortKey="due" query={query} onSort={onSort} />,
      cell: (d) => (
        <>
          {formatDay(d.dueAt)}
          {d.overdue && <span className="badge warn">Overdue</span>}
        </>
      ),
    },
    {
      header: <span className="visually-hidden">Action</span>,
      cell: (d) => (
        <WaiveForm
          deficiency={d}
          onDone={() => {
            setDone(`Waived: ${d.description}`);
            reload();
          }}
        />
      ),
    },
  ];

  return (
    <Page title="Chart completeness">
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      <form className="filters" aria-label="Filter the worklist" onSubmit={(e) => e.preventDefault()}>
        <label>
          Service
          <select value={query.service ?? ''} onChange={(e) => change({ service: e.target.value })}>
            <option value="">All services</option>
            {state.status === 'done' && state.data.services.map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Provider
          <select value={query.provider ?? ''} onChange={(e) => change({ provider: e.target.value })}>
            <option value="">All providers</option>
            {state.status === 'done' &&
              state.data.providers.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
          </select>
        </label>
        <label>
          At least days since discharge
          <input
            type="number"
            min={0}
            value={query.minAgeDays ?? ''}
            onChange={(e) => change({ minAgeDays: e.target.value })}
          />
        </label>
        <label>
          At most days since discharge
          <input
            type="number"
            min={0}
            value={query.maxAgeDays ?? ''}
            onChange={(e) => change({ maxAgeDays: e.target.value })}
          />
        </label>
      </form>
      {state.status === 'loading' && <Loading label="Loading the worklist" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && state.data.deficiencies.length === 0 && (
        <Empty>No open deficiencies match.</Empty>
      )}
      {state.status === 'done' && state.data.deficiencies.length > 0 && (
        <>
          <div className="table-wrap">
            <DataTable
              className="results"
              caption={`${state.data.total} open deficiencies`}
              columns={columns}
              rows={state.data.deficiencies}
              rowKey={(d) => d.taskId}
              rowData={(d) => ({ 'data-task': d.taskId })}
            />
          </div>
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              className="button small secondary"
              disabled={query.offset === 0}
              onClick={() => show({ ...query, offset: Math.max(0, query.offset - PAGE_SIZE) })}
            >
              Previous page
            </button>
            <span>
              {query.offset + 1}–{query.offset + state.data.deficiencies.length} of {state.data.total}
            </span>
            <button
              type="button"
              className="button small secondary"
              disabled={query.offset + PAGE_SIZE >= state.data.total}
              onClick={() => show({ ...query, offset: query.offset + PAGE_SIZE })}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </Page>
  );
}
