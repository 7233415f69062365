// The unit tests that exercise the modules under mutation (see stryker.config.mjs). Kept apart from
// test/vitest.config.ts so a mutant runs only pure, fast tests: no sockets, SQLite or child processes.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: [
      'test/unit/market/**/*.test.ts',
      'test/unit/settlement/**/*.test.ts',
      'test/unit/storage/**/*.test.ts',
      // The reserve and shedding rules' own tests; the controller's tests drive them only indirectly.
      'test/unit/control/reserve-sizing.test.ts',
      'test/unit/control/mode-reserve.test.ts',
      'test/unit/control/load-shedding*.test.ts',
    ],
    environment: 'node',
    // Coverage instrumentation slows the simulated-month tests past vitest's 5 s default.
    testTimeout: 60_000,
  },
});
