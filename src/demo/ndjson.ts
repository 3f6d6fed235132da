import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import { allClinicians, organization } from './facility.ts';
import { generatePatients } from './generate.ts';
import type { DemoOptions, DemoPatient } from './generate.ts';

export interface NdjsonSummary {
  /** Patient records written (originals and duplicates). */
  patients: number;
  duplicates: number;
  /** Resources written per type, facility included. */
  resources: Record<string, number>;
  /** Files written, absolute or relative as `dir` was given. */
  files: string[];
}

export type DemoProgress = (done: number, total: number) => void;

const BATCH_CHARS = 1 << 20;
const URN = /"urn:uuid:([0-9a-f-]{36})"/g;

/**
 * Writes a demo set as NDJSON, one file per resource type (Patient.ndjson, Encounter.ndjson, ...)
 * plus truth.csv (patient id, person id, duplicate flag, errors). Bundle-internal urn:uuid
 * references become `Type/id` with the uuid as the id, as a bulk import expects. Memory stays
 * bounded: one record at a time, and writing waits whenever a file's buffer is full.
 * `onProgress(done, total)` counts people (not records).
 */
export async function writeNdjson(
  dir: string,
  options: DemoOptions,
  onProgress?: DemoProgress,
): Promise<NdjsonSummary> {
  mkdirSync(dir, { recursive: true });
  const streams = new Map<string, WriteStream>();
  const counts: Record<string, number> = {};
  const files: string[] = [];
  const open = (type: string): WriteStream => {
    let stream = streams.get(type);
    if (!stream) {
      const file = join(dir, `${type}.ndjson`);
      stream = createWriteStream(file);
      streams.set(type, stream);
      files.push(file);
    }
    return stream;
  };
  // Lines are batched per file (one write per ~1 MB instead of one per resource: the syscalls
  // were a quarter of the time); `drain()` waits, once per record, for any stream over its limit.
  const pending = new Map<WriteStream, { lines: string[]; size: number }>();
  const full = new Set<WriteStream>();
  const flush = (stream: WriteStream): void => {
    const batch = pending.get(stream);
    if (!batch || batch.lines.length === 0) return;
    if (!stream.write(batch.lines.join(''))) full.add(stream);
    batch.lines = [];
    batch.size = 0;
  };
  const append = (stream: WriteStream, line: string): void => {
    let batch = pending.get(stream);
    if (!batch) {
      batch = { lines: [], size: 0 };
      pending.set(stream, batch);
    }
    batch.lines.push(line);
    batch.size += line.length;
    if (batch.size >= BATCH_CHARS) flush(stream);
  };
  const write = (type: string, line: string): void => {
    counts[type] = (counts[type] ?? 0) + 1;
    append(open(type), line);
  };
  const drain = async (): Promise<void> => {
    // A stream may have drained while we waited for another: only wait while it still needs to.
    for (const stream of full) if (stream.writableNeedDrain) await once(stream, 'drain');
    full.clear();
  };

  for (const resource of [organization(), ...allClinicians().map((c) => c.resource)]) {
    write(resource.resourceType, JSON.stringify(resource) + '\n');
  }
  const truthFile = join(dir, 'truth.csv');
  const truthStream = createWriteStream(truthFile);
  files.push(truthFile);
  truthStream.write('patient_id,person_id,is_duplicate,mrn,errors\n');

  let patients = 0;
  let duplicates = 0;
  let people = 0;
  const every = Math.max(1, Math.floor(options.patients / 1000));
  for (const record of generatePatients(options)) {
    if (!record.isDuplicate) {
      people += 1;
      if (onProgress && (people % every === 0 || people === options.patients))
        onProgress(people, options.patients);
    }
    patients += 1;
    if (record.isDuplicate) duplicates += 1;
    const patientId = writeRecord(record, write);
    const line = `${patientId},${record.personId},${record.isDuplicate},${record.mrn},${record.errors.join('|')}\n`;
    append(truthStream, line);
    if (full.size > 0) await drain();
  }
  for (const stream of [...streams.values(), truthStream]) flush(stream);
  await Promise.all([...streams.values(), truthStream].map(close));
  if (onProgress && options.patients === 0) onProgress(0, 0);
  return { patients, duplicates, resources: counts, files };
}

/**
 * Writes one record's resources with real ids; returns the Patient id. The id is spliced into the
 * JSON text right after `resourceType` (JSON.stringify keeps insertion order, and every resource
 * starts with it), which is much cheaper than copying each resource object.
 */
function writeRecord(record: DemoPatient, write: (type: string, line: string) => void): string {
  const entries = record.bundle.entry ?? [];
  const types = new Map<string, string>();
  for (const entry of entries) {
    if (entry.fullUrl && entry.resource) types.set(entry.fullUrl.slice(9), entry.resource.resourceType);
  }
  const resolve = (_match: string, uuid: string): string => `"${types.get(uuid) ?? 'Unknown'}/${uuid}"`;
  let patientId = '';
  for (const entry of entries) {
    const resource = entry.resource;
    if (!resource || !entry.fullUrl) continue;
    const id = entry.fullUrl.slice(9);
    const type = resource.resourceType;
    if (type === 'Patient') patientId = id;
    const json = JSON.stringify(resource);
    const head = `{"resourceType":"${type}"`;
    if (!json.startsWith(head)) throw new Error(`${type} does not start with resourceType`);
    write(type, `${head},"id":"${id}"${json.slice(head.length).replace(URN, resolve)}\n`);
  }
  return patientId;
}

function close(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}
