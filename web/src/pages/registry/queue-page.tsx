import { useState, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link, navigate } from '../../router.tsx';
import {
  accession,
  dismiss,
  fetchAbstracts,
  fetchQueue,
  showDate,
  type AbstractSummary,
  type Candidate,
} from './registry-api.ts';

const STATUS_LABEL: Record<Candidate['status'], string> = {
  new: 'New',
  review: 'Review',
  matched: 'Matches a case',
  accessioned: 'Accessioned',
  dismissed: 'Not reportable',
};

const patientId = (ref: string): string => ref.replace(/^Patient\//, '');

/** The suspense queue: reportable codes found in coded visits and pathology, oldest first. */
export function SuspenseQueuePage(): ReactNode {
  const [queue, reloadQueue] = useLoad('registry-queue', fetchQueue);
  const [cases, reloadCases] = useLoad('registry-abstracts', fetchAbstracts);
  const [error, setError] = useState<unknown>(null);
  const act = async (work: () => Promise<unknown>): Promise<void> => {
    setError(null);
    try {
      await work();
      reloadQueue();
      reloadCases();
    } catch (err) {
      setError(err);
    }
  };
  const columns: Array<Column<Candidate>> = [
    {
      header: 'Patient',
      rowHeader: true,
      cell: (c) => <Link to={`/patients/${encodeURIComponent(patientId(c.patient))}`}>{c.patientName}</Link>,
    },
    { header: 'ICD-10-CM', className: 'mono', cell: (c) => c.code },
    { header: 'Found', cell: (c) => new Date(c.foundAt).toLocaleDateString() },
    {
      header: 'Status',
      cell: (c) => (
        <span className={c.status === 'new' ? 'badge warn' : 'badge'}>{STATUS_LABEL[c.status]}</span>
      ),
    },
    {
      header: <span className="visually-hidden">Actions</span>,
      cell: (c) =>
        c.status === 'matched' && c.caseId ? (
          <Link
            to={`/registry/abstracts/${encodeURIComponent(patientId(c.patient))}/${encodeURIComponent(c.caseId)}`}
            className="button small secondary"
          >
            Open case<span className="visually-hidden"> of {c.patientName}</span>
          </Link>
        ) : (
          <div className="button-row">
            <button
              type="button"
              className="button small primary"
              onClick={() =>
                void act(async () => {
                  const a = await accession(c.patient, c.source);
                  navigate(
                    `/registry/abstracts/${encodeURIComponent(patientId(a.patient))}/${encodeURIComponent(a.caseId)}`,
                  );
                })
              }
            >
              Accession
              <span className="visually-hidden">
                {' '}
                {c.code} of {c.patientName}
              </span>
            </button>
            <button
              type="button"
              className="button small secondary"
              onClick={() => void act(() => dismiss(c.patient, c.source))}
            >
              Not reportable
              <span className="visually-hidden">
                {' '}
                {c.code} of {c.patientName}
              </span>
            </button>
          </div>
        ),
    },
  ];
  const caseColumns: Array<Column<AbstractSummary>> = [
    {
      header: 'Patient',
      rowHeader: true,
      cell: (a) => (
        <Link
          to={`/registry/abstracts/${encodeURIComponent(patientId(a.patient))}/${encodeURIComponent(a.caseId)}`}
        >
          {a.patientName}
        </Link>
      ),
    },
    { header: 'Patient ID Number', className: 'mono', cell: (a) => a.patientIdNumber ?? '—' },
    { header: 'Primary site', className: 'mono', cell: (a) => a.primarySite ?? '—' },
    { header: 'Diagnosed', cell: (a) => showDate(a.dateOfDiagnosis) },
    { header: 'Abstract', cell: (a) => (a.status === 'complete' ? 'Complete' : 'Open') },
  ];
  return (
    <Page title="Suspense queue">
      {error !== null && <ErrorMessage error={error} />}
      {queue.status === 'loading' && <Loading label="Looking for reportable cases" />}
      {queue.status === 'error' && <ErrorMessage error={queue.error} onRetry={reloadQueue} />}
      {queue.status === 'done' && queue.data.candidates.length === 0 && (
        <Empty>No reportable cases are waiting.</Empty>
      )}
      {queue.status === 'done' && queue.data.candidates.length > 0 && (
        <div className="table-wrap">
          <DataTable
            className="results"
            caption={`${queue.data.candidates.length} casefinding candidates, oldest first`}
            columns={columns}
            rows={queue.data.candidates}
            rowKey={(c) => `${c.patient} ${c.source}`}
            rowData={(c) => ({ 'data-source': c.source })}
          />
        </div>
      )}
      <h2>Abstracts</h2>
      {cases.status === 'error' && <ErrorMessage error={cases.error} onRetry={reloadCases} />}
      {cases.status === 'done' && cases.data.abstracts.length === 0 && (
        <Empty>No cases accessioned yet.</Empty>
      )}
      {cases.status === 'done' && cases.data.abstracts.length > 0 && (
        <div className="table-wrap">
          <DataTable
            className="results"
            caption="The registry's cases"
            columns={caseColumns}
            rows={cases.data.abstracts}
            rowKey={(a) => a.caseId}
          />
        </div>
      )}
    </Page>
  );
}
