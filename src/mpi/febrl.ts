/**
 * FEBRL files (the Freely Extensible Biomedical Record Linkage benchmark layout) and evaluation of
 * linkage results against the truth that FEBRL encodes in rec_id (rec-N-org, rec-N-dup-K).
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { parse } from 'csv-parse';
import type { PersonRecord } from './types.ts';

export const FEBRL_COLUMNS = [
  'rec_id',
  'given_name',
  'surname',
  'street_number',
  'address_1',
  'address_2',
  'suburb',
  'postcode',
  'state',
  'date_of_birth',
  'soc_sec_id',
] as const;

/** A readable problem with an input file (missing, unreadable, wrong columns). */
export class InputFileError extends Error {}

function toRecord(row: Record<string, string>): PersonRecord {
  return {
    id: row.rec_id ?? '',
    givenName: row.given_name,
    familyName: row.surname,
    streetNumber: row.street_number,
    addressLine1: row.address_1,
    addressLine2: row.address_2,
    locality: row.suburb,
    postcode: row.postcode,
    state: row.state,
    birthDate: row.date_of_birth,
    identifier: row.soc_sec_id,
  };
}

/** Reads a FEBRL CSV file (header row; FEBRL puts a space after each comma, which is trimmed). */
export async function readFebrlFile(path: string): Promise<PersonRecord[]> {
  try {
    await access(path);
  } catch {
    throw new InputFileError(`input file not found or not readable: ${path}`);
  }
  const records: PersonRecord[] = [];
  const parser = createReadStream(path).pipe(
    parse({
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim().toLowerCase());
        const missing = FEBRL_COLUMNS.filter((c) => !names.includes(c));
        if (missing.length > 0) {
          throw new InputFileError(
            `${path}: missing column(s) ${missing.join(', ')}; expected ${FEBRL_COLUMNS.join(', ')}`,
          );
        }
        return names;
      },
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }),
  );
  try {
    for await (const row of parser as AsyncIterable<Record<string, string>>) {
      const record = toRecord(row);
      if (record.id === '')
        throw new InputFileError(`${path}: a row without rec_id (line ${records.length + 2})`);
      records.push(record);
    }
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw new InputFileError(`${path}: not a readable CSV file (${(err as Error).message})`);
  }
  return records;
}

/** The person a FEBRL rec_id belongs to: rec-12-dup-0 -> "12". */
export function febrlEntity(recId: string): string {
  const m = /^rec-(\d+)-/.exec(recId);
  return m?.[1] ?? recId;
}

export interface LinkageQuality {
  truePairs: number;
  foundPairs: number;
  truePositives: number;
  precision: number;
  recall: number;
  f1: number;
}

function pairKey(x: string, y: string): string {
  return x < y ? x + '\u0000' + y : y + '\u0000' + x;
}

/**
 * Precision, recall and F1 of found pairs (by record id) against the truth: two records are the
 * same person when entityOf gives the same value. In linking, true pairs run between A and B only.
 */
export function evaluatePairs(
  found: ReadonlyArray<readonly [string, string]>,
  idsA: readonly string[],
  idsB: readonly string[] | undefined,
  entityOf: (id: string) => string = febrlEntity,
): LinkageQuality {
  const groupA = new Map<string, number>();
  for (const id of idsA) groupA.set(entityOf(id), (groupA.get(entityOf(id)) ?? 0) + 1);
  let truePairs = 0;
  if (idsB) {
    for (const id of idsB) truePairs += groupA.get(entityOf(id)) ?? 0;
  } else {
    for (const size of groupA.values()) truePairs += (size * (size - 1)) / 2;
  }
  const unique = new Set<string>();
  let truePositives = 0;
  for (const [x, y] of found) {
    const key = pairKey(x, y);
    if (unique.has(key)) continue;
    unique.add(key);
    if (entityOf(x) === entityOf(y)) truePositives++;
  }
  const foundPairs = unique.size;
  const precision = foundPairs === 0 ? 1 : truePositives / foundPairs;
  const recall = truePairs === 0 ? 1 : truePositives / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truePairs, foundPairs, truePositives, precision, recall, f1 };
}
