/** The cancer registry's public surface (src/registry/README.md). */
export { registerRegistryRoutes } from './routes.ts';
export {
  syncRegistry,
  listCandidates,
  REGISTRY_CONTEXT,
  type Candidate,
  type CandidateStatus,
} from './casefinding.ts';
export { casefindingFlag, siteKeyOf, ICD10CM_SYSTEM } from './casefinding-list.ts';
export {
  accessionCandidate,
  readAbstract,
  saveAbstract,
  type Abstract,
  type AbstractSummary,
} from './abstracts.ts';
export { runEdits, type EditFailure } from './edits.ts';
export { followUpWorklist, type FollowUpWorklist } from './follow-up.ts';
export {
  exportPeriod,
  importDocument,
  parsePeriod,
  type PeriodCounts,
  type ImportResult,
} from './exchange.ts';
export { buildNaaccrXml, parseNaaccrXml, NAACCR_NAMESPACE } from './naaccr-xml.ts';
export { ITEMS, SECTIONS, type NaaccrItem, type ItemValues } from './naaccr-items.ts';
export { loadIcdO3 } from './icdo3.ts';
export { demoCancerCases } from './demo-cases.ts';
