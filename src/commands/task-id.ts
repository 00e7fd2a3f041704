// The task id a command works under: --task, else $MCP_RUNNER_TASK_ID, else 0101 (read by
// commands that run stages and by those that only read runs, so it stays free of the run machinery).
import { ENV_VARIABLES } from '../config/env-settings.js';
import { validateId } from '../layout/run-layout.js';
import type { Runtime } from '../runtime/types.js';

export const DEFAULT_TASK_ID = '0101';

export function taskIdFrom(runtime: Runtime, flag: string | undefined): string {
  return validateId('task id', flag ?? runtime.env[ENV_VARIABLES.taskId.name] ?? DEFAULT_TASK_ID);
}
