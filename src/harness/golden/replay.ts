// Replays a scenario in-process through the CLI's own code (runCli) on the virtual runtime:
// virtual clock, seeded ids, transcript executor, in-memory file tree. No child process,
// no wall-clock wait; the same inputs give the same bytes on every run and machine.
// Besides the files and CLI output, a replay yields the scenario's trace (every write, child
// start and CLI return, in order), from which come its write timeline, its write counts and
// its invariant check, and the request (cwd, env) the core handed each child.
import { posix } from 'node:path';
import { runCli } from '../../cli/run-cli.js';
import { createMemoryFileSink } from '../../runtime/memory-file-sink.js';
import { createTranscriptExecutor, type ReplayedRequest, type Transcript } from '../../runtime/transcript-executor.js';
import { createVirtualRuntime, driveToCompletion } from '../../runtime/virtual-runtime.js';
import { DURABILITY } from '../../runtime/durability.js';
import { HEARTBEAT_INTERVAL_SECONDS } from '../../manifest/schema.js';
import { checkInvariants, type Violation } from '../trace/invariants.js';
import { createRequestDescriber, serializeRequests } from '../trace/requests.js';
import { countWrites, serializeTimeline, type WriteCounts } from '../trace/timeline.js';
import { digestManifest } from '../trace/manifest-digest.js';
import { createTraceRecorder, type TraceEvent } from '../trace/trace.js';
import type { Scenario, ScenarioFault } from './scenario.js';
import type { Executor, FileSink } from '../../runtime/types.js';
import type { VirtualClock } from '../../runtime/virtual-clock.js';
import picomatch from 'picomatch';
import { freshProcessEnv, runSteps, seedInputs, withProcessEnvRestored, type StepHooks } from './steps.js';

export const REPLAY_ROOT = '/repo';

/** Expected files beside files/ and cli/: the write timeline and the children's requests. */
export const TIMELINE_FILE = 'timeline.ndjson';
export const REQUESTS_FILE = 'requests.ndjson';

export type ReplayOutput = {
  /**
   * Keyed by path under expected/: `files/<repo path>` for files the run wrote,
   * `cli/<n>.stdout|stderr|exit`, `timeline.ndjson` and `requests.ndjson`.
   */
  outputs: Map<string, Buffer>;
  /** Write counts per repo-relative path, read from the trace. */
  counts: Map<string, WriteCounts>;
  exitCodes: number[];
  trace: TraceEvent[];
  requests: ReplayedRequest[];
  /** Requests that differ from the ones recorded in the transcript. */
  requestMismatches: string[];
  /** Every invariant the run broke (exemptions are applied by `check`). */
  violations: Violation[];
};

/** The sink with the scenario's faults: matching writes reject, as a full or failing disk would. */
function injectFaults<T extends FileSink>(fs: T, faults: ScenarioFault[]): T {
  if (faults.length === 0) return fs;
  const seen = new Map<ScenarioFault, number>();
  const matchers = faults.map((fault) => ({ fault, match: picomatch(fault.path, { dot: true }) }));
  /** The fault this write of `path` meets, if it is one's nth; counts it for every fault it matches. */
  const fires = (op: ScenarioFault['op'], path: string): ScenarioFault | null => {
    const rel = posix.relative(REPLAY_ROOT, path);
    let firing: ScenarioFault | null = null;
    for (const { fault, match } of matchers) {
      if (fault.op !== op || !match(rel)) continue;
      const n = (seen.get(fault) ?? 0) + 1;
      seen.set(fault, n);
      if (n === fault.nth) firing ??= fault;
    }
    return firing;
  };
  const reject = (fault: ScenarioFault, op: string, path: string) => {
    const error: NodeJS.ErrnoException = new Error(`${fault.code}: injected fault, ${op} '${path}'`);
    error.code = fault.code;
    return Promise.resolve().then(() => Promise.reject(error));
  };
  return {
    ...fs,
    writeAtomic: (path: string, data: string | Uint8Array, options?: { private?: boolean }) => {
      const fault = fires('write', path);
      return fault ? reject(fault, 'write', path) : fs.writeAtomic(path, data, options);
    },
    append: (path: string, data: string | Uint8Array) => {
      const fault = fires('append', path);
      return fault ? reject(fault, 'write', path) : fs.append(path, data);
    },
  };
}

/**
 * Where a test may put itself between the core and the replay's doubles (the regression
 * battery injects faults this way): around the file sink (below the trace, so the trace sees
 * what the wrapped sink lets land) and around the executor (below the trace and the transcript
 * executor's request check, so both see the request the wrapper passes on).
 */
export type ReplaySeams = {
  wrapFs?: (fs: FileSink, clock: VirtualClock) => FileSink;
  wrapExecutor?: (executor: Executor, root: string) => Executor;
};

