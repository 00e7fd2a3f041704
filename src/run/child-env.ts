// The environment a command stage's child process gets. Precedence, lowest first: the
// orchestrator's environment, explicit overrides from pipeline resolution, the
// CODEX_ORCHESTRATOR_* values, the stage's own env.
import type { RunLayout } from '../layout/run-layout.js';

export function orchestratorVariables(paths: RunLayout, pipelineId: string): Record<string, string> {
  return {
    CODEX_ORCHESTRATOR_TASK_ID: paths.taskId,
    CODEX_ORCHESTRATOR_RUN_ID: paths.runId,
    CODEX_ORCHESTRATOR_PIPELINE_ID: pipelineId,
    CODEX_ORCHESTRATOR_MANIFEST_PATH: paths.manifestPath,
    CODEX_ORCHESTRATOR_RUN_DIR: paths.runDir,
    CODEX_ORCHESTRATOR_RUNS_DIR: paths.runsDir,
    CODEX_ORCHESTRATOR_OUT_DIR: paths.outDir,
    CODEX_ORCHESTRATOR_REPO_ROOT: paths.root,
  };
}

/** What a worker's child is told of its run: the ids only (the run's paths are on the orchestrator's disk, not the worker's). */
export function remoteVariables(paths: RunLayout, pipelineId: string): Record<string, string> {
  return { CODEX_ORCHESTRATOR_TASK_ID: paths.taskId, CODEX_ORCHESTRATOR_RUN_ID: paths.runId, CODEX_ORCHESTRATOR_PIPELINE_ID: pipelineId };
}

export function buildChildEnv(
  base: Record<string, string | undefined>,
  overrides: Record<string, string>,
  orchestrator: Record<string, string>,
  stageEnv: Record<string, string> | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  return { ...env, ...overrides, ...orchestrator, ...(stageEnv ?? {}) };
}
