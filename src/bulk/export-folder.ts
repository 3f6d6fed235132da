import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { FhirStore } from '../fhir/store.ts';
import { runExport, type ExportOptions, type ExportSummary } from './export.ts';
import type { ExportRequest } from './export-request.ts';

/**
 * An export written to a folder, one `<Type>.ndjson` file per type (`custodian export`): the
 * files `custodian import` reads back. Existing files of the exported types are replaced.
 */
export async function exportToFolder(
  store: FhirStore,
  request: ExportRequest,
  folder: string,
  options: ExportOptions = {},
): Promise<ExportSummary & { files: string[] }> {
  await mkdir(folder, { recursive: true });
  const handles = new Map<string, FileHandle>();
  try {
    const summary = await runExport(
      store,
      request,
      {
        async write(type, ndjson) {
          let handle = handles.get(type);
          if (!handle) {
            handle = await open(join(folder, `${type}.ndjson`), 'w');
            handles.set(type, handle);
          }
          await handle.write(ndjson);
        },
      },
      options,
    );
    return { ...summary, files: [...handles.keys()].map((type) => join(folder, `${type}.ndjson`)) };
  } finally {
    for (const handle of handles.values()) await handle.close();
  }
}
