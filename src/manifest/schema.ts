// The manifest contract (docs/contracts.md §4) as a zod schema. Key order here is the byte
// contract's key order; the JSON Schema in schemas/manifest.schema.json is generated from it.
import { z } from 'zod';
import '../config/zod-jitless.js';

const isoTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'expected an ISO-8601 UTC time');
const nullableIso = isoTime.nullable();

export const runStatusSchema = z.enum(['queued', 'in_progress', 'succeeded', 'failed', 'cancelled']);
export const commandStatusSchema = z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']);

export const commandEntrySchema = z.strictObject({
  index: z.number().int().positive(),
  id: z.string(),
  title: z.string(),
  /** The shell command; null for a subpipeline stage. */
  command: z.string().nullable(),
  kind: z.enum(['command', 'subpipeline']),
  status: commandStatusSchema,
  started_at: nullableIso,
  completed_at: nullableIso,
  exit_code: z.number().int().nullable(),
  summary: z.string().nullable(),
  log_path: z.string().nullable(),
  error_file: z.string().nullable(),
  sub_run_id: z.string().nullable(),
  /**
   * The JSON report the stage declared (its config's `report`), repo-relative, once the stage
   * has ended and written it; null while it has not. Only on a stage that declares one.
   */
  report: z.string().nullable().optional(),
  /**
   * Where a cloud stage ran (docs/cloud.md), only when a Redis URL is set: on a worker (its
   * queue, job, the worker of its last attempt, how many attempts, how long it waited), or here
   * because Redis was unreachable (policy auto).
   */
  placement: z
    .discriminatedUnion('where', [
      z.strictObject({
        where: z.literal('worker'),
        queue: z.string(),
        job_id: z.string(),
        worker_id: z.string().nullable(),
        attempts: z.number().int().nonnegative(),
        queued_ms: z.number().int().nonnegative().nullable(),
      }),
      z.strictObject({ where: z.literal('here'), reason: z.string() }),
    ])
    .optional(),
});

export const resumeEventSchema = z.strictObject({
  timestamp: isoTime,
  actor: z.string(),
  reason: z.string(),
  outcome: z.enum(['accepted', 'blocked']),
  detail: z.string().optional(),
  /** The owner this resume took the run over from: a process that is provably gone (or, on another host, whose heartbeat is stale). */
  previous_owner: z
    .strictObject({
      pid: z.number().int(),
      host: z.string(),
      started: z.string().nullable(),
      acquired_at: z.string(),
      command: z.string(),
      state: z.enum(['gone', 'stale']),
    })
    .optional(),
  /**
   * What that owner left running, stopped before the stage ran again: the stage's recorded
   * process group (pgid null when none was recorded) and every process whose environment named
   * the run's directory; `processes` counts them all.
   */
  stopped_process_group: z.strictObject({ stage: z.string(), pgid: z.number().int().nullable(), processes: z.number().int() }).optional(),
  /**
   * An accepted resume only: the invocation it follows, as the run stood when it was resumed
   * (its status and status_detail), when that invocation stopped running (`ended_at`: its
   * completed_at, else its last heartbeat_at: the run's duration counts the time each
   * invocation ran, not the time between them), and the error files of its stages that run
   * again, set aside under names that say they are that invocation's
   * (`errors/NN-<slug>.invocation-<n>.json`, repo-relative) so that `errors/NN-<slug>.json` is
   * only ever the current state's.
   */
  resumed_from: z
    .strictObject({
      status: runStatusSchema,
      status_detail: z.string().nullable(),
      ended_at: isoTime,
      error_files: z.array(z.string()),
    })
    .optional(),
});

export const childRunSchema = z.strictObject({
  run_id: z.string(),
  pipeline_id: z.string(),
  status: runStatusSchema,
  manifest: z.string(),
});

export const guardrailStatusSchema = z.strictObject({
  present: z.boolean(),
  recommendation: z.string().nullable(),
  summary: z.string(),
  computed_at: isoTime,
  counts: z.strictObject({
    total: z.number().int().nonnegative(),
    succeeded: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
    other: z.number().int().nonnegative(),
  }),
});

