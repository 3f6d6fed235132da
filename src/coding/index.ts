// Public surface of the coding module: code sets, search, tabular notes and coding edits.
export { loadCodeSets, codeSetsLoaded } from './loader.ts';
export { searchCodes } from './search.ts';
export { codeNotes } from './notes.ts';
export { lookupCode, type CodeDetail } from './lookup.ts';
export { pcsBuilderStep, type PcsStep, type PcsOption } from './pcs-builder.ts';
export { validateCoding, fiscalYear } from './edits.ts';
export { registerCodingRoutes } from './routes.ts';
export { registerCodesCommands } from './cli.ts';
export { CODE_SYSTEMS, SYSTEM_URIS, systemFromUri, type CodeSystemId } from './systems.ts';
export type {
  CodeHit,
  CodeNote,
  CodeSetSummary,
  CodingRequest,
  Edit,
  LoadReport,
  NoteKind,
  NoteLevel,
  SearchParams,
} from './types.ts';
export { registerWorkflowRoutes } from './workflow-routes.ts';
export {
  getEncounterCoding,
  saveEncounterCoding,
  finalizeEncounterCoding,
  type EncounterCodingView,
  type SaveResult,
  type FinalizeResult,
} from './workflow.ts';
export {
  codingWorklist,
  worklistCount,
  type WorklistItem,
  type WorklistPage,
  type WorklistFacets,
} from './worklist.ts';
export { codingProductivity, type Productivity, type ProductivityRow } from './productivity.ts';
export type { CodingEvent, CodingState, Override } from './work-item.ts';
export { seedDemoCoding, DEMO_CODERS, type DemoCodingSummary } from './demo-coding.ts';
