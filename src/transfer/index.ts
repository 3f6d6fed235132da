/** Public surface of transfer of care (src/transfer/README.md). */
export { registerTransferRoutes } from './routes.ts';
export { patientSummary, summaryDocument, SECTIONS, type SummarySection } from './summary.ts';
export { summaryPdf } from './summary-pdf.ts';
