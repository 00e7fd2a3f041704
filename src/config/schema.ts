// The schema of codex.orchestrator.json (docs/contracts.md §2): strict, so unknown keys and wrong
// types are reported with their JSON path.
import { z } from 'zod';
import './zod-jitless.js';

import { isReportPath, MAX_COMMAND_LENGTH, MAX_EXEC_EVENT_CHUNKS, MAX_ID_LENGTH, MAX_TITLE_LENGTH } from './limits.js';

export { MAX_COMMAND_LENGTH, MAX_EXEC_EVENT_CHUNKS, MAX_ID_LENGTH, MAX_TITLE_LENGTH };

const id = z.string().min(1, 'must not be empty').max(MAX_ID_LENGTH, `longer than ${MAX_ID_LENGTH} characters`);
const title = z.string().max(MAX_TITLE_LENGTH, `longer than ${MAX_TITLE_LENGTH} characters`);
const envMap = z.record(z.string(), z.string());

export const commandStageSchema = z.strictObject({
  kind: z.literal('command'),
  id,
  title,
  command: z.string().min(1, 'must not be empty').max(MAX_COMMAND_LENGTH, `longer than ${MAX_COMMAND_LENGTH} characters`),
  cwd: z.string().optional(),
  /** A `cwd` outside the repository root is refused unless the stage says so. */
  allowOutsideRoot: z.boolean().optional(),
  env: envMap.optional(),
  allowFailure: z.boolean().optional(),
  /** Runs even after an earlier stage failed (not after a cancel or a lost write): the lane's review stage. */
  always: z.boolean().optional(),
  summaryHint: title.optional(),
  /** Execution-mode inputs (docs/contracts.md §10); each call site parses them by its own rules (B5). */
  executionMode: z.string().optional(),
  mode: z.string().optional(),
  requires_cloud: z.boolean().optional(),
  requiresCloud: z.boolean().optional(),
  /** A cloud stage that may not run twice: when its worker is lost mid-stage it fails instead of running again (default true). */
  idempotent: z.boolean().optional(),
  /**
   * A JSON report the stage writes into the run directory ($CODEX_ORCHESTRATOR_RUN_DIR/<report>):
   * the stage's manifest entry names it once the stage has ended (null when it was not written).
   */
  report: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_TITLE_LENGTH, `longer than ${MAX_TITLE_LENGTH} characters`)
    .refine(isReportPath, 'expected a path inside the run directory (relative, no ..)')
    .optional(),
});

export const subpipelineStageSchema = z.strictObject({
  kind: z.literal('subpipeline'),
  id,
  title,
  pipeline: id,
  optional: z.boolean().optional(),
});

export const stageSchema = z.discriminatedUnion('kind', [commandStageSchema, subpipelineStageSchema]);

export const pipelineSchema = z.strictObject({
  id,
  title,
  description: z.string().optional(),
  tags: z.array(z.string()).optional(),
  guardrailsRequired: z.boolean().optional(),
  env: envMap.optional(),
  stages: z.array(stageSchema).min(1, 'a pipeline needs at least one stage'),
});

/** How many chunk events per stage run-summary.json keeps: 0 keeps them all. */
export const execEventMaxChunksSchema = z
  .number()
  .int(`expected an integer from 0 to ${MAX_EXEC_EVENT_CHUNKS}`)
  .min(0, `expected an integer from 0 to ${MAX_EXEC_EVENT_CHUNKS}`)
  .max(MAX_EXEC_EVENT_CHUNKS, `expected an integer from 0 to ${MAX_EXEC_EVENT_CHUNKS}`);

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  defaultPipeline: z.string().optional(),
  /** Phase 3: keep each stage's first N chunk events in run-summary.json (0: all); the environment wins. */
  execEventMaxChunks: execEventMaxChunksSchema.optional(),
  /** Where cloud stages go (docs/cloud.md); the environment's CODEX_ORCHESTRATOR_REDIS_URL, _CLOUD_QUEUE and _CLOUD_FALLBACK win. */
  cloud: z
    .strictObject({
      redisUrl: z.string().min(1, 'must not be empty').optional(),
      queue: z.string().optional(),
      fallback: z.enum(['auto', 'strict']).optional(),
      /** How long a running cloud stage waits for a lost Redis to come back before it fails (default 10000). */
      reconnectMs: z.number().int().min(0).max(3_600_000).optional(),
    })
    .optional(),
  pipelines: z.array(pipelineSchema),
});

export type CommandStage = z.infer<typeof commandStageSchema>;
export type SubpipelineStage = z.infer<typeof subpipelineStageSchema>;
export type Stage = z.infer<typeof stageSchema>;
export type Pipeline = z.infer<typeof pipelineSchema>;
export type OrchestratorConfig = z.infer<typeof configSchema>;

/** tasks/index.json: the task metadata the core reads (slug, and execution.parallel for B5). */
export const tasksIndexSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      slug: z.string().optional(),
      title: z.string().optional(),
      execution: z.object({ parallel: z.boolean().optional() }).optional(),
    }),
  ),
});

export type TaskInfo = z.infer<typeof tasksIndexSchema>['items'][number];
