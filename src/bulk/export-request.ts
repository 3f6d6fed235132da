import type { Parameters } from '@medplum/fhirtypes';
import { isR4ResourceType } from '../fhir/definitions.ts';
import { badRequest } from '../fhir/outcomes.ts';

/** What an export asks for, parsed once at the edge (HTTP kick-off or command line). */
export interface ExportRequest {
  level: 'system' | 'patient' | 'group';
  groupId?: string;
  /** `_type`: only these types; undefined every type the caller may search. */
  types?: string[];
  /** `_since`: only records changed after this instant (ISO). */
  since?: string;
  /** `_typeFilter` queries by type (the query after `Type?`), ORed within a type. */
  typeFilters: Record<string, string[]>;
}

/** The output formats the IG names for NDJSON; only NDJSON is written. */
const NDJSON_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);

const KNOWN = new Set(['_type', '_since', '_typeFilter', '_outputFormat']);

/** An ISO date or instant with a time zone, as `_since` takes it. */
const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * The kick-off's parameters as name/value pairs (the query string of a GET, or a POSTed
 * Parameters resource) turned into a request. Parameters this server does not offer
 * (`patient`, `_elements`, `includeAssociatedData`) are refused by name rather than ignored, as
 * the IG asks unless the client prefers lenient handling.
 */
export function parseExportRequest(
  level: ExportRequest['level'],
  pairs: Array<[string, string]>,
  options: { groupId?: string; lenient?: boolean } = {},
): ExportRequest {
  const request: ExportRequest = {
    level,
    ...(options.groupId ? { groupId: options.groupId } : {}),
    typeFilters: {},
  };
  for (const [name, value] of pairs) {
    if (!KNOWN.has(name)) {
      if (options.lenient) continue;
      throw badRequest(`The export parameter '${name}' is not supported here`, [name]);
    }
    if (name === '_outputFormat' && !NDJSON_FORMATS.has(value.trim().replace(' ', '+')))
      throw badRequest(`_outputFormat '${value}' is not offered: exports are application/fhir+ndjson`, [
        name,
      ]);
    if (name === '_type') request.types = [...(request.types ?? []), ...typesIn(value)];
    if (name === '_since') request.since = sinceOf(value);
    if (name === '_typeFilter') addTypeFilter(request, value);
  }
  if (request.types) request.types = [...new Set(request.types)];
  return request;
}

function typesIn(value: string): string[] {
  const types = value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (types.length === 0) throw badRequest('_type names no resource type', ['_type']);
  for (const type of types)
    if (!isR4ResourceType(type))
      throw badRequest(`_type '${type}' is not a FHIR R4 resource type`, ['_type']);
  return types;
}

function sinceOf(value: string): string {
  const trimmed = value.trim();
  if (!INSTANT.test(trimmed) || Number.isNaN(Date.parse(trimmed)))
    throw badRequest(`_since '${value}' is not a FHIR instant (e.g. 2024-01-31T00:00:00Z)`, ['_since']);
  return new Date(trimmed).toISOString();
}

/** `_typeFilter=Observation?status=final,MedicationRequest?status=active`: commas between queries. */
function addTypeFilter(request: ExportRequest, value: string): void {
  for (const part of value.split(/,(?=[A-Z][A-Za-z]+\?)/)) {
    const m = /^([A-Z][A-Za-z]+)\?(.+)$/.exec(part.trim());
    if (!m?.[1] || !m[2])
      throw badRequest(`_typeFilter '${part}' must be a search such as Observation?status=final`, [
        '_typeFilter',
      ]);
    if (!isR4ResourceType(m[1]))
      throw badRequest(`_typeFilter '${part}' names no FHIR R4 resource type`, ['_typeFilter']);
    (request.typeFilters[m[1]] ??= []).push(m[2]);
  }
}

/** A POSTed kick-off's Parameters as name/value pairs. */
export function parametersPairs(body: unknown): Array<[string, string]> {
  if (body === undefined || body === null || body === '') return [];
  const parameters = body as Parameters;
  if (typeof body !== 'object' || parameters.resourceType !== 'Parameters')
    throw badRequest('A POSTed export takes a Parameters resource');
  if (parameters.parameter !== undefined && !Array.isArray(parameters.parameter))
    throw badRequest('Parameters.parameter must be a list');
  return (parameters.parameter ?? []).map((p): [string, string] => {
    const value = p.valueString ?? p.valueInstant ?? p.valueDateTime ?? p.valueCode ?? p.valueUri;
    if (typeof p.name !== 'string' || typeof value !== 'string')
      throw badRequest(`Export parameter '${String(p.name)}' needs a string, code or instant value`);
    return [p.name, value];
  });
}
