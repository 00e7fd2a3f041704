// The write timeline a scenario commits (appends folded per file between other events), the
// write counts read from it, and the description of each child's request (cwd, env overrides,
// `<repo>` / `<run-N>`) that the transcript executor compares with the recorded one.
import { describe, expect, it } from 'vitest';
import { countWrites, serializeTimeline, timelineLines, type TimelineLine } from '../../src/harness/trace/timeline.js';
import { createRequestDescriber, serializeRequests } from '../../src/harness/trace/requests.js';
import type { TraceEvent } from '../../src/harness/trace/trace.js';
import { createTranscriptExecutor, requestDifferences, transcriptSchema } from '../../src/runtime/transcript-executor.js';
import type { ExecRequest } from '../../src/runtime/types.js';
import { createVirtualClock } from '../../src/runtime/virtual-clock.js';

const LOG = '.runs/0101/cli/r/runner.ndjson';
const OUT = '.runs/0101/cli/r/build.log';
const M = '.runs/0101/cli/r/manifest.json';

describe('timelineLines', () => {
  it('folds appends to each file between two other events into one line (t, t_last, count, bytes), keeping order', () => {
    const events: TraceEvent[] = [
      { t: 0, kind: 'cli:start', argv: ['start', 'p'] },
      { t: 1, kind: 'append', path: LOG, bytes: 10 },
      { t: 2, kind: 'append', path: OUT, bytes: 5 },
      { t: 3, kind: 'append', path: LOG, bytes: 20 },
      { t: 4, kind: 'append', path: OUT, bytes: 7 },
      { t: 5, kind: 'append', path: OUT, bytes: 1 },
      { t: 6, kind: 'write', path: M, bytes: 300, fsync: true, state: { invalid: 'x' } },
      { t: 7, kind: 'append', path: OUT, bytes: 2 },
      { t: 8, kind: 'exec:exit', stage: 'p/a', code: 0, signal: null },
      { t: 9, kind: 'append', path: LOG, bytes: 4 },
      { t: 9, kind: 'append', path: LOG, bytes: 4 },
    ];
    expect(timelineLines(events)).toStrictEqual<TimelineLine[]>([
      { t: 0, kind: 'cli:start', argv: ['start', 'p'] },
      { t: 1, t_last: 3, kind: 'append', path: LOG, count: 2, bytes: 30 },
      { t: 2, t_last: 5, kind: 'append', path: OUT, count: 3, bytes: 13 },
      { t: 6, kind: 'write', path: M, bytes: 300, fsync: true, state: { invalid: 'x' } },
      { t: 7, t_last: 7, kind: 'append', path: OUT, count: 1, bytes: 2 },
      { t: 8, kind: 'exec:exit', stage: 'p/a', code: 0, signal: null },
      { t: 9, t_last: 9, kind: 'append', path: LOG, count: 2, bytes: 8 },
    ]);
  });

  it('splits a run of appends at any other event, including a failed write', () => {
    const events: TraceEvent[] = [
      { t: 1, kind: 'append', path: LOG, bytes: 1 },
      { t: 2, kind: 'write:failed', path: OUT, op: 'append', error: 'ENOSPC' },
      { t: 3, kind: 'append', path: LOG, bytes: 1 },
    ];
    expect(serializeTimeline(events)).toBe(
      [
        '{"t":1,"t_last":1,"kind":"append","path":".runs/0101/cli/r/runner.ndjson","count":1,"bytes":1}',
        '{"t":2,"kind":"write:failed","path":".runs/0101/cli/r/build.log","op":"append","error":"ENOSPC"}',
        '{"t":3,"t_last":3,"kind":"append","path":".runs/0101/cli/r/runner.ndjson","count":1,"bytes":1}',
        '',
      ].join('\n'),
    );
    expect(serializeTimeline([])).toBe('');
  });
});

