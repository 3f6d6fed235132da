import type { Command } from 'commander';
import { verifyAuditChain } from '../fhir/audit-trail.ts';
import { openConfiguredDb } from './context.ts';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('The tamper-evident audit trail');
  audit
    .command('verify')
    .description('Recompute the hash chain; exit 1 naming the first edited, deleted or reordered event')
    .action(async () => {
      const db = await openConfiguredDb();
      try {
        const result = await verifyAuditChain(db);
        if (result.ok) {
          console.log(`Audit trail intact: ${result.checked} events verified.`);
        } else {
          const p = result.problem;
          console.error(
            `Audit trail BROKEN at event #${p?.seq ?? '?'} (AuditEvent/${p?.eventId ?? '?'}): ${p?.reason ?? ''}`,
          );
          console.error(`${result.checked} events before it verified.`);
          process.exitCode = 1;
        }
      } finally {
        await db.close();
      }
    });
}
