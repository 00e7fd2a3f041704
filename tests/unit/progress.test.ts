// Progress lines on stderr, byte for byte: off a TTY one plain line per event; on a TTY a live
// line per stage, redrawn every second of (virtual) time and replaced by the stage's result.
import { describe, expect, it } from 'vitest';
import { Progress, type StageLabel } from '../../src/run/progress.js';
import { createCapturedStream } from '../../src/runtime/virtual-runtime.js';
import { createVirtualClock } from '../../src/runtime/virtual-clock.js';

const T0 = Date.parse('2026-02-03T04:05:06.000Z');
const BUILD: StageLabel = { pipelineId: 'ci', index: 1, total: 3, stageId: 'build', depth: 0 };
const UNIT: StageLabel = { pipelineId: 'checks', index: 2, total: 2, stageId: 'unit', depth: 2 };
const CLEAR = '\r\u001b[K';

function setup(isTTY: boolean) {
  const out = createCapturedStream(isTTY);
  const clock = createVirtualClock(T0);
  return { out, clock, progress: new Progress(out, clock) };
}

describe('progress off a TTY', () => {
  it('writes one plain line per event, indented by depth', () => {
    const { out, clock, progress } = setup(false);
    progress.runStarted('run-1', 'ci', 0, false);
    progress.runStarted('run-2', 'checks', 2, true);
    progress.stageStarted(BUILD, 'npm run build');
    expect(clock.pendingTimers()).toBe(0);
    progress.stageFinished(BUILD, { status: 'succeeded', exitCode: 0, durationMs: 12_345 });
    progress.stageStarted(UNIT, 'subpipeline checks');
    progress.stageFinished(UNIT, { status: 'error', exitCode: null, durationMs: 50, note: 'working directory does not exist: x' });
    progress.note('codex-orchestrator: a note');
    progress.stopLive();
    expect(out.text()).toBe(
      [
        'codex-orchestrator: started run run-1 (pipeline ci)',
        '    codex-orchestrator: resuming run run-2 (pipeline checks)',
        '[ci 1/3] build started: npm run build',
        '[ci 1/3] build succeeded (exit 0, 12.3s)',
        '    [checks 2/2] unit started: subpipeline checks',
        '    [checks 2/2] unit error (0.1s) working directory does not exist: x',
        'codex-orchestrator: a note',
        '',
      ].join('\n'),
    );
  });
});

describe('progress on a TTY', () => {
  it('draws a live line at once, redraws it every second, and replaces it with the result', () => {
    const { out, clock, progress } = setup(true);
    progress.stageStarted(BUILD, 'npm run build');
    expect(out.text()).toBe(`${CLEAR}[ci 1/3] build running 0.0s`);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.fireNext()).toBe(true);
    expect(clock.fireNext()).toBe(true);
    expect(clock.now()).toBe(T0 + 2_000);
    clock.setNow(T0 + 2_500);
    progress.stageFinished(BUILD, { status: 'failed', exitCode: 2, durationMs: 2_500 });
    expect(clock.pendingTimers()).toBe(0);
    expect(out.text()).toBe(
      [
        `${CLEAR}[ci 1/3] build running 0.0s`,
        `${CLEAR}[ci 1/3] build running 1.0s`,
        `${CLEAR}[ci 1/3] build running 2.0s`,
        CLEAR,
        '[ci 1/3] build failed (exit 2, 2.5s)\n',
      ].join(''),
    );
  });

  it('a new stage stops the previous live line first; a note prints above the live line; stopLive twice writes once', () => {
    const { out, clock, progress } = setup(true);
    progress.stageStarted(BUILD, 'npm run build');
    progress.stageStarted(UNIT, 'npm test');
    expect(clock.pendingTimers()).toBe(1);
    progress.note('heads up');
    expect(clock.pendingTimers()).toBe(1);
    progress.stopLive();
    progress.stopLive();
    progress.note('again');
    expect(out.text()).toBe(
      [
        `${CLEAR}[ci 1/3] build running 0.0s`,
        CLEAR,
        `${CLEAR}    [checks 2/2] unit running 0.0s`,
        CLEAR,
        'heads up\n',
        `${CLEAR}    [checks 2/2] unit running 0.0s`,
        CLEAR,
        'again\n',
      ].join(''),
    );
  });

  it("shows the stage's last line of output dimmed, following noisy output at most every 100 ms", () => {
    const { out, clock, progress } = setup(true);
    progress.stageStarted(BUILD, 'npm run build');
    progress.stageOutput(Buffer.from('first\n\n'));
    // Within 100 ms of that draw: one redraw later, with the last line by then.
    progress.stageOutput(Buffer.from('second\nthi'));
    progress.stageOutput(Buffer.from('rd'));
    expect(clock.pendingTimers()).toBe(2);
    const before = out.text();
    expect(clock.fireNext()).toBe(true);
    expect(clock.now()).toBe(T0 + 100);
    // A line the same as the one shown does not redraw.
    progress.stageOutput(Buffer.from('\n'));
    progress.stopLive();
    expect(before).toBe(`${CLEAR}[ci 1/3] build running 0.0s${CLEAR}[ci 1/3] build running 0.0s  \u001b[2mfirst\u001b[22m`);
    expect(out.text()).toBe(`${before}${CLEAR}[ci 1/3] build running 0.1s  \u001b[2mthird\u001b[22m${CLEAR}`);
  });

  it('stopLive before the run ends leaves no timer and no further redraw', () => {
    const { out, clock, progress } = setup(true);
    progress.stageStarted(UNIT, 'npm test');
    progress.stopLive();
    expect(clock.fireNext()).toBe(false);
    expect(out.text()).toBe(`${CLEAR}    [checks 2/2] unit running 0.0s${CLEAR}`);
  });
});
