import { useEffect, useState, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { Page } from '../../components/page.tsx';
import { useLoad } from '../../components/use-load.ts';
import { getSession } from '../../api.ts';
import { formatDay } from '../../fhir-format.ts';
import { Link, navigate, useLocation } from '../../router.tsx';
import {
  assignCase,
  fetchWorklist,
  lastWorklistQuery,
  rememberWorklistQuery,
  worklistQueryOf,
  type WorklistFacets,
  type WorklistItem,
  type WorklistQuery,
} from './coding-api.ts';
import './coding.css';

const CLASS_NAMES: Record<WorklistItem['class'], string> = {
  inpatient: 'Inpatient',
  outpatient: 'Outpatient',
  emergency: 'Emergency',
};

const PAGE_SIZE = 50;

const NO_FACETS: WorklistFacets = { services: [], payers: [], coders: [] };

const SORTS: Array<[string, string]> = [
  ['discharge', 'Oldest discharge first'],
  ['-discharge', 'Newest discharge first'],
  ['class', 'Class'],
  ['service', 'Service'],
];

/** The page's URL for a query: every filter in it, so a link or a reload shows the same list. */
function worklistPath(query: WorklistQuery): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v && !(k === 'offset' && v === '0')) params.set(k, v);
  const search = params.toString();
  return `/coding/worklist${search ? `?${search}` : ''}`;
}

const caseLink = (i: WorklistItem): string => `/coding/encounters/${encodeURIComponent(i.encounterId)}`;

function columns(onClaim: (i: WorklistItem) => void): Array<Column<WorklistItem>> {
  return [
    {
      header: 'Patient',
      rowHeader: true,
      cell: (i) => <Link to={caseLink(i)}>{i.patientName}</Link>,
    },
    { header: 'MRN', cell: (i) => i.mrn ?? '', className: 'mono' },
    { header: 'Class', cell: (i) => CLASS_NAMES[i.class] },
    { header: 'Service', cell: (i) => i.service ?? '' },
    { header: 'Age', cell: (i) => i.age ?? '', numeric: true },
    { header: 'Payer', cell: (i) => i.payer ?? '' },
    { header: 'Discharged', cell: (i) => formatDay(i.discharge) },
    { header: 'DNFB days', cell: (i) => i.dnfbDays, numeric: true },
    {
      header: 'State',
      cell: (i) =>
        i.state === 'coded' ? (
          <span className="badge ok">Coded</span>
        ) : (
          <span className="badge">Uncoded</span>
        ),
    },
    {
      header: 'Coder',
      cell: (i) =>
        i.coder ?? (
          <button
            type="button"
            className="button secondary small"
            aria-label={`Claim ${i.patientName}'s case`}
            onClick={() => onClaim(i)}
          >
            Claim
          </button>
        ),
    },
  ];
}

/**
 * Discharged encounters without final codes (DNFB): filter by class, service, age, DNFB days,
 * payer and assigned coder, sort, page through all, claim cases. The filters live in the URL
 * (opened without any, the list comes back as last filtered in this tab). Keys: j / k move,
 * Enter opens, c claims.
 */
