// Test projects by runtime: pure unit tests, integration tests on real sockets, SQLite files and
// child processes, and end-to-end tests that drive Chromium against `commonwatt serve`.
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Ledgers made by tests keep their signing keys in a temporary directory, never in the user's
// ~/.config (workers and the CLI children they start inherit this).
process.env.COMMONWATT_LEDGER_KEY_DIR ??= path.join(
  os.tmpdir(),
  `commonwatt-test-ledger-keys-${process.pid}`,
);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
