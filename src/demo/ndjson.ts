import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
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
  const write = async (type: string, line: string): Promise<void> => {
    counts[type] = (counts[type] ?? 0) + 1;
    const stream = open(type);
    if (!stream.write(line)) await once(stream, 'drain');
  };

  for (const resource of [organization(), ...allClinicians().map((c) => c.resource)]) {
    await write(resource.resourceType, JSON.stringify(resource) + '\n');
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
    const patientId = await writeRecord(record, write);
    const line = `${patientId},${record.personId},${record.isDuplicate},${record.mrn},${record.errors.join('|')}\n`;
    if (!truthStream.write(line)) await once(truthStream, 'drain');
  }
  await Promise.all([...streams.values(), truthStream].map(close));
  if (onProgress && options.patients === 0) onProgress(0, 0);
  return { patients, duplicates, resources: counts, files };
}

/** Writes one record's resources with real ids; returns the Patient id. */
async function writeRecord(
  record: DemoPatient,
  write: (type: string, line: string) => Promise<void>,
): Promise<string> {
  const entries = record.bundle.entry ?? [];
  const types = new Map<string, string>();
  for (const entry of entries) {
    if (entry.fullUrl && entry.resource) types.set(entry.fullUrl.slice(9), entry.resource.resourceType);
  }
  let patientId = '';
  for (const entry of entries) {
    const resource = entry.resource;
    if (!resource || !entry.fullUrl) continue;
    const id = entry.fullUrl.slice(9);
    if (resource.resourceType === 'Patient') patientId = id;
    const withId: Resource = {
      resourceType: resource.resourceType,
      id,
      ...withoutType(resource),
    } as Resource;
    const json = JSON.stringify(withId).replace(
      URN,
      (_match, uuid: string) => `"${types.get(uuid) ?? 'Unknown'}/${uuid}"`,
    );
    await write(resource.resourceType, json + '\n');
  }
  return patientId;
}

function withoutType(resource: Resource): Omit<Resource, 'resourceType'> {
  const { resourceType: _type, ...rest } = resource;
  return rest;
}

function close(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}