export function CodingWorklistPage(): ReactNode {
  const location = useLocation();
  const fromUrl = worklistQueryOf(location.search);
  const query: WorklistQuery = {
    ...(Object.keys(fromUrl).length > 0 ? fromUrl : lastWorklistQuery()),
    limit: String(PAGE_SIZE),
  };
  // A sort remembered from before the list was sorted in the database may no longer exist.
  if (query.sort && !SORTS.some(([v]) => v === query.sort)) delete query.sort;
  const key = JSON.stringify(query);
  useEffect(() => {
    // The query as shown, for "save and next" and for the next visit without filters in the URL.
    rememberWorklistQuery(query);
    if (Object.keys(fromUrl).length === 0 && Object.keys(query).length > 1)
      navigate(worklistPath({ ...query, limit: '' }), { replace: true });
  }, [key]);
  // The menus' values come with the first page and are kept: every later page, filter or sort
  // reads the list only.
  const [facets, setFacets] = useState<WorklistFacets | undefined>(undefined);
  const [state, reload] = useLoad(key, async () => {
    const page = await fetchWorklist(query, { facets: facets === undefined });
    if (page.facets) setFacets(page.facets);
    return page;
  });
  const menus = facets ?? NO_FACETS;
  const [cursor, setCursor] = useState(0);
  const me = getSession()?.username ?? '';
  const change = (patch: WorklistQuery): void => {
    navigate(worklistPath({ ...query, offset: '0', ...patch, limit: '' }), { replace: true });
    setCursor(0);
  };
  const claim = (i: WorklistItem): void => void assignCase(i.encounterId).then(reload, reload);
  const items = state.status === 'done' ? state.data.items : [];

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const current = items[cursor];
      if (e.key === 'j') setCursor((c) => Math.min(c + 1, items.length - 1));
      else if (e.key === 'k') setCursor((c) => Math.max(c - 1, 0));
      else if (e.key === 'Enter' && current && !(e.target instanceof HTMLButtonElement))
        navigate(caseLink(current));
      else if (e.key === 'c' && current && !current.coder) claim(current);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const offset = Number(query.offset ?? 0);
  return (
    <Page title="Coding worklist">
      <form
        className="worklist-filters"
        aria-label="Filter the worklist"
        onSubmit={(e) => e.preventDefault()}
      >
        <label>
          Class
          <select
            aria-label="Class"
            value={query.class ?? ''}
            onChange={(e) => change({ class: e.target.value })}
          >
            <option value="">All</option>
            <option value="inpatient">Inpatient</option>
            <option value="outpatient">Outpatient</option>
            <option value="emergency">Emergency</option>
          </select>
        </label>
        <label>
          Service
          <select
            aria-label="Service"
            value={query.service ?? ''}
            onChange={(e) => change({ service: e.target.value })}
          >
            <option value="">All</option>
            {menus.services.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Age from
          <input
            aria-label="Age from"
            type="number"
            min={0}
            max={130}
            value={query.ageMin ?? ''}
            onChange={(e) => change({ ageMin: e.target.value })}
          />
        </label>
        <label>
          to
          <input
            aria-label="Age to"
            type="number"
            min={0}
            max={130}
            value={query.ageMax ?? ''}
            onChange={(e) => change({ ageMax: e.target.value })}
          />
        </label>
        <label>
          DNFB days from
          <input
            aria-label="DNFB days from"
            type="number"
            min={0}
            value={query.dnfbMin ?? ''}
            onChange={(e) => change({ dnfbMin: e.target.value })}
          />
        </label>
        <label>
          to
          <input
            aria-label="DNFB days to"
            type="number"
            min={0}
            value={query.dnfbMax ?? ''}
            onChange={(e) => change({ dnfbMax: e.target.value })}
          />
        </label>
        <label>
          Payer
          <select
            aria-label="Payer"
            value={query.payer ?? ''}
            onChange={(e) => change({ payer: e.target.value })}
          >
            <option value="">All</option>
            {menus.payers.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
            <option value="none">None registered</option>
          </select>
        </label>
        <label>
          Assigned coder
          <select
            aria-label="Assigned coder"
            value={query.coder ?? ''}
            onChange={(e) => change({ coder: e.target.value })}
          >
            <option value="">Anyone</option>
            {me && <option value={me}>Mine</option>}
            <option value="unassigned">Unassigned</option>
            {menus.coders
              .filter((c) => c.value !== me)
              .map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
          </select>
        </label>
        <label>
          State
          <select
            aria-label="State"
            value={query.state ?? ''}
            onChange={(e) => change({ state: e.target.value })}
          >
            <option value="">Not final</option>
            <option value="uncoded">Uncoded</option>
            <option value="coded">Coded</option>
          </select>
        </label>
        <label>
          Sort
          <select
            aria-label="Sort"
            value={query.sort ?? 'discharge'}
            onChange={(e) => change({ sort: e.target.value })}
          >
            {SORTS.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </form>
      <p className="help shortcuts">Keys: j / k move, Enter opens the case, c claims it.</p>
      {state.status === 'loading' && <Loading label="Loading the worklist" />}
      {state.status === 'error' && (
        <ErrorMessage error={state.error} title="The worklist could not be loaded" onRetry={reload} />
      )}
      {state.status === 'done' && state.data.items.length === 0 && (
        <Empty>No discharged encounter without final codes matches.</Empty>
      )}
      {state.status === 'done' && state.data.items.length > 0 && (
        <section aria-labelledby="worklist-heading">
          <h2 id="worklist-heading">
            {state.data.total} {state.data.total === 1 ? 'encounter' : 'encounters'} discharged, not final
            billed · {offset + 1}–{offset + state.data.items.length} shown
          </h2>
          <div className="table-wrap">
            <DataTable
              className="results worklist compact"
              caption="Encounters to code"
              columns={columns(claim)}
              rows={state.data.items}
              rowKey={(i) => i.encounterId}
              rowData={(i, n) => ({
                'data-encounter': i.encounterId,
                ...(n === cursor ? { 'data-cursor': 'true' } : {}),
              })}
            />
          </div>
          <nav className="pager" aria-label="Worklist pages">
            <button
              type="button"
              className="button secondary"
              disabled={offset === 0}
              onClick={() => change({ offset: String(Math.max(0, offset - PAGE_SIZE)) })}
            >
              Previous page
            </button>
            <button
              type="button"
              className="button secondary"
              disabled={offset + PAGE_SIZE >= state.data.total}
              onClick={() => change({ offset: String(offset + PAGE_SIZE) })}
            >
              Next page
            </button>
          </nav>
        </section>
      )}
    </Page>
  );
}
