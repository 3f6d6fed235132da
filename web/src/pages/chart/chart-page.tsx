import type { Encounter, Identifier } from '@medplum/fhirtypes';
import type { ReactNode } from 'react';
import { ApiError, patientEverything } from '../../api.ts';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import {
  classLabel,
  conceptText,
  formatDate,
  formatName,
  formatStay,
  identifierLabel,
} from '../../fhir-format.ts';
import { Link } from '../../router.tsx';
import { RetentionFacts } from '../retention/retention-facts.tsx';
import { BreakGlassPrompt } from './break-glass-prompt.tsx';
import { groupChart, type ChartData, type EncounterItems } from './chart-data.ts';
import { DocumentView } from './document-view.tsx';
import { EncounterTimeline } from './encounter-timeline.tsx';
import { EncounterView } from './encounter-view.tsx';
import { PatientBanner } from './patient-banner.tsx';

export type ChartView =
  | { kind: 'overview' }
  | { kind: 'encounter'; encounterId: string }
  | { kind: 'document'; documentId: string };

/**
 * The chart: one audited Patient/$everything per patient, grouped in the browser, shown as an
 * overview, one encounter, or one document. A restricted chart shows the break-the-glass prompt.
 */
export function ChartPage({ patientId, view }: { patientId: string; view: ChartView }): ReactNode {
  const [state, reload] = useLoad(`chart:${patientId}`, async () =>
    groupChart(await patientEverything(patientId), patientId),
  );
  if (state.status === 'loading') {
    return (
      <Page title="Chart">
        <Loading label="Opening the chart" />
      </Page>
    );
  }
  if (state.status === 'error') {
    const err = state.error;
    if (err instanceof ApiError && err.breakGlass)
      return <BreakGlassPrompt patientId={patientId} message={err.message} onGranted={reload} />;
    return (
      <Page title="Chart">
        <ErrorMessage error={err} title="The chart could not be opened" onRetry={reload} />
      </Page>
    );
  }
  const chart = state.data;
  switch (view.kind) {
    case 'overview':
      return <ChartOverview chart={chart} />;
    case 'encounter':
      return <EncounterView chart={chart} encounterId={view.encounterId} />;
    case 'document':
      return <DocumentView chart={chart} documentId={view.documentId} />;
  }
}

function ChartOverview({ chart }: { chart: ChartData }): ReactNode {
  const p = chart.patient;
  const id = p.id ?? '';
  return (
    <Page title={`Chart: ${formatName(p.name)}`}>
      <PatientBanner patient={p} />
      <div className="chart-grid">
        <section aria-labelledby="demo-heading" className="card">
          <h2 id="demo-heading">Demographics</h2>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{formatName(p.name)}</dd>
            {(p.name?.length ?? 0) > 1 && (
              <>
                <dt>Other names</dt>
                <dd>
                  {p.name
                    ?.slice(1)
                    .map((n) => formatName([n]))
                    .join('; ')}
                </dd>
              </>
            )}
            <dt>Birth date</dt>
            <dd>{formatDate(p.birthDate)}</dd>
            <dt>Sex</dt>
            <dd>{p.gender ?? '—'}</dd>
            <dt>Marital status</dt>
            <dd>{conceptText(p.maritalStatus) || '—'}</dd>
            <dt>Address</dt>
            <dd>
              {p.address?.[0]
                ? [
                    p.address[0].line?.join(', '),
                    p.address[0].city,
                    p.address[0].state,
                    p.address[0].postalCode,
                  ]
                    .filter(Boolean)
                    .join(', ')
                : '—'}
            </dd>
            <dt>Phone</dt>
            <dd>{p.telecom?.find((t) => t.system === 'phone')?.value ?? '—'}</dd>
            <dt>Language</dt>
            <dd>{conceptText(p.communication?.[0]?.language) || '—'}</dd>
            <RetentionFacts patientId={id} />
          </dl>
        </section>
        <section aria-labelledby="ids-heading" className="card">
          <h2 id="ids-heading">Identifiers</h2>
          {p.identifier?.length ? (
            <DataTable
              className="compact"
              columns={IDENTIFIER_COLUMNS}
              rows={p.identifier}
              // Identifiers have no id of their own; the list is read-only, so the position is stable.
              rowKey={(_, n) => n}
            />
          ) : (
            <Empty>No identifiers.</Empty>
          )}
        </section>
      </div>
      <section aria-labelledby="enc-heading">
        <h2 id="enc-heading">Encounters ({chart.encounters.length})</h2>
        {chart.encounters.length === 0 ? (
          <Empty>No encounters in this chart.</Empty>
        ) : (
          <>
            <EncounterTimeline patientId={id} encounters={chart.encounters} />
            <EncounterTable chart={chart} />
          </>
        )}
      </section>
    </Page>
  );
}

const IDENTIFIER_COLUMNS: Array<Column<Identifier>> = [
  // An old identifier is the MRN of a record merged into this one, kept so it still finds the chart.
  {
    header: 'Type',
    cell: (i) => (i.use === 'old' ? `${identifierLabel(i)} (old, merged record)` : identifierLabel(i)),
  },
  { header: 'Value', cell: (i) => i.value, className: 'mono' },
  { header: 'Issuer', cell: (i) => i.system, className: 'issuer' },
];

function EncounterTable({ chart }: { chart: ChartData }): ReactNode {
  return (
    <div className="table-wrap">
      <DataTable
        className="results"
        caption="Encounters, newest first"
        columns={encounterColumns(chart)}
        rows={chart.encounters}
        rowKey={(e, n) => e.id ?? n}
      />
    </div>
  );
}

/** The encounter list's columns: the date opens the encounter; the counts come from the grouped chart. */
function encounterColumns(chart: ChartData): Array<Column<Encounter>> {
  const patientId = encodeURIComponent(chart.patient.id ?? '');
  const items = (e: Encounter): EncounterItems | undefined => chart.byEncounter.get(e.id ?? '');
  return [
    {
      header: 'Date',
      rowHeader: true,
      cell: (e) => (
        <Link to={`/patients/${patientId}/encounters/${encodeURIComponent(e.id ?? '')}`}>
          {formatStay(e.period) || 'Undated'}
        </Link>
      ),
    },
    { header: 'Class', cell: (e) => classLabel(e.class?.code) },
    { header: 'Type', cell: (e) => conceptText(e.type?.[0]) },
    { header: 'Diagnoses', cell: (e) => items(e)?.conditions.length ?? 0, numeric: true },
    { header: 'Documents', cell: (e) => items(e)?.documents.length ?? 0, numeric: true },
  ];
}
