// Replays a scenario in-process through the CLI's own code (runCli) on the virtual runtime:
// virtual clock, seeded ids, transcript executor, in-memory file tree. No child process,
// no wall-clock wait; the same inputs give the same bytes on every run and machine.
import { posix } from 'node:path';
import { runCli } from '../../cli/run-cli.js';
import { createMemoryFileSink } from '../../runtime/memory-file-sink.js';
import { createTranscriptExecutor, type Transcript } from '../../runtime/transcript-executor.js';
import type { WriteCounts } from '../../runtime/types.js';
import { createVirtualRuntime, driveToCompletion } from '../../runtime/virtual-runtime.js';
import { FSYNC_ATOMIC_WRITES } from '../../persist/durability.js';
import type { Scenario } from './scenario.js';
import { runSteps, seedInputs, withProcessEnvRestored, type StepHooks } from './steps.js';

export const REPLAY_ROOT = '/repo';

export type ReplayOutput = {
  /** Keyed by path under expected/: `files/<repo path>` for files the run wrote, `cli/<n>.stdout|stderr|exit`. */
  outputs: Map<string, Buffer>;
  /** Write counts per repo-relative path. */
  counts: Map<string, WriteCounts>;
  exitCodes: number[];
};

export async function replayScenario(scenario: Scenario, transcript: Transcript): Promise<ReplayOutput> {
  return withProcessEnvRestored(async () => {
    const fs = createMemoryFileSink({ fsyncAtomicWrites: FSYNC_ATOMIC_WRITES });
    let executor: ReturnType<typeof createTranscriptExecutor> | undefined;
    const runtime = createVirtualRuntime({
      startMs: Date.parse(scenario.start_time),
      seed: scenario.seed,
      cwd: REPLAY_ROOT,
      env: scenario.env,
      fs,
      executor: (clock) => (executor = createTranscriptExecutor(transcript, clock)),
    });
    const hooks: StepHooks = {
      seedFile: async (rel, text) => fs.seedFile(posix.join(REPLAY_ROOT, rel), text),
      seedDirectory: async (rel) => fs.seedDirectory(posix.join(REPLAY_ROOT, rel)),
      invoke: (argv, step) => {
        runtime.clock.setNow(runtime.clock.now() + step.after_ms);
        return driveToCompletion(runtime, () => runCli(argv, runtime), step.signals);
      },
    };
    await seedInputs(scenario, hooks);
    const { cliOutputs, exitCodes } = await runSteps(scenario, runtime, hooks);
    const missing = executor?.missing() ?? [];
    if (missing.length > 0) {
      throw new Error(`transcript.json has no recording for ${missing.join(', ')} (record it with \`golden record\`)`);
    }
    const outputs = new Map(cliOutputs);
    const counts = new Map<string, WriteCounts>();
    for (const [path, count] of fs.counts()) counts.set(posix.relative(REPLAY_ROOT, path), count);
    for (const [path, data] of fs.files()) {
      if (!fs.counts().has(path)) continue; // an input nobody wrote
      outputs.set(`files/${posix.relative(REPLAY_ROOT, path)}`, data);
    }
    return { outputs: new Map([...outputs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), counts, exitCodes };
  });
}
