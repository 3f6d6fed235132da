import { FACILITY, heading, line, newPdf, printable, stampPages } from '../disclosure/index.ts';
import type { DestructionRun } from './run-record.ts';

/**
 * The certificate of destruction (AHIMA's sample form): what was destroyed (each chart by patient,
 * MRN, the dates its records covered and the count of records and versions), the retention basis,
 * the method, who proposed, approved and carried out the destruction, and when.
 */
export async function certificatePdf(run: DestructionRun): Promise<Buffer> {
  const { doc, done } = newPdf(`Certificate of destruction ${run.id}`);
  doc.font('Helvetica-Bold').fontSize(16).text(FACILITY);
  line(doc, 'Certificate of destruction of health records');
  doc.moveDown();
  line(doc, `Destruction run: ${run.id}`);
  line(doc, `Records past retention as of: ${run.asOf}`);
  line(doc, `Method: ${run.method ?? ''}`);
  line(doc, `Proposed by: ${run.proposedBy} on ${run.proposedAt.slice(0, 10)}`);
  line(doc, `Approved by: ${run.approvedBy ?? ''} on ${(run.approvedAt ?? '').slice(0, 10)}`);
  line(
    doc,
    `Destroyed by: ${run.destroyedBy ?? ''} on ${(run.destroyedAt ?? '').slice(0, 19).replace('T', ' ')} UTC`,
  );
  heading(doc, 'Records destroyed', 12);
  for (const item of run.items) {
    const done = run.destroyed?.find((d) => d.patientId === item.patientId);
    doc
      .moveDown(0.3)
      .font('Helvetica-Bold')
      .fontSize(10)
      .text(
        printable(
          `${item.name}, MRN ${item.mrn ?? 'none'}, born ${item.birthDate ?? 'unknown'} (Patient/${item.patientId})`,
        ),
      );
    line(doc, `Dates of service: ${item.firstDate ?? 'unknown'} to ${item.lastEncounter ?? 'unknown'}`, {
      indent: 12,
    });
    line(doc, `Retained until ${item.retainUntil}: ${item.rule}`, { indent: 12 });
    if (done) {
      line(doc, `${done.records} records, ${done.versions} stored versions destroyed`, { indent: 12 });
      if (done.releasedCopies)
        line(doc, `${done.releasedCopies} kept copies of released packets destroyed`, { indent: 12 });
    }
  }
  doc.moveDown();
  line(
    doc,
    'The records listed were destroyed in the normal course of business under the retention schedule; none was under a legal hold, and the audit trail keeps the fact of their destruction.',
  );
  stampPages(doc, printable(`Certificate of destruction ${run.id}`), 'Custodian records retention');
  return done();
}
