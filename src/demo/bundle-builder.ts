import type { BundleEntry, Resource } from '@medplum/fhirtypes';
import type { Rng } from './prng.ts';

/** Collects transaction entries; each resource gets a urn:uuid drawn from the given stream. */
export class BundleBuilder {
  readonly entries: BundleEntry[] = [];

  add(rng: Rng, resource: Resource): string {
    const fullUrl = `urn:uuid:${rng.uuid()}`;
    this.entries.push({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType } });
    return fullUrl;
  }
}
