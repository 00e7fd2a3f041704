// The transcript executor the golden corpus replays through: recorded chunks and exits are
// delivered on the virtual clock at their offsets from the stage start, and nothing is run.
import { describe, expect, it } from 'vitest';
import { createTranscriptExecutor, transcriptSchema, type TranscriptExecutor } from '../../src/runtime/transcript-executor.js';
import type { ExecChunk, ExecHandle, ExecResult } from '../../src/runtime/types.js';
import { createVirtualRuntime, driveToCompletion, type VirtualRuntime } from '../../src/runtime/virtual-runtime.js';

const START = Date.parse('2026-01-02T03:04:05.000Z');

type Delivered = { at: number; stream: string; text: string };

function setup(input: unknown): { runtime: VirtualRuntime; replay: TranscriptExecutor } {
  const transcript = transcriptSchema.parse(input);
  let replay: TranscriptExecutor | undefined;
  const runtime = createVirtualRuntime({
    startMs: START,
    seed: 1,
    cwd: '/repo',
    executor: (clock) => (replay = createTranscriptExecutor(transcript, clock)),
  });
  if (!replay) throw new Error('executor not built');
  return { runtime, replay };
}

/**
 * Starts `stageKey` on the runtime's executor and drives virtual time until it settles.
 * `during` may arm timers (a cancel) once the handle exists; `onChunk` delays are honoured.
 */
async function replayStage(
  runtime: VirtualRuntime,
  stageKey: string,
  options: { during?: (handle: ExecHandle) => void; onChunk?: (chunk: ExecChunk) => Promise<void> | void } = {},
): Promise<{ outcome: ExecResult | string; chunks: Delivered[]; startedAt: number; endedAt: number }> {
  const chunks: Delivered[] = [];
  const startedAt = runtime.clock.now();
  const outcome = await driveToCompletion(runtime, async () => {
    const handle = runtime.executor.start({ command: 'recorded', cwd: '/repo', env: {}, stageKey }, (chunk) => {
      chunks.push({ at: runtime.clock.now() - startedAt, stream: chunk.stream, text: Buffer.from(chunk.data).toString('utf8') });
      return options.onChunk?.(chunk);
    });
    options.during?.(handle);
    return handle.done.catch((error: Error) => error.message);
  });
  return { outcome, chunks, startedAt, endedAt: runtime.clock.now() };
}

