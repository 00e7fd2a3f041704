// Replays a scenario in-process through the CLI's own code (runCli) on the virtual runtime:
// virtual clock, seeded ids, transcript executor, in-memory file tree. No child process,
// no wall-clock wait; the same inputs give the same bytes on every run and machine.
import { posix } from 'node:path';
import { runCli } from '../../cli/run-cli.js';
import { createMemoryFileSink } from '../../runtime/memory-file-sink.js';
import { createTranscriptExecutor, type Transcript } from '../../runtime/transcript-executor.js';
import type { WriteCounts } from '../../runtime/types.js';
import { createCapturedStream, createVirtualRuntime, driveToCompletion } from '../../runtime/virtual-runtime.js';
import { FSYNC_ATOMIC_WRITES } from '../../persist/durability.js';
import type { Scenario } from './scenario.js';
import { runFromStdout, substituteArgs, type StepVars } from './step-args.js';

export const REPLAY_ROOT = '/repo';

export type ReplayOutput = {
  /** Keyed by path under expected/: `files/<repo path>` for files the run wrote, `cli/<n>.stdout|stderr|exit`. */
  outputs: Map<string, Buffer>;
  /** Write counts per repo-relative path. */
  counts: Map<string, WriteCounts>;
  exitCodes: number[];
};

export function configText(config: Scenario['config']): string | undefined {
  if (config === undefined) return undefined;
  return typeof config === 'string' ? config : `${JSON.stringify(config, null, 2)}\n`;
}

/** Runs `work` with process.env restored afterwards (B6 writes pipeline env into it). */
export async function withProcessEnvRestored<T>(work: () => Promise<T>): Promise<T> {
  const before = { ...process.env };
  try {
    return await work();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in before)) delete process.env[key];
    Object.assign(process.env, before);
  }
}

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
    const inputs = new Map<string, string>();
    const seed = (rel: string, text: string) => {
      const path = posix.join(REPLAY_ROOT, rel);
      fs.seedFile(path, text);
      inputs.set(path, text);
    };
    const config = configText(scenario.config);
    if (config !== undefined) seed('codex.orchestrator.json', config);
    for (const [rel, text] of Object.entries(scenario.files)) seed(rel, text);
    for (const dir of scenario.dirs) fs.seedDirectory(posix.join(REPLAY_ROOT, dir));

    const outputs = new Map<string, Buffer>();
    const exitCodes: number[] = [];
    const vars: StepVars = {};
    for (const [i, step] of scenario.steps.entries()) {
      runtime.clock.setNow(runtime.clock.now() + step.after_ms);
      for (const [rel, text] of Object.entries(step.write_files)) seed(rel, text);
      runtime.stdout = createCapturedStream();
      runtime.stderr = createCapturedStream();
      const argv = substituteArgs(step.argv, vars);
      const code = await driveToCompletion(runtime, () => runCli(argv, runtime), step.signals);
      const run = runFromStdout(runtime.stdout.text());
      if (run) {
        vars.last_run_id = run.runId;
        const token = fs.files().get(posix.join(REPLAY_ROOT, run.artifactRoot, '.resume-token'));
        if (token) vars.last_resume_token = token.toString('utf8').trim();
      }
      exitCodes.push(code);
      const n = i + 1;
      outputs.set(`cli/${n}.stdout`, runtime.stdout.bytes());
      outputs.set(`cli/${n}.stderr`, runtime.stderr.bytes());
      outputs.set(`cli/${n}.exit`, Buffer.from(`${code}\n`));
    }
    const missing = executor?.missing() ?? [];
    if (missing.length > 0) {
      throw new Error(`transcript.json has no recording for ${missing.join(', ')} (record it with \`golden record\`)`);
    }
    const counts = new Map<string, WriteCounts>();
    for (const [path, count] of fs.counts()) counts.set(posix.relative(REPLAY_ROOT, path), count);
    for (const [path, data] of fs.files()) {
      if (!fs.counts().has(path)) continue; // an input nobody wrote
      outputs.set(`files/${posix.relative(REPLAY_ROOT, path)}`, data);
    }
    return { outputs: new Map([...outputs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), counts, exitCodes };
  });
}
