import { getDataType, type InternalTypeSchema } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { loadDefinitions } from './definitions.ts';

/**
 * `_summary` and `_elements`: a client asking for part of a record gets that part only (the
 * minimum necessary), with the SUBSETTED tag that tells it the copy is incomplete.
 */
export const SUMMARY_MODES = ['true', 'text', 'data', 'false'] as const;
export type SummaryMode = (typeof SUMMARY_MODES)[number];

export const isSummaryMode = (value: string): value is SummaryMode =>
  (SUMMARY_MODES as readonly string[]).includes(value);

interface TopLevel {
  /** JSON key, or the prefix of a choice type's keys (`value` for `value[x]`). */
  name: string;
  choice: boolean;
  summary: boolean;
  mandatory: boolean;
}

const byType = new Map<string, TopLevel[]>();

/** The top-level elements of an R4 resource type, from the definitions the validator indexed. */
function topLevelElements(type: string): TopLevel[] {
  let elements = byType.get(type);
  if (elements) return elements;
  loadDefinitions();
  let schema: InternalTypeSchema | undefined;
  try {
    schema = getDataType(type);
  } catch {
    schema = undefined;
  }
  elements = Object.entries(schema?.elements ?? {}).map(([key, el]) => {
    const name = key.replace('[x]', '');
    return {
      name,
      choice: key.endsWith('[x]'),
      summary: schema?.summaryProperties?.has(name) ?? false,
      mandatory: el.min > 0,
    };
  });
  byType.set(type, elements);
  return elements;
}

function matches(element: TopLevel, key: string): boolean {
  if (!element.choice) return key === element.name;
  const rest = key.slice(element.name.length);
  return key.startsWith(element.name) && rest.length > 0 && rest[0] === rest[0]?.toUpperCase();
}

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

/** Keeps the keys `keep` says yes to, plus resourceType, id and meta; marks the copy SUBSETTED. */
export function subsetResource(resource: Resource, keep: (key: string) => boolean): Resource {
  const always = new Set(['resourceType', 'id', 'meta']);
  const out = Object.fromEntries(
    Object.entries(resource).filter(([k]) => always.has(k) || keep(k)),
  ) as Resource;
  out.meta = { ...resource.meta, tag: [...(resource.meta?.tag ?? []), SUBSETTED] };
  return out;
}

/** The resource as `_summary=<mode>` asks for it (FHIR R4 search, "Summary"). */
export function summarize(resource: Resource, mode: SummaryMode): Resource {
  const elements = topLevelElements(resource.resourceType);
  const where = (pick: (e: TopLevel) => boolean) => (key: string) =>
    elements.some((e) => pick(e) && matches(e, key));
  switch (mode) {
    case 'false':
      return resource;
    case 'true':
      return subsetResource(
        resource,
        where((e) => e.summary),
      );
    case 'text':
      return subsetResource(resource, (key) => key === 'text' || where((e) => e.mandatory)(key));
    case 'data':
      return subsetResource(resource, (key) => key !== 'text');
  }
}

/** `_elements=a,b`: the listed top-level elements (a choice type by its base name, `value`). */
export function selectElements(resource: Resource, names: string[]): Resource {
  const wanted = new Set(names);
  const elements = topLevelElements(resource.resourceType).filter((e) => wanted.has(e.name));
  return subsetResource(resource, (key) => wanted.has(key) || elements.some((e) => matches(e, key)));
}
