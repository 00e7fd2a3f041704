// Which files are test suites: vitest's include (vitest.config.ts imports it) and what the
// lane's review counts as "every suite" when it checks that none was left out.
export const TEST_INCLUDE = ['tests/**/*.test.ts', 'lint-rules/tests/**/*.test.ts'];
