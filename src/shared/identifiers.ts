import type { Identifier } from '@medplum/fhirtypes';

/**
 * The identifier typed MR (medical record number), else the first one. Pure and free of server
 * imports: the web application uses it too.
 */
export function medicalRecordNumber(identifiers: Identifier[] | undefined): string | undefined {
  const mr = identifiers?.find((i) => i.type?.coding?.some((c) => c.code === 'MR'));
  return (mr ?? identifiers?.[0])?.value;
}
