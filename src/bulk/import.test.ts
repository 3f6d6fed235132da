import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliContext } from '../cli/context.ts';
import { FhirStore } from '../fhir/store.ts';
import { believedRows } from '../fhir/statistics.ts';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
import { openTestDb } from '../testing/test-db.ts';
import { importFiles, listImportFiles } from './import.ts';

describe('listImportFiles', () => {
  it.skipIf(!hasSharedTestdata)(
    'puts Synthea organisations and practitioners first, even when named after the patients',
    async () => {
      const dir = sharedTestdata('synthea');
      const names = readdirSync(dir).sort();
      const patient = names.find((n) => !/Information/.test(n)) as string;
      const shared = names.filter((n) => /^(hospital|practitioner)Information/.test(n));
      const listed = await listImportFiles([patient, ...shared].map((n) => join(dir, n)));
      expect(listed.map((f) => f.split('/').pop())).toEqual([...shared, patient]);
      const fromFolder = await listImportFiles([dir]);
      expect(fromFolder.slice(0, shared.length).map((f) => f.split('/').pop())).toEqual(shared);
      expect(fromFolder).toHaveLength(names.filter((n) => /\.(json|ndjson)$/.test(n)).length);
    },
  );

  it('names a missing path', async () => {
    await expect(listImportFiles(['/no/such/file.json'])).rejects.toThrow(
      'No such file or folder: /no/such/file.json',
    );
  });
});

/**
 * Both backends: patient bundles look their practitioners up by identifier, so the planner must
 * know them before the first patient bundle; a server's autovacuum waits for a tenth of a table.
 */
describe('importFiles and planner statistics', () => {
  it('has the reference data analysed before the bundles that refer to it', async () => {
    const db = await openTestDb();
    const dir = mkdtempSync(join(tmpdir(), 'custodian-import-'));
    try {
      const store = new FhirStore(db, cliContext());
      await store.saveAll(
        Array.from({ length: 6000 }, (_, i) => ({ resourceType: 'Patient', id: `p-${i}` })),
      );
      await db.query('ANALYZE');
      const file = join(dir, 'practitionerInformation1.json');
      writeFileSync(
        file,
        JSON.stringify({
          resourceType: 'Bundle',
          type: 'batch',
          entry: Array.from({ length: 300 }, (_, i) => ({
            fullUrl: `urn:uuid:4f0c2a51-0000-4000-8000-${String(i).padStart(12, '0')}`,
            resource: {
              resourceType: 'Practitioner',
              identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: `99${i}` }],
            },
            request: { method: 'POST', url: 'Practitioner' },
          })),
        }),
      );
      const report = await importFiles(store, [file]);
      expect(report.failures).toEqual([]);
      // Right after the import returns, not eventually: the next file's lookups are planned now.
      expect(await believedRows(db, 'Practitioner')).toBeGreaterThan(200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.close();
    }
  });
});
