import { paramsFor } from './definitions.ts';

export interface SupportedSearchParam {
  name: string;
  type: 'token' | 'string' | 'date' | 'reference' | 'number' | 'quantity' | 'uri' | 'composite' | 'special';
  documentation?: string;
}

/** Search parameters a resource type supports here, for CapabilityStatement.rest.resource.searchParam. */
export function supportedSearchParams(resourceType: string): SupportedSearchParam[] {
  const own: SupportedSearchParam[] = [...paramsFor(resourceType).values()].map((p) => ({
    name: p.code,
    type: p.type,
    ...(p.description ? { documentation: p.description } : {}),
  }));
  const reverseChain: SupportedSearchParam = {
    name: '_has',
    type: 'special',
    documentation: 'Reverse chaining: _has:Type:reference-parameter:parameter=value (nested allowed)',
  };
  return [...own, reverseChain].sort((a, b) => a.name.localeCompare(b.name));
}

/** Result parameters every search accepts. */
export const SEARCH_RESULT_PARAMS = [
  '_count',
  '_sort',
  '_summary',
  '_total',
  '_include',
  '_revinclude',
  '_elements',
  '_cursor',
] as const;
