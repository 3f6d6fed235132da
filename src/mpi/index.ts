/** Public surface of the master patient index module. */
export type { PersonRecord, StandardRecord, DateParts, Level, Field } from './types.ts';
export { LEVELS, FIELDS } from './types.ts';
export {
  standardiseRecord,
  standardiseName,
  standardiseAddress,
  standardisePhone,
  standardiseIdentifier,
  parseDate,
  formalName,
  phoneticKey,
} from './standardise.ts';
export { formalGivenName } from './nicknames.ts';
export { nysiis, soundex } from './phonetic.ts';
export {
  jaroWinkler,
  damerauLevenshtein,
  compareRecords,
  compareDates,
  compareNames,
  withinOneEdit,
} from './compare.ts';
export {
  trainModel,
  combineEstimates,
  estimatePrior,
  scorePair,
  decide,
  patternScorer,
  DEFAULT_THRESHOLDS,
} from './model.ts';
export type {
  MatchModel,
  MatchThresholds,
  MatchDecision,
  ScoredPair,
  FieldExplanation,
  EmOptions,
  RuleEstimate,
} from './model.ts';
export { DEFAULT_BLOCKING_RULES, blockingKeys, blockNumbers, forEachCandidatePair } from './blocking.ts';
export type { BlockingRule, BlockingOptions, BlockingStats } from './blocking.ts';
export { linkRecords, standardiseAll, DEFAULT_TRAINING_RULES } from './link.ts';
export type { LinkOptions, LinkResult, LinkedPair, LinkStage, TrainingRule } from './link.ts';
export { readFebrlFile, evaluatePairs, febrlEntity, InputFileError, FEBRL_COLUMNS } from './febrl.ts';
export type { LinkageQuality } from './febrl.ts';
export { registerMpiCommands, runLinkCommand } from './cli.ts';
export { registerMpiRoutes } from './routes.ts';
export {
  mergePatients,
  mergePatientGroup,
  mergePatientRecords,
  unmergePatients,
  rewritePatientReferences,
} from './merge.ts';
export type { MergeOptions, MergeResult, UnmergeResult } from './merge.ts';
export { markNotDuplicate, markNotDuplicates } from './duplicates/not-duplicate.ts';
export { historyAmong, recordPairEvents } from './duplicates/pair-history.ts';
export type { PairEvent, PairEventKind } from './duplicates/pair-history.ts';
export { patientBlockKeys, patientToPersonRecord, standardPatient } from './patient-record.ts';
export { scorePendingPatients, refreshBlockKeys, MPI_CONTEXT } from './duplicates/scoring.ts';
export type { ScoringOptions, ScoringRun } from './duplicates/scoring.ts';
export { startMpiWatcher } from './duplicates/watcher.ts';
export type { MpiWatcher } from './duplicates/watcher.ts';
export {
  ensureModel,
  currentModel,
  DEFAULT_STORE_MODEL,
  MIN_TRAINING_PATIENTS,
  reviewEvidence,
} from './duplicates/model-store.ts';
export { matchPatient, matchGrade, MATCH_GRADE_URL } from './match-operation.ts';
export type { MatchGrade } from './match-operation.ts';
export { listWorklist, pairDetail, groupDetail, summarise } from './duplicates/worklist.ts';
export type {
  GroupDetail,
  MatchPair,
  PairDetail,
  PatientSummary,
  ReviewContext,
  ReviewGroup,
  StandingMerge,
  Worklist,
} from './duplicates/worklist.ts';
export { TASK_SYSTEM, DUPLICATE_REVIEW } from './duplicates/review-tasks.ts';
