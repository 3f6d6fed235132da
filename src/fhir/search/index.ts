/** FHIR R4 search: index rows on write, query parsing, SQL planning and searchset Bundles. */
export { extractSearchRows } from './extract.ts';
export type { SearchRows, TokenRow, StringRow, DateRow, ReferenceRow, NumberRow } from './extract.ts';
export { writeSearchRows, deleteSearchRows, indexInsertCtes } from './write.ts';
export type { IndexItem } from './write.ts';
export { parseSearch } from './parse.ts';
export type { ParseOptions } from './parse.ts';
export { searchBundle, countSearch } from './search.ts';
export type { SearchOptions } from './search.ts';
export { supportedSearchParams, SEARCH_RESULT_PARAMS } from './capabilities.ts';
export { SEARCH_LIMITS_DOCUMENTATION } from './limits.ts';
export type { SupportedSearchParam } from './capabilities.ts';
export type { SearchRequest, SearchAccess, Filter, SortKey, IncludeSpec } from './types.ts';
export { normalizeString } from './normalize.ts';
