// A pipeline's `env` defaults, as explicit overrides for its stages' children.
//
// Phase 5 (removes B6): they were written into process.env, so they leaked into every later
// resolution and child process (a sub-pipeline's defaults stayed set for its parent's later
// stages, and every default for any later run in the same process). Now they travel with
// the resolved pipeline only: src/run/child-env.ts puts them over the orchestrator's
// environment and under the stage's own `env`, and nothing in the core writes process.env.
import type { Pipeline } from './schema.js';

/** The pipeline's defaults as child-env overrides (a copy: the config is not shared). */
export function pipelineEnvOverrides(pipeline: Pipeline): Record<string, string> {
  return { ...(pipeline.env ?? {}) };
}
