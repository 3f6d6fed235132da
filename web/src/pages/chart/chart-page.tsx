import type { Encounter } from '@medplum/fhirtypes';
import type { ReactNode } from 'react';
import { ApiError, patientEverything } from '../../api.ts';
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
import { BreakGlassPrompt } from './break-glass-prompt.tsx';
import { groupChart, type ChartData } from './chart-data.ts';
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
          </dl>
        </section>
        <section aria-labelledby="ids-heading" className="card">
          <h2 id="ids-heading">Identifiers</h2>
          {p.identifier?.length ? (
            <table className="compact">
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Value</th>
                  <th scope="col">Issuer</th>
                </tr>
              </thead>
              <tbody>
                {p.identifier.map((i, n) => (
                  <tr key={n}>
                    <td>{identifierLabel(i)}</td>
                    <td className="mono">{i.value}</td>
                    <td className="issuer">{i.system}</td>
                  </tr>
                ))}
              </tbody>
            </table>
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

function EncounterTable({ chart }: { chart: ChartData }): ReactNode {
  const id = chart.patient.id ?? '';
  return (
    <div className="table-wrap">
      <table className="results">
        <caption className="visually-hidden">Encounters, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Class</th>
            <th scope="col">Type</th>
            <th scope="col" className="num">
              Diagnoses
            </th>
            <th scope="col" className="num">
              Documents
            </th>
          </tr>
        </thead>
        <tbody>
          {chart.encounters.map((e: Encounter) => {
            const items = chart.byEncounter.get(e.id ?? '');
            return (
              <tr key={e.id}>
                <th scope="row">
                  <Link
                    to={`/patients/${encodeURIComponent(id)}/encounters/${encodeURIComponent(e.id ?? '')}`}
                  >
                    {formatStay(e.period) || 'Undated'}
                  </Link>
                </th>
                <td>{classLabel(e.class?.code)}</td>
                <td>{conceptText(e.type?.[0])}</td>
                <td className="num">{items?.conditions.length ?? 0}</td>
                <td className="num">{items?.documents.length ?? 0}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
