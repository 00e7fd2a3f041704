// Characterizations of the phase-0 patterns that are visible in a whole run (B4, B6, B7).
// Each names the phase that removes it; when that phase landed, its test changed with it.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { createVirtualRuntime, driveToCompletion } from '../../src/runtime/virtual-runtime.js';
import { restoreProcessEnvAfterEach } from '../helpers/process-env.js';

const ROOT = '/repo';

restoreProcessEnvAfterEach();

function noisyRuntime(chunks: number) {
  const runtime = createVirtualRuntime({
    startMs: Date.parse('2026-02-02T00:00:00.000Z'),
    seed: 3,
    cwd: ROOT,
    transcript: {
      stages: {
        'noisy/spam': [
          {
            chunks: [{ generate: { stream: 'stdout', count: chunks, data: 'line {i}\n', start_ms: 0, every_ms: 1 } }],
            exit: { code: 0, signal: null, at_ms: chunks + 1 },
          },
        ],
      },
    },
  });
  runtime.fs.seedFile(
    `${ROOT}/codex.orchestrator.json`,
    JSON.stringify({
      pipelines: [
        {
          id: 'noisy',
          title: 'Noisy',
          env: { NOISY_DEFAULT: 'from-pipeline' },
          stages: [{ kind: 'command', id: 'spam', title: 'Spam', command: 'spam' }],
        },
      ],
    }),
  );
  return runtime;
}

async function run(chunks: number) {
  const runtime = noisyRuntime(chunks);
  await driveToCompletion(runtime, () => runCli(['start', 'noisy', '--format', 'json'], runtime));
  const { artifact_root } = JSON.parse(runtime.stdout.text()) as { artifact_root: string };
  const file = (rel: string) => runtime.fs.files().get(`${ROOT}/${artifact_root}/${rel}`)!.toString('utf8');
  return { runtime, file, metrics: runtime.fs.files().get(`${ROOT}/.runs/0101/metrics.json`)!.toString('utf8') };
}

describe('phase-0 patterns in a whole run', () => {
  it('B4 characterization (removed by phase 3): every chunk event is kept in the run summary', async () => {
    const { file } = await run(2_000);
    const summary = JSON.parse(file('run-summary.json')) as { tool_runs: Array<{ events: Array<{ type: string }> }> };
    const events = summary.tool_runs[0]!.events;
    expect(events.filter((e) => e.type === 'exec:chunk')).toHaveLength(2_000);
    expect(events[0]!.type).toBe('exec:begin');
    expect(events.at(-1)!.type).toBe('exec:end');
  });

  it('B6 removed by phase 5: metrics lines count the privacy decisions and point at their log; process.env is not written', async () => {
    delete process.env.NOISY_DEFAULT;
    const { metrics } = await run(500);
    const line = JSON.parse(metrics.trim()) as {
      privacy_events: unknown[];
      privacy_event_count: number;
      privacy_log_path: string;
      handle_count: number;
    };
    expect(line.privacy_events).toEqual([]);
    expect(line.privacy_event_count).toBe(500);
    expect(line.privacy_log_path).toMatch(/privacy-decisions\.ndjson$/);
    expect(line.handle_count).toBe(2);
    expect(process.env.NOISY_DEFAULT).toBeUndefined();
  });

  it('B7 removed by phase 5: manifest bytes per write do not grow with the output', async () => {
    const small = await run(100);
    const large = await run(1_000);
    const size = (r: typeof small) => {
      const runDir = [...r.runtime.fs.counts().keys()].find((p) => p.endsWith('/manifest.json') && p.includes('/cli/'))!;
      const c = r.runtime.fs.counts().get(runDir)!;
      return c.bytes / c.writes;
    };
    // Phase 0: over 5 times larger. What is left is the frame counters' digits.
    expect(size(large) / size(small)).toBeLessThan(1.02);
  });
});
