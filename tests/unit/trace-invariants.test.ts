// The run invariants (docs/contracts.md §11) over hand-built traces: for each invariant, a
// trace that breaks it exactly once (and the exact violation), and a near miss that must not.
import { describe, expect, it } from 'vitest';
import { judgeInvariants, type Exemption } from '../../src/harness/golden/exemptions.js';
import { checkInvariants, formatViolation, INVARIANTS, type InvariantOptions, type Violation } from '../../src/harness/trace/invariants.js';
import type { ManifestDigest, TraceEvent } from '../../src/harness/trace/trace.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const OPTIONS: InvariantOptions = { originMs: T0, heartbeatIntervalMs: 5_000, writeAllowanceMs: 0 };

const DIR = '.runs/0101/cli/2026-03-01T10-00-00-000Z-aaaaaaaa';
const M = `${DIR}/manifest.json`;
const LOG = `${DIR}/runner.ndjson`;
const OTHER_DIR = '.runs/0101/cli/2026-03-01T10-00-09-000Z-bbbbbbbb';
const OTHER = `${OTHER_DIR}/manifest.json`;

/** ISO time `ms` after the trace's origin. */
const at = (ms: number) => new Date(T0 + ms).toISOString();

type Valid = Exclude<ManifestDigest, { invalid: string }>;

function digest(run: string, commands: string[], extra: Partial<Valid> = {}): Valid {
  return { run, detail: null, commands, updated_at: at(0), heartbeat_at: run === 'queued' ? null : at(0), resumes: 0, ...extra };
}

const start = (t: number, argv = ['start', 'p']): TraceEvent => ({ t, kind: 'cli:start', argv });
const exit = (t: number, code = 0): TraceEvent => ({ t, kind: 'cli:exit', code });
const write = (t: number, state: ManifestDigest, path = M, was?: ManifestDigest): TraceEvent =>
  was ? { t, kind: 'write', path, bytes: 100, fsync: true, state, was } : { t, kind: 'write', path, bytes: 100, fsync: true, state };
const append = (t: number, path = LOG): TraceEvent => ({ t, kind: 'append', path, bytes: 10 });
const execStart = (t: number, stage: string, manifest: string | null = M): TraceEvent => ({ t, kind: 'exec:start', stage, manifest });
const execExit = (t: number, stage: string, code = 0): TraceEvent => ({ t, kind: 'exec:exit', stage, code, signal: null });

const check = (events: TraceEvent[], options: InvariantOptions = OPTIONS) => checkInvariants(events, options);

/** A clean two-stage run in one invocation; `patch` replaces events by index. */
function cleanRun(): TraceEvent[] {
  return [
    start(0),
    write(1, digest('queued', ['a:pending', 'b:pending'])),
    write(2, digest('in_progress', ['a:pending', 'b:pending'])),
    write(3, digest('in_progress', ['a:running', 'b:pending'])),
    execStart(4, 'p/a'),
    append(5),
    execExit(6, 'p/a'),
    write(7, digest('in_progress', ['a:succeeded', 'b:running'])),
    execStart(8, 'p/b'),
    execExit(9, 'p/b'),
    write(10, digest('succeeded', ['a:succeeded', 'b:succeeded'])),
    exit(11),
  ];
}

function withEvent(events: TraceEvent[], index: number, event: TraceEvent): TraceEvent[] {
  const copy = [...events];
  copy[index] = event;
  return copy;
}

