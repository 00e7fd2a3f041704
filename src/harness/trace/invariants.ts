// The run invariants (docs/contracts.md §11), checked over a trace: what a reader of the run
// directory may rely on at every instant, not only at the end. The golden replay checks them
// for every scenario; the integration tests check them for every real run they make.
import { posix } from 'node:path';
import type { ManifestDigest, TraceEvent } from './trace.js';

export const INVARIANTS = {
  schema: 'every manifest write parses and validates against the manifest schema',
  forward:
    'statuses only move forward (run queued → in_progress → terminal; command pending → running → terminal, or pending → skipped) except through a recorded resume; a terminal run may still become failed when an evidence file of its end could not be written',
  'stage-start': 'a stage is running on disk before its child is started',
  'stage-end': "the previous stage's terminal state is on disk before the next stage's child is started",
  settled: 'a terminal run on disk has no command still running',
  'terminal-before-return': "the run's terminal state is on disk before the CLI returns",
  'quiet-after-return': 'nothing under the run directory is written after the CLI returns',
  heartbeat: 'while a run is in progress, heartbeat_at on disk never lags the clock by more than the heartbeat interval plus one write',
} as const;

export type InvariantName = keyof typeof INVARIANTS;

export type Violation = {
  invariant: InvariantName;
  /** The trace's time of the event that broke it (ms from the trace's origin). */
  t: number;
  /** The event, in a few words (`write .runs/…/manifest.json`, `exec:start p/s`). */
  event: string;
  detail: string;
};

export type InvariantOptions = {
  /** Absolute time of the trace's t = 0, to compare heartbeat_at with. */
  originMs: number;
  heartbeatIntervalMs: number;
  /**
   * How long one write may take on top of the interval. 0 on the virtual clock (a write takes
   * no time there); real runs pass the scheduling slack of a loaded machine.
   */
  writeAllowanceMs: number;
};

const RUN_RANK: Record<string, number> = { queued: 0, in_progress: 1, succeeded: 2, failed: 2, cancelled: 2 };
const COMMAND_RANK: Record<string, number> = { pending: 0, running: 1, succeeded: 2, failed: 2, skipped: 2 };
const isTerminalRun = (status: string) => RUN_RANK[status] === 2;

type Valid = Exclude<ManifestDigest, { invalid: string }>;
const valid = (d: ManifestDigest | undefined): d is Valid => d !== undefined && !('invalid' in d);

function splitCommand(entry: string): [string, string] {
  const at = entry.lastIndexOf(':');
  return [entry.slice(0, at), entry.slice(at + 1)];
}

function describe(event: TraceEvent): string {
  switch (event.kind) {
    case 'write':
    case 'append':
    case 'create':
    case 'remove':
      return `${event.kind} ${event.path}`;
    case 'write:failed':
      return `failed ${event.op} ${event.path}`;
    case 'exec:start':
    case 'exec:exit':
    case 'exec:error':
      return `${event.kind} ${event.stage}`;
    case 'cli:start':
      return `cli:start ${event.argv.join(' ')}`;
    case 'cli:exit':
      return `cli:exit ${event.code}`;
  }
}

/** A run that ended and then could not write an evidence file of its end (run-summary.json, its metrics line, state.json) fails with it. */
const lostEvidence = (state: Valid) => state.run === 'failed' && /^evidence:.+:not-written$/.test(state.detail ?? '');

/** Moves that go backwards between two states of one manifest (none after a recorded resume). */
function backwardMoves(before: Valid, after: Valid): string[] {
  if (after.resumes > before.resumes) return [];
  const out: string[] = [];
  const runBack = (RUN_RANK[after.run] ?? 0) < (RUN_RANK[before.run] ?? 0);
  const runChanged = isTerminalRun(before.run) && after.run !== before.run && !lostEvidence(after);
  if (runBack || runChanged) out.push(`run ${before.run} -> ${after.run}`);
  const old = new Map(before.commands.map(splitCommand));
  for (const [id, status] of after.commands.map(splitCommand)) {
    const was = old.get(id);
    if (was === undefined || was === status) continue;
    const back = (COMMAND_RANK[status] ?? 0) < (COMMAND_RANK[was] ?? 0);
    if (back || COMMAND_RANK[was] === 2) out.push(`command ${id} ${was} -> ${status}`);
  }
  return out;
}

