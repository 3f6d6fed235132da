import type { Bundle, Condition, Patient, Procedure } from '@medplum/fhirtypes';
import './reports.css';
import type { ReactNode } from 'react';
import { FHIR, get } from '../../api.ts';
import { DataTable } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { formatDay, formatName, refId } from '../../fhir-format.ts';
import { Link, useLocation } from '../../router.tsx';
import { rangeFrom, type Range } from './reports-api.ts';

const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const CODED = 'urn:custodian:coding|coded';

/** Where a diagnosis bar of a dashboard leads: the coded cases behind it. */
export const casesPath = (code: string, range: Range): string =>
  `/reports/cases?${new URLSearchParams({ code, from: range.from, to: range.to }).toString()}`;

/** Where a procedure bar leads: the coded procedures of that code performed in the range. */
export const procedureCasesPath = (code: string, range: Range): string =>
  `/reports/cases?${new URLSearchParams({ kind: 'procedure', code, from: range.from, to: range.to }).toString()}`;

interface CaseRow {
  id: string;
  subject: Condition['subject'];
  /** Recorded (a diagnosis) or performed (a procedure). */
  day: string | undefined;
  display: string | undefined;
  patient: Patient | undefined;
}

/**
 * How each kind of coded record is searched, with the criteria of the top-diagnoses and
 * top-procedures reports (src/reports/diagnoses.ts), so the list holds what the bar counted.
 */
const KINDS = {
  diagnosis: {
    type: 'Condition',
    noun: 'Diagnoses',
    heading: 'cases',
    dated: 'recorded',
    criteria: (code: string, range: Range): URLSearchParams => {
      const q = new URLSearchParams({
        code: `${ICD10CM}|${code}`,
        'verification-status:not': 'entered-in-error',
      });
      q.append('recorded-date', `ge${range.from}`);
      q.append('recorded-date', `le${range.to}`);
      return q;
    },
    row: (r: Condition): Omit<CaseRow, 'patient'> => ({
      id: r.id ?? '',
      subject: r.subject,
      day: r.recordedDate,
      display: r.code?.coding?.[0]?.display,
    }),
  },
  procedure: {
    type: 'Procedure',
    noun: 'Procedures',
    heading: 'procedures',
    dated: 'performed',
    criteria: (code: string, range: Range): URLSearchParams => {
      const q = new URLSearchParams({ code, 'status:not': 'entered-in-error' });
      q.append('date', `ge${range.from}`);
      q.append('date', `le${range.to}`);
      return q;
    },
    row: (r: Procedure): Omit<CaseRow, 'patient'> => ({
      id: r.id ?? '',
      subject: r.subject,
      day: r.performedDateTime ?? r.performedPeriod?.start,
      display: r.code?.coding?.[0]?.display,
    }),
  },
} as const;

/** The records behind a top-diagnoses or top-procedures figure: the coded records of that code in the range. */
export function CasesPage(): ReactNode {
  const search = useLocation().search;
  const code = search.get('code') ?? '';
  const kind = search.get('kind') === 'procedure' ? KINDS.procedure : KINDS.diagnosis;
  const range = rangeFrom(search, 364);
  const [state, retry] = useLoad(
    `cases:${kind.type}:${code}:${range.from}:${range.to}`,
    async (): Promise<CaseRow[]> => {
      const q = kind.criteria(code, range);
      q.set('_tag', CODED);
      q.set('_count', '200');
      q.set('_include', `${kind.type}:subject`);
      const bundle = await get<Bundle>(`${FHIR}/${kind.type}?${q.toString()}`);
      const patients = new Map<string, Patient>();
      const rows: Array<Omit<CaseRow, 'patient'>> = [];
      for (const e of bundle.entry ?? []) {
        const r = e.resource;
        if (r?.resourceType === 'Patient' && r.id) patients.set(r.id, r);
        if (r?.resourceType === 'Condition' && kind === KINDS.diagnosis) rows.push(KINDS.diagnosis.row(r));
        if (r?.resourceType === 'Procedure' && kind === KINDS.procedure) rows.push(KINDS.procedure.row(r));
      }
      return rows.map((row) => ({ ...row, patient: patients.get(refId(row.subject) ?? '') }));
    },
  );
  const title = `Coded ${kind.heading} of ${code}`;
  return (
    <Page title={title}>
      <p className="lead">
        {kind.noun} coded {code} and {kind.dated} from {range.from} to {range.to}.
      </p>
      {state.status === 'loading' && <Loading label="Finding the cases" />}
      {state.status === 'error' && (
        <ErrorMessage error={state.error} title="The cases could not be found" onRetry={retry} />
      )}
      {state.status === 'done' && state.data.length === 0 && <Empty>No coded cases in this range.</Empty>}
      {state.status === 'done' && state.data.length > 0 && (
        <DataTable
          className="data-table"
          caption={title}
          rows={state.data}
          rowKey={(r) => r.id}
          columns={[
            {
              header: 'Patient',
              rowHeader: true,
              cell: (r) => {
                const id = refId(r.subject);
                const name = r.patient ? formatName(r.patient.name) : '(not shown)';
                return id ? <Link to={`/patients/${id}`}>{name}</Link> : name;
              },
            },
            { header: kind.dated === 'recorded' ? 'Recorded' : 'Performed', cell: (r) => formatDay(r.day) },
            { header: kind.type === 'Condition' ? 'Diagnosis' : 'Procedure', cell: (r) => r.display ?? code },
          ]}
        />
      )}
    </Page>
  );
}
