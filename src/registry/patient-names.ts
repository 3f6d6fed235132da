import type { Patient } from '@medplum/fhirtypes';
import type { FhirStore } from '../fhir/store.ts';

/**
 * The display names of the patients the caller may see, read through the caller's store (so
 * authorised and audited); a patient missing from the answer is one the caller may not see.
 */
export async function visiblePatientNames(
  store: FhirStore,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  const names = new Map<string, string>();
  if (unique.length === 0) return names;
  for (const p of (await store.readMany('Patient', unique)) as Patient[]) {
    const name = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
    const text = name?.text ?? [name?.given?.join(' '), name?.family].filter(Boolean).join(' ');
    if (p.id) names.set(p.id, text || '(no name)');
  }
  return names;
}
