import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { FhirStore } from '../fhir/store.ts';
import { badRequest } from '../fhir/outcomes.ts';
import type { RequestContext } from '../fhir/request-context.ts';
import { reportCsv, REPORTS, runReport } from '../reports/index.ts';
import { cliContext, openConfiguredDb } from './context.ts';

/**
 * `custodian report <name> --from --to --format csv|json [--out folder] [--filter key=value]`: any
 * report for a data warehouse, run by a scheduler (cron, a systemd timer). It reads as the HIM
 * director's reports would (the owner of the reports; both report audiences, the same access
 * filter), audited under the command line's own user name.
 */
function reportingContext(): RequestContext {
  return { ...cliContext(), role: 'him-director', purpose: 'HOPERAT' };
}

interface ReportOptions {
  from?: string;
  to?: string;
  format: string;
  out?: string;
  filter: string[];
}

function filters(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw badRequest(`--filter takes key=value, not '${pair}'`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report <name>')
    .description(`Compute a report as CSV or JSON (${REPORTS.map((r) => r.name).join(', ')})`)
    .option('--from <date>', "first day, YYYY-MM-DD (default: the report's own range before --to)")
    .option('--to <date>', 'last day, YYYY-MM-DD (default: today, UTC)')
    .option('--format <format>', 'csv or json', 'csv')
    .option('--out <folder>', 'write <name>-<from>-<to>.<format> into this folder instead of printing it')
    .option(
      '--filter <key=value>',
      'a filter of the report (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .action(async (name: string, options: ReportOptions) => {
      if (options.format !== 'csv' && options.format !== 'json')
        throw badRequest('--format must be csv or json');
      const query = {
        ...filters(options.filter),
        ...(options.from ? { from: options.from } : {}),
        ...(options.to ? { to: options.to } : {}),
      };
      const db = await openConfiguredDb();
      try {
        const result = await runReport({ db, store: new FhirStore(db, reportingContext()) }, name, query);
        const text = options.format === 'csv' ? reportCsv(result) : `${JSON.stringify(result, null, 2)}\n`;
        if (!options.out) {
          process.stdout.write(text);
          return;
        }
        mkdirSync(options.out, { recursive: true });
        const file = join(options.out, `${result.name}-${result.from}-${result.to}.${options.format}`);
        // Written whole, then renamed: a warehouse loader polling the folder never reads half a file.
        writeFileSync(`${file}.partial`, text);
        renameSync(`${file}.partial`, file);
        console.log(`Wrote ${result.rows.length} rows to ${file}`);
      } finally {
        await db.close();
      }
    });
}
