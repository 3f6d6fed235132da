import { Command } from 'commander';
import { CONFIG_HELP } from '../app/config.ts';
import { registerAuditCommands } from './audit-commands.ts';
import { registerDataCommands } from './data-commands.ts';
import { registerExportCommand } from './export-command.ts';
import { registerStartCommand } from './start-command.ts';
import { registerUserCommands } from './user-commands.ts';
import { registerBackupCommands } from './backup-commands.ts';
import { routeThroughRunningServer } from './through-server.ts';
import { isOutcomeError } from '../fhir/outcomes.ts';

const program = new Command('custodian')
  .description('Custodian: health information management on FHIR R4')
  .addHelpText(
    'after',
    `\nConfiguration (environment):\n${CONFIG_HELP.map(([k, v]) => `  ${k.padEnd(40)} ${v}`).join('\n')}\n`,
  );

registerStartCommand(program);
registerDataCommands(program);
registerExportCommand(program);
registerUserCommands(program);
registerAuditCommands(program);
registerBackupCommands(program);
routeThroughRunningServer(program);
await registerModuleCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const message = isOutcomeError(err) ? err.message : err instanceof Error ? err.message : String(err);
  console.error(`custodian: ${message}`);
  process.exit(1);
}

/** Module command groups (coding, MPI) register themselves through their public functions. */
async function registerModuleCommands(p: Command): Promise<void> {
  const { openConfiguredDb, cliContext } = await import('./context.ts');
  const modules: Array<() => Promise<void>> = [
    async () => (await import('../coding/cli.ts')).registerCodesCommands(p, openConfiguredDb),
    async () => (await import('../mpi/cli.ts')).registerMpiCommands(p, openConfiguredDb),
    async () => (await import('./report-command.ts')).registerReportCommand(p),
    async () =>
      (await import('../registry/cli.ts')).registerRegistryCommands(p, openConfiguredDb, cliContext),
  ];
  for (const m of modules) await m();
}
