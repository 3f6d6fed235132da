import type { Config } from './config.ts';
import type { Db } from '../db/index.ts';
import { FhirStore } from '../fhir/store.ts';
import { loadDemoData } from './demo-loader.ts';
import { seedDemoAmendments, seedDemoRequests } from '../disclosure/index.ts';
import { seedDemoHolds } from '../retention/index.ts';
import type { RequestContext } from '../fhir/request-context.ts';
import { completeDemoCharts } from '../completeness/index.ts';
import { demoCancerCases } from '../registry/index.ts';
import { addDemoBilling, demoPayerBundle } from '../demo/index.ts';
import { processBundle } from '../fhir/bundle.ts';

const DEMO_YEARS = 3;

/** Demo data and code sets loaded at first start are audited under this name. */
export const FIRST_START_CONTEXT: RequestContext = {
  userId: 'first-start',
  username: 'custodian:first-start',
  role: 'system',
  purpose: 'HSYSADMIN',
  sourceAddress: 'local',
  tokenId: 'first-start',
  brokenGlassPatients: [],
};

/**
 * A fresh database gets the configured code sets and a demo set of patients, so a new user
 * sees real-looking charts. Runs after the server is listening; each step is skipped when done.
 */
export async function prepareFreshDatabase(
  db: Db,
  config: Config,
  log: (line: string) => void,
): Promise<void> {
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
  const store = new FhirStore(db, FIRST_START_CONTEXT);
  // The system context sees every record, labelled or not: any Patient means the data is there.
  if ((await store.find({ type: 'Patient', count: 1 })).matches.length > 0) return;
  log(`Loading ${config.demoPatients} demo patients (CUSTODIAN_DEMO=0 turns this off) ...`);
  // The visits span the three years up to today, and each chart is as complete as the medical
  // staff would have it now: old charts complete, recent ones deficient, a few delinquent.
  const days = Math.round(DEMO_YEARS * 365.25);
  const today = new Date(new Date().toISOString().slice(0, 10));
  const startDate = new Date(today.getTime() - days * 86_400_000).toISOString().slice(0, 10);
  // A few of them have a coded cancer diagnosis, so the registry's suspense queue is not empty.
  const cancerCases = demoCancerCases();
  // Each patient is insured (or self-pay) and each visit billed to an account with its charges.
  await processBundle(store, demoPayerBundle());
  const result = await loadDemoData(
    store,
    { patients: config.demoPatients, seed: 2026, duplicateRate: 0.05, startDate, years: DEMO_YEARS },
    undefined,
    (bundle) => addDemoBilling(cancerCases(completeDemoCharts(bundle, today))),
  );
  log(`Demo data ready: ${result.patients} patients, ${result.resources} resources.`);
  // The coders have finished most of the past year's visits: coding, DNFB and diagnosis reports
  // have something to show. Needs the code sets (without them every case stops at a hard edit).
  if (config.codesetsDir) {
    try {
      const coding = await import('../coding/index.ts');
      if ((await coding.codeSetsLoaded(db)).length > 0) {
        const coded = await coding.seedDemoCoding(db, store, today);
        log(`Demo coding: ${coded.final} visits final, ${coded.coded} coded awaiting final.`);
      }
    } catch (err) {
      log(`Demo coding not done: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // The ROI queue opens with requests in every status, some near or past their due date.
  // So do the amendment queue and the legal-hold screen.
  const seeds: Array<[string, () => Promise<number>]> = [
    ['release requests', () => seedDemoRequests(db, FIRST_START_CONTEXT)],
    ['amendment requests', () => seedDemoAmendments(db, FIRST_START_CONTEXT)],
    ['legal holds', () => seedDemoHolds(db, FIRST_START_CONTEXT)],
  ];
  for (const [what, seed] of seeds) {
    try {
      log(`Demo ${what}: ${await seed()}.`);
    } catch (err) {
      log(`Demo ${what} not loaded: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
