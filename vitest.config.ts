import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'web/**/*.test.ts'],
    globalSetup: [
      // Prints one notice when ../shared/testdata is absent (the tests that need it skip).
      'src/testing/shared-testdata.ts',
      // Migrates the test database template once per migration set (src/db/README.md).
      'src/testing/test-db.ts',
    ],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