const isUnder = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/** Every invariant broken in the trace, in the order they happened. */
export function checkInvariants(events: readonly TraceEvent[], options: InvariantOptions): Violation[] {
  const violations: Violation[] = [];
  const disk = new Map<string, ManifestDigest>();
  /** Manifests the current CLI invocation drives: it created them or moved their run status. */
  let live = new Set<string>();
  /** Run directories of the invocation that returned last (quiet until the next one starts). */
  let returned = new Set<string>();
  let returnedAt = 0;
  /** Manifests already reported as lagging (one report per in-progress stretch). */
  const lagging = new Set<string>();
  const limit = options.heartbeatIntervalMs + options.writeAllowanceMs;
  const seen = new Set<string>();
  /** One report per invariant, event and detail: a state that stays broken is one finding. */
  const report = (invariant: InvariantName, event: TraceEvent, detail: string) => {
    const key = `${invariant}\0${describe(event)}\0${detail}`;
    if (seen.has(key)) return;
    seen.add(key);
    violations.push({ invariant, t: event.t, event: describe(event), detail });
  };

  const checkHeartbeats = (event: TraceEvent) => {
    const now = options.originMs + event.t;
    for (const path of live) {
      const state = disk.get(path);
      if (!valid(state) || state.run !== 'in_progress') {
        lagging.delete(path);
        continue;
      }
      const beat = state.heartbeat_at === null ? Number.NaN : Date.parse(state.heartbeat_at);
      const lag = now - beat;
      if (Number.isNaN(beat) || lag > limit) {
        if (!lagging.has(path)) {
          lagging.add(path);
          report(
            'heartbeat',
            event,
            `${path}: heartbeat_at ${state.heartbeat_at ?? 'null'} is ${Number.isNaN(lag) ? '?' : lag} ms behind (limit ${limit} ms)`,
          );
        }
      } else {
        lagging.delete(path);
      }
    }
  };

  for (const event of events) {
    if (event.kind === 'cli:start') {
      live = new Set();
      returned = new Set();
      lagging.clear();
      continue;
    }
    checkHeartbeats(event);
    const isWrite = event.kind === 'write' || event.kind === 'append' || event.kind === 'create' || event.kind === 'remove';
    if (isWrite) {
      for (const dir of returned) {
        if (isUnder(event.path, dir)) report('quiet-after-return', event, `written ${event.t - returnedAt} ms after the CLI returned`);
      }
    }
    if (event.kind === 'write' && event.state) {
      const state = event.state;
      if (event.was && !disk.has(event.path)) disk.set(event.path, event.was);
      if (!valid(state)) {
        report('schema', event, state.invalid);
      } else {
        const before = disk.get(event.path);
        if (valid(before)) for (const move of backwardMoves(before, state)) report('forward', event, move);
        if (isTerminalRun(state.run)) {
          const running = state.commands.map(splitCommand).filter(([, status]) => status === 'running');
          if (running.length > 0) report('settled', event, `run ${state.run} while ${running.map(([id]) => id).join(', ')} still running`);
        }
      }
      const before = disk.get(event.path);
      if (!before || !valid(before) || (valid(state) && before.run !== state.run)) live.add(event.path);
      disk.set(event.path, state);
    } else if (event.kind === 'exec:start' && event.manifest) {
      const state = disk.get(event.manifest);
      const stageId = event.stage.slice(event.stage.indexOf('/') + 1);
      if (!valid(state)) {
        report('stage-start', event, `${event.manifest} is not on disk`);
        continue;
      }
      const commands = state.commands.map(splitCommand);
      const own = commands.find(([id]) => id === stageId);
      if (!own || own[1] !== 'running') report('stage-start', event, `${event.manifest}: ${stageId} is ${own ? own[1] : 'missing'} on disk`);
      const others = commands.filter(([id, status]) => id !== stageId && status === 'running');
      if (others.length > 0) report('stage-end', event, `${event.manifest}: ${others.map(([id]) => id).join(', ')} still running on disk`);
    } else if (event.kind === 'cli:exit') {
      for (const path of live) {
        const state = disk.get(path);
        if (valid(state) && !isTerminalRun(state.run)) report('terminal-before-return', event, `${path} is ${state.run} on disk`);
      }
      returned = new Set([...live].map((path) => posix.dirname(path)));
      returnedAt = event.t;
      live = new Set();
    }
  }
  return violations;
}

export function formatViolation(v: Violation, scenario?: string): string {
  return `${scenario ? `${scenario}: ` : ''}invariant ${v.invariant} broken at t=${v.t}ms by ${v.event}: ${v.detail}`;
}
