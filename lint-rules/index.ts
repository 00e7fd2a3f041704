// The project's ESLint plugin: rules that keep refactored call sites where the codemods
// moved them. One rule per file in rules/, its doc in docs/, its RuleTester test in tests/.
import { noProcessEnvMutation } from './rules/no-process-env-mutation.js';
import { noUnmigratedMarkers } from './rules/no-unmigrated-markers.js';
import { singleExecutionModeResolver } from './rules/single-execution-mode-resolver.js';
import { singleManifestWriter } from './rules/single-manifest-writer.js';

const plugin = {
  meta: { name: 'eslint-plugin-codex-orchestrator', version: '0.1.0' },
  rules: {
    'single-manifest-writer': singleManifestWriter,
    'no-process-env-mutation': noProcessEnvMutation,
    'single-execution-mode-resolver': singleExecutionModeResolver,
    'no-unmigrated-markers': noUnmigratedMarkers,
  },
};

export default plugin;
