// Mutation testing (`npm run test:mutation`, not part of `npm test`): does a wrong answer in the
// pure engines, the ledger or the controller's reserve and shedding rules fail a unit test?
// One module at a time: `npm run test:mutation -- --mutate shared/market/fees.ts`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: '.config/vitest.mutation.config.mjs', related: true },
  mutate: [
    'shared/market/**/*.ts',
    'shared/settlement/**/*.ts',
    'shared/storage/**/*.ts',
    'electron/market/ledger.ts',
    'electron/control/reserve-sizing.ts',
    'electron/control/load-shedding.ts',
  ],
  // The machine is shared: two test processes at most.
  concurrency: 2,
  coverageAnalysis: 'perTest',
  // Types are checked by `npm run typecheck`; a mutant that does not compile simply fails its tests.
  disableTypeChecks: true,
  ignoreStatic: true,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
  timeoutMS: 10_000,
};
