import { useState, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { fileUrl } from '../disclosure/disclosure-api.ts';
import {
  certificatePath,
  fetchDue,
  fetchRuns,
  proposeRun,
  runStep,
  type DestructionRun,
  type RunItem,
} from './retention-api.ts';

const DUE: Array<Column<RunItem>> = [
  { header: 'Patient', rowHeader: true, cell: (i) => i.name },
  { header: 'MRN', cell: (i) => i.mrn ?? '' },
  { header: 'Last encounter', cell: (i) => i.lastEncounter ?? '' },
  { header: 'Kept until', cell: (i) => i.retainUntil },
  { header: 'Rule', cell: (i) => i.rule },
];

/**
 * The destruction run: charts past retention and under no hold, a proposal, the approval by a
 * second person, the destruction, and its certificate.
 */
export function DestructionPage(): ReactNode {
  const [due, reloadDue] = useLoad('retention:due', fetchDue);
  const [runs, reloadRuns] = useLoad('retention:runs', fetchRuns);
  const [error, setError] = useState<unknown>(null);
  const [certificate, setCertificate] = useState<string | null>(null);
  const refresh = (): void => {
    setError(null);
    reloadDue();
    reloadRuns();
  };
  const act = (work: Promise<unknown>): void => void work.then(refresh, setError);
  const runColumns: Array<Column<DestructionRun>> = [
    { header: 'Proposed', rowHeader: true, cell: (r) => `${r.proposedAt.slice(0, 10)} by ${r.proposedBy}` },
    { header: 'Charts', numeric: true, cell: (r) => r.items.length },
    { header: 'Status', cell: (r) => r.status },
    { header: 'Approved by', cell: (r) => r.approvedBy ?? '' },
    {
      header: <span className="visually-hidden">Action</span>,
      cell: (r) =>
        r.status === 'proposed' ? (
          <button
            type="button"
            className="button small primary"
            onClick={() => act(runStep(r.id, 'approve'))}
          >
            Approve
          </button>
        ) : r.status === 'approved' ? (
          <button type="button" className="button small danger" onClick={() => act(runStep(r.id, 'destroy'))}>
            Destroy
          </button>
        ) : (
          <button
            type="button"
            className="button small secondary"
            onClick={() => void fileUrl(certificatePath(r.id)).then(setCertificate, setError)}
          >
            Certificate
          </button>
        ),
    },
  ];
  return (
    <Page
      title="Destruction"
      actions={
        <button type="button" className="button primary" onClick={() => act(proposeRun())}>
          Propose a destruction run
        </button>
      }
    >
      {error !== null && <ErrorMessage error={error} />}
      <h2>Past retention, under no hold</h2>
      {due.status === 'loading' && <Loading />}
      {due.status === 'error' && <ErrorMessage error={due.error} onRetry={reloadDue} />}
      {due.status === 'done' &&
        (due.data.due.length === 0 ? (
          <Empty>No chart is past retention.</Empty>
        ) : (
          <DataTable
            className="worklist"
            caption="Charts past retention"
            columns={DUE}
            rows={due.data.due}
            rowKey={(i) => i.patientId}
            rowData={(i) => ({ 'data-due': i.patientId })}
          />
        ))}
      <h2>Destruction runs</h2>
      {runs.status === 'loading' && <Loading />}
      {runs.status === 'error' && <ErrorMessage error={runs.error} onRetry={reloadRuns} />}
      {runs.status === 'done' &&
        (runs.data.runs.length === 0 ? (
          <Empty>No destruction run yet.</Empty>
        ) : (
          <DataTable
            className="worklist"
            caption="Destruction runs"
            columns={runColumns}
            rows={runs.data.runs}
            rowKey={(r) => r.id}
            rowData={(r) => ({ 'data-run': r.id, 'data-status': r.status })}
          />
        ))}
      {certificate && <iframe title="Certificate of destruction" src={certificate} className="roi-packet" />}
    </Page>
  );
}
