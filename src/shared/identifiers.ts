import type { Identifier } from '@medplum/fhirtypes';

/**
 * The identifier typed MR (medical record number), else the first one; an `old` identifier (the
 * MRN of a record merged into this one, kept as an alias) only when there is nothing else. Pure
 * and free of server imports: the web application uses it too.
 */
export function medicalRecordNumber(identifiers: Identifier[] | undefined): string | undefined {
  const current = identifiers?.filter((i) => i.use !== 'old') ?? [];
  const all = current.length > 0 ? current : (identifiers ?? []);
  const mr = all.find((i) => i.type?.coding?.some((c) => c.code === 'MR'));
  return (mr ?? all[0])?.value;
}