describe('countWrites', () => {
  it('counts writes, bytes and fsyncs per path, sorted by path: appends and creates are writes, removals are not', () => {
    const events: TraceEvent[] = [
      { t: 0, kind: 'cli:start', argv: [] },
      { t: 1, kind: 'write', path: M, bytes: 100, fsync: true },
      { t: 2, kind: 'write', path: M, bytes: 120, fsync: false },
      { t: 3, kind: 'append', path: LOG, bytes: 10 },
      { t: 4, kind: 'append', path: LOG, bytes: 15 },
      { t: 5, kind: 'create', path: '.runs/0101/lock', bytes: 4 },
      { t: 6, kind: 'remove', path: '.runs/0101/lock' },
      { t: 7, kind: 'remove', path: '.runs/0101/gone' },
      { t: 8, kind: 'write:failed', path: M, op: 'write', error: 'EIO' },
      { t: 9, kind: 'exec:start', stage: 'p/a', manifest: M },
    ];
    expect([...countWrites(events)]).toStrictEqual([
      ['.runs/0101/cli/r/manifest.json', { writes: 2, bytes: 220, fsyncs: 2 }], // the file and its directory
      ['.runs/0101/cli/r/runner.ndjson', { writes: 2, bytes: 25, fsyncs: 0 }],
      ['.runs/0101/lock', { writes: 1, bytes: 4, fsyncs: 0 }],
    ]);
  });
});

describe('createRequestDescriber', () => {
  const ROOT = '/tmp/golden-x1';
  const RUN_A = '2026-03-01T10-00-00-000Z-abcdef12';
  const RUN_B = '2026-03-01T10-00-05-123Z-0000ffff';
  const request = (cwd: string, env: Record<string, string>, stageKey = 'p/a'): ExecRequest => ({ command: 'x', cwd, env, stageKey });

  it('keeps only entries that differ from the ambient environment, normalizes root and run ids, and makes cwd repo-relative', () => {
    let ambient: Record<string, string | undefined> = { PATH: '/usr/bin', HOME: '/home/u', LANG: 'C' };
    const describeRequest = createRequestDescriber(ROOT, () => ambient);
    const first = describeRequest(
      request(ROOT, {
        PATH: '/usr/bin',
        HOME: '/home/other',
        LANG: 'C',
        CODEX_ORCHESTRATOR_RUN_ID: RUN_A,
        CODEX_ORCHESTRATOR_MANIFEST_PATH: `${ROOT}/.runs/0101/cli/${RUN_A}/manifest.json`,
      }),
    );
    expect(first).toStrictEqual({
      cwd: '.',
      env: {
        CODEX_ORCHESTRATOR_MANIFEST_PATH: '<repo>/.runs/0101/cli/<run-1>/manifest.json',
        CODEX_ORCHESTRATOR_RUN_ID: '<run-1>',
        HOME: '/home/other',
      },
    });
    expect(Object.keys(first.env)).toEqual(['CODEX_ORCHESTRATOR_MANIFEST_PATH', 'CODEX_ORCHESTRATOR_RUN_ID', 'HOME']);

    // Run ids are numbered by first appearance across calls; the ambient env is read per call.
    ambient = { PATH: '/usr/bin' };
    const second = describeRequest(
      request(`${ROOT}/packages/app`, {
        PATH: '/usr/bin',
        LANG: 'C',
        CODEX_ORCHESTRATOR_RUN_ID: RUN_B,
        CODEX_ORCHESTRATOR_PARENT_RUN_ID: RUN_A,
        CHAIN: `${RUN_B},${RUN_A},${RUN_B}`,
      }),
    );
    expect(second).toStrictEqual({
      cwd: 'packages/app',
      env: { CHAIN: '<run-2>,<run-1>,<run-2>', CODEX_ORCHESTRATOR_PARENT_RUN_ID: '<run-1>', CODEX_ORCHESTRATOR_RUN_ID: '<run-2>', LANG: 'C' },
    });

    // A new describer starts numbering again.
    expect(createRequestDescriber(ROOT, () => ({}))(request(ROOT, { ID: RUN_B })).env).toStrictEqual({ ID: '<run-1>' });
  });

  it('serializes requests one JSON line each', () => {
    expect(
      serializeRequests([
        { stage: 'p/a', n: 1, request: { cwd: '.', env: { A: '1' } } },
        { stage: 'p/a', n: 2, request: { cwd: 'sub', env: {} } },
      ]),
    ).toBe('{"stage":"p/a","n":1,"cwd":".","env":{"A":"1"}}\n{"stage":"p/a","n":2,"cwd":"sub","env":{}}\n');
  });
});

