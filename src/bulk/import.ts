import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { processBundle } from '../fhir/bundle.ts';
import { isOutcomeError } from '../fhir/outcomes.ts';
import { settleStatistics } from '../fhir/statistics.ts';
import type { FhirStore } from '../fhir/store.ts';

/** One resource or bundle that could not be imported, and why. */
export interface ImportFailure {
  file: string;
  where: string;
  message: string;
}

export interface ImportReport {
  files: number;
  resources: number;
  failures: ImportFailure[];
}

export type ImportProgress = (done: number, total: number, file: string) => void;

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * Makes a bundle safe to import twice: entries whose fullUrl is `urn:uuid:<uuid>` are written with
 * that uuid as their id (PUT), so a second run updates the same resources instead of duplicating
 * them; unchanged resources are not even given a new version.
 */
export function stableIds(bundle: Bundle): Bundle {
  const entries = (bundle.entry ?? []).map((entry): BundleEntry => {
    const uuid = entry.fullUrl?.startsWith('urn:uuid:') ? entry.fullUrl.slice(9) : undefined;
    const resource = entry.resource;
    if (entry.request?.method !== 'POST' || entry.request.ifNoneExist || !uuid || !ID.test(uuid) || !resource)
      return entry;
    return {
      ...entry,
      resource: { ...resource, id: uuid },
      request: { method: 'PUT', url: `${resource.resourceType}/${uuid}` },
    };
  });
  return { ...bundle, entry: entries };
}

/** Lists importable files: .json and .ndjson, folders walked in name order. */
export async function listImportFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (!info) throw new Error(`No such file or folder: ${p}`);
    if (info.isDirectory()) {
      const names = (await readdir(p)).sort();
      out.push(...(await listImportFiles(names.map((n) => join(p, n)))));
    } else if (/\.(json|ndjson)$/i.test(p)) out.push(p);
  }
  // Synthea: organisations and practitioners first, however the files were named on the
  // command line (a shell glob sorts them among the patients); patient bundles refer to them.
  return [...out.filter(isSharedReferenceData), ...out.filter((f) => !isSharedReferenceData(f))];
}

const describe = (err: unknown): string =>
  isOutcomeError(err)
    ? (err.outcome.issue ?? [])
        .map(
          (i) =>
            `${i.diagnostics ?? i.details?.text ?? i.code}${i.expression ? ` (${i.expression.join(', ')})` : ''}`,
        )
        .join('; ')
    : err instanceof Error
      ? err.message
      : String(err);

/** Imports one bundle (transaction or batch) or one resource; failures are reported, not thrown. */
export async function importJson(
  store: FhirStore,
  json: unknown,
  file: string,
): Promise<{ resources: number; failures: ImportFailure[] }> {
  const value = json as Resource | undefined;
  if (!value || typeof value !== 'object' || typeof value.resourceType !== 'string') {
    return {
      resources: 0,
      failures: [{ file, where: 'file', message: 'not a FHIR resource (no resourceType)' }],
    };
  }
  if (value.resourceType === 'Bundle' && (value.type === 'transaction' || value.type === 'batch')) {
    try {
      const result = await processBundle(store, stableIds(value));
      const failures = (result.entry ?? [])
        .map((e, i) => ({ e, i }))
        .filter(({ e }) => e.response?.status && !/^2/.test(e.response.status))
        .map(({ e, i }) => ({
          file,
          where: `entry ${i}`,
          message: (e.response?.outcome?.issue ?? []).map((x) => x.diagnostics ?? x.code).join('; '),
        }));
      return { resources: (value.entry?.length ?? 0) - failures.length, failures };
    } catch (err) {
      return { resources: 0, failures: [{ file, where: 'bundle', message: describe(err) }] };
    }
  }
  return importResources(store, [value], file, 1);
}

