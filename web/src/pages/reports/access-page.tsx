import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import './reports.css';
import { useState, type FormEvent, type ReactNode } from 'react';
import type { AccessReportLine } from '../../../../src/audit/access-report.ts';
import type { FoundPatient } from '../../../../src/chart/index.ts';
import { FHIR, findPatients, get } from '../../api.ts';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { formatDate } from '../../fhir-format.ts';
import { navigate, useLocation } from '../../router.tsx';

const PATH = '/reports/access';

/**
 * The access report: everything recorded about one patient's record (found by name or MRN, never
 * by an internal id), or everything one user looked at, with the purpose of use they stated.
 */
export function AccessReportPage(): ReactNode {
  const search = useLocation().search;
  const user = search.get('user') ?? '';
  const patient = search.get('patient') ?? '';
  return (
    <Page title="Access report">
      <div className="report-forms">
        <PatientFinder />
        <UserForm initial={user} />
      </div>
      {patient && <PatientAccess patientId={patient} label={search.get('name') ?? ''} />}
      {!patient && user && <UserAccess username={user} />}
    </Page>
  );
}

function PatientFinder(): ReactNode {
  const [text, setText] = useState('');
  const [found, setFound] = useState<FoundPatient[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const find = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    try {
      setFound((await findPatients(text.trim())).results);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="by-patient">
      <h2 id="by-patient">By patient</h2>
      <form
        className="search-form"
        role="search"
        aria-label="Find the patient"
        onSubmit={(e) => void find(e)}
      >
        <div className="field grow">
          <label htmlFor="access-patient">Patient name or MRN</label>
          <input id="access-patient" type="search" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <div className="field actions">
          <button type="submit" className="button secondary" disabled={!text.trim()}>
            Find patient
          </button>
        </div>
      </form>
      {error !== null && <ErrorMessage error={error} />}
      {found && found.length === 0 && <Empty>No patient matches.</Empty>}
      {found && found.length > 0 && (
        <ul className="plain-list">
          {found.slice(0, 10).map((p) => {
            const name = p.restricted ? 'Restricted record' : p.name;
            return (
              <li key={p.id}>
                <button
                  type="button"
                  className="button small secondary"
                  onClick={() =>
                    navigate(`${PATH}?${new URLSearchParams({ patient: p.id, name }).toString()}`)
                  }
                >
                  Who looked at {name}
                </button>{' '}
                {p.restricted ? '' : `born ${p.birthDate ?? 'unknown'} · MRN ${p.mrn ?? 'none'}`}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function UserForm({ initial }: { initial: string }): ReactNode {
  const [text, setText] = useState(initial);
  return (
    <section aria-labelledby="by-user">
      <h2 id="by-user">By user</h2>
      <form
        className="search-form"
        role="search"
        aria-label="Find a user's accesses"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`${PATH}?user=${encodeURIComponent(text.trim())}`);
        }}
      >
        <div className="field grow">
          <label htmlFor="access-user">User name</label>
          <input id="access-user" type="search" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <div className="field actions">
          <button type="submit" className="button secondary" disabled={!text.trim()}>
            Show accesses
          </button>
        </div>
      </form>
    </section>
  );
}

const LINE_COLUMNS: Array<Column<AccessReportLine>> = [
  { header: 'When', cell: (l) => formatDate(l.when), rowHeader: true },
  { header: 'Who', cell: (l) => l.who },
  { header: 'Role', cell: (l) => l.role ?? '' },
  { header: 'Action', cell: (l) => l.action },
  { header: 'Outcome', cell: (l) => (l.outcome === 'success' ? 'allowed' : l.outcome) },
  { header: 'Purpose of use', cell: (l) => l.purpose ?? '' },
  { header: 'What', cell: (l) => l.what.join(', '), className: 'mono wrap' },
];

function PatientAccess({ patientId, label }: { patientId: string; label: string }): ReactNode {
  const [state, retry] = useLoad(`access:${patientId}`, () =>
    get<{ lines: AccessReportLine[] }>(`/audit/access-report?patient=${encodeURIComponent(patientId)}`),
  );
  return (
    <section aria-labelledby="patient-access">
      <h2 id="patient-access">Who looked at {label || 'this record'}</h2>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={retry} />}
      {state.status === 'done' && state.data.lines.length === 0 && <Empty>No recorded access.</Empty>}
      {state.status === 'done' && state.data.lines.length > 0 && (
        <DataTable
          className="data-table"
          caption={`Accesses to ${label}`}
          columns={LINE_COLUMNS}
          rows={state.data.lines}
          rowKey={(_, i) => i}
        />
      )}
    </section>
  );
}

/** An AuditEvent as a line of the report (the server's access report does the same per patient). */
function lineOf(e: AuditEvent): AccessReportLine {
  const agent = e.agent?.[0];
  return {
    when: e.recorded,
    who: agent?.name ?? agent?.who?.display ?? 'unknown',
    role: agent?.role?.[0]?.coding?.[0]?.code ?? null,
    action: e.subtype?.[0]?.code ?? e.action ?? 'unknown',
    outcome: e.outcome === '4' ? 'denied' : e.outcome === '8' ? 'failure' : 'success',
    purpose: agent?.purposeOfUse?.[0]?.coding?.[0]?.code ?? null,
    what: (e.entity ?? []).map((x) => x.what?.reference ?? x.description ?? '').filter(Boolean),
    source: agent?.network?.address ?? null,
    detail: e.outcomeDesc ?? null,
  };
}

function UserAccess({ username }: { username: string }): ReactNode {
  const [state, retry] = useLoad(`user-access:${username}`, async () => {
    const q = new URLSearchParams({
      'agent:identifier': `urn:custodian:user|${username}`,
      _sort: '-date',
      _count: '200',
    });
    const bundle = await get<Bundle<AuditEvent>>(`${FHIR}/AuditEvent?${q.toString()}`);
    return (bundle.entry ?? []).flatMap((e) => (e.resource ? [lineOf(e.resource)] : []));
  });
  return (
    <section aria-labelledby="user-access">
      <h2 id="user-access">What {username} looked at</h2>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={retry} />}
      {state.status === 'done' && state.data.length === 0 && <Empty>No recorded access by {username}.</Empty>}
      {state.status === 'done' && state.data.length > 0 && (
        <DataTable
          className="data-table"
          caption={`Accesses by ${username}, newest first`}
          columns={LINE_COLUMNS}
          rows={state.data}
          rowKey={(_, i) => i}
        />
      )}
    </section>
  );
}
