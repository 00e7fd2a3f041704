// Builds the Runtime of a real process: wall clock, random ids, child processes, the disk.
// Only the CLI entry calls this; everything below receives the value it returns.
import { createNodeFileSink } from './node-file-sink.js';
import { createProcessSignals } from './process-signals.js';
import { createRealProcessTable } from './process-table.js';
import { createRandomIds } from './random-ids.js';
import { createRealClock } from './real-clock.js';
import { createSpawnExecutor } from './spawn-executor.js';
import type { Clock, Executor, OutputStream, Runtime } from './types.js';

function processStream(stream: NodeJS.WriteStream): OutputStream {
  return {
    write: (data) => {
      stream.write(data);
    },
    get isTTY() {
      return Boolean(stream.isTTY);
    },
    get columns() {
      return stream.isTTY ? stream.columns : undefined;
    },
  };
}

export type RealRuntimeOverrides = Partial<Omit<Runtime, 'clock' | 'executor'>> & {
  /** Wraps the spawn executor (e.g. to record what it does). */
  wrapExecutor?: (executor: Executor, clock: Clock) => Executor;
};

/**
 * The Runtime of this process. The bin takes it as it is; the harness (golden record and
 * fidelity, benches) runs the real core with some parts swapped: captured output, a
 * manual signal source, another directory or environment, a recording executor.
 */
export function createRealRuntime(overrides: RealRuntimeOverrides = {}): Runtime {
  const clock = createRealClock();
  const { wrapExecutor, ...rest } = overrides;
  const spawn = createSpawnExecutor(clock);
  return {
    clock,
    ids: createRandomIds(),
    executor: wrapExecutor ? wrapExecutor(spawn, clock) : spawn,
    fs: createNodeFileSink({ clock, pid: process.pid }),
    env: process.env,
    stdout: processStream(process.stdout),
    stderr: processStream(process.stderr),
    signals: createProcessSignals(),
    cwd: process.cwd(),
    pid: process.pid,
    processes: createRealProcessTable(),
    ...rest,
  };
}
