// Builds a Runtime that touches nothing real: virtual clock, seeded ids, a transcript (or any
// scripted) executor, an in-memory file tree and captured output. `driveToCompletion` runs
// work on it, moving virtual time only when everything else is idle.
import { createMemoryFileSink, type MemoryFileSink } from './memory-file-sink.js';
import { createManualSignals } from './process-signals.js';
import { createVirtualProcessTable, type VirtualProcessTable } from './process-table.js';
import { createSeededIds } from './seeded-ids.js';
import { createTranscriptExecutor, type Transcript } from './transcript-executor.js';
import type { Executor, OutputStream, Runtime, SignalName, SignalSource } from './types.js';
import { createVirtualClock, type VirtualClock } from './virtual-clock.js';
import { DURABILITY } from './durability.js';
import { pendingModuleLoads } from './module-loads.js';

export type CapturedStream = OutputStream & { text(): string; bytes(): Buffer };

export function createCapturedStream(isTTY = false): CapturedStream {
  const parts: Buffer[] = [];
  return {
    write: (data) => {
      parts.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));
    },
    isTTY,
    text: () => Buffer.concat(parts).toString('utf8'),
    bytes: () => Buffer.concat(parts),
  };
}

export type VirtualRuntime = Runtime & {
  clock: VirtualClock;
  fs: MemoryFileSink;
  stdout: CapturedStream;
  stderr: CapturedStream;
  signals: SignalSource & { fire(signal: SignalName): void };
  processes: VirtualProcessTable;
};

export type VirtualRuntimeOptions = {
  startMs: number;
  seed: number;
  cwd: string;
  env?: Record<string, string>;
  executor?: Executor | ((clock: VirtualClock) => Executor);
  transcript?: Transcript;
  fs?: MemoryFileSink;
  pid?: number;
  /**
   * The identities alive on the virtual host, shared by runtimes that stand for processes
   * running side by side; by default each runtime sees only itself alive.
   */
  liveProcesses?: Set<string>;
};

export function createVirtualRuntime(options: VirtualRuntimeOptions): VirtualRuntime {
  const clock = createVirtualClock(options.startMs);
  let executor: Executor;
  if (typeof options.executor === 'function') executor = options.executor(clock);
  else if (options.executor) executor = options.executor;
  else executor = createTranscriptExecutor(options.transcript ?? { stages: {} }, clock);
  const fs = options.fs ?? createMemoryFileSink({ durability: DURABILITY });
  const pid = options.pid ?? 4242;
  fs.seedDirectory(options.cwd);
  return {
    clock,
    ids: createSeededIds(options.seed, pid),
    executor,
    fs,
    env: { ...(options.env ?? {}) },
    stdout: createCapturedStream(),
    stderr: createCapturedStream(),
    signals: createManualSignals(),
    cwd: options.cwd,
    pid,
    processes: createVirtualProcessTable({ pid, host: 'virtual-host', started: `virtual-start-${pid}` }, options.liveProcesses),
  };
}

/**
 * Resolves once no microtask, promise job, in-memory write or module load (a command's code,
 * imported when it runs: src/runtime/module-loads.ts) is pending: what the runtime's work can do
 * without virtual time moving is done. Tests wait on this instead of counting microtask ticks;
 * `driveToCompletion` waits on it before firing each timer.
 */
export async function waitForIdle(runtime: VirtualRuntime): Promise<void> {
  do {
    await new Promise<void>((resolve) => setImmediate(resolve));
  } while (runtime.fs.inFlight() > 0 || pendingModuleLoads() > 0);
}

export type ScheduledSignal = { at_ms: number; signal: SignalName };

/**
 * Runs `work` to completion on the virtual runtime. Time moves only when the system is
 * idle, one timer at a time, so the same inputs give the same bytes on every machine.
 * `signals` are delivered at their offsets from the start.
 */
export async function driveToCompletion<T>(runtime: VirtualRuntime, work: () => Promise<T>, signals: ScheduledSignal[] = []): Promise<T> {
  const start = runtime.clock.now();
  for (const scheduled of signals) {
    runtime.clock.setTimeout(() => runtime.signals.fire(scheduled.signal), start + scheduled.at_ms - runtime.clock.now());
  }
  let settled = false;
  const result = work().finally(() => {
    settled = true;
  });
  result.catch(() => undefined);
  for (;;) {
    await waitForIdle(runtime);
    if (settled) break;
    if (!runtime.clock.fireNext()) {
      throw new Error('virtual run is stuck: it is waiting, but no timer is pending');
    }
  }
  return result;
}
