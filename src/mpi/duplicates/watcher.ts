import type { Db } from '../../db/index.ts';
import {
  startChangeWatcher,
  type ChangeWatcher,
  type ChangeWatcherOptions,
} from '../../fhir/change-watcher.ts';
import { scorePendingPatients, type ScoringOptions, type ScoringRun } from './scoring.ts';

export type MpiWatcher = ChangeWatcher<ScoringRun>;

/** Scores new and changed patients every `intervalMs` (default 5 s); see fhir/change-watcher.ts. */
export function startMpiWatcher(db: Db, options: ScoringOptions & ChangeWatcherOptions = {}): MpiWatcher {
  return startChangeWatcher('mpi watcher', () => scorePendingPatients(db, options), options);
}
