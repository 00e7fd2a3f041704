// Builds the Runtime of a real process: wall clock, random ids, child processes, the disk.
// Only the CLI entry calls this; everything below receives the value it returns.
import { createNodeFileSink } from './node-file-sink.js';
import { createProcessSignals } from './process-signals.js';
import { createRandomIds } from './random-ids.js';
import { createRealClock } from './real-clock.js';
import { createSpawnExecutor } from './spawn-executor.js';
import type { OutputStream, Runtime } from './types.js';

function processStream(stream: NodeJS.WriteStream): OutputStream {
  return {
    write: (data) => {
      stream.write(data);
    },
    get isTTY() {
      return Boolean(stream.isTTY);
    },
  };
}

export function createRealRuntime(): Runtime {
  const clock = createRealClock();
  return {
    clock,
    ids: createRandomIds(),
    executor: createSpawnExecutor(clock),
    fs: createNodeFileSink({ clock, pid: process.pid }),
    env: process.env,
    stdout: processStream(process.stdout),
    stderr: processStream(process.stderr),
    signals: createProcessSignals(),
    cwd: process.cwd(),
    pid: process.pid,
  };
}
