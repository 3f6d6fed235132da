import type { Bundle, Condition, Patient } from '@medplum/fhirtypes';
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

interface CaseRow {
  condition: Condition;
  patient: Patient | undefined;
}

/** The records behind a top-diagnoses figure: the coded diagnoses of that code in the range. */
export function CasesPage(): ReactNode {
  const search = useLocation().search;
  const code = search.get('code') ?? '';
  const range = rangeFrom(search, 364);
  const [state, retry] = useLoad(`cases:${code}:${range.from}:${range.to}`, async (): Promise<CaseRow[]> => {
    const q = new URLSearchParams({
      code: `${ICD10CM}|${code}`,
      _tag: CODED,
      _count: '200',
      _include: 'Condition:subject',
    });
    q.append('recorded-date', `ge${range.from}`);
    q.append('recorded-date', `le${range.to}`);
    q.set('verification-status:not', 'entered-in-error');
    const bundle = await get<Bundle>(`${FHIR}/Condition?${q.toString()}`);
    const patients = new Map<string, Patient>();
    const conditions: Condition[] = [];
    for (const e of bundle.entry ?? []) {
      if (e.resource?.resourceType === 'Patient' && e.resource.id) patients.set(e.resource.id, e.resource);
      if (e.resource?.resourceType === 'Condition') conditions.push(e.resource);
    }
    return conditions.map((condition) => ({
      condition,
      patient: patients.get(refId(condition.subject) ?? ''),
    }));
  });
  return (
    <Page title={`Coded cases of ${code}`}>
      <p className="lead">
        Diagnoses coded {code} and recorded from {range.from} to {range.to}.
      </p>
      {state.status === 'loading' && <Loading label="Finding the cases" />}
      {state.status === 'error' && (
        <ErrorMessage error={state.error} title="The cases could not be found" onRetry={retry} />
      )}
      {state.status === 'done' && state.data.length === 0 && <Empty>No coded cases in this range.</Empty>}
      {state.status === 'done' && state.data.length > 0 && (
        <DataTable
          className="data-table"
          caption={`Coded cases of ${code}`}
          rows={state.data}
          rowKey={(r) => r.condition.id ?? ''}
          columns={[
            {
              header: 'Patient',
              rowHeader: true,
              cell: (r) => {
                const id = refId(r.condition.subject);
                const name = r.patient ? formatName(r.patient.name) : '(not shown)';
                return id ? <Link to={`/patients/${id}`}>{name}</Link> : name;
              },
            },
            { header: 'Recorded', cell: (r) => formatDay(r.condition.recordedDate) },
            { header: 'Diagnosis', cell: (r) => r.condition.code?.coding?.[0]?.display ?? code },
          ]}
        />
      )}
    </Page>
  );
}
