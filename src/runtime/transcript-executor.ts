// An executor that replays recorded output instead of running anything: each stage's chunks
// and exit are delivered on the (virtual) clock at their recorded offsets from the stage start.
import { z } from 'zod';
import { decodeChunk } from './chunk-payload.js';
import type { Clock, ExecAttempt, ExecChunk, ExecHandle, ExecRequest, ExecResult, Executor } from './types.js';

const streamSchema = z.enum(['stdout', 'stderr']);

const literalChunkSchema = z.strictObject({
  stream: streamSchema,
  /** The chunk's text, or its bytes in base64 when `encoding` says so (output that is not UTF-8). */
  data: z.string(),
  encoding: z.literal('base64').optional(),
  at_ms: z.number().int().nonnegative(),
});

/** Describes many chunks instead of storing them: `{i}` in `data` becomes the 1-based chunk number. */
const generatedChunksSchema = z.strictObject({
  generate: z.strictObject({
    stream: streamSchema,
    count: z.number().int().positive(),
    data: z.string(),
    start_ms: z.number().int().nonnegative(),
    every_ms: z.number().int().nonnegative(),
  }),
});

/** A cloud stage's attempt starting on a worker (`exec:attempt`), at its offset: the first, or another after a worker was lost. */
const attemptSchema = z.strictObject({
  attempt: z.number().int().positive(),
  worker_id: z.string(),
  queued_ms: z.number().int().nonnegative().nullable(),
  at_ms: z.number().int().nonnegative(),
});

/**
 * What the orchestrator handed the child: repo-relative cwd and the environment entries it set
 * or overrode (run ids as `<run-N>`, the repo root as `<repo>`); see src/harness/trace/requests.ts.
 */
export const recordedRequestSchema = z.strictObject({
  cwd: z.string(),
  env: z.record(z.string(), z.string()),
});

export type RecordedRequest = z.infer<typeof recordedRequestSchema>;

const invocationSchema = z.strictObject({
  /** The request the recorded child was started with; the replay checks it is asked the same. */
  request: recordedRequestSchema.optional(),
  /** Output, and for a cloud stage its attempts' starts, in order of `at_ms`. */
  chunks: z.array(z.union([literalChunkSchema, generatedChunksSchema, attemptSchema])).default([]),
  /** A cloud stage that ran here because Redis was unreachable (policy auto): why. */
  fallback: z.string().optional(),
  exit: z
    .strictObject({
      code: z.number().int().nullable(),
      signal: z.string().nullable().default(null),
      at_ms: z.number().int().nonnegative(),
      /** The process ended because the orchestrator cancelled it: replay waits for the cancel, then ends this way. */
      after_cancel: z.boolean().optional(),
    })
    .optional(),
  /** The process could not start: the executor rejects with this message. */
  error: z.string().optional(),
});

export const transcriptSchema = z.strictObject({
  /** Keyed by `<pipeline id>/<stage id>`; one entry per time the stage runs (resume reruns). */
  stages: z.record(z.string(), z.array(invocationSchema)),
});

export type Transcript = z.infer<typeof transcriptSchema>;
export type TranscriptInvocation = z.infer<typeof invocationSchema>;

type TimedChunk = { at: number; chunk: ExecChunk } | { at: number; attempt: ExecAttempt };

function expandChunks(invocation: TranscriptInvocation): TimedChunk[] {
  const out: TimedChunk[] = [];
  for (const spec of invocation.chunks) {
    if ('attempt' in spec) {
      out.push({ at: spec.at_ms, attempt: { attempt: spec.attempt, workerId: spec.worker_id, queuedMs: spec.queued_ms } });
    } else if ('generate' in spec) {
      const g = spec.generate;
      for (let i = 1; i <= g.count; i += 1) {
        out.push({
          at: g.start_ms + (i - 1) * g.every_ms,
          chunk: { stream: g.stream, data: Buffer.from(g.data.replaceAll('{i}', String(i)), 'utf8') },
        });
      }
    } else {
      const data = decodeChunk(spec);
      out.push({ at: spec.at_ms, chunk: { stream: spec.stream, data } });
    }
  }
  // Stable: an attempt's start and its first output at the same offset stay in that order.
  return out.sort((a, b) => a.at - b.at);
}

export type ReplayedRequest = { stage: string; n: number; request: RecordedRequest };

