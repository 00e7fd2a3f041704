// ESLint flat config: typescript-eslint's recommended rules everywhere, and the project's
// own plugin (lint-rules/, built to dist/lint-rules/) on the core.
import tseslint from 'typescript-eslint';
import codex from './dist/lint-rules/index.js';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'golden/', 'codemods/**/fixtures/', '.runs/', 'out/', 'coverage/', '.stryker-tmp/', 'reports/'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.cts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts', 'bench/**/*.ts', 'codemods/**/*.ts', 'lint-rules/**/*.ts'],
    plugins: { codex },
    rules: {
      // Phase 2: the persister (src/persist/) is the only writer of manifest.json and .heartbeat;
      // 0 sites elsewhere. tests/codemods/lint-gate.test.ts shows a new direct write fails lint.
      'codex/single-manifest-writer': ['error', { allow: ['src/persist/'] }],
      // Phase 5: nothing in the core writes process.env (B6 wrote pipeline env defaults there);
      // 0 sites. The golden harness still models a fresh process's env around replays and real
      // runs. tests/virtual/phase5-metrics-env.test.ts shows a new write fails lint.
      'codex/no-process-env-mutation': ['error', { allow: ['src/cli/main.ts', 'src/harness/golden/steps.ts', 'src/harness/golden/real-run.ts'] }],
      // Phase 4: execution mode is parsed only in src/run/execution-mode.ts (one parse function,
      // one preset per call site); 0 sites elsewhere. tests/unit/phase4-execution-mode.test.ts
      // shows a new comparison with a mode word fails lint.
      'codex/single-execution-mode-resolver': ['error', { resolver: ['src/run/execution-mode.ts'] }],
      'codex/no-unmigrated-markers': 'error',
    },
  },
);
