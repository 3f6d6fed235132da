import type { DocumentReference, Observation } from '@medplum/fhirtypes';
import type { ReactNode } from 'react';
import { Page } from '../../components/page.tsx';
import { Empty } from '../../components/status.tsx';
import {
  classLabel,
  conceptCode,
  conceptText,
  formatDate,
  formatDay,
  formatPeriod,
  formatQuantity,
} from '../../fhir-format.ts';
import { Link } from '../../router.tsx';
import type { ChartData } from './chart-data.ts';
import { EncounterTimeline } from './encounter-timeline.tsx';
import { PatientBanner } from './patient-banner.tsx';

/** One encounter: its facts, diagnoses, procedures, medications, observations and documents. */
export function EncounterView({ chart, encounterId }: { chart: ChartData; encounterId: string }): ReactNode {
  const patientId = chart.patient.id ?? '';
  const index = chart.encounters.findIndex((e) => e.id === encounterId);
  const e = chart.encounters[index];
  const items = chart.byEncounter.get(encounterId);
  if (!e || !items) {
    return (
      <Page title="Encounter not found">
        <PatientBanner patient={chart.patient} />
        <Empty>This encounter is not in the chart.</Empty>
      </Page>
    );
  }
  const base = `/patients/${encodeURIComponent(patientId)}`;
  const newer = chart.encounters[index - 1];
  const older = chart.encounters[index + 1];
  const title = `${conceptText(e.type?.[0]) || classLabel(e.class?.code)}, ${formatDay(e.period?.start)}`;
  return (
    <Page title={title}>
      <PatientBanner patient={chart.patient} />
      <nav aria-label="Encounters" className="encounter-nav">
        <Link to={base}>← Back to chart</Link>
        <span className="spacer" />
        {older && (
          <Link to={`${base}/encounters/${encodeURIComponent(older.id ?? '')}`}>Previous encounter</Link>
        )}
        {newer && <Link to={`${base}/encounters/${encodeURIComponent(newer.id ?? '')}`}>Next encounter</Link>}
      </nav>
      <EncounterTimeline patientId={patientId} encounters={chart.encounters} selected={encounterId} />
      <section className="card" aria-labelledby="enc-facts">
        <h2 id="enc-facts">Encounter</h2>
        <dl className="facts">
          <dt>Class</dt>
          <dd>{classLabel(e.class?.code)}</dd>
          <dt>Type</dt>
          <dd>{e.type?.map((t) => conceptText(t)).join('; ') || '—'}</dd>
          <dt>When</dt>
          <dd>{formatPeriod(e.period) || '—'}</dd>
          <dt>Status</dt>
          <dd>{e.status}</dd>
          <dt>Reason</dt>
          <dd>{e.reasonCode?.map((r) => conceptText(r)).join('; ') || '—'}</dd>
          <dt>Clinician</dt>
          <dd>
            {e.participant
              ?.map((p) => p.individual?.display)
              .filter(Boolean)
              .join('; ') || '—'}
          </dd>
          <dt>Location</dt>
          <dd>
            {e.location
              ?.map((l) => l.location.display)
              .filter(Boolean)
              .join('; ') ||
              e.serviceProvider?.display ||
              '—'}
          </dd>
          {e.hospitalization?.dischargeDisposition && (
            <>
              <dt>Discharge</dt>
              <dd>{conceptText(e.hospitalization.dischargeDisposition)}</dd>
            </>
          )}
        </dl>
      </section>

      <Section id="dx" title="Diagnoses" count={items.conditions.length}>
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">Diagnosis</th>
              <th scope="col">Code</th>
              <th scope="col">Status</th>
              <th scope="col">Onset</th>
            </tr>
          </thead>
          <tbody>
            {items.conditions.map((c) => (
              <tr key={c.id}>
                <td>{conceptText(c.code)}</td>
                <td className="mono">{conceptCode(c.code)}</td>
                <td>{conceptCode(c.clinicalStatus)}</td>
                <td>{formatDay(c.onsetDateTime ?? c.recordedDate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      <Section id="px" title="Procedures" count={items.procedures.length}>
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">Procedure</th>
              <th scope="col">Code</th>
              <th scope="col">Performed</th>
            </tr>
          </thead>
          <tbody>
            {items.procedures.map((p) => (
              <tr key={p.id}>
                <td>{conceptText(p.code)}</td>
                <td className="mono">{conceptCode(p.code)}</td>
                <td>{formatPeriod(p.performedPeriod) || formatDay(p.performedDateTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      <Section id="rx" title="Medications" count={items.medications.length}>
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">Medication</th>
              <th scope="col">Status</th>
              <th scope="col">Dosage</th>
              <th scope="col">Ordered</th>
            </tr>
          </thead>
          <tbody>
            {items.medications.map((m) => (
              <tr key={m.id}>
                <td>
                  {conceptText(m.medicationCodeableConcept) || m.medicationReference?.display || 'Medication'}
                </td>
                <td>{m.status}</td>
                <td>
                  {m.dosageInstruction?.[0]?.text ??
                    (m.dosageInstruction?.[0]?.asNeededBoolean ? 'As needed' : '—')}
                </td>
                <td>{formatDay(m.authoredOn)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      <Section id="obs" title="Observations" count={items.observations.length}>
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">Observation</th>
              <th scope="col">Value</th>
              <th scope="col">Category</th>
            </tr>
          </thead>
          <tbody>
            {items.observations.map((o) => (
              <tr key={o.id}>
                <td>{conceptText(o.code)}</td>
                <td>{observationValue(o)}</td>
                <td>{conceptText(o.category?.[0])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      <Section id="docs" title="Documents" count={items.documents.length}>
        <DocumentList patientId={patientId} documents={items.documents} />
      </Section>

      {(items.reports.length > 0 || items.immunizations.length > 0) && (
        <p className="muted">
          Also in this encounter: {items.reports.length} diagnostic report
          {items.reports.length === 1 ? '' : 's'}, {items.immunizations.length} immunization
          {items.immunizations.length === 1 ? '' : 's'}.
        </p>
      )}
    </Page>
  );
}

function Section({
  id,
  title,
  count,
  children,
}: {
  id: string;
  title: string;
  count: number;
  children: ReactNode;
}): ReactNode {
  return (
    <section aria-labelledby={`${id}-heading`} className="card">
      <h2 id={`${id}-heading`}>
        {title} <span className="count-pill">{count}</span>
      </h2>
      {count === 0 ? (
        <Empty>None recorded for this encounter.</Empty>
      ) : (
        <div className="table-wrap">{children}</div>
      )}
    </section>
  );
}

export function DocumentList({
  patientId,
  documents,
}: {
  patientId: string;
  documents: DocumentReference[];
}): ReactNode {
  return (
    <table className="compact">
      <thead>
        <tr>
          <th scope="col">Document</th>
          <th scope="col">Date</th>
          <th scope="col">Author</th>
          <th scope="col">Format</th>
        </tr>
      </thead>
      <tbody>
        {documents.map((d) => (
          <tr key={d.id}>
            <td>
              <Link
                to={`/patients/${encodeURIComponent(patientId)}/documents/${encodeURIComponent(d.id ?? '')}`}
              >
                {documentTitle(d)}
              </Link>
            </td>
            <td>{formatDate(d.date)}</td>
            <td>
              {d.author
                ?.map((a) => a.display)
                .filter(Boolean)
                .join('; ')}
            </td>
            <td>{d.content[0]?.attachment.contentType?.split(';')[0] ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function documentTitle(d: DocumentReference): string {
  return d.description ?? d.content[0]?.attachment.title ?? (conceptText(d.type) || 'Document');
}

function observationValue(o: Observation): string {
  if (o.valueQuantity) return formatQuantity(o.valueQuantity);
  if (o.valueCodeableConcept) return conceptText(o.valueCodeableConcept);
  if (o.valueString !== undefined) return o.valueString;
  if (o.valueBoolean !== undefined) return o.valueBoolean ? 'Yes' : 'No';
  if (o.valueInteger !== undefined) return String(o.valueInteger);
  if (o.component?.length)
    return o.component
      .map(
        (c) =>
          `${conceptText(c.code)}: ${formatQuantity(c.valueQuantity) || conceptText(c.valueCodeableConcept)}`,
      )
      .join('; ');
  return '—';
}
