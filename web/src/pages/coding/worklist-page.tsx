import type { ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { Page } from '../../components/page.tsx';
import { useLoad } from '../../components/use-load.ts';
import { formatDay } from '../../fhir-format.ts';
import { Link } from '../../router.tsx';
import { fetchWorklist, type WorklistItem } from './coding-api.ts';
import './coding.css';

const CLASS_NAMES: Record<WorklistItem['class'], string> = {
  inpatient: 'Inpatient',
  outpatient: 'Outpatient',
  emergency: 'Emergency',
};

const WORKLIST_COLUMNS: Array<Column<WorklistItem>> = [
  {
    header: 'Patient',
    rowHeader: true,
    cell: (i) => <Link to={`/coding/encounters/${encodeURIComponent(i.encounterId)}`}>{i.patientName}</Link>,
  },
  { header: 'MRN', cell: (i) => i.mrn ?? '', className: 'mono' },
  { header: 'Class', cell: (i) => CLASS_NAMES[i.class] },
  { header: 'Discharged', cell: (i) => formatDay(i.discharge) },
  { header: 'DNFB days', cell: (i) => i.dnfbDays, numeric: true },
  {
    header: 'State',
    cell: (i) =>
      i.state === 'coded' ? <span className="badge ok">Coded</span> : <span className="badge">Uncoded</span>,
  },
  { header: 'Coder', cell: (i) => i.coder ?? '' },
];

/** Discharged encounters without final codes (DNFB), oldest discharge first. */
export function CodingWorklistPage(): ReactNode {
  const [state, reload] = useLoad('coding-worklist', () => fetchWorklist(200));
  return (
    <Page title="Coding worklist">
      {state.status === 'loading' && <Loading label="Loading the worklist" />}
      {state.status === 'error' && (
        <ErrorMessage error={state.error} title="The worklist could not be loaded" onRetry={reload} />
      )}
      {state.status === 'done' && state.data.items.length === 0 && (
        <Empty>Every discharged encounter has final codes.</Empty>
      )}
      {state.status === 'done' && state.data.items.length > 0 && (
        <section aria-labelledby="worklist-heading">
          <h2 id="worklist-heading">
            {state.data.total} {state.data.total === 1 ? 'encounter' : 'encounters'} discharged, not final
            billed
            {state.data.total > state.data.items.length ? ` (oldest ${state.data.items.length} shown)` : ''}
          </h2>
          <div className="table-wrap">
            <DataTable
              className="results worklist"
              caption="Encounters to code, oldest discharge first"
              columns={WORKLIST_COLUMNS}
              rows={state.data.items}
              rowKey={(i) => i.encounterId}
              rowData={(i) => ({ 'data-encounter': i.encounterId })}
            />
          </div>
        </section>
      )}
    </Page>
  );
}
