import type { Parameters, ParametersParameter, ValueSet } from '@medplum/fhirtypes';
import type { Db } from '../db/index.ts';
import { badRequest, notFound } from '../fhir/outcomes.ts';
import { lookupCode } from './lookup.ts';
import { searchCodes } from './search.ts';
import { SYSTEM_NAMES, SYSTEM_URIS, systemFromUri, type CodeSystemId } from './systems.ts';
import type { CodeNote } from './types.ts';

/** FHIR CodeSystem/$lookup: name, version, display, notes as designations and properties. */
export async function lookupOperation(
  db: Db,
  params: { system?: string; code?: string; version?: string },
): Promise<Parameters> {
  const system = requireSystem(params.system);
  if (!params.code) throw badRequest('code is required', ['code']);
  const detail = await lookupCode(db, system, params.code, params.version);
  if (!detail)
    throw notFound(
      `Code ${params.code} is not in ${SYSTEM_NAMES[system]}${params.version ? ` ${params.version}` : ''}`,
    );
  const parameter: ParametersParameter[] = [
    { name: 'name', valueString: SYSTEM_NAMES[system] },
    { name: 'version', valueString: detail.version },
    { name: 'display', valueString: detail.display },
    {
      name: 'property',
      part: [
        { name: 'code', valueCode: 'billable' },
        { name: 'value', valueBoolean: detail.billable },
      ],
    },
  ];
  for (const level of detail.hierarchy) {
    parameter.push({
      name: 'property',
      part: [
        { name: 'code', valueCode: 'parent' },
        { name: 'value', valueString: `${level.level} ${level.code}: ${level.title}` },
      ],
    });
  }
  for (const note of detail.notes) {
    parameter.push({
      name: 'designation',
      part: [
        {
          name: 'use',
          valueCoding: {
            system: 'http://hl7.org/fhir/sid/icd-10-cm/note',
            code: note.kind,
            display: noteUseDisplay(note),
          },
        },
        { name: 'value', valueString: note.chr ? `${note.chr}: ${note.text}` : note.text },
      ],
    });
  }
  return { resourceType: 'Parameters', parameter };
}

/** FHIR ValueSet/$expand?url=<system uri>&filter=... : the whole code system, searched. */
export async function expandOperation(
  db: Db,
  params: { url?: string; filter?: string; count?: string; version?: string },
): Promise<ValueSet> {
  const system = requireSystem(params.url, 'url');
  const count = params.count === undefined ? 20 : Number(params.count);
  if (!Number.isInteger(count) || count < 1 || count > 200)
    throw badRequest('count must be a whole number from 1 to 200', ['count']);
  if (!params.filter?.trim())
    throw badRequest('filter is required: expanding a whole code system is not supported', ['filter']);
  const hits = await searchCodes(db, { q: params.filter, system, fy: params.version, limit: count });
  return {
    resourceType: 'ValueSet',
    status: 'active',
    url: SYSTEM_URIS[system],
    expansion: {
      timestamp: new Date().toISOString(),
      total: hits.length,
      parameter: [
        { name: 'filter', valueString: params.filter },
        { name: 'count', valueInteger: count },
      ],
      contains: hits.map((h) => ({
        system: SYSTEM_URIS[h.system],
        version: h.version,
        code: h.code,
        display: h.display,
        ...(h.billable ? {} : { abstract: true }),
      })),
    },
  };
}

function requireSystem(uri: string | undefined, name = 'system'): CodeSystemId {
  if (!uri) throw badRequest(`${name} is required (e.g. ${SYSTEM_URIS.icd10cm})`, [name]);
  const system = systemFromUri(uri);
  if (!system)
    throw badRequest(`Unknown code system ${uri}; known: ${Object.values(SYSTEM_URIS).join(', ')}`, [name]);
  return system;
}

function noteUseDisplay(note: CodeNote): string {
  return `${note.kind} (from ${note.level} ${note.from})`;
}