/** Imports plain resources: in one transaction, or one by one to say which failed. */
async function importResources(
  store: FhirStore,
  resources: Resource[],
  file: string,
  firstLine: number,
): Promise<{ resources: number; failures: ImportFailure[] }> {
  const toEntry = (r: Resource): BundleEntry =>
    r.id && ID.test(r.id)
      ? { resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } }
      : { resource: r, request: { method: 'POST', url: r.resourceType } };
  try {
    await processBundle(store, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: resources.map(toEntry),
    });
    return { resources: resources.length, failures: [] };
  } catch {
    const result = await processBundle(store, {
      resourceType: 'Bundle',
      type: 'batch',
      entry: resources.map(toEntry),
    });
    const failures: ImportFailure[] = [];
    (result.entry ?? []).forEach((e, i) => {
      if (e.response?.status && !/^2/.test(e.response.status)) {
        failures.push({
          file,
          where: `line ${firstLine + i}`,
          message: (e.response.outcome?.issue ?? []).map((x) => x.diagnostics ?? x.code).join('; '),
        });
      }
    });
    return { resources: resources.length - failures.length, failures };
  }
}

async function importNdjson(
  store: FhirStore,
  file: string,
): Promise<{ resources: number; failures: ImportFailure[] }> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let chunk: Resource[] = [];
  let lineNo = 0;
  let chunkStart = 1;
  const total = { resources: 0, failures: [] as ImportFailure[] };
  const flush = async () => {
    if (chunk.length === 0) return;
    const r = await importResources(store, chunk, file, chunkStart);
    total.resources += r.resources;
    total.failures.push(...r.failures);
    chunk = [];
  };
  for await (const line of lines) {
    lineNo += 1;
    if (!line.trim()) continue;
    if (chunk.length === 0) chunkStart = lineNo;
    try {
      chunk.push(JSON.parse(line) as Resource);
    } catch (err) {
      total.failures.push({
        file,
        where: `line ${lineNo}`,
        message: `malformed JSON: ${(err as Error).message}`,
      });
      continue;
    }
    if (chunk.length >= 500) await flush();
  }
  await flush();
  return total;
}

/**
 * Files imported at once: while one file's bundle is written, the next is parsed and validated
 * on the validation workers (see fhir/validation-pool.ts).
 */
const FILES_AT_ONCE = 6;

/** Synthea's organisations and practitioners: patient bundles refer to them, so they go alone and first. */
export const isSharedReferenceData = (file: string): boolean =>
  /^(hospitalInformation|practitionerInformation)/.test(basename(file));

/** Imports files and folders of FHIR JSON (resources, bundles) and NDJSON. Re-running is harmless. */
export async function importFiles(
  store: FhirStore,
  paths: string[],
  onProgress?: ImportProgress,
): Promise<ImportReport> {
  const files = await listImportFiles(paths);
  const report: ImportReport = { files: files.length, resources: 0, failures: [] };
  let done = 0;
  const importOne = async (file: string) => {
    const result = await importFile(store, file);
    report.resources += result.resources;
    report.failures.push(...result.failures);
    done += 1;
    onProgress?.(done, files.length, file);
  };
  // Runs of ordinary files go FILES_AT_ONCE at a time; reference data files one by one before them.
  let next = 0;
  while (next < files.length) {
    const first = files[next] as string;
    if (isSharedReferenceData(first)) {
      await importOne(first);
      next += 1;
      // The bundles to come look these records up by identifier: the planner must know them.
      await settleStatistics(store.db);
      continue;
    }
    let end = next;
    while (end < files.length && !isSharedReferenceData(files[end] as string)) end += 1;
    const run = files.slice(next, end);
    next = end;
    let taken = 0;
    const lane = async () => {
      while (taken < run.length) await importOne(run[taken++] as string);
    };
    await Promise.all(Array.from({ length: Math.min(FILES_AT_ONCE, run.length) }, lane));
  }
  report.failures.sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file));
  return report;
}

async function importFile(
  store: FhirStore,
  file: string,
): Promise<{ resources: number; failures: ImportFailure[] }> {
  if (/\.ndjson$/i.test(file)) return importNdjson(store, file);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    return {
      resources: 0,
      failures: [{ file, where: 'file', message: `malformed JSON: ${(err as Error).message}` }],
    };
  }
  return importJson(store, json, file);
}
