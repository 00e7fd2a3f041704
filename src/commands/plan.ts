// `plan [pipeline]`: the stages `start` would run and each stage's execution mode, without
// creating anything.
//
// The mode shown is the plan-preview rule set of src/run/execution-mode.ts (PLAN_PRESET): the
// stage's own settings only. The task's metadata is not read, so `plan` takes no `--task`
// (phase 4: it was accepted and changed nothing).
import { runsUnderTarget, validateTarget } from '../run/target.js';
import { findPipeline, selectPipeline } from '../config/load-config.js';
import type { OrchestratorConfig, Pipeline } from '../config/schema.js';
import type { Runtime } from '../runtime/types.js';
import { prepareInvocation, taskIdFrom } from './invocation.js';
import { PLAN_PRESET, resolveExecutionMode, type ExecutionMode } from '../run/execution-mode.js';

export type PlannedStage = {
  index: number;
  id: string;
  title: string;
  kind: 'command' | 'subpipeline';
  command: string | null;
  pipeline: string | null;
  execution_mode: ExecutionMode | null;
  /** A command stage with `allowFailure`: the run goes on when it fails. */
  allow_failure: boolean;
  /** A subpipeline stage with `optional`: its failure does not fail the run. */
  optional: boolean;
  will_run: boolean;
  stages: PlannedStage[] | null;
};

export type Plan = { pipeline_id: string; pipeline_title: string; target: string | null; stages: PlannedStage[] };

function planStages(config: OrchestratorConfig, pipeline: Pipeline, target: string | null, willRun: boolean): PlannedStage[] {
  return pipeline.stages.map((stage, i) => {
    const runs = willRun && runsUnderTarget(pipeline, target, i);
    if (stage.kind === 'command') {
      return {
        index: i + 1,
        id: stage.id,
        title: stage.title,
        kind: 'command',
        command: stage.command,
        pipeline: null,
        // The plan preview reads only the stage's own settings, never the task's (PLAN_PRESET).
        execution_mode: resolveExecutionMode(PLAN_PRESET, stage, undefined),
        allow_failure: stage.allowFailure === true,
        optional: false,
        will_run: runs,
        stages: null,
      };
    }
    return {
      index: i + 1,
      id: stage.id,
      title: stage.title,
      kind: 'subpipeline',
      command: null,
      pipeline: stage.pipeline,
      execution_mode: null,
      allow_failure: false,
      optional: stage.optional === true,
      will_run: runs,
      stages: planStages(config, findPipeline(config, stage.pipeline), null, runs),
    };
  });
}

export async function planPipeline(runtime: Runtime, options: { pipeline?: string; target?: string }): Promise<Plan> {
  const invocation = await prepareInvocation(runtime, { taskId: taskIdFrom(runtime, undefined), needConfig: true });
  const config = invocation.config!;
  const pipeline = selectPipeline(config, options.pipeline);
  const target = options.target ?? null;
  validateTarget(pipeline, target);
  return { pipeline_id: pipeline.id, pipeline_title: pipeline.title, target, stages: planStages(config, pipeline, target, true) };
}

/** The legend under the plan: what the mode column means, and the flags when a stage has one. */
export const PLAN_MODE_LEGEND = 'mode: [mcp] runs on this machine; [cloud] runs on a worker when CODEX_ORCHESTRATOR_REDIS_URL is set, else here.';
const FLAG_LEGEND = {
  'allow-failure': 'allow-failure: the run goes on (and can succeed) when the stage fails.',
  optional: 'optional: a failed subpipeline does not fail the run.',
};

export function renderPlan(plan: Plan): string {
  const lines = [`Pipeline ${plan.pipeline_id} (${plan.pipeline_title})${plan.target ? `, up to stage ${plan.target}` : ''}:`];
  const used = new Set<keyof typeof FLAG_LEGEND>();
  const walk = (stages: PlannedStage[], depth: number) => {
    for (const stage of stages) {
      const pad = '  '.repeat(depth + 1);
      const skip = stage.will_run ? '' : '  [skipped]';
      const flags: Array<keyof typeof FLAG_LEGEND> = [];
      if (stage.allow_failure) flags.push('allow-failure');
      if (stage.optional) flags.push('optional');
      for (const flag of flags) used.add(flag);
      const marks = flags.length > 0 ? `  (${flags.join(', ')})` : '';
      if (stage.kind === 'command') {
        lines.push(`${pad}${stage.index}. ${stage.id} [${stage.execution_mode}] ${stage.command}${marks}${skip}`);
      } else {
        lines.push(`${pad}${stage.index}. ${stage.id} [subpipeline ${stage.pipeline}]${marks}${skip}`);
        walk(stage.stages ?? [], depth + 1);
      }
    }
  };
  walk(plan.stages, 0);
  lines.push(PLAN_MODE_LEGEND);
  if (used.size > 0)
    lines.push(
      (['allow-failure', 'optional'] as const)
        .filter((f) => used.has(f))
        .map((f) => FLAG_LEGEND[f])
        .join(' '),
    );
  return `${lines.join('\n')}\n`;
}
