import './reports.css';
import type { ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link, useLocation } from '../../router.tsx';
import { cell, fetchReport, rangeFrom, type ReportResult } from './reports-api.ts';

/**
 * The records behind the coding dashboard's "Finalized" and "Edits overridden" figures: the
 * coding-finalized and coding-overrides lists (src/reports/coding-records.ts), filtered by the
 * URL's range, coder and edit kind, so what a tile or bar counts is what the list shows.
 */

type Row = ReportResult['rows'][number];

interface ListSpec {
  report: 'coding-finalized' | 'coding-overrides';
  title: string;
  /** The URL filters besides from/to this list passes on to its report. */
  filters: ReadonlyArray<'coder' | 'kind'>;
  columns: (result: ReportResult) => ReadonlyArray<Column<Row>>;
}

const text = (v: string | number | null): string => (v === null ? '' : String(v));

function encounterColumn(result: ReportResult): Column<Row> {
  return {
    header: 'Encounter',
    rowHeader: true,
    cell: (row) => {
      const id = cell(result, row, 'encounter');
      return id ? <Link to={`/coding/encounters/${String(id)}`}>{String(id)}</Link> : '(not named)';
    },
  };
}

function patientColumn(result: ReportResult): Column<Row> {
  return {
    header: 'Patient',
    cell: (row) => {
      const id = cell(result, row, 'patient');
      const name = text(cell(result, row, 'patientName')) || '(not shown)';
      return id ? <Link to={`/patients/${String(id)}`}>{name}</Link> : name;
    },
  };
}

const plain = (result: ReportResult, header: string, name: string, className?: string): Column<Row> => ({
  header,
  className,
  cell: (row) => text(cell(result, row, name)),
});

const FINALIZED: ListSpec = {
  report: 'coding-finalized',
  title: 'Cases finalized',
  filters: ['coder'],
  columns: (r) => [
    encounterColumn(r),
    patientColumn(r),
    plain(r, 'Coder', 'coder'),
    plain(r, 'Finalized', 'finalized'),
  ],
};

const OVERRIDES: ListSpec = {
  report: 'coding-overrides',
  title: 'Edits overridden',
  filters: ['coder', 'kind'],
  columns: (r) => [
    encounterColumn(r),
    patientColumn(r),
    plain(r, 'Codes', 'codes', 'mono'),
    plain(r, 'Edit kind', 'kind'),
    plain(r, 'Coder', 'coder'),
    plain(r, 'Reason', 'reason'),
    plain(r, 'Finalized', 'identified'),
  ],
};

function CodingRecords({ spec }: { spec: ListSpec }): ReactNode {
  const search = useLocation().search;
  const range = rangeFrom(search, 29);
  const filters: Record<string, string> = {};
  for (const name of spec.filters) {
    const value = search.get(name);
    if (value) filters[name] = value;
  }
  const key = `${spec.report}:${range.from}:${range.to}:${new URLSearchParams(filters).toString()}`;
  const [state, retry] = useLoad(key, () => fetchReport(spec.report, range, filters));
  const scope = [
    filters.kind ? `edit kind ${filters.kind}` : '',
    filters.coder ? `coder ${filters.coder}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return (
    <Page title={spec.title}>
      <p className="lead">
        From {range.from} to {range.to}
        {scope ? `, ${scope}` : ''}.
      </p>
      {state.status === 'loading' && <Loading label="Finding the cases" />}
      {state.status === 'error' && (
        <ErrorMessage error={state.error} title="The list could not be read" onRetry={retry} />
      )}
      {state.status === 'done' && state.data.rows.length === 0 && <Empty>None in this range.</Empty>}
      {state.status === 'done' && state.data.rows.length > 0 && (
        <DataTable
          className="data-table"
          caption={spec.title}
          rows={state.data.rows}
          rowKey={(_, i) => i}
          columns={spec.columns(state.data)}
        />
      )}
    </Page>
  );
}

/** `/reports/finalized?from&to[&coder]`: the encounters made final in the range. */
export const FinalizedCasesPage = (): ReactNode => <CodingRecords spec={FINALIZED} />;

/** `/reports/overrides?from&to[&coder][&kind]`: each coding edit overridden at finalization. */
export const OverriddenEditsPage = (): ReactNode => <CodingRecords spec={OVERRIDES} />;