export type TranscriptExecutor = Executor & {
  /** Stage keys with recorded invocations that were never replayed. */
  unused(): string[];
  /** Stage runs that asked for a recording the transcript does not have (`<key> #<n>`). */
  missing(): string[];
  /** The requests of every stage run, in order (only with a `describe` option). */
  requests(): ReplayedRequest[];
  /** Stage runs whose request differs from the recorded one: `<key> #<n>: env.K: "a" -> "b"`. */
  requestMismatches(): string[];
};

export type TranscriptExecutorOptions = {
  /** Describes a request the way a recording does; without it requests are not checked. */
  describe?: (request: ExecRequest) => RecordedRequest;
};

/** `cwd`/`env.KEY: "recorded" -> "asked"` lines; empty when the two are the same. */
export function requestDifferences(recorded: RecordedRequest, actual: RecordedRequest): string[] {
  const out: string[] = [];
  const show = (value: string | undefined) => (value === undefined ? '(unset)' : JSON.stringify(value));
  if (recorded.cwd !== actual.cwd) out.push(`cwd: ${show(recorded.cwd)} -> ${show(actual.cwd)}`);
  for (const key of [...new Set([...Object.keys(recorded.env), ...Object.keys(actual.env)])].sort()) {
    if (recorded.env[key] !== actual.env[key]) out.push(`env.${key}: ${show(recorded.env[key])} -> ${show(actual.env[key])}`);
  }
  return out;
}

export function createTranscriptExecutor(transcript: Transcript, clock: Clock, options: TranscriptExecutorOptions = {}): TranscriptExecutor {
  const cursor = new Map<string, number>();
  const missing: string[] = [];
  const requests: ReplayedRequest[] = [];
  const mismatches: string[] = [];

  return {
    missing: () => [...missing],
    requests: () => [...requests],
    requestMismatches: () => [...mismatches],
    unused() {
      return Object.entries(transcript.stages)
        .filter(([key, invocations]) => (cursor.get(key) ?? 0) < invocations.length)
        .map(([key]) => key);
    },
    start(request, onChunk): ExecHandle {
      const used = cursor.get(request.stageKey) ?? 0;
      const invocation = transcript.stages[request.stageKey]?.[used];
      cursor.set(request.stageKey, used + 1);
      if (options.describe) {
        const asked = options.describe(request);
        requests.push({ stage: request.stageKey, n: used + 1, request: asked });
        if (invocation?.request) {
          for (const line of requestDifferences(invocation.request, asked)) mismatches.push(`${request.stageKey} #${used + 1}: ${line}`);
        }
      }
      let cancelled: NodeJS.Signals | null = null;
      let wake: (() => void) | null = null;

      const done = (async (): Promise<ExecResult> => {
        if (!invocation) {
          missing.push(`${request.stageKey} #${used + 1}`);
          throw new Error(`transcript has no recording #${used + 1} for stage ${request.stageKey}`);
        }
        if (invocation.error !== undefined) throw new Error(invocation.error);
        const startedAt = clock.now();
        const waitUntil = (at: number) =>
          new Promise<void>((resolve) => {
            const target = startedAt + at;
            if (clock.now() >= target || cancelled) return resolve();
            const timer = clock.setTimeout(() => {
              wake = null;
              resolve();
            }, target - clock.now());
            wake = () => {
              clock.clearTimeout(timer);
              wake = null;
              resolve();
            };
          });
        for (const timed of expandChunks(invocation)) {
          await waitUntil(timed.at);
          if (cancelled) break;
          if ('attempt' in timed) await request.onAttempt?.(timed.attempt);
          else await onChunk(timed.chunk);
        }
        if (invocation.exit?.after_cancel) {
          if (!cancelled) await new Promise<void>((resolve) => (wake = resolve));
          return { exitCode: invocation.exit.code, signal: (invocation.exit.signal as NodeJS.Signals | null) ?? null };
        }
        if (!cancelled && invocation.exit) await waitUntil(invocation.exit.at_ms);
        if (cancelled) return { exitCode: null, signal: cancelled };
        if (!invocation.exit) throw new Error(`transcript for stage ${request.stageKey} has no exit`);
        return {
          exitCode: invocation.exit.code,
          signal: (invocation.exit.signal as NodeJS.Signals | null) ?? null,
          ...(invocation.fallback === undefined ? {} : { placement: { where: 'here' as const, reason: invocation.fallback } }),
        };
      })();

      return {
        done,
        cancel(signal) {
          if (cancelled) return;
          cancelled = signal;
          wake?.();
        },
      };
    },
  };
}
