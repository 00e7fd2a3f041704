// Timings, with tinybench. Absolute times depend on the machine, so what is budgeted is a
// ratio of two things measured in the same run; absolute figures are shown for reading.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { runCli } from '../src/cli/run-cli.js';
import { createManifest } from '../src/manifest/transitions.js';
import { ManifestPersister } from '../src/persist/persister.js';
import { runPaths } from '../src/persist/manifest-writer.js';
import { createNodeFileSink } from '../src/runtime/node-file-sink.js';
import { createManualSignals } from '../src/runtime/process-signals.js';
import { createRandomIds } from '../src/runtime/random-ids.js';
import { createRealClock } from '../src/runtime/real-clock.js';
import { createRealRuntime } from '../src/runtime/real-runtime.js';
import type { Runtime } from '../src/runtime/types.js';
import { createCapturedStream } from '../src/runtime/virtual-runtime.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export type LatencyResults = {
  forced_write_p50_ms: number;
  forced_write_p99_ms: number;
  stage_ms: number;
  direct_spawn_ms: number;
  stage_overhead_ratio: number;
  cli_start_ms: number;
  node_start_ms: number;
  cli_startup_ratio: number;
};

function runProcess(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}`))));
  });
}

function oneStageRepo(): string {
  const root = mkdtempSync(join(tmpdir(), 'bench-latency-'));
  writeFileSync(
    join(root, 'codex.orchestrator.json'),
    JSON.stringify({ pipelines: [{ id: 'one', title: 'One', stages: [{ kind: 'command', id: 'true', title: 'True', command: 'true' }] }] }),
  );
  return root;
}

function realRuntime(root: string): Runtime {
  return createRealRuntime({
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdout: createCapturedStream(),
    stderr: createCapturedStream(),
    signals: createManualSignals(),
    cwd: root,
  });
}

function stats(bench: Bench, name: string): { mean: number; p50: number; p99: number } {
  const task = bench.getTask(name);
  const result = task?.result as { latency?: { mean: number; p50: number; p99: number } } | undefined;
  if (!result?.latency) throw new Error(`bench task '${name}' produced no result`);
  return { mean: result.latency.mean, p50: result.latency.p50, p99: result.latency.p99 };
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function measureLatency(log: (line: string) => void): Promise<LatencyResults> {
  const root = oneStageRepo();
  try {
    // 1. A forced manifest write, from the request to the bytes on disk.
    const clock = createRealClock();
    const fs = createNodeFileSink({ clock, pid: process.pid });
    const paths = runPaths({ root, runsDir: join(root, '.runs'), outDir: join(root, 'out') }, '0101', 'bench-run', fs, clock);
    const manifest = createManifest({
      taskId: '0101',
      taskSlug: null,
      runId: 'bench-run',
      parentRunId: null,
      pipelineId: 'one',
      pipelineTitle: 'One',
      approvalPolicy: null,
      nowMs: clock.now(),
      artifactRoot: '.runs/0101/cli/bench-run',
      compatPath: 'c',
      logPath: 'l',
      resumeToken: createRandomIds().resumeToken(),
      stages: Array.from({ length: 8 }, (_, i) => ({
        id: `stage-${i}`,
        title: `Stage ${i}`,
        kind: 'command' as const,
        command: `npm run step-${i}`,
      })),
      planTargetId: null,
      instructionsHash: null,
      instructionsSources: [],
      guardrailsRequired: false,
      privacyMode: 'shadow',
      privacyLogPath: 'p',
    });
    const persister = new ManifestPersister(paths, manifest, { intervalMs: 5_000 });
    const writes = new Bench({ time: 1_000, iterations: 50, warmupIterations: 10 });
    let n = 0;
    writes.add('forced manifest write', async () => {
      // A new state each time: the persister skips a write that would repeat the last one.
      n += 1;
      await persister.update((m) => void (m.summary = `write ${n}`), { force: true });
    });
    log('bench: timing forced manifest writes');
    await writes.run();
    await persister.close();

    // 2. A one-stage run in-process vs spawning the same command directly, same run.
    const runtime = realRuntime(root);
    const stage = new Bench({ time: 2_000, iterations: 20, warmupIterations: 3 });
    stage.add('orchestrated stage', async () => {
      const code = await runCli(['start', 'one'], runtime);
      if (code !== 0) throw new Error(`one-stage run exited ${code}`);
    });
    stage.add('direct spawn', () => runProcess('/bin/sh', ['-c', 'true'], root));
    log('bench: timing a one-stage run against a direct spawn');
    await stage.run();

    // 3. CLI start-up of `start` on a one-stage `true` pipeline vs `node -e 0`.
    const startup = new Bench({ time: 3_000, iterations: 10, warmupIterations: 2 });
    startup.add('cli start', () => runProcess(process.execPath, [CLI, 'start', 'one'], root));
    startup.add('node -e 0', () => runProcess(process.execPath, ['-e', '0'], root));
    log('bench: timing CLI start-up against node -e 0');
    await startup.run();

    const write = stats(writes, 'forced manifest write');
    const orchestrated = stats(stage, 'orchestrated stage');
    const direct = stats(stage, 'direct spawn');
    const cli = stats(startup, 'cli start');
    const node = stats(startup, 'node -e 0');
    return {
      forced_write_p50_ms: round(write.p50),
      forced_write_p99_ms: round(write.p99),
      stage_ms: round(orchestrated.p50),
      direct_spawn_ms: round(direct.p50),
      stage_overhead_ratio: round(orchestrated.p50 / direct.p50, 2),
      cli_start_ms: round(cli.p50),
      node_start_ms: round(node.p50),
      cli_startup_ratio: round(cli.p50 / node.p50, 2),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
