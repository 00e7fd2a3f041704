// Wraps a real executor and records what each stage printed and how it exited, at offsets
// from the stage's start: the transcript `golden record` writes and the replay reads.
import { encodeChunk } from '../../runtime/chunk-payload.js';
import type { RecordedRequest, ReplayedRequest, Transcript, TranscriptInvocation } from '../../runtime/transcript-executor.js';
import type { Clock, ExecRequest, Executor } from '../../runtime/types.js';

export type RecordingExecutor = Executor & { transcript(): Transcript; requests(): ReplayedRequest[] };

/** `describe` turns each request into the words the transcript keeps (see trace/requests.ts). */
export function createRecordingExecutor(inner: Executor, clock: Clock, describe: (request: ExecRequest) => RecordedRequest): RecordingExecutor {
  const stages: Record<string, TranscriptInvocation[]> = {};
  const requests: ReplayedRequest[] = [];
  return {
    transcript: () => ({ stages: structuredClone(stages) }),
    requests: () => structuredClone(requests),
    start(request, onChunk) {
      const startedAt = clock.now();
      let cancelled = false;
      const recorded = describe(request);
      const invocation: TranscriptInvocation = { request: recorded, chunks: [] };
      const list = (stages[request.stageKey] ??= []);
      list.push(invocation);
      requests.push({ stage: request.stageKey, n: list.length, request: recorded });
      // A cloud stage's attempts are recorded where they come, between its chunks.
      const onAttempt = request.onAttempt;
      const recordedRequest: ExecRequest = onAttempt
        ? {
            ...request,
            onAttempt: async (attempt) => {
              invocation.chunks.push({ attempt: attempt.attempt, worker_id: attempt.workerId, queued_ms: attempt.queuedMs, at_ms: clock.now() - startedAt });
              await onAttempt(attempt);
            },
          }
        : request;
      const handle = inner.start(recordedRequest, async (chunk) => {
        const data = Buffer.from(chunk.data);
        const at_ms = clock.now() - startedAt;
        invocation.chunks.push({ stream: chunk.stream, ...encodeChunk(data), at_ms });
        await onChunk(chunk);
      });
      const done = handle.done.then(
        (result) => {
          invocation.exit = { code: result.exitCode, signal: result.signal, at_ms: clock.now() - startedAt };
          if (result.placement?.where === 'here') invocation.fallback = result.placement.reason;
          if (cancelled) invocation.exit.after_cancel = true;
          return result;
        },
        (error: unknown) => {
          invocation.error = error instanceof Error ? error.message : String(error);
          throw error;
        },
      );
      return {
        done,
        cancel: (signal) => {
          cancelled = true;
          handle.cancel(signal);
        },
      };
    },
    close: () => inner.close?.() ?? Promise.resolve(),
  };
}
