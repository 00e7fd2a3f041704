// ESLint flat config: typescript-eslint's recommended rules everywhere, and the project's
// own plugin (lint-rules/, built to dist/lint-rules/) on the core.
import tseslint from 'typescript-eslint';
import codex from './dist/lint-rules/index.js';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'golden/', 'codemods/**/fixtures/', '.runs/', 'out/', 'coverage/', '.stryker-tmp/', 'reports/'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
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
      // Phase 0 writes pipeline env defaults into process.env (B6): 1 known site,
      // src/config/pipeline-env.ts. The golden harness restores process.env around replays
      // and real runs on purpose. Becomes 'error' in phase 5.
      'codex/no-process-env-mutation': ['warn', { allow: ['src/cli/main.ts', 'src/harness/golden/steps.ts', 'src/harness/golden/real-run.ts'] }],
      // Phase 4: execution mode is parsed only in src/run/execution-mode.ts (one parse function,
      // one preset per call site); 0 sites elsewhere. tests/unit/phase4-execution-mode.test.ts
      // shows a new comparison with a mode word fails lint.
      'codex/single-execution-mode-resolver': ['error', { resolver: ['src/run/execution-mode.ts'] }],
      'codex/no-unmigrated-markers': 'error',
    },
  },
);