export const handleSchema = z.strictObject({
  handle_id: z.string(),
  correlation_id: z.string(),
  stage_id: z.string(),
  pipeline_id: z.string(),
  status: z.enum(['open', 'closed']),
  frame_count: z.number().int().nonnegative(),
  /** The sequence of the latest frame; 0 before the first one. */
  latest_sequence: z.number().int().nonnegative(),
  created_at: isoTime,
  metadata: z.record(z.string(), z.unknown()),
});

export const privacyActionSchema = z.enum(['allow', 'redact', 'block']);

export const privacyDecisionSchema = z.strictObject({
  handle_id: z.string(),
  sequence: z.number().int().positive(),
  action: privacyActionSchema,
  rule: z.string().nullable(),
  reason: z.string(),
  timestamp: isoTime,
  stage_id: z.string(),
});

export const privacySchema = z.strictObject({
  mode: z.enum(['shadow', 'enforce']),
  decisions: z.array(privacyDecisionSchema),
  totals: z.strictObject({
    total_frames: z.number().int().nonnegative(),
    redacted_frames: z.number().int().nonnegative(),
    blocked_frames: z.number().int().nonnegative(),
    allowed_frames: z.number().int().nonnegative(),
  }),
  log_path: z.string(),
});

export const manifestSchema = z.strictObject({
  version: z.literal(1),
  task_id: z.string(),
  task_slug: z.string().nullable(),
  run_id: z.string(),
  parent_run_id: z.string().nullable(),
  pipeline_id: z.string(),
  pipeline_title: z.string(),
  runner: z.literal('codex-cli'),
  approval_policy: z.string().nullable(),
  status: runStatusSchema,
  status_detail: z.string().nullable(),
  started_at: isoTime,
  completed_at: nullableIso,
  updated_at: isoTime,
  heartbeat_at: nullableIso,
  heartbeat_interval_seconds: z.number().int().positive(),
  heartbeat_stale_after_seconds: z.number().int().positive(),
  artifact_root: z.string(),
  compat_path: z.string(),
  log_path: z.string(),
  summary: z.string().nullable(),
  metrics_recorded: z.boolean(),
  resume_token: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex characters'),
  resume_events: z.array(resumeEventSchema),
  approvals: z.array(z.record(z.string(), z.unknown())),
  commands: z.array(commandEntrySchema),
  child_runs: z.array(childRunSchema),
  run_summary_path: z.string().nullable(),
  plan_target_id: z.string().nullable(),
  instructions_hash: z.string().nullable(),
  instructions_sources: z.array(z.string()),
  guardrails_required: z.boolean(),
  guardrail_status: guardrailStatusSchema,
  handles: z.array(handleSchema),
  privacy: privacySchema,
});

export type Manifest = z.infer<typeof manifestSchema>;

/** Read-only all the way down: what code outside a transition may do with a manifest. */
export type Frozen<T> = T extends (infer U)[] ? readonly Frozen<U>[] : T extends object ? { readonly [K in keyof T]: Frozen<T[K]> } : T;

/** A run's manifest as its readers see it: changed only by the run's persister (src/persist/persister.ts). */
export type ManifestView = Frozen<Manifest>;
export type CommandEntry = z.infer<typeof commandEntrySchema>;
export type RunStatus = z.infer<typeof runStatusSchema>;
export type CommandStatus = z.infer<typeof commandStatusSchema>;
export type ResumeEvent = z.infer<typeof resumeEventSchema>;
export type ChildRun = z.infer<typeof childRunSchema>;
export type GuardrailStatus = z.infer<typeof guardrailStatusSchema>;
export type Handle = z.infer<typeof handleSchema>;
export type PrivacyDecision = z.infer<typeof privacyDecisionSchema>;
export type PrivacyAction = z.infer<typeof privacyActionSchema>;
export type PrivacySection = z.infer<typeof privacySchema>;

export const MANIFEST_KEYS = Object.keys(manifestSchema.shape) as Array<keyof Manifest>;
/**
 * A stage entry's keys, in order: the 13 every entry has (`report`, a stage's that declares one,
 * and `placement`, a cloud stage's, come after them in that order when present).
 */
export const COMMAND_KEYS = Object.keys(commandEntrySchema.shape).filter((key) => key !== 'placement' && key !== 'report') as Array<
  keyof CommandEntry
>;

export { HEARTBEAT_INTERVAL_SECONDS, HEARTBEAT_STALE_AFTER_SECONDS } from './heartbeat-timing.js';