describe('the transcript executor', () => {
  it('delivers recorded chunks at their offsets from the stage start, in time order, then exits at its offset', async () => {
    const { runtime } = setup({
      stages: {
        'p/build': [
          {
            chunks: [
              { stream: 'stdout', data: 'late\n', at_ms: 250 },
              { stream: 'stdout', data: 'first\n', at_ms: 0 },
              { stream: 'stderr', data: 'warn\n', at_ms: 100 },
              { stream: 'stdout', data: Buffer.from('same instant\n').toString('base64'), encoding: 'base64', at_ms: 100 },
            ],
            exit: { code: 3, at_ms: 300 },
          },
        ],
      },
    });
    runtime.clock.setNow(START + 1_000); // offsets count from the stage start, not the clock's start
    const run = await replayStage(runtime, 'p/build');
    expect(run.startedAt).toBe(START + 1_000);
    expect(run.chunks).toEqual([
      { at: 0, stream: 'stdout', text: 'first\n' },
      { at: 100, stream: 'stderr', text: 'warn\n' },
      { at: 100, stream: 'stdout', text: 'same instant\n' },
      { at: 250, stream: 'stdout', text: 'late\n' },
    ]);
    expect(run.outcome).toEqual({ exitCode: 3, signal: null });
    expect(run.endedAt).toBe(START + 1_300);
    expect(runtime.clock.pendingTimers()).toBe(0);
  });

  it('delivers base64 chunks byte for byte', async () => {
    const { runtime } = setup({
      stages: {
        'p/bin': [
          {
            chunks: [{ stream: 'stdout', data: Buffer.from([0xff, 0x00, 0xc3]).toString('base64'), encoding: 'base64', at_ms: 5 }],
            exit: { code: 0, at_ms: 5 },
          },
        ],
      },
    });
    const bytes: Buffer[] = [];
    await replayStage(runtime, 'p/bin', { onChunk: (chunk) => void bytes.push(Buffer.from(chunk.data)) });
    expect(bytes).toEqual([Buffer.from([0xff, 0x00, 0xc3])]);
  });

  it('waits for each onChunk promise before the next chunk (back-pressure)', async () => {
    const { runtime } = setup({
      stages: {
        'p/slow': [
          {
            chunks: [
              { stream: 'stdout', data: 'a', at_ms: 0 },
              { stream: 'stdout', data: 'b', at_ms: 100 },
              { stream: 'stdout', data: 'c', at_ms: 400 },
            ],
            exit: { code: 0, at_ms: 410 },
          },
        ],
      },
    });
    // The consumer takes 150 ms of virtual time per chunk.
    const run = await replayStage(runtime, 'p/slow', {
      onChunk: () => new Promise<void>((resolve) => runtime.clock.setTimeout(resolve, 150)),
    });
    expect(run.chunks.map((c) => `${c.text}@${c.at}`)).toEqual(['a@0', 'b@150', 'c@400']);
    expect(run.endedAt - run.startedAt).toBe(550);
  });

  it('expands generated chunks, {i} being the 1-based chunk number, interleaved with literal ones by time', async () => {
    const { runtime } = setup({
      stages: {
        'p/gen': [
          {
            chunks: [
              { generate: { stream: 'stderr', count: 3, data: 'line {i} of {i}\n', start_ms: 10, every_ms: 5 } },
              { stream: 'stdout', data: 'literal\n', at_ms: 12 },
            ],
            exit: { code: 0, at_ms: 30 },
          },
        ],
      },
    });
    const run = await replayStage(runtime, 'p/gen');
    expect(run.chunks).toEqual([
      { at: 10, stream: 'stderr', text: 'line 1 of 1\n' },
      { at: 12, stream: 'stdout', text: 'literal\n' },
      { at: 15, stream: 'stderr', text: 'line 2 of 2\n' },
      { at: 20, stream: 'stderr', text: 'line 3 of 3\n' },
    ]);
    expect(run.outcome).toEqual({ exitCode: 0, signal: null });
    expect(run.endedAt - run.startedAt).toBe(30);
  });

  it('after_cancel: waits for the cancel, however long, then ends with the recorded code and signal', async () => {
    const transcript = {
      stages: {
        'p/watch': [
          {
            chunks: [
              { stream: 'stdout', data: 'watching\n', at_ms: 10 },
              { stream: 'stdout', data: 'never\n', at_ms: 9_000 },
            ],
            exit: { code: null, signal: 'SIGTERM', at_ms: 20, after_cancel: true },
          },
        ],
      },
    };
    const { runtime } = setup(transcript);
    const run = await replayStage(runtime, 'p/watch', {
      during: (handle) => runtime.clock.setTimeout(() => handle.cancel('SIGINT'), 7_000),
    });
    expect(run.chunks).toEqual([{ at: 10, stream: 'stdout', text: 'watching\n' }]);
    expect(run.outcome).toEqual({ exitCode: null, signal: 'SIGTERM' });
    expect(run.endedAt - run.startedAt).toBe(7_000);
    expect(runtime.clock.pendingTimers()).toBe(0);

    // Without a cancel it never ends: the run is stuck (its recorded exit offset is not used).
    const uncancelled = setup({ stages: { 'p/watch': [{ chunks: [], exit: { code: 143, at_ms: 20, after_cancel: true } }] } });
    await expect(replayStage(uncancelled.runtime, 'p/watch')).rejects.toThrow('virtual run is stuck: it is waiting, but no timer is pending');
    expect(uncancelled.runtime.clock.now()).toBe(START);
  });

  it('a cancel before the exit ends the run at once with the cancel signal; later chunks are dropped', async () => {
    const { runtime } = setup({
      stages: {
        'p/long': [
          {
            chunks: [
              { stream: 'stdout', data: 'early\n', at_ms: 100 },
              { stream: 'stdout', data: 'late\n', at_ms: 8_000 },
            ],
            exit: { code: 0, at_ms: 10_000 },
          },
        ],
      },
    });
    const run = await replayStage(runtime, 'p/long', {
      during: (handle) =>
        runtime.clock.setTimeout(() => {
          handle.cancel('SIGTERM');
          handle.cancel('SIGKILL'); // the first cancel wins
        }, 5_000),
    });
    expect(run.chunks).toEqual([{ at: 100, stream: 'stdout', text: 'early\n' }]);
    expect(run.outcome).toEqual({ exitCode: null, signal: 'SIGTERM' });
    expect(run.endedAt - run.startedAt).toBe(5_000);
    expect(runtime.clock.pendingTimers()).toBe(0);
  });

  it('a cancel while chunks are still due ends with the cancel signal too', async () => {
    const { runtime } = setup({ stages: { 'p/w': [{ chunks: [{ stream: 'stdout', data: 'x', at_ms: 500 }], exit: { code: 0, at_ms: 600 } }] } });
    const run = await replayStage(runtime, 'p/w', { during: (handle) => runtime.clock.setTimeout(() => handle.cancel('SIGINT'), 200) });
    expect(run.chunks).toEqual([]);
    expect(run.outcome).toEqual({ exitCode: null, signal: 'SIGINT' });
    expect(run.endedAt - run.startedAt).toBe(200);
  });

  it('replays a recorded signal exit as it was', async () => {
    const { runtime } = setup({ stages: { 'p/killed': [{ exit: { code: null, signal: 'SIGKILL', at_ms: 40 } }] } });
    const run = await replayStage(runtime, 'p/killed');
    expect(run.chunks).toEqual([]);
    expect(run.outcome).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(run.endedAt - run.startedAt).toBe(40);
  });

  it('rejects with the recorded error when the process could not start', async () => {
    const { runtime, replay } = setup({
      stages: { 'p/bad': [{ chunks: [{ stream: 'stdout', data: 'unseen', at_ms: 0 }], error: 'spawn /bin/sh ENOENT' }] },
    });
    const run = await replayStage(runtime, 'p/bad');
    expect(run.outcome).toBe('spawn /bin/sh ENOENT');
    expect(run.chunks).toEqual([]);
    expect(replay.missing()).toEqual([]);
    expect(replay.unused()).toEqual([]);
  });

  it('rejects a recording without an exit', async () => {
    const { runtime } = setup({ stages: { 'p/open': [{ chunks: [{ stream: 'stdout', data: 'out', at_ms: 3 }] }] } });
    const run = await replayStage(runtime, 'p/open');
    expect(run.chunks).toEqual([{ at: 3, stream: 'stdout', text: 'out' }]);
    expect(run.outcome).toBe('transcript for stage p/open has no exit');
  });

  it('records a stage run without a recording in missing() and rejects it', async () => {
    const { runtime, replay } = setup({ stages: { 'p/once': [{ exit: { code: 0, at_ms: 1 } }] } });
    expect(replay.missing()).toEqual([]);
    expect((await replayStage(runtime, 'p/unknown')).outcome).toBe('transcript has no recording #1 for stage p/unknown');
    expect((await replayStage(runtime, 'p/once')).outcome).toEqual({ exitCode: 0, signal: null });
    expect((await replayStage(runtime, 'p/once')).outcome).toBe('transcript has no recording #2 for stage p/once');
    expect(replay.missing()).toEqual(['p/unknown #1', 'p/once #2']);
  });

  it('lists in unused() the stages with recordings not yet replayed, each rerun using the next one', async () => {
    const { runtime, replay } = setup({
      stages: {
        'p/a': [
          { chunks: [{ stream: 'stdout', data: 'a1', at_ms: 0 }], exit: { code: 1, at_ms: 1 } },
          { chunks: [{ stream: 'stdout', data: 'a2', at_ms: 0 }], exit: { code: 0, at_ms: 1 } },
        ],
        'p/b': [{ exit: { code: 0, at_ms: 1 } }],
        'p/c': [{ exit: { code: 0, at_ms: 1 } }],
      },
    });
    expect(replay.unused()).toEqual(['p/a', 'p/b', 'p/c']);
    const first = await replayStage(runtime, 'p/a');
    expect(first.chunks.map((c) => c.text)).toEqual(['a1']);
    expect(first.outcome).toEqual({ exitCode: 1, signal: null });
    await replayStage(runtime, 'p/b');
    expect(replay.unused()).toEqual(['p/a', 'p/c']);
    const second = await replayStage(runtime, 'p/a');
    expect(second.chunks.map((c) => c.text)).toEqual(['a2']);
    expect(second.outcome).toEqual({ exitCode: 0, signal: null });
    expect(replay.unused()).toEqual(['p/c']);
    expect(replay.missing()).toEqual([]);
  });
});
