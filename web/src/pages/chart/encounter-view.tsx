import type {
  Condition,
  DocumentReference,
  MedicationRequest,
  Observation,
  Procedure,
  Resource,
} from '@medplum/fhirtypes';
import type { Key, ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
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

      <ItemSection id="dx" title="Diagnoses" columns={DIAGNOSIS_COLUMNS} rows={items.conditions} />
      <ItemSection id="px" title="Procedures" columns={PROCEDURE_COLUMNS} rows={items.procedures} />
      <ItemSection id="rx" title="Medications" columns={MEDICATION_COLUMNS} rows={items.medications} />
      <ItemSection id="obs" title="Observations" columns={OBSERVATION_COLUMNS} rows={items.observations} />

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

/** A card with one kind of the encounter's items in a table, or a line saying none were recorded. */
function ItemSection<T extends Resource>({
  id,
  title,
  columns,
  rows,
}: {
  id: string;
  title: string;
  columns: Array<Column<T>>;
  rows: T[];
}): ReactNode {
  return (
    <Section id={id} title={title} count={rows.length}>
      <DataTable className="compact" columns={columns} rows={rows} rowKey={byId} />
    </Section>
  );
}

/** Every resource in a chart has a server id; the position only stands in should one not. */
const byId = (resource: Resource, index: number): Key => resource.id ?? index;

const DIAGNOSIS_COLUMNS: Array<Column<Condition>> = [
  { header: 'Diagnosis', cell: (c) => conceptText(c.code) },
  { header: 'Code', cell: (c) => conceptCode(c.code), className: 'mono' },
  { header: 'Status', cell: (c) => conceptCode(c.clinicalStatus) },
  { header: 'Onset', cell: (c) => formatDay(c.onsetDateTime ?? c.recordedDate) },
];

const PROCEDURE_COLUMNS: Array<Column<Procedure>> = [
  { header: 'Procedure', cell: (p) => conceptText(p.code) },
  { header: 'Code', cell: (p) => conceptCode(p.code), className: 'mono' },
  { header: 'Performed', cell: (p) => formatPeriod(p.performedPeriod) || formatDay(p.performedDateTime) },
];

const MEDICATION_COLUMNS: Array<Column<MedicationRequest>> = [
  {
    header: 'Medication',
    cell: (m) => conceptText(m.medicationCodeableConcept) || m.medicationReference?.display || 'Medication',
  },
  { header: 'Status', cell: (m) => m.status },
  {
    header: 'Dosage',
    cell: (m) =>
      m.dosageInstruction?.[0]?.text ?? (m.dosageInstruction?.[0]?.asNeededBoolean ? 'As needed' : '—'),
  },
  { header: 'Ordered', cell: (m) => formatDay(m.authoredOn) },
];

const OBSERVATION_COLUMNS: Array<Column<Observation>> = [
  { header: 'Observation', cell: (o) => conceptText(o.code) },
  { header: 'Value', cell: (o) => observationValue(o) },
  { header: 'Category', cell: (o) => conceptText(o.category?.[0]) },
];

export function DocumentList({
  patientId,
  documents,
}: {
  patientId: string;
  documents: DocumentReference[];
}): ReactNode {
  return (
    <DataTable className="compact" columns={documentColumns(patientId)} rows={documents} rowKey={byId} />
  );
}

/** The document list's columns; the title links to the document inside this patient's chart. */
function documentColumns(patientId: string): Array<Column<DocumentReference>> {
  const href = (d: DocumentReference): string =>
    `/patients/${encodeURIComponent(patientId)}/documents/${encodeURIComponent(d.id ?? '')}`;
  return [
    { header: 'Document', cell: (d) => <Link to={href(d)}>{documentTitle(d)}</Link> },
    { header: 'Date', cell: (d) => formatDate(d.date) },
    {
      header: 'Author',
      cell: (d) =>
        d.author
          ?.map((a) => a.display)
          .filter(Boolean)
          .join('; '),
    },
    { header: 'Format', cell: (d) => d.content[0]?.attachment.contentType?.split(';')[0] ?? '—' },
  ];
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
