import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sharedTestdataDir } from '../app/config.ts';

/**
 * The outside test data (Synthea bundles, FEBRL, FHIR R4 examples, HL7 v2 samples) is not part of
 * the repository: it sits in ../shared/testdata on our machines and in CI, or where
 * CUSTODIAN_TESTDATA_DIR says. Tests that read it skip when it is absent:
 * `describe.skipIf(!hasSharedTestdata)` or `it.skipIf(!hasSharedTestdata)`.
 */
const root = sharedTestdataDir();

export const hasSharedTestdata = existsSync(root);

/** A path inside the shared test data, e.g. `sharedTestdata('synthea')`. */
export function sharedTestdata(...parts: string[]): string {
  return join(root, ...parts);
}

/** vitest globalSetup: says once per run that the tests needing the shared test data are skipped. */
export function setup(): void {
  if (hasSharedTestdata) return;
  console.log(
    `\nShared test data not found at ${root}: the tests that read it (Synthea, FEBRL, FHIR examples, ` +
      `HL7 v2 samples) are skipped. Put it there or set CUSTODIAN_TESTDATA_DIR to run them.\n`,
  );
}
