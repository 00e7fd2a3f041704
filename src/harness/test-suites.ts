// Which files are test suites: vitest's include (vitest.config.ts imports it) and what the
// lane's review counts as "every suite" when it checks that none was left out.
export const TEST_INCLUDE = ['tests/**/*.test.ts', 'lint-rules/tests/**/*.test.ts'];

/**
 * The suites that replace modules (vi.mock, vi.doMock) or spy on process-wide objects: each
 * runs in a module graph of its own (vitest's `isolated` project). Every other suite shares its
 * worker's module graph with the suites run before it there (the `shared` project, isolate:
 * false), so the project's modules load once per worker rather than once per file.
 * tests/unit/test-suites.test.ts finds every suite that needs to be here.
 */
export const ISOLATED_SUITES = [
  'tests/bench/gap.test.ts',
  'tests/golden/regression-battery.test.ts',
  'tests/unit/manifest-io.test.ts',
  'tests/virtual/pipeline-run.test.ts',
];
