import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { r4ResourceTypes } from './definitions.ts';
import { SEARCH_LIMITS_DOCUMENTATION, supportedSearchParams } from './search/index.ts';

/** What this server really supports, listed per resource type. */
export function capabilityStatement(baseUrl: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'Custodian', version: '0.1.0' },
    implementation: { description: 'Custodian health information management FHIR R4 server', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation: SEARCH_LIMITS_DOCUMENTATION,
        security: {
          cors: false,
          service: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' },
              ],
            },
          ],
          description: 'Bearer tokens from POST /oauth2/token (grant_type password or client_credentials).',
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: baseUrl.replace(/\/fhir\/R4$/, '/oauth2/token') }],
            },
          ],
        },
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }],
        resource: r4ResourceTypes().map((type): CapabilityStatementRestResource => ({
          type: type as CapabilityStatementRestResource['type'],
          versioning: 'versioned',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalRead: 'not-match',
          conditionalUpdate: false,
          conditionalDelete: 'not-supported',
          interaction: [
            'read',
            'vread',
            'update',
            'delete',
            'history-instance',
            'history-type',
            'create',
            'search-type',
          ].map((code) => ({ code: code as 'read' })),
          searchParam: supportedSearchParams(type).map((p) => ({ name: p.name, type: p.type })),
          ...(type === 'Patient'
            ? {
                operation: [
                  {
                    name: 'everything',
                    definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
                  },
                ],
              }
            : {}),
        })),
      },
    ],
  };
}