describe('checkInvariants', () => {
  it('finds nothing in a clean run', () => {
    expect(check(cleanRun())).toEqual([]);
  });

  describe('schema', () => {
    it('reports a manifest write whose digest is invalid, with the reason', () => {
      const events = withEvent(cleanRun(), 3, write(3, { invalid: 'commands.0.status: Invalid option' }));
      expect(check(events)).toEqual<Violation[]>([
        { invariant: 'schema', t: 3, event: `write ${M}`, detail: 'commands.0.status: Invalid option' },
        // The stage starts over an invalid state: a reader sees no valid manifest at all.
        { invariant: 'stage-start', t: 4, event: 'exec:start p/a', detail: `${M} is not on disk` },
      ]);
    });

    it('breaks once for an invalid write that nothing else depends on', () => {
      const events = [
        start(0),
        write(1, digest('queued', ['a:pending'])),
        write(2, { invalid: 'not JSON: Unexpected end of JSON input' }),
        write(3, digest('succeeded', ['a:succeeded'])),
        exit(4),
      ];
      expect(check(events)).toEqual<Violation[]>([
        { invariant: 'schema', t: 2, event: `write ${M}`, detail: 'not JSON: Unexpected end of JSON input' },
      ]);
    });

    it('does not look at writes without a state (not a run manifest)', () => {
      const events = [start(0), { t: 1, kind: 'write', path: '.runs/0101/mcp/r/manifest.json', bytes: 1, fsync: true } as TraceEvent, exit(2)];
      expect(check(events)).toEqual([]);
    });
  });

  describe('forward', () => {
    it('reports a command leaving a terminal state', () => {
      const events = [
        start(0),
        write(1, digest('in_progress', ['a:running', 'b:pending'])),
        write(2, digest('in_progress', ['a:succeeded', 'b:pending'])),
        write(3, digest('in_progress', ['a:running', 'b:pending'])),
        write(4, digest('succeeded', ['a:succeeded', 'b:succeeded'])),
        exit(5),
      ];
      expect(check(events)).toEqual<Violation[]>([{ invariant: 'forward', t: 3, event: `write ${M}`, detail: 'command a succeeded -> running' }]);
    });

    it('reports a run moving back, a terminal run changing, and a terminal command changing', () => {
      const back = [start(0), write(1, digest('in_progress', ['a:pending'])), write(2, digest('queued', ['a:pending']))];
      expect(check(back)).toEqual<Violation[]>([{ invariant: 'forward', t: 2, event: `write ${M}`, detail: 'run in_progress -> queued' }]);

      const terminal = [start(0), write(1, digest('failed', ['a:failed'])), write(2, digest('succeeded', ['a:succeeded']))];
      expect(check(terminal)).toEqual<Violation[]>([
        { invariant: 'forward', t: 2, event: `write ${M}`, detail: 'run failed -> succeeded' },
        { invariant: 'forward', t: 2, event: `write ${M}`, detail: 'command a failed -> succeeded' },
      ]);

      const command = [start(0), write(1, digest('in_progress', ['a:running'])), write(2, digest('in_progress', ['a:pending']))];
      expect(check(command)).toEqual<Violation[]>([{ invariant: 'forward', t: 2, event: `write ${M}`, detail: 'command a running -> pending' }]);

      const skipped = [start(0), write(1, digest('in_progress', ['a:skipped'])), write(2, digest('in_progress', ['a:running']))];
      expect(check(skipped)).toEqual<Violation[]>([{ invariant: 'forward', t: 2, event: `write ${M}`, detail: 'command a skipped -> running' }]);
    });

    it('allows failed -> in_progress and failed -> pending through a recorded resume (resumes count increased)', () => {
      const events = [
        start(0),
        write(1, digest('failed', ['a:succeeded', 'b:failed'])),
        exit(2, 1),
        start(3, ['resume', 'r']),
        write(4, digest('in_progress', ['a:succeeded', 'b:pending'], { heartbeat_at: at(4), resumes: 1 })),
        write(5, digest('succeeded', ['a:succeeded', 'b:succeeded'], { heartbeat_at: at(4), resumes: 1 })),
        exit(6),
      ];
      expect(check(events)).toEqual([]);
      // The same moves without the resume count going up break it.
      const unrecorded = withEvent(events, 4, write(4, digest('in_progress', ['a:succeeded', 'b:pending'], { heartbeat_at: at(4) })));
      expect(check(unrecorded)).toEqual<Violation[]>([
        { invariant: 'forward', t: 4, event: `write ${M}`, detail: 'run failed -> in_progress' },
        { invariant: 'forward', t: 4, event: `write ${M}`, detail: 'command b failed -> pending' },
      ]);
    });

    it('judges the first write of a pre-existing manifest against its recorded `was` state', () => {
      const was = digest('failed', ['a:failed']);
      const accepted = [start(0, ['resume', 'r']), write(1, digest('in_progress', ['a:pending'], { resumes: 1 }), M, was)];
      expect(check(accepted)).toEqual([]);
      const unrecorded = [start(0, ['resume', 'r']), write(1, digest('in_progress', ['a:pending']), M, was)];
      expect(check(unrecorded)).toEqual<Violation[]>([
        { invariant: 'forward', t: 1, event: `write ${M}`, detail: 'run failed -> in_progress' },
        { invariant: 'forward', t: 1, event: `write ${M}`, detail: 'command a failed -> pending' },
      ]);
    });

    it('allows pending -> skipped, running -> failed and the same terminal state again', () => {
      const events = [
        start(0),
        write(1, digest('queued', ['a:pending', 'b:pending'])),
        write(2, digest('in_progress', ['a:running', 'b:pending'])),
        write(3, digest('in_progress', ['a:failed', 'b:skipped'])),
        write(4, digest('failed', ['a:failed', 'b:skipped'])),
        write(5, digest('failed', ['a:failed', 'b:skipped'])),
        exit(6, 1),
      ];
      expect(check(events)).toEqual([]);
    });
  });

  describe('stage-start', () => {
    it('reports a child started while its stage is still pending on disk', () => {
      const events = withEvent(cleanRun(), 3, write(3, digest('in_progress', ['a:pending', 'b:pending'])));
      expect(check(events)).toEqual<Violation[]>([{ invariant: 'stage-start', t: 4, event: 'exec:start p/a', detail: `${M}: a is pending on disk` }]);
    });

    it('reports a manifest not on disk and a stage the manifest does not list', () => {
      expect(check([start(0), execStart(1, 'p/a')])).toEqual<Violation[]>([
        { invariant: 'stage-start', t: 1, event: 'exec:start p/a', detail: `${M} is not on disk` },
      ]);
      expect(check([start(0), write(1, digest('in_progress', ['b:running'])), execStart(2, 'p/a')])).toEqual<Violation[]>([
        { invariant: 'stage-start', t: 2, event: 'exec:start p/a', detail: `${M}: a is missing on disk` },
        { invariant: 'stage-end', t: 2, event: 'exec:start p/a', detail: `${M}: b still running on disk` },
      ]);
    });

    it('does not check a child started without a manifest', () => {
      expect(check([start(0), execStart(1, 'p/a', null), execExit(2, 'p/a'), exit(3)])).toEqual([]);
    });
  });

  describe('stage-end', () => {
    it("reports a child started while the previous stage's terminal state is not on disk", () => {
      const events = withEvent(cleanRun(), 7, write(7, digest('in_progress', ['a:running', 'b:running'])));
      expect(check(events)).toEqual<Violation[]>([
        { invariant: 'stage-end', t: 8, event: 'exec:start p/b', detail: `${M}: a still running on disk` },
      ]);
    });

    it('names every other running stage in one finding', () => {
      const events = [start(0), write(1, digest('in_progress', ['a:running', 'b:running', 'c:running'])), execStart(2, 'p/c')];
      expect(check(events)).toEqual<Violation[]>([
        { invariant: 'stage-end', t: 2, event: 'exec:start p/c', detail: `${M}: a, b still running on disk` },
      ]);
    });
  });

  describe('settled', () => {
    it('reports a terminal run with a command still running, once for repeated identical writes', () => {
      const events = [
        start(0),
        write(1, digest('in_progress', ['a:succeeded', 'b:running'])),
        write(2, digest('failed', ['a:succeeded', 'b:running'])),
        write(3, digest('failed', ['a:succeeded', 'b:running'])),
        write(4, digest('failed', ['a:succeeded', 'b:running'])),
        exit(5, 1),
      ];
      expect(check(events)).toEqual<Violation[]>([{ invariant: 'settled', t: 2, event: `write ${M}`, detail: 'run failed while b still running' }]);
    });

    it('allows a terminal run with pending or skipped commands, and an in-progress run with a running one', () => {
      const events = [
        start(0),
        write(1, digest('in_progress', ['a:running', 'b:pending', 'c:pending'])),
        write(2, digest('in_progress', ['a:failed', 'b:pending', 'c:skipped'])),
        write(3, digest('cancelled', ['a:failed', 'b:pending', 'c:skipped'])),
        exit(4, 1),
      ];
      expect(check(events)).toEqual([]);
    });
  });

  describe('terminal-before-return', () => {
    it('reports the CLI returning while its run is in progress on disk', () => {
      const events = withEvent(cleanRun(), 10, write(10, digest('in_progress', ['a:succeeded', 'b:succeeded'])));
      expect(check(events)).toEqual<Violation[]>([
        { invariant: 'terminal-before-return', t: 11, event: 'cli:exit 0', detail: `${M} is in_progress on disk` },
      ]);
    });

    it('does not count a refused resume (`was` status equal to the new one) as a run this invocation drove', () => {
      const running = digest('in_progress', ['a:running'], { heartbeat_at: at(-60_000) });
      const refused = [start(0, ['resume', 'r']), write(1, running, M, running), exit(2, 1)];
      expect(check(refused)).toEqual([]);
      // Accepted: the status moved (failed -> in_progress), so the invocation drives it and must finish it.
      const accepted = [
        start(0, ['resume', 'r']),
        write(1, digest('in_progress', ['a:pending'], { resumes: 1 }), M, digest('failed', ['a:failed'])),
        exit(2, 1),
      ];
      expect(check(accepted)).toEqual<Violation[]>([
        { invariant: 'terminal-before-return', t: 2, event: 'cli:exit 1', detail: `${M} is in_progress on disk` },
      ]);
    });

    it('counts a manifest the invocation created without a `was` state (nothing on disk before)', () => {
      const running = digest('in_progress', ['a:running'], { heartbeat_at: at(0) });
      expect(check([start(0), write(1, running), exit(2, 1)])).toEqual<Violation[]>([
        { invariant: 'terminal-before-return', t: 2, event: 'cli:exit 1', detail: `${M} is in_progress on disk` },
      ]);
    });
  });

  describe('quiet-after-return', () => {
    it('reports a write under the returned run directory after cli:exit', () => {
      const events = [...cleanRun(), append(14)];
      expect(check(events)).toEqual<Violation[]>([
        { invariant: 'quiet-after-return', t: 14, event: `append ${LOG}`, detail: 'written 3 ms after the CLI returned' },
      ]);
    });

    it('counts atomic writes, creates and removals, including the run directory itself; not failed writes', () => {
      const events: TraceEvent[] = [
        ...cleanRun(),
        { t: 12, kind: 'write:failed', path: M, op: 'write', error: 'EIO' },
        { t: 13, kind: 'create', path: `${DIR}/lock`, bytes: 1 },
        { t: 14, kind: 'remove', path: DIR },
      ];
      expect(check(events)).toEqual<Violation[]>([
        { invariant: 'quiet-after-return', t: 13, event: `create ${DIR}/lock`, detail: 'written 2 ms after the CLI returned' },
        { invariant: 'quiet-after-return', t: 14, event: `remove ${DIR}`, detail: 'written 3 ms after the CLI returned' },
      ]);
    });

    it('allows writes under another run directory (even one sharing a prefix) and anything after the next cli:start', () => {
      const events: TraceEvent[] = [
        ...cleanRun(),
        append(12, '.runs/0101/cli/other/runner.ndjson'),
        append(13, `${DIR}-copy/runner.ndjson`),
        append(14, '.runs/0101/mcp/2026-03-01T10-00-00-000Z-aaaaaaaa/manifest.json'),
        append(15, '.runs/0101/metrics.ndjson'),
        start(16, ['status', 'r']),
        append(17),
        exit(18),
      ];
      expect(check(events)).toEqual([]);
    });

    it('does not silence a run directory the refused invocation did not drive', () => {
      const failed = digest('failed', ['a:failed']);
      const refused: TraceEvent[] = [start(0, ['resume', 'r']), write(1, failed, M, failed), exit(2, 1), append(3)];
      expect(check(refused)).toEqual([]);
      const accepted: TraceEvent[] = [
        start(0, ['resume', 'r']),
        write(1, digest('in_progress', ['a:pending'], { resumes: 1 }), M, failed),
        write(2, digest('failed', ['a:failed'], { resumes: 1 })),
        exit(3, 1),
        append(4),
      ];
      expect(check(accepted)).toEqual<Violation[]>([
        { invariant: 'quiet-after-return', t: 4, event: `append ${LOG}`, detail: 'written 1 ms after the CLI returned' },
      ]);
    });
  });

  describe('heartbeat', () => {
    const running = (t: number, heartbeat: number) => write(t, digest('in_progress', ['a:running'], { heartbeat_at: at(heartbeat) }));

    it('allows a lag exactly at the limit and reports one ms over, once per in-progress stretch', () => {
      const events = [
        start(0),
        running(0, 0),
        append(5_000), // lag 5000: at the limit
        append(5_001), // lag 5001: over
        append(5_002), // still lagging: not reported again
        running(5_003, 5_003),
        append(5_004), // caught up
        append(10_004), // lag 5001 again: a new stretch
        write(10_005, digest('succeeded', ['a:succeeded'], { heartbeat_at: at(5_003) })),
        append(20_000), // terminal: no longer checked
        exit(20_001),
      ];
      expect(check(events)).toEqual<Violation[]>([
        { invariant: 'heartbeat', t: 5_001, event: `append ${LOG}`, detail: `${M}: heartbeat_at ${at(0)} is 5001 ms behind (limit 5000 ms)` },
        {
          invariant: 'heartbeat',
          t: 10_004,
          event: `append ${LOG}`,
          detail: `${M}: heartbeat_at ${at(5_003)} is 5001 ms behind (limit 5000 ms)`,
        },
      ]);
    });

    it('adds the write allowance to the limit', () => {
      const options = { ...OPTIONS, writeAllowanceMs: 250 };
      expect(check([start(0), running(0, 0), append(5_250)], options)).toEqual([]);
      expect(check([start(0), running(0, 0), append(5_251)], options)).toEqual<Violation[]>([
        { invariant: 'heartbeat', t: 5_251, event: `append ${LOG}`, detail: `${M}: heartbeat_at ${at(0)} is 5251 ms behind (limit 5250 ms)` },
      ]);
    });

    it('measures from originMs: the same trace is late or on time depending on the origin', () => {
      const events = [start(0), running(0, 0), append(4_000)];
      expect(check(events, { ...OPTIONS, originMs: T0 + 1_000 })).toEqual([]);
      expect(check(events, { ...OPTIONS, originMs: T0 + 1_001 })).toEqual<Violation[]>([
        { invariant: 'heartbeat', t: 4_000, event: `append ${LOG}`, detail: `${M}: heartbeat_at ${at(0)} is 5001 ms behind (limit 5000 ms)` },
      ]);
    });

    it('reports an in-progress run without heartbeat_at at the next event', () => {
      const events = [start(0), write(1, digest('in_progress', ['a:running'], { heartbeat_at: null })), append(2)];
      expect(check(events)).toEqual<Violation[]>([
        { invariant: 'heartbeat', t: 2, event: `append ${LOG}`, detail: `${M}: heartbeat_at null is ? ms behind (limit 5000 ms)` },
      ]);
    });

    it('does not check a queued run, a run the invocation does not drive, or a run after the CLI returned', () => {
      const queued = [start(0), write(0, digest('queued', ['a:pending'])), append(60_000)];
      expect(check(queued)).toEqual([]);
      const stale = digest('in_progress', ['a:running'], { heartbeat_at: at(-60_000) });
      expect(check([start(0), write(1, stale, OTHER, stale), append(2)])).toEqual([]);
      const returned = [start(0), running(0, 0), exit(1, 1), append(60_000, '.runs/0101/metrics.ndjson')];
      expect(check(returned)).toEqual<Violation[]>([
        { invariant: 'terminal-before-return', t: 1, event: 'cli:exit 1', detail: `${M} is in_progress on disk` },
      ]);
    });
  });

  it('reports violations in the order they happened, across invariants', () => {
    const events = [
      start(0),
      write(1, digest('in_progress', ['a:pending'])),
      execStart(2, 'p/a'),
      write(3, digest('failed', ['a:running'])),
      write(4, digest('in_progress', ['a:running'])),
      exit(5, 1),
    ];
    expect(check(events).map((v) => formatViolation(v, 'demo'))).toEqual([
      `demo: invariant stage-start broken at t=2ms by exec:start p/a: ${M}: a is pending on disk`,
      `demo: invariant settled broken at t=3ms by write ${M}: run failed while a still running`,
      `demo: invariant forward broken at t=4ms by write ${M}: run failed -> in_progress`,
      `demo: invariant terminal-before-return broken at t=5ms by cli:exit 1: ${M} is in_progress on disk`,
    ]);
  });

  it('names the eight invariants of docs/contracts.md §11', () => {
    expect(Object.keys(INVARIANTS)).toEqual([
      'schema',
      'forward',
      'stage-start',
      'stage-end',
      'settled',
      'terminal-before-return',
      'quiet-after-return',
      'heartbeat',
    ]);
  });
});

