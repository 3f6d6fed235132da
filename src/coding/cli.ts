import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import type { Db } from '../db/index.ts';
import { codeSetsLoaded, loadCodeSets } from './loader.ts';
import { searchCodes } from './search.ts';
import { isCodeSystemId } from './systems.ts';

/** `custodian codes load <paths...>` and `custodian codes search <q>`. */
export function registerCodesCommands(program: Command, openDb: () => Promise<Db>): void {
  const codes = program
    .command('codes')
    .description('load and search code sets (ICD-10-CM, ICD-10-PCS, HCPCS)');

  codes
    .command('load')
    .description(
      'load official release files (folders are searched; .gz and the HCPCS zip are read as they are)',
    )
    .argument('<paths...>', 'folders or files')
    .action(async (paths: string[]) => {
      const db = await openDb();
      try {
        for (const path of paths) {
          const bar = new SingleBar(
            { format: ' {bar} {percentage}% | {value}/{total} rows | {label}' },
            Presets.shades_classic,
          );
          let started = false;
          const report = await loadCodeSets(db, path, (done, total, label) => {
            if (!started) {
              bar.start(total, 0, { label });
              started = true;
            }
            bar.update(done, { label });
          });
          if (started) bar.stop();
          for (const f of report.files) {
            console.log(
              `${f.status === 'loaded' ? 'loaded   ' : 'unchanged'} ${f.system} ${f.version} ${f.part} ${f.rows} rows  ${f.file}`,
            );
          }
          for (const s of report.skipped) console.log(`skipped   ${s} (not a known release file)`);
          console.log(`${path}: ${report.files.length} file(s) in ${(report.millis / 1000).toFixed(1)} s`);
        }
        for (const s of await codeSetsLoaded(db)) console.log(`  ${s.system} ${s.version}: ${s.count} codes`);
      } finally {
        await db.close();
      }
    });

  codes
    .command('search')
    .description('search codes by code prefix or words')
    .argument('<q>', 'code prefix (E11.) or words (type 2 diabetes)')
    .option('--system <system>', 'icd10cm | icd10pcs | hcpcs')
    .option('--fy <year>', 'release year (fiscal year for ICD-10)')
    .option('--limit <n>', 'how many', '20')
    .action(async (q: string, opts: { system?: string; fy?: string; limit: string }) => {
      if (opts.system && !isCodeSystemId(opts.system)) throw new Error(`Unknown system ${opts.system}`);
      const db = await openDb();
      try {
        const system = opts.system && isCodeSystemId(opts.system) ? opts.system : undefined;
        const hits = await searchCodes(db, { q, system, fy: opts.fy, limit: Number(opts.limit) || 20 });
        for (const h of hits)
          console.log(`${h.code.padEnd(9)} ${h.billable ? ' ' : 'H'} ${h.system} ${h.version}  ${h.display}`);
        if (hits.length === 0) console.log('no codes found');
      } finally {
        await db.close();
      }
    });
}
