import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
import { listImportFiles } from './import.ts';

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
