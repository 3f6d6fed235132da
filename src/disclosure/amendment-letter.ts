import { DENIAL_BASES } from './amendment-task.ts';
import type { AmendmentView } from './amendments.ts';
import { FACILITY } from './packet-pdf.ts';
import { heading, line, newPdf, printable, stampPages } from './pdf-document.ts';

/**
 * The written denial 164.526(d)(1) requires, in plain language: the basis, the patient's right
 * to file a statement of disagreement and how, that without one the patient may ask for the
 * request and the denial to go with future disclosures, and how to complain to the facility and
 * to the Secretary of HHS.
 */

export const PATIENT_RIGHTS = [
  'You may file a written statement disagreeing with this denial and explaining why. Send it to the Health Information Management department at the address above. We may write a rebuttal and will send you a copy.',
  'Your statement of disagreement, this denial and any rebuttal will be included with every later disclosure of the information you asked us to amend.',
  'If you do not file a statement of disagreement, you may ask that your request for amendment and this denial be included with any future disclosures of that information.',
  'You may complain to our Privacy Officer at the address above, or to the Secretary of the U.S. Department of Health and Human Services, Office for Civil Rights (www.hhs.gov/ocr/complaints). We will not retaliate against you for filing a complaint.',
];

export async function denialLetterPdf(amendment: AmendmentView): Promise<Buffer> {
  const { doc, done } = newPdf(`Amendment denial ${amendment.id}`);
  doc.font('Helvetica-Bold').fontSize(16).text(FACILITY);
  line(doc, 'Denial of your request to amend your health record');
  doc.moveDown();
  line(doc, `Date: ${amendment.decidedOn ?? ''}`);
  line(doc, `Request: ${amendment.id}`);
  doc.moveDown();
  line(doc, `To: ${amendment.requesterName}`);
  line(
    doc,
    `Re: ${amendment.patient.name}, born ${amendment.patient.birthDate ?? 'unknown'}, MRN ${amendment.patient.mrn ?? 'none'}`,
  );
  doc.moveDown();
  line(
    doc,
    `On ${amendment.received} you asked us to amend this information in your record: ${amendment.records.join(', ')}.`,
  );
  line(doc, `The change you asked for: ${amendment.change}`);
  doc.moveDown(0.5);
  heading(doc, 'Our decision and its basis', 12);
  line(doc, 'We have denied your request.');
  line(doc, `Basis for the denial: ${amendment.denialBasis ? DENIAL_BASES[amendment.denialBasis] : ''}.`);
  if (amendment.denialExplanation) line(doc, amendment.denialExplanation);
  heading(doc, 'Your rights', 12);
  for (const right of PATIENT_RIGHTS) {
    line(doc, `- ${right}`, { indent: 6 });
    doc.moveDown(0.3);
  }
  doc.moveDown();
  line(doc, `Decided by: ${amendment.decidedBy ?? ''}`);
  stampPages(
    doc,
    printable(`Amendment request ${amendment.id}`),
    printable(`Confidential: ${amendment.patient.name}`),
  );
  return done();
}