describe('judgeInvariants', () => {
  const violation = (invariant: Violation['invariant'], t: number): Violation => ({ invariant, t, event: `write ${M}`, detail: 'd' });
  const exemption = (scenario: string, invariant: Exemption['invariant']): Exemption => ({
    scenario,
    invariant,
    pattern: 'B1',
    removed_by_phase: 1,
    why: 'phase-0 pattern',
  });

  it('splits violations into exempted and unexpected, and lists exemptions that did not fire as stale', () => {
    const settled = exemption('s1', 'settled');
    const forward = exemption('s1', 'forward');
    const elsewhere = exemption('s2', 'heartbeat');
    const v1 = violation('settled', 1);
    const v2 = violation('heartbeat', 2);
    const v3 = violation('settled', 3);
    const verdict = judgeInvariants('s1', [v1, v2, v3], [settled, forward, elsewhere]);
    expect(verdict.exempted).toHaveLength(2);
    expect(verdict.exempted[0]!.violation).toBe(v1);
    expect(verdict.exempted[0]!.exemption).toBe(settled);
    expect(verdict.exempted[1]!.violation).toBe(v3);
    expect(verdict.exempted[1]!.exemption).toBe(settled);
    // Another scenario's exemption for the same invariant does not cover it.
    expect(verdict.unexpected).toEqual([v2]);
    expect(verdict.stale).toEqual([forward]);
    expect(verdict.stale[0]).toBe(forward);
  });

  it('is clean when nothing breaks and nothing is exempted', () => {
    expect(judgeInvariants('s1', [], [exemption('s2', 'settled')])).toEqual({ unexpected: [], exempted: [], stale: [] });
  });
});

describe('a manifest that was unreadable before the invocation', () => {
  it('counts as a run this invocation drove once it writes it (an invalid `was` is no alibi)', () => {
    const events: TraceEvent[] = [
      start(0, ['resume', '--run', 'x']),
      write(1, digest('in_progress', ['a:running']), M, { invalid: 'not JSON' }),
      exit(2, 1),
      append(3),
    ];
    expect(check(events).map((v) => v.invariant)).toEqual(['terminal-before-return', 'quiet-after-return']);
  });
});
