// Runs in a child Node process started with --expose-gc: loads the orchestrator, measures
// its idle memory, then runs a one-stage pipeline (a real child process printing <MB> of
// output) in-process and reports the peak heap and RSS growth over that idle baseline as
// one JSON line on stdout.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/run-cli.js';
import { createManualSignals } from '../src/runtime/process-signals.js';
import { createRealRuntime } from '../src/runtime/real-runtime.js';
import { createCapturedStream } from '../src/runtime/virtual-runtime.js';

const MB = 1024 * 1024;

export type MemoryProbeResult = {
  size_mb: number;
  finished: boolean;
  reason: string | null;
  heap_growth_mb: number;
  rss_growth_mb: number;
  seconds: number;
};

async function main(): Promise<void> {
  const sizeMb = Number(process.argv[2]);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const root = mkdtempSync(join(tmpdir(), 'bench-memory-'));
  const line = '0123456789abcdef'.repeat(4).slice(0, 63);
  writeFileSync(
    join(root, 'codex.orchestrator.json'),
    JSON.stringify({
      pipelines: [
        { id: 'print', title: 'Print', stages: [{ kind: 'command', id: 'print', title: 'Print', command: `yes ${line} | head -c ${sizeMb * MB}` }] },
      ],
    }),
  );
  const stderr = createCapturedStream();
  const runtime = createRealRuntime({
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdout: createCapturedStream(),
    stderr,
    signals: createManualSignals(),
    cwd: root,
  });
  gc();
  gc();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  const sample = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 5);
  const started = performance.now();
  let finished = true;
  let reason: string | null = null;
  try {
    const code = await runCli(['start', 'print'], runtime);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    const failedSummary = /could not write run-summary\.json: (.*)/.exec(stderr.text());
    if (failedSummary) {
      finished = false;
      reason = `run-summary.json not written: ${failedSummary[1]}`;
    } else if (code !== 0) {
      finished = false;
      reason = `run exited ${code}: ${stderr.text().trim().split('\n').at(-1)}`;
    }
  } catch (error) {
    finished = false;
    reason = error instanceof Error ? error.message : String(error);
  }
  clearInterval(sample);
  const peakRssKb = process.resourceUsage().maxRSS;
  const result: MemoryProbeResult = {
    size_mb: sizeMb,
    finished,
    reason,
    heap_growth_mb: Math.round(((peakHeap - base.heapUsed) / MB) * 10) / 10,
    rss_growth_mb: Math.round(((peakRssKb * 1024 - base.rss) / MB) * 10) / 10,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  rmSync(root, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
