// The unit tests that exercise the modules under mutation (see stryker.config.mjs). Kept apart from
// test/vitest.config.ts so a mutant runs only pure, fast tests: no sockets, SQLite or child processes.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: [
      'test/unit/shared/market/**/*.test.ts',
      'test/unit/shared/settlement/**/*.test.ts',
      'test/unit/shared/storage/**/*.test.ts',
      // The reserve and shedding rules' own tests; the controller's tests drive them only indirectly.
      'test/unit/electron/control/reserve-sizing.test.ts',
      'test/unit/electron/control/mode-reserve.test.ts',
      'test/unit/electron/control/load-shedding*.test.ts',
    ],
    environment: 'node',
    // Coverage instrumentation slows the simulated-month tests past vitest's 5 s default.
    testTimeout: 60_000,
  },
});