export async function replayScenario(scenario: Scenario, transcript: Transcript, seams: ReplaySeams = {}): Promise<ReplayOutput> {
  const fs = createMemoryFileSink({ durability: DURABILITY });
  const startMs = Date.parse(scenario.start_time);
  let executor: ReturnType<typeof createTranscriptExecutor> | undefined;
  const runtime = createVirtualRuntime({
    startMs,
    seed: scenario.seed,
    cwd: REPLAY_ROOT,
    env: scenario.env,
    fs,
    executor: (clock) =>
      (executor = createTranscriptExecutor(transcript, clock, { describe: createRequestDescriber(REPLAY_ROOT, () => scenario.env) })),
  });
  const recorder = createTraceRecorder({ clock: runtime.clock, root: REPLAY_ROOT, originMs: startMs, durability: DURABILITY, digest: digestManifest });
  const faulty = injectFaults(fs, scenario.faults);
  const sink = seams.wrapFs ? { ...fs, ...seams.wrapFs(faulty, runtime.clock) } : faulty;
  // What lands is what the memory tree tells; the wrapper above the seams records failures.
  fs.observe((landed) => recorder.landed(landed.kind, landed.path, landed.data));
  runtime.fs = recorder.wrapFs(sink, { observed: true });
  const inner = runtime.executor;
  runtime.executor = recorder.wrapExecutor(seams.wrapExecutor ? seams.wrapExecutor(inner, REPLAY_ROOT) : inner);
  const hooks: StepHooks = {
    seedFile: async (rel, text) => fs.seedFile(posix.join(REPLAY_ROOT, rel), text),
    seedDirectory: async (rel) => fs.seedDirectory(posix.join(REPLAY_ROOT, rel)),
    // Each step is a fresh CLI process: its own environment, nothing left from the last step.
    invoke: (argv, step) =>
      withProcessEnvRestored(async () => {
        runtime.clock.setNow(runtime.clock.now() + step.after_ms);
        runtime.env = freshProcessEnv(scenario.env);
        recorder.note({ kind: 'cli:start', argv });
        // The return is noted the moment runCli settles: anything that lands while the replay
        // drains what is left (a write nobody awaited) is after it, as it would be for real.
        const returned = async () => {
          const code = await runCli(argv, runtime);
          recorder.note({ kind: 'cli:exit', code });
          return code;
        };
        // The step's signals count from its first child's start (no virtual time passes before
        // it), or, when that child is a stage sent to a worker, from its first attempt there:
        // as the real run counts them (real-run.ts).
        const timers = step.signals.map((scheduled) => runtime.clock.setTimeout(() => runtime.signals.fire(scheduled.signal), scheduled.at_ms));
        let firstStart = true;
        const stepExecutor = runtime.executor;
        runtime.executor = {
          ...stepExecutor,
          start(request, onChunk) {
            if (!firstStart || !request.dispatch || timers.length === 0) {
              firstStart = false;
              return stepExecutor.start(request, onChunk);
            }
            firstStart = false;
            for (const timer of timers) runtime.clock.clearTimeout(timer);
            const onAttempt = request.onAttempt;
            let armed = false;
            const armAtAttempt: typeof request = {
              ...request,
              onAttempt: async (attempt) => {
                await onAttempt?.(attempt);
                if (armed) return;
                armed = true;
                for (const scheduled of step.signals) runtime.clock.setTimeout(() => runtime.signals.fire(scheduled.signal), scheduled.at_ms);
              },
            };
            return stepExecutor.start(armAtAttempt, onChunk);
          },
        };
        try {
          return await driveToCompletion(runtime, returned);
        } finally {
          runtime.executor = stepExecutor;
        }
      }),
  };
  await seedInputs(scenario, hooks);
  const { cliOutputs, exitCodes } = await runSteps(scenario, runtime, hooks);
  const missing = executor?.missing() ?? [];
  if (missing.length > 0) {
    throw new Error(`transcript.json has no recording for ${missing.join(', ')} (record it with \`golden record\`)`);
  }
  const trace = recorder.events();
  const requests = executor?.requests() ?? [];
  const outputs = new Map(cliOutputs);
  const written = countWrites(trace);
  for (const [path, data] of fs.files()) {
    const rel = posix.relative(REPLAY_ROOT, path);
    if (!written.has(rel)) continue; // an input nobody wrote
    outputs.set(`files/${rel}`, data);
  }
  outputs.set(TIMELINE_FILE, Buffer.from(serializeTimeline(trace)));
  outputs.set(REQUESTS_FILE, Buffer.from(serializeRequests(requests)));
  // The contract's heartbeat interval, not the one the code happens to use.
  const violations = checkInvariants(trace, { originMs: startMs, heartbeatIntervalMs: HEARTBEAT_INTERVAL_SECONDS * 1000, writeAllowanceMs: 0 });
  return {
    outputs: new Map([...outputs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    counts: written,
    exitCodes,
    trace,
    requests,
    requestMismatches: executor?.requestMismatches() ?? [],
    violations,
  };
}
