import type { AuditEvent, Patient } from '@medplum/fhirtypes';
import type { Db } from '../db/index.ts';
import { recordAudit } from '../fhir/audit-trail.ts';
import { badRequest } from '../fhir/outcomes.ts';
import { FhirStore } from '../fhir/store.ts';
import {
  BASES,
  BASIS_LABELS,
  decodeDisclosure,
  encodeDisclosure,
  EXEMPT_BASES,
  isBasis,
  purposeOfUse,
  type Basis,
  disclosureTrailContext,
  type DisclosureRecord,
} from './disclosure-record.ts';
import { heading, line, newPdf, printable, stampPages } from './pdf-document.ts';
import { patientSummary, type PatientSummary } from './requests.ts';
import { dateField, objectBody, requiredText } from './request-input.ts';

/**
 * The accounting of disclosures (164.528): every disclosure of a patient's records in the six
 * years before the accounting is asked for, read from the audit trail (AuditEvents of action
 * `disclose`), leaving out those 164.528(a)(1) exempts. Disclosures made outside the ROI
 * workflow (a report to public health by phone, a mandated report) are recorded here too.
 */

export interface AccountedDisclosure {
  date: string;
  recipient: string;
  purpose: string;
  description: string;
  basis: Basis;
  requestId?: string;
}

export interface Accounting {
  patient: PatientSummary;
  from: string;
  to: string;
  disclosures: AccountedDisclosure[];
  /** Disclosures in the window the law exempts from the accounting, counted by basis. */
  exempted: Partial<Record<Basis, number>>;
}

/** The first day of the six years before `asOf` (Feb 29 falls back to Feb 28). */
export function sixYearsBefore(asOf: string): string {
  const [y, m, d] = asOf.split('-').map(Number) as [number, number, number];
  const lastDay = new Date(Date.UTC(y - 6, m, 0)).getUTCDate();
  return `${String(y - 6).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(Math.min(d, lastDay)).padStart(2, '0')}`;
}

export async function accountingOf(
  db: Db,
  store: FhirStore,
  patientId: string,
  asOf: string,
): Promise<Accounting> {
  // The caller must see the patient; the trail is then read with the module's sight (an ROI
  // specialist does not read the audit trail itself), audited under the caller's name.
  const patient = (await store.read('Patient', patientId)) as Patient;
  const trail = new FhirStore(db, disclosureTrailContext(store.ctx));
  const found = await trail.findAll({
    type: 'AuditEvent',
    where: [
      { param: 'patient', references: [`Patient/${patientId}`] },
      { param: 'subtype', tokens: [{ system: 'urn:custodian:audit-action', code: 'disclose' }] },
    ],
  });
  const from = sixYearsBefore(asOf);
  const disclosures: Array<AccountedDisclosure & { recorded: string }> = [];
  const exempted: Accounting['exempted'] = {};
  for (const event of found.matches as AuditEvent[]) {
    if (event.outcome !== '0') continue;
    const d = decodeDisclosure(event.outcomeDesc);
    if (!d || d.date < from || d.date > asOf) continue;
    if (EXEMPT_BASES.has(d.basis)) {
      exempted[d.basis] = (exempted[d.basis] ?? 0) + 1;
      continue;
    }
    disclosures.push({
      date: d.date,
      recipient: d.recipient,
      purpose: d.purpose,
      description: d.description,
      basis: d.basis,
      ...(d.requestId ? { requestId: d.requestId } : {}),
      recorded: event.recorded,
    });
  }
  // By the day disclosed, then in the order they were recorded.
  disclosures.sort((a, b) => a.date.localeCompare(b.date) || a.recorded.localeCompare(b.recorded));
  return {
    patient: patientSummary(patient),
    from,
    to: asOf,
    disclosures: disclosures.map(({ recorded: _recorded, ...d }) => d),
    exempted,
  };
}

/** Records a disclosure made outside the ROI workflow, as the same AuditEvent a release writes. */
export async function recordDisclosure(
  db: Db,
  store: FhirStore,
  body: unknown,
  asOf: string,
): Promise<DisclosureRecord & { patientId: string }> {
  const raw = objectBody(body);
  const ref = requiredText(raw, 'patient');
  const m = /^(?:Patient\/)?([A-Za-z0-9\-.]{1,64})$/.exec(ref);
  if (!m?.[1]) throw badRequest(`'patient' must be a reference such as Patient/123`, ['patient']);
  const date = dateField(raw, 'date', true) as string;
  if (date > asOf) throw badRequest(`'date' is in the future`, ['date']);
  if (!isBasis(raw.basis)) throw badRequest(`'basis' must be one of ${BASES.join(', ')}`, ['basis']);
  const record: DisclosureRecord = {
    date,
    recipient: requiredText(raw, 'recipient'),
    purpose: requiredText(raw, 'purpose'),
    description: requiredText(raw, 'description'),
    basis: raw.basis,
  };
  const patientId = m[1];
  await store.read('Patient', patientId);
  await recordAudit(db, [
    store.auditEntry('disclose', 'success', {
      purpose: purposeOfUse(record.basis, record.purpose, store.ctx.purpose),
      patientIds: [patientId],
      query: `disclosure recorded: ${record.recipient}`,
      detail: encodeDisclosure(record),
    }),
  ]);
  return { ...record, patientId };
}

export function accountingCsv(a: Accounting): string {
  const cell = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const rows = a.disclosures.map((d) => [d.date, d.recipient, d.purpose, d.description].map(cell).join(','));
  return ['date,recipient,purpose,description', ...rows].join('\r\n') + '\r\n';
}

export async function accountingPdf(a: Accounting): Promise<Buffer> {
  const { doc, done } = newPdf(`Accounting of disclosures ${a.patient.name}`);
  doc.font('Helvetica-Bold').fontSize(16).text('Accounting of disclosures');
  line(doc, '45 CFR 164.528');
  doc.moveDown();
  line(
    doc,
    `Patient: ${a.patient.name}, born ${a.patient.birthDate ?? 'unknown'}, MRN ${a.patient.mrn ?? 'none'}`,
  );
  line(doc, `Period: ${a.from} to ${a.to}`);
  doc.moveDown();
  if (a.disclosures.length === 0)
    line(doc, 'No disclosures that must be accounted for were made in this period.');
  for (const d of a.disclosures) {
    doc
      .moveDown(0.4)
      .font('Helvetica-Bold')
      .fontSize(10)
      .text(printable(`${d.date}  ${d.recipient}`));
    line(doc, `Purpose: ${d.purpose} (${BASIS_LABELS[d.basis]})`, { indent: 12 });
    line(doc, `Information disclosed: ${d.description}`, { indent: 12 });
  }
  doc.moveDown();
  heading(doc, 'Not listed', 11);
  line(
    doc,
    'As 45 CFR 164.528(a)(1) provides, this accounting leaves out disclosures for treatment, payment and ' +
      'health care operations, to you, under your authorization, incident to a permitted disclosure, for the ' +
      'facility directory or to persons involved in your care, for national security, to correctional ' +
      'institutions, and as part of a limited data set.',
  );
  stampPages(doc, printable(`Accounting of disclosures · ${a.patient.name}`), 'Confidential');
  return done();
}
