import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Units first, then integration files two at a time: two cores, and PGlite start-up is CPU-bound.
          maxWorkers: 2,
          // The files of a worker share one module graph: each file loading the whole app anew was a third of the
          // suite's time (import 94 s of 256 s on PGlite). Every file starts its own service, database and simulator,
          // and no test mocks a module, stubs the environment or fakes timers, which is what sharing would leak.
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
