// Applies a pipeline's `env` defaults when the pipeline is resolved.
//
// B6 (phase 0, removed by phase 5): the defaults are written into process.env, so they leak
// into every later resolution and child process: a subpipeline's env stays set for the
// parent's later stages and for sibling subpipelines. Phase 5 passes them as explicit child
// overrides instead.
import type { Pipeline } from './schema.js';

/** Returns the explicit child-env overrides of the resolution (none at phase 0: they went to process.env). */
export function applyPipelineEnvDefaults(pipeline: Pipeline): Record<string, string> {
  for (const [key, value] of Object.entries(pipeline.env ?? {})) {
    process.env[key] = value;
  }
  return {};
}
