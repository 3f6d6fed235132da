import type { Config } from './config.ts';
import type { Db } from '../db/index.ts';
import { FhirStore } from '../fhir/store.ts';
import { loadDemoData } from './demo-loader.ts';
import { cliContext } from '../cli/context.ts';

/**
 * A fresh database gets the configured code sets and a demo set of patients, so a new user
 * sees real-looking charts. Runs after the server is listening; each step is skipped when done.
 */
export async function prepareFreshDatabase(
  db: Db,
  config: Config,
  log: (line: string) => void,
): Promise<void> {
  const system = { ...cliContext(), username: 'custodian:first-start' };
  if (config.codesetsDir) {
    try {
      const coding = await import('../coding/index.ts');
      const loaded = await coding.codeSetsLoaded(db);
      if (loaded.length === 0) {
        log(`Loading code sets from ${config.codesetsDir} ...`);
        await coding.loadCodeSets(db, config.codesetsDir);
        log('Code sets loaded.');
      }
    } catch (err) {
      log(`Code sets not loaded: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (!config.demo) return;
  const store = new FhirStore(db, system);
  // The system context sees every record, labelled or not: any Patient means the data is there.
  if ((await store.find({ type: 'Patient', count: 1 })).matches.length > 0) return;
  log(`Loading ${config.demoPatients} demo patients (CUSTODIAN_DEMO=0 turns this off) ...`);
  const result = await loadDemoData(store, {
    patients: config.demoPatients,
    seed: 2026,
    duplicateRate: 0.05,
  });
  log(`Demo data ready: ${result.patients} patients, ${result.resources} resources.`);
}
