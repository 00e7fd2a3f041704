// A cloud stage through the Executor seam of the golden harness: the recording executor keeps
// its attempts (between its chunks) and a fallback's reason, and the transcript executor hands
// them back the same way: the attempts to the request's onAttempt, in order with the output,
// and the reason as the result's placement.
import { describe, expect, it } from 'vitest';
import { createRecordingExecutor } from '../../src/harness/golden/recording-executor.js';
import { createTranscriptExecutor } from '../../src/runtime/transcript-executor.js';
import { createVirtualClock } from '../../src/runtime/virtual-clock.js';
import type { ExecAttempt, ExecRequest, Executor } from '../../src/runtime/types.js';

const dispatch = { settings: { queue: 'q', target: 'redis:6379' }, jobId: 'run.1', job: { command: 'make', cwd: '.', env: {}, stageKey: 'p/s' } };

/** What a dispatcher does for a stage whose first worker was lost: attempt 1, output, attempt 2, output, the end. */
const fakeCloud: Executor = {
  start(request, onChunk) {
    const done = (async () => {
      await request.onAttempt?.({ attempt: 1, workerId: 'w1', queuedMs: 3 });
      await onChunk({ stream: 'stdout', data: Buffer.from('one\n') });
      await request.onAttempt?.({ attempt: 2, workerId: 'w2', queuedMs: 900 });
      await onChunk({ stream: 'stdout', data: Buffer.from('two\n') });
      return { exitCode: 0, signal: null };
    })();
    return { done, cancel: () => undefined };
  },
};

function drive(executor: Executor, request: ExecRequest) {
  const seen: string[] = [];
  const handle = executor.start(
    {
      ...request,
      onAttempt: (a: ExecAttempt) => {
        seen.push(`attempt ${a.attempt} on ${a.workerId} after ${a.queuedMs} ms`);
      },
    },
    (chunk) => {
      seen.push(Buffer.from(chunk.data).toString('utf8'));
    },
  );
  return { seen, done: handle.done };
}

describe('cloud stages in transcripts', () => {
  it('records attempts among the chunks and replays them in the same order', async () => {
    const clock = createVirtualClock(0);
    const recorder = createRecordingExecutor(fakeCloud, clock, (r) => ({ cwd: r.cwd, env: {} }));
    const request: ExecRequest = { command: 'make', cwd: '/repo', env: {}, stageKey: 'p/s', dispatch };
    const recorded = drive(recorder, request);
    await recorded.done;
    const transcript = recorder.transcript();
    expect(transcript.stages['p/s']![0]!.chunks.map((c) => ('attempt' in c ? `attempt ${c.attempt} ${c.worker_id}` : 'chunk'))).toEqual([
      'attempt 1 w1',
      'chunk',
      'attempt 2 w2',
      'chunk',
    ]);

    const replayClock = createVirtualClock(0);
    const replay = createTranscriptExecutor(transcript, replayClock);
    const replayed = drive(replay, request);
    while (replayClock.fireNext());
    expect(await replayed.done).toEqual({ exitCode: 0, signal: null });
    expect(replayed.seen).toEqual(recorded.seen);
    expect(replayed.seen).toEqual(['attempt 1 on w1 after 3 ms', 'one\n', 'attempt 2 on w2 after 900 ms', 'two\n']);
  });

  it("records a fallback's reason and replays it as the result's placement", async () => {
    const reason = 'Redis at redis:6379 is unreachable (connect ECONNREFUSED); ran here (cloud fallback policy auto)';
    const here: Executor = {
      start: () => ({ done: Promise.resolve({ exitCode: 0, signal: null, placement: { where: 'here' as const, reason } }), cancel: () => undefined }),
    };
    const recorder = createRecordingExecutor(here, createVirtualClock(0), (r) => ({ cwd: r.cwd, env: {} }));
    const request: ExecRequest = { command: 'make', cwd: '/repo', env: {}, stageKey: 'p/s', dispatch };
    await recorder.start(request, () => undefined).done;
    expect(recorder.transcript().stages['p/s']![0]!.fallback).toBe(reason);
    const replay = createTranscriptExecutor(recorder.transcript(), createVirtualClock(0));
    expect(await replay.start(request, () => undefined).done).toEqual({ exitCode: 0, signal: null, placement: { where: 'here', reason } });
  });
});
