/** Public surface of bulk data (src/bulk/README.md): import and Bulk Data `$export`. */
export { importFiles, listImportFiles, type ImportReport, type ImportFailure } from './import.ts';
export {
  runExport,
  checkExportRequest,
  type ExportSink,
  type ExportProgress,
  type ExportSummary,
} from './export.ts';
export { parseExportRequest, type ExportRequest } from './export-request.ts';
export { registerBulkExportRoutes, exportRunnerOf, EXPORT_STATUS_BASE } from './export-routes.ts';
export { exportToFolder } from './export-folder.ts';
