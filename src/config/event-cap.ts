// Phase 3's opt-in cap on the chunk events a stage keeps in run-summary.json: the
// environment's CODEX_ORCHESTRATOR_EXEC_EVENT_MAX_CHUNKS wins over the config's
// `execEventMaxChunks`; 0 or neither is unbounded (null), as before phase 3.
import { InputError } from '../errors.js';
import { ENV_VARIABLES } from './env-settings.js';
import { MAX_EXEC_EVENT_CHUNKS, type OrchestratorConfig } from './schema.js';

/** The cap, or null for unbounded. A bad value in the environment is one line naming the variable (InputError). */
export function execEventMaxChunks(env: Record<string, string | undefined>, config: OrchestratorConfig | null): number | null {
  const name = ENV_VARIABLES.execEventMaxChunks.name;
  const raw = env[name];
  let value: number | undefined = config?.execEventMaxChunks;
  if (raw !== undefined) {
    const text = raw.trim();
    const n = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
    if (!(n <= MAX_EXEC_EVENT_CHUNKS)) {
      throw new InputError(`${name}: '${raw}' is not an integer from 0 to ${MAX_EXEC_EVENT_CHUNKS}`);
    }
    value = n;
  }
  return value === undefined || value === 0 ? null : value;
}
