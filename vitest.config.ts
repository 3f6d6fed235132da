import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'web/**/*.test.ts'],
    globalSetup: [
      // One temporary folder for the run's test folders, removed at its end.
      'src/testing/test-folders.ts',
      // Prints one notice when ../shared/testdata is absent (the tests that need it skip).
      'src/testing/shared-testdata.ts',
      // Migrates the test database template once per migration set (src/db/README.md).
      'src/testing/test-db.ts',
    ],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Test files share their worker's loaded modules: the R4 definitions (2-3 s of CPU to index),
    // the validation worker, Fastify and PGlite load once per worker instead of once per file.
    // Each file still opens its own database and server, and no test changes the environment or
    // module state. With the test password hashed once per worker, this took the suite from about
    // 920 s of CPU to 600 s.
    isolate: false,
    // vitest runs cores - 1 files at once: one at a time on CI's 2 cores, which leaves a core
    // idle while a file waits on its server, browser or PostgreSQL. Two at a time there.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ['default'],
  },
});
