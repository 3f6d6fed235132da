import type { Command } from 'commander';
import { startServer } from '../app/runtime.ts';
import { loadConfig } from '../app/config.ts';
import { prepareFreshDatabase } from '../app/first-start.ts';
import { startAdtIntake } from '../app/adt-intake.ts';
import { startMpiWatcher } from '../mpi/index.ts';
import { startCompletenessWatcher } from '../completeness/index.ts';
import { FolderInUse } from '../db/index.ts';
import { findRunningServer } from '../operations/index.ts';

/** A second server on one data folder: say where the first one is. */
async function alreadyRunning(dataDir: string, err: FolderInUse): Promise<string> {
  const running = err.holder.holder === 'server' ? await findRunningServer(dataDir) : undefined;
  return running
    ? `${err.message}. Custodian already runs on this data folder at ${running.url}/: use that one, or stop it first.`
    : `${err.message}. Stop it first, or give this server another CUSTODIAN_DATA_DIR.`;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('Run the Custodian server (web UI, FHIR API, HL7 v2 listener)')
    .action(async () => {
      const config = loadConfig();
      const server = await startServer(config).catch(async (err: unknown) => {
        throw err instanceof FolderInUse ? new Error(await alreadyRunning(config.dataDir, err)) : err;
      });
      console.log(`Custodian is running at ${server.url}/ (FHIR API at ${server.url}/fhir/R4)`);
      const mllp = await startAdtIntake(server.db, config).catch((err: unknown) => {
        console.error(`HL7 v2 listener not started: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      });
      if (mllp) console.log(`HL7 v2 ADT listener (MLLP) on ${mllp.host}:${mllp.port}`);
      // New and changed patients are scored against their candidates every few seconds;
      // probable duplicates land on the duplicate-review worklist.
      const mpi = startMpiWatcher(server.db, {
        intervalMs: 5000,
        // Concurrent transactions on a PostgreSQL server can commit out of stamp order.
        settleMs: server.db.dialect === 'postgres' ? 15_000 : 0,
        onError: (err) =>
          console.error(`MPI scoring failed: ${err instanceof Error ? err.message : String(err)}`),
      });
      // Charts are analysed against the completeness rules at discharge and whenever they change.
      const completeness = startCompletenessWatcher(server.db, {
        intervalMs: 5000,
        settleMs: server.db.dialect === 'postgres' ? 15_000 : 0,
        onError: (err) =>
          console.error(`Chart completeness failed: ${err instanceof Error ? err.message : String(err)}`),
      });
      await prepareFreshDatabase(server.db, config, (line) => console.log(line));
      const stop = async () => {
        await completeness.stop();
        await mpi.stop();
        await mllp?.close();
        await server.stop();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
