// Phase 3's opt-in cap on the chunk events a stage keeps in run-summary.json: the
// environment's CODEX_ORCHESTRATOR_EXEC_EVENT_MAX_CHUNKS wins over the config's
// `execEventMaxChunks`; 0 or neither is unbounded (null), as before phase 3.
import { countVariable, ENV_VARIABLES } from './env-settings.js';
import { MAX_EXEC_EVENT_CHUNKS } from './limits.js';
import type { OrchestratorConfig } from './schema.js';

/** The cap, or null for unbounded. A bad value in the environment is one line naming the variable (InputError). */
export function execEventMaxChunks(env: Record<string, string | undefined>, config: OrchestratorConfig | null): number | null {
  const value = countVariable(env, ENV_VARIABLES.execEventMaxChunks.name, MAX_EXEC_EVENT_CHUNKS) ?? config?.execEventMaxChunks;
  return value === undefined || value === 0 ? null : value;
}