describe('the transcript executor with `describe`', () => {
  const ROOT = '/repo';
  const transcript = transcriptSchema.parse({
    stages: {
      'p/build': [
        { request: { cwd: '.', env: { A: 'old', GONE: 'x' } }, exit: { code: 0, at_ms: 0 } },
        { request: { cwd: '.', env: { A: 'old', GONE: 'x' } }, exit: { code: 0, at_ms: 0 } },
      ],
      'p/test': [{ exit: { code: 0, at_ms: 0 } }],
    },
  });
  const request = (stageKey: string, cwd: string, env: Record<string, string>): ExecRequest => ({ command: 'x', cwd, env, stageKey });

  it('lists each difference from the recorded request, naming the stage run', async () => {
    const replay = createTranscriptExecutor(transcript, createVirtualClock(0), { describe: createRequestDescriber(ROOT, () => ({ PATH: '/bin' })) });
    const first = replay.start(request('p/build', `${ROOT}/sub`, { A: 'new', NEW: 'y', PATH: '/bin' }), () => undefined);
    const second = replay.start(request('p/build', ROOT, { A: 'old', GONE: 'x' }), () => undefined);
    // No recorded request: asked requests are listed but not compared.
    const test = replay.start(request('p/test', ROOT, { ANY: '1' }), () => undefined);
    // No recording at all.
    const extra = replay.start(request('p/test', ROOT, {}), () => undefined);
    await expect(first.done).resolves.toEqual({ exitCode: 0, signal: null });
    await expect(second.done).resolves.toEqual({ exitCode: 0, signal: null });
    await expect(test.done).resolves.toEqual({ exitCode: 0, signal: null });
    await expect(extra.done).rejects.toThrow('transcript has no recording #2 for stage p/test');

    expect(replay.requestMismatches()).toEqual([
      'p/build #1: cwd: "." -> "sub"',
      'p/build #1: env.A: "old" -> "new"',
      'p/build #1: env.GONE: "x" -> (unset)',
      'p/build #1: env.NEW: (unset) -> "y"',
    ]);
    expect(replay.requests()).toStrictEqual([
      { stage: 'p/build', n: 1, request: { cwd: 'sub', env: { A: 'new', NEW: 'y' } } },
      { stage: 'p/build', n: 2, request: { cwd: '.', env: { A: 'old', GONE: 'x' } } },
      { stage: 'p/test', n: 1, request: { cwd: '.', env: { ANY: '1' } } },
      { stage: 'p/test', n: 2, request: { cwd: '.', env: {} } },
    ]);
    expect(replay.missing()).toEqual(['p/test #2']);
  });

  it('checks nothing without `describe`', async () => {
    const replay = createTranscriptExecutor(transcript, createVirtualClock(0));
    await replay.start(request('p/build', `${ROOT}/sub`, { A: 'new' }), () => undefined).done;
    expect(replay.requests()).toEqual([]);
    expect(replay.requestMismatches()).toEqual([]);
  });

  it('requestDifferences: cwd first, then env keys in sorted order; nothing when equal', () => {
    expect(requestDifferences({ cwd: 'a', env: { Z: '1', B: '2' } }, { cwd: 'b', env: { B: '3', A: '"q"' } })).toEqual([
      'cwd: "a" -> "b"',
      'env.A: (unset) -> "\\"q\\""',
      'env.B: "2" -> "3"',
      'env.Z: "1" -> (unset)',
    ]);
    expect(requestDifferences({ cwd: '.', env: { A: '1' } }, { cwd: '.', env: { A: '1' } })).toEqual([]);
  });
});

describe('createRequestDescriber: the root as a whole path only', () => {
  it('does not rewrite a longer name that starts with the root', () => {
    const describeRequest = createRequestDescriber('/tmp/g1', () => ({}));
    const request = {
      command: 'true',
      cwd: '/tmp/g1/sub',
      stageKey: 'p/s',
      env: { A: '/tmp/g10/a', B: '/tmp/g1/b', C: '/tmp/g1', D: '/tmp/g1:/bin' },
    };
    expect(describeRequest(request)).toEqual({ cwd: 'sub', env: { A: '/tmp/g10/a', B: '<repo>/b', C: '<repo>', D: '<repo>:/bin' } });
  });
});
