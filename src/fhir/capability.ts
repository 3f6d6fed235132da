import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { isAllowed, ROLES, type Action } from '../shared/index.ts';
import { r4ResourceTypes } from './definitions.ts';
import { SEARCH_LIMITS_DOCUMENTATION, supportedSearchParams } from './search/index.ts';

const BULK = 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition';
const BULK_EXPORT = `${BULK}/export`;
const BULK_PATIENT_EXPORT = `${BULK}/patient-export`;
const BULK_GROUP_EXPORT = `${BULK}/group-export`;

/** What this server really supports, listed per resource type. */
export function capabilityStatement(baseUrl: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    // Bulk Data $export (src/bulk) at the system, Patient and Group levels.
    instantiates: ['http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data'],
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
          ...writesOffered(type),
          searchParam: supportedSearchParams(type).map((p) => ({ name: p.name, type: p.type })),
          ...(type === 'Patient'
            ? {
                operation: [
                  {
                    name: 'everything',
                    definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
                  },
                  { name: 'export', definition: BULK_PATIENT_EXPORT },
                  { name: 'summary', definition: 'http://hl7.org/fhir/uv/ips/OperationDefinition/summary' },
                ],
              }
            : {}),
          ...(type === 'Group' ? { operation: [{ name: 'export', definition: BULK_GROUP_EXPORT }] } : {}),
        })),
        operation: [{ name: 'export', definition: BULK_EXPORT }],
      },
    ],
  };
}

type Interaction = NonNullable<CapabilityStatementRestResource['interaction']>[number]['code'];

/** Whether any role may do `action` on `type`: the permission table decides what is offered. */
const someRole = (type: string, action: Action): boolean =>
  ROLES.some((role) => isAllowed(role, type, action));

/**
 * The interactions a resource type offers, computed from the permission table: a type no role
 * may create, update or delete (the audit trail, written by the server only) offers no such
 * interaction, nor their conditional forms.
 */
function writesOffered(type: string): Partial<CapabilityStatementRestResource> {
  const create = someRole(type, 'create');
  const update = someRole(type, 'update');
  const remove = someRole(type, 'delete');
  const interactions: Interaction[] = ['read', 'vread', 'history-instance', 'history-type', 'search-type'];
  if (create) interactions.push('create');
  if (update) interactions.push('update', 'patch');
  if (remove) interactions.push('delete');
  return {
    updateCreate: update,
    conditionalCreate: create,
    conditionalRead: 'not-match',
    conditionalUpdate: update,
    conditionalDelete: remove ? 'single' : 'not-supported',
    interaction: interactions.map((code) => ({ code })),
  };
}
