import type { DisagreementStatement } from './amendment-statements.ts';
import type { Fee } from './fees.ts';
import { heading, line, newPdf, printable, stampPages } from './pdf-document.ts';
import { TYPE_HEADINGS, type RecordText } from './record-text.ts';
import type { PatientSummary } from './requests.ts';
import type { RequestRecord } from './request-task.ts';
import { REQUESTER_LABELS } from './terms.ts';

/**
 * The release packet as a PDF: a cover letter (recipient, patient, what is enclosed, what was
 * withheld and why, the fee, the redisclosure notices), then the selected records in words,
 * grouped by type. Every page carries the request id and the recipient, and "Page i of n".
 */

export interface PacketContent {
  request: RequestRecord;
  patient: PatientSummary;
  records: RecordText[];
  withheld: Array<{ reference: string; reason: string }>;
  /** 164.526(d)(4): statements of disagreement about enclosed records travel with them. */
  statements: DisagreementStatement[];
  fee: Fee;
  /** Part 2 records are enclosed: the 42 CFR 2.32 notice must go with them. */
  part2: boolean;
  date: string;
  draft: boolean;
}

export const FACILITY = 'Custodian General Hospital, Health Information Management';

const PART2_NOTICE =
  '42 CFR part 2 prohibits unauthorized use or disclosure of these records. This record which has been ' +
  'disclosed to you is protected by federal confidentiality rules (42 CFR part 2).';
const HIPAA_NOTICE =
  'This packet holds protected health information disclosed under 45 CFR 164. Use it only for the purpose ' +
  'stated; it may not be redisclosed except as the law or the authorization permits.';

function countsByType(records: RecordText[]): string {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${n} ${TYPE_HEADINGS[type] ?? type}`.toLowerCase()).join(', ');
}

function coverLetter(doc: PDFKit.PDFDocument, c: PacketContent): void {
  const r = c.request;
  doc.font('Helvetica-Bold').fontSize(16).text(FACILITY);
  line(doc, 'Release of information');
  if (c.draft)
    doc
      .moveDown(0.5)
      .font('Helvetica-Bold')
      .fontSize(12)
      .fillColor('#a00000')
      .text('DRAFT - NOT RELEASED')
      .fillColor('#000000');
  doc.moveDown();
  line(doc, `Date: ${c.date}`);
  line(doc, `Request: ${r.id}`);
  doc.moveDown();
  line(doc, `To: ${r.recipient}`);
  if (r.recipientAddress) line(doc, r.recipientAddress);
  doc.moveDown();
  line(
    doc,
    `Re: ${c.patient.name}, born ${c.patient.birthDate ?? 'unknown'}, MRN ${c.patient.mrn ?? 'none'}`,
  );
  doc.moveDown();
  line(
    doc,
    `We received a request for records from ${r.requesterName ?? r.recipient} (${REQUESTER_LABELS[r.requesterType].toLowerCase()}) ` +
      `on ${r.received}, for this purpose: ${r.purpose}.`,
  );
  doc.moveDown(0.5);
  if (c.records.length === 0) line(doc, 'We found no records that match this request.');
  else line(doc, `Enclosed: ${c.records.length} records (${countsByType(c.records)}).`);
  const scope = r.scope;
  if (scope.from || scope.to) line(doc, `Dates of service: ${scope.from ?? 'any'} to ${scope.to ?? 'any'}.`);
  if (c.withheld.length > 0) {
    doc.moveDown(0.5);
    line(doc, `Withheld: ${c.withheld.length} records the law protects further:`);
    for (const reason of new Set(c.withheld.map((w) => w.reason))) line(doc, `- ${reason}`, { indent: 12 });
  }
  if (c.statements.length > 0) {
    doc.moveDown(0.5);
    line(
      doc,
      `Also enclosed: ${c.statements.length} statement(s) of disagreement with a denied amendment, as 45 CFR 164.526(d)(4) requires.`,
    );
  }
  doc.moveDown(0.5);
  line(doc, `Fee: $${c.fee.amount} (${c.fee.basis}).`);
  doc.moveDown();
  heading(doc, 'Notice to the recipient', 11);
  line(doc, HIPAA_NOTICE);
  if (c.part2) {
    doc.moveDown(0.5);
    line(doc, PART2_NOTICE);
  }
}

function recordPages(doc: PDFKit.PDFDocument, c: PacketContent): void {
  doc.addPage();
  heading(doc, 'Patient', 14);
  line(doc, `Name: ${c.patient.name}`);
  line(doc, `Date of birth: ${c.patient.birthDate ?? 'unknown'}`);
  line(doc, `Medical record number: ${c.patient.mrn ?? 'none'}`);
  const types = [...new Set(c.records.map((r) => r.type))];
  for (const type of types) {
    heading(doc, TYPE_HEADINGS[type] ?? type, 13);
    for (const record of c.records.filter((r) => r.type === type)) {
      doc
        .moveDown(0.3)
        .font('Helvetica-Bold')
        .fontSize(10)
        .text(printable(`${record.date ?? 'undated'}  ${record.title}`));
      for (const text of record.lines) line(doc, text, { indent: 12 });
    }
  }
}

function statementPages(doc: PDFKit.PDFDocument, c: PacketContent): void {
  if (c.statements.length === 0) return;
  doc.addPage();
  heading(doc, 'Amendment requests and statements of disagreement', 14);
  for (const s of c.statements) {
    doc
      .moveDown(0.5)
      .font('Helvetica-Bold')
      .fontSize(10)
      .text(printable(`About: ${s.records.join(', ')}`));
    line(doc, `Requested on ${s.requested}: ${s.change}`, { indent: 12 });
    line(doc, `Denied on ${s.denied}. Basis: ${s.basis}.`, { indent: 12 });
    line(doc, `Statement of disagreement: ${s.statement}`, { indent: 12 });
    if (s.rebuttal) line(doc, `Rebuttal: ${s.rebuttal}`, { indent: 12 });
  }
}

export async function renderPacket(content: PacketContent): Promise<{ pdf: Buffer; pages: number }> {
  const { doc, done } = newPdf(`Release of information ${content.request.id}`);
  coverLetter(doc, content);
  recordPages(doc, content);
  statementPages(doc, content);
  const pages = stampPages(
    doc,
    printable(
      `Request ${content.request.id} · Recipient: ${content.request.recipient}${content.draft ? ' · DRAFT' : ''}`,
    ),
    printable(`Confidential: ${content.patient.name}`),
  );
  return { pdf: await done(), pages };
}
