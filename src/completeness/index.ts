/** Public surface of chart completeness: rules, deficiencies, delinquency, document intake. */
export { registerCompletenessRoutes } from './routes.ts';
export {
  startCompletenessWatcher,
  evaluateChangedCharts,
  COMPLETENESS_CONTEXT,
  type CompletenessWatcher,
  type CompletenessRun,
} from './watcher.ts';
export { evaluateCharts, type EvaluationRun } from './chart-evaluation.ts';
export { DEFAULT_RULE_SET, type RuleSet, type CompletenessRule, type CompletenessSettings } from './rules.ts';
export type { Deficiency, WorklistPage } from './worklist.ts';
export type { DelinquencyReport, DelinquencyLine, Bucket } from './delinquency.ts';
export { completeDemoCharts } from './demo-charts.ts';
export { delinquencyReport } from './delinquency.ts';
export { currentRuleSet } from './rule-store.ts';
