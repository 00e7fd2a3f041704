// `--target <stage>`: run the stages up to and including it, skip the rest. One validation and
// one cut, used by `start`, `plan` and the stage loop.
import { InputError } from '../errors.js';

type Stages = { id: string; stages: ReadonlyArray<{ id: string }> };

/** The target's index in the pipeline; an unknown stage is bad input (exit 2). */
export function targetIndex(pipeline: Stages, target: string): number {
  const index = pipeline.stages.findIndex((stage) => stage.id === target);
  if (index < 0) {
    throw new InputError(`--target: pipeline '${pipeline.id}' has no stage '${target}' (stages: ${pipeline.stages.map((s) => s.id).join(', ')})`);
  }
  return index;
}

/** Validates a target (when given). */
export function validateTarget(pipeline: Stages, target: string | null): void {
  if (target !== null) targetIndex(pipeline, target);
}

/** Whether the stage at `index` runs under the target (every stage runs without one). */
export function runsUnderTarget(pipeline: Stages, target: string | null, index: number): boolean {
  return target === null || index <= targetIndex(pipeline, target);
}
