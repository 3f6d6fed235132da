import type { Bundle, Composition, Patient, Resource } from '@medplum/fhirtypes';
import { FACILITY, heading, line, newPdf, printable, stampPages } from '../disclosure/index.ts';
import { conceptText, recordLine } from './summary.ts';

/**
 * The transfer summary as a readable PDF for the receiving provider: who the patient is, then
 * each section of the document with one line per record, in the house style of the release
 * packets (src/disclosure's PDF pieces: standard fonts, every page stamped with the patient and
 * "Page i of n"). It is printed from the document Bundle itself, so the PDF and the JSON agree.
 */
export async function summaryPdf(document: Bundle): Promise<Buffer> {
  const resources = (document.entry ?? []).map((e) => e.resource).filter((r): r is Resource => !!r);
  const composition = resources.find((r): r is Composition => r.resourceType === 'Composition');
  const patient = resources.find((r): r is Patient => r.resourceType === 'Patient');
  const byReference = new Map(resources.map((r) => [`${r.resourceType}/${r.id ?? ''}`, r]));
  const name = composition?.subject?.display ?? 'Patient';
  const { doc, done } = newPdf(`Patient summary ${name}`);

  doc.font('Helvetica-Bold').fontSize(16).text(printable(FACILITY));
  line(doc, 'Patient summary for continuity of care (International Patient Summary)');
  doc.moveDown();
  line(doc, `Patient: ${name}`);
  if (patient?.birthDate) line(doc, `Born: ${patient.birthDate}`);
  if (patient?.gender) line(doc, `Sex: ${patient.gender}`);
  for (const id of patient?.identifier ?? [])
    line(doc, `${id.type ? conceptText(id.type) : 'Identifier'}: ${id.value ?? ''}`);
  line(
    doc,
    `Prepared: ${(composition?.date ?? document.timestamp ?? '').slice(0, 16).replace('T', ' ')} UTC`,
  );
  if (composition?.author?.[0]?.display) line(doc, `Prepared by: ${composition.author[0].display}`);

  for (const section of composition?.section ?? []) {
    heading(doc, section.title ?? 'Section', 12);
    const entries = (section.entry ?? [])
      .map((e) => byReference.get(e.reference ?? ''))
      .filter((r): r is Resource => !!r);
    if (entries.length === 0) {
      line(doc, section.emptyReason ? sectionNone(section.text?.div) : 'None', { indent: 12 });
      continue;
    }
    for (const record of entries) line(doc, `- ${recordLine(record)}`, { indent: 12 });
  }
  doc.moveDown();
  line(
    doc,
    'This summary holds protected health information disclosed for the continuing care of the patient. ' +
      'Redisclosure is governed by federal and state law.',
  );
  stampPages(doc, printable(`Patient summary: ${name}`), `${FACILITY} · Custodian`);
  return done();
}

/** The words of an empty section's narrative ("No known allergies recorded"). */
function sectionNone(div: string | undefined): string {
  return (div ?? '').replace(/<[^>]+>/g, '').trim() || 'None';
}
