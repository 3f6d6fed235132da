import type { Bundle } from '@medplum/fhirtypes';
import { stableIds } from '../bulk/import.ts';
import { demoFacilityBundle, generatePatients, type DemoOptions } from '../demo/index.ts';
import { processBundle } from '../fhir/bundle.ts';
import type { FhirStore } from '../fhir/store.ts';

/**
 * Loads generated demo patients through the store, one transaction per patient. The generator
 * is seeded and its urn:uuid ids become resource ids, so loading the same seed twice changes nothing.
 */
export async function loadDemoData(
  store: FhirStore,
  options: DemoOptions,
  onProgress?: (done: number, total: number) => void,
  /** Changes each patient's bundle before it is loaded (first start completes its charts). */
  prepare: (bundle: Bundle) => Bundle = (bundle) => bundle,
): Promise<{ patients: number; resources: number }> {
  let patients = 0;
  let resources = 0;
  const total = Math.round(options.patients * (1 + (options.duplicateRate ?? 0)));
  // The hospital and its clinicians, which every patient bundle refers to by id.
  await processBundle(store, demoFacilityBundle());
  for (const demo of generatePatients(options)) {
    const bundle = prepare(demo.bundle);
    await processBundle(store, stableIds(bundle));
    patients += 1;
    resources += bundle.entry?.length ?? 0;
    onProgress?.(patients, Math.max(total, patients));
  }
  return { patients, resources };
}
