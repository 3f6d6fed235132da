import { useState, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link } from '../../router.tsx';
import { accountingFileUrl, fetchAccounting, fileUrl, type Accounting } from './disclosure-api.ts';
import { PatientPicker, type ChosenPatient } from './patient-picker.tsx';
import './disclosure.css';

type Row = Accounting['disclosures'][number];

const COLUMNS: Array<Column<Row>> = [
  { header: 'Date', rowHeader: true, cell: (d) => d.date },
  { header: 'Recipient', cell: (d) => d.recipient },
  { header: 'Purpose', cell: (d) => d.purpose },
  { header: 'Information disclosed', cell: (d) => d.description },
];

/** The accounting of disclosures (164.528) for one patient: on screen, as PDF and as CSV. */
export function AccountingPage(): ReactNode {
  const [patient, setPatient] = useState<ChosenPatient | null>(null);
  return (
    <Page title="Accounting of disclosures" actions={<Link to="/disclosure">Back to the queue</Link>}>
      <PatientPicker chosen={patient} onChoose={setPatient} />
      {patient && <AccountingOf patient={patient} />}
    </Page>
  );
}

function AccountingOf({ patient }: { patient: ChosenPatient }): ReactNode {
  const [state, reload] = useLoad(`accounting:${patient.id}`, () => fetchAccounting(patient.id));
  const [error, setError] = useState<unknown>(null);
  const download = async (format: 'pdf' | 'csv'): Promise<void> => {
    setError(null);
    try {
      const url = await fileUrl(accountingFileUrl(patient.id, format));
      const a = document.createElement('a');
      a.href = url;
      a.download = `accounting-${patient.id}.${format}`;
      a.click();
    } catch (err) {
      setError(err);
    }
  };
  if (state.status === 'loading') return <Loading label="Loading the accounting" />;
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={reload} />;
  const a = state.data;
  const exempt = Object.values(a.exempted).reduce((n, x) => n + (x ?? 0), 0);
  return (
    <section aria-label="Accounting">
      <p className="lead">
        Disclosures from {a.from} to {a.to}: {a.disclosures.length} listed, {exempt} exempt and not listed.
      </p>
      {a.disclosures.length === 0 ? (
        <Empty>No disclosure in this period must be accounted for.</Empty>
      ) : (
        <div className="table-wrap">
          <DataTable
            className="results"
            caption="Disclosures, oldest first"
            columns={COLUMNS}
            rows={a.disclosures}
            rowKey={(_d, i) => i}
          />
        </div>
      )}
      <div className="button-row">
        <button type="button" className="button secondary" onClick={() => void download('pdf')}>
          Download PDF
        </button>
        <button type="button" className="button secondary" onClick={() => void download('csv')}>
          Download CSV
        </button>
      </div>
      {error !== null && <ErrorMessage error={error} />}
    </section>
  );
}
