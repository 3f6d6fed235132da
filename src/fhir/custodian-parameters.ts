import type { Bundle, SearchParameter } from '@medplum/fhirtypes';

/**
 * Search parameters Custodian defines beside R4's, for values its modules write that no R4
 * parameter indexes and that reports add up in the database. Each is an ordinary
 * SearchParameter (indexed, searchable over REST, listed in the CapabilityStatement). Adding one
 * changes what the index holds: raise SEARCH_INDEX_VERSION (reindex.ts) and name the types in
 * INDEX_CHANGES so existing stores reindex them at start.
 */
export const CUSTODIAN_SEARCH_PARAMETERS: SearchParameter[] = [
  {
    resourceType: 'SearchParameter',
    url: 'urn:custodian:fhir:SearchParameter/Encounter-total-charges',
    name: 'total-charges',
    status: 'active',
    description:
      "A visit's total charges from charge capture (the Encounter extension urn:custodian:fhir:total-charges, Money)",
    code: 'total-charges',
    base: ['Encounter'],
    type: 'quantity',
    expression: "Encounter.extension.where(url = 'urn:custodian:fhir:total-charges').value.ofType(Money)",
  },
  {
    resourceType: 'SearchParameter',
    url: 'urn:custodian:fhir:SearchParameter/Task-restriction-period',
    name: 'restriction-period',
    status: 'active',
    description:
      'When the Task must be fulfilled (Task.restriction.period): a release request keeps its due date here',
    code: 'restriction-period',
    base: ['Task'],
    type: 'date',
    expression: 'Task.restriction.period',
  },
];

export const CUSTODIAN_PARAMETER_BUNDLE: Bundle<SearchParameter> = {
  resourceType: 'Bundle',
  type: 'collection',
  entry: CUSTODIAN_SEARCH_PARAMETERS.map((resource) => ({ resource })),
};
