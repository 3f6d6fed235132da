import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import yauzl from 'yauzl';
import { describe, expect, it } from 'vitest';
import { repoCodesetsDir } from '../app/config.ts';
import { HCPCS, ICD10CM } from './codes.ts';
import type { CodeEntry } from './codes.ts';
import { generatePatients } from './index.ts';

/** Checks the built-in lists against the official releases in the repository's data/codesets. */
const icdFile = join(repoCodesetsDir, 'icd10cm-2021', 'icd10cm_order_2021.txt.gz');
const hcpcsFile = join(repoCodesetsDir, 'hcpcs-2020', '2020-Alpha-Numeric-HCPCS-File.zip');

function billableIcd10cm(): CodeEntry[] {
  const text = gunzipSync(readFileSync(icdFile)).toString('latin1');
  const out: CodeEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.charAt(14) !== '1') continue;
    out.push({ code: line.slice(6, 13).trim(), display: line.slice(77).trim() });
  }
  return out;
}

function hcpcsCodes(): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    yauzl.open(hcpcsFile, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!/ANWEB_w_disclaimer\.txt$/.test(entry.fileName)) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            const codes = new Set<string>();
            for (const line of Buffer.concat(chunks).toString('latin1').split('\n')) {
              if (line.charAt(10) === '3') codes.add(line.slice(0, 5).trim());
            }
            zip.close();
            resolve(codes);
          });
        });
      });
      zip.readEntry();
    });
  });
}

describe('built-in codes against the official releases', () => {
  const billable = billableIcd10cm();

  it('uses only billable ICD-10-CM codes (FY2021)', () => {
    expect(billable.length).toBe(72_621);
    const codes = new Set(billable.map((c) => c.code));
    for (const code of Object.keys(ICD10CM)) expect(codes.has(code.replace('.', '')), code).toBe(true);
  });

  it('draws diagnoses from a loaded release', () => {
    const codes = new Set(billable.map((c) => c.code));
    let conditions = 0;
    for (const record of generatePatients({
      patients: 60,
      seed: 4,
      lite: true,
      codes: { icd10cm: billable },
    })) {
      for (const entry of record.bundle.entry ?? []) {
        if (entry.resource?.resourceType !== 'Condition') continue;
        conditions += 1;
        const coding = entry.resource.code?.coding?.[0];
        expect(codes.has((coding?.code ?? '').replace('.', '')), coding?.code).toBe(true);
        expect(coding?.display).toBeTruthy();
      }
    }
    expect(conditions).toBeGreaterThan(100);
  });

  it('uses only HCPCS Level II codes of the 2020 release', async () => {
    const codes = await hcpcsCodes();
    expect(codes.size).toBeGreaterThan(5000);
    for (const code of Object.keys(HCPCS)) expect(codes.has(code), code).toBe(true);
  });
});
