// Phase 3 (tasks/specs/0004-bounded-exec-capture.md): bounded exec event capture, opt-in.
// CODEX_ORCHESTRATOR_EXEC_EVENT_MAX_CHUNKS=N (or `execEventMaxChunks` in the config, the
// environment winning) keeps each stage's begin, end and error events and its first N chunk
// events in run-summary.json, and records what it dropped; the logs stay complete. On the
// virtual runtime, never on the wall clock.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { resumeRun } from '../../src/commands/resume.js';
import type { Manifest } from '../../src/manifest/schema.js';
import type { Executor } from '../../src/runtime/types.js';
import { createVirtualRuntime, driveToCompletion, type VirtualRuntime } from '../../src/runtime/virtual-runtime.js';

const ROOT = '/repo';
const T0 = Date.parse('2026-09-01T09:00:00.000Z');
const VAR = 'CODEX_ORCHESTRATOR_EXEC_EVENT_MAX_CHUNKS';

/** Expected failures on phase-2 code (tests first); flipped by the change. */
const phase3 = it;

type ToolRun = {
  status: string;
  events: Array<{ type: string; sequence?: number; data?: string }>;
  eventCap?: { maxChunkEvents: number; keptChunkEvents: number; droppedChunkEvents: number; droppedChunkBytes: number };
};

function noisy(options: { chunks: number; exit?: number; env?: Record<string, string>; config?: object }) {
  const runtime = createVirtualRuntime({
    startMs: T0,
    seed: 9,
    cwd: ROOT,
    env: options.env ?? {},
    transcript: {
      stages: {
        'noisy/spam': [
          {
            chunks: [
              { generate: { stream: 'stdout', count: options.chunks, data: 'line {i}\n', start_ms: 0, every_ms: 1 } },
              { stream: 'stderr', data: 'boom\n', at_ms: options.chunks + 1 },
            ],
            exit: { code: options.exit ?? 0, signal: null, at_ms: options.chunks + 2 },
          },
        ],
      },
    },
  });
  runtime.fs.seedFile(
    `${ROOT}/codex.orchestrator.json`,
    JSON.stringify({
      ...(options.config ?? {}),
      pipelines: [{ id: 'noisy', title: 'Noisy', stages: [{ kind: 'command', id: 'spam', title: 'Spam', command: 'spam' }] }],
    }),
  );
  return runtime;
}

async function start(runtime: VirtualRuntime) {
  const code = await driveToCompletion(runtime, () => runCli(['start', 'noisy', '--format', 'json'], runtime));
  const out = runtime.stdout.text();
  const doc = code === 2 ? null : (JSON.parse(out) as { artifact_root: string });
  const file = (rel: string) => runtime.fs.files().get(`${ROOT}/${doc!.artifact_root}/${rel}`)?.toString('utf8');
  const summary = () => JSON.parse(file('run-summary.json')!) as { tool_runs: ToolRun[] };
  const manifest = () => JSON.parse(file('manifest.json')!) as Manifest;
  const lines = (rel: string) =>
    file(rel)!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
  return { code, runtime, file, summary, manifest, lines };
}

const chunkEvents = (run: ToolRun) => run.events.filter((e) => e.type === 'exec:chunk');

describe('phase 3: the cap', () => {
  phase3('keeps the begin and end events and the first N chunk events, and records what it dropped', async () => {
    const run = await start(noisy({ chunks: 10_000, env: { [VAR]: '100' } }));
    expect(run.code).toBe(0);
    const record = run.summary().tool_runs[0]!;
    expect(chunkEvents(record)).toHaveLength(100);
    expect(chunkEvents(record).map((e) => e.sequence)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(record.events[0]!.type).toBe('exec:begin');
    expect(record.events.at(-1)!.type).toBe('exec:end');
    // 'line 101\n' … 'line 10000\n' and 'boom\n': 9,900 + 1 chunks dropped.
    const droppedBytes = Array.from({ length: 9_900 }, (_, i) => `line ${i + 101}\n`.length).reduce((a, b) => a + b, 0) + 'boom\n'.length;
    expect(record.eventCap).toEqual({ maxChunkEvents: 100, keptChunkEvents: 100, droppedChunkEvents: 9_901, droppedChunkBytes: droppedBytes });
    expect(run.manifest().summary).toContain(
      `Stage 'Spam': run-summary.json keeps the first 100 of 10001 chunk events (9901 dropped, ${droppedBytes} bytes); the event logs keep them all.`,
    );
  });

  phase3('the logs stay complete and the output tails are those of an uncapped run', async () => {
    const capped = await start(noisy({ chunks: 2_000, env: { [VAR]: '10' } }));
    const uncapped = await start(noisy({ chunks: 2_000 }));
    for (const log of ['runner.ndjson', 'commands/01-spam.ndjson']) {
      expect(capped.lines(log).filter((e) => e.type === 'exec:chunk')).toHaveLength(2_001);
      expect(capped.file(log)).toBe(uncapped.file(log));
    }
    expect(capped.manifest().commands[0]!.summary).toBe(uncapped.manifest().commands[0]!.summary);
    expect(chunkEvents(capped.summary().tool_runs[0]!)).toHaveLength(10);
  });

  phase3('a cap larger than the output drops nothing and says so', async () => {
    const run = await start(noisy({ chunks: 50, env: { [VAR]: '500' } }));
    const record = run.summary().tool_runs[0]!;
    expect(chunkEvents(record)).toHaveLength(51);
    expect(record.eventCap).toEqual({ maxChunkEvents: 500, keptChunkEvents: 51, droppedChunkEvents: 0, droppedChunkBytes: 0 });
    expect(run.manifest().summary ?? '').not.toContain('chunk events');
  });

  phase3('a failing capped stage keeps its error file and stderr tail', async () => {
    const capped = await start(noisy({ chunks: 300, exit: 3, env: { [VAR]: '5' } }));
    const uncapped = await start(noisy({ chunks: 300, exit: 3 }));
    expect(capped.code).toBe(1);
    expect(capped.file('errors/01-spam.json')).toBe(uncapped.file('errors/01-spam.json'));
    expect(capped.summary().tool_runs[0]!.status).toBe('failed');
    expect(capped.summary().tool_runs[0]!.eventCap?.droppedChunkEvents).toBe(296);
  });

  phase3('execEventMaxChunks in the config caps too, and the environment wins over it', async () => {
    const fromConfig = await start(noisy({ chunks: 40, config: { execEventMaxChunks: 7 } }));
    expect(chunkEvents(fromConfig.summary().tool_runs[0]!)).toHaveLength(7);
    const envWins = await start(noisy({ chunks: 40, config: { execEventMaxChunks: 7 }, env: { [VAR]: '3' } }));
    expect(chunkEvents(envWins.summary().tool_runs[0]!)).toHaveLength(3);
    const envZero = await start(noisy({ chunks: 40, config: { execEventMaxChunks: 7 }, env: { [VAR]: '0' } }));
    expect(chunkEvents(envZero.summary().tool_runs[0]!)).toHaveLength(41);
  });

  it('0 or unset: unbounded, byte for byte as today (no eventCap in the record)', async () => {
    const unset = await start(noisy({ chunks: 30 }));
    const zero = await start(noisy({ chunks: 30, env: { [VAR]: '0' } }));
    expect(zero.file('run-summary.json')).toBe(unset.file('run-summary.json'));
    expect(chunkEvents(unset.summary().tool_runs[0]!)).toHaveLength(31);
    expect(unset.summary().tool_runs[0]!.eventCap).toBeUndefined();
  });

  phase3('a bad value is exit 2 with one line naming the variable or the config field, before anything is written', async () => {
    for (const value of ['-1', '1.5', 'ten', '', '1e3', '99999999999']) {
      const run = await start(noisy({ chunks: 1, env: { [VAR]: value } }));
      expect(run.code, value).toBe(2);
      expect(run.runtime.stderr.text().trim().split('\n'), value).toEqual([
        expect.stringMatching(new RegExp(`^codex-orchestrator: ${VAR}: .*an integer from 0 to 1000000`)),
      ]);
      expect(
        [...run.runtime.fs.files().keys()].filter((p) => p.includes('/.runs/')),
        value,
      ).toEqual([]);
    }
    const bad = await start(noisy({ chunks: 1, config: { execEventMaxChunks: -3 } }));
    expect(bad.code).toBe(2);
    expect(bad.runtime.stderr.text().trim()).toMatch(/^codex-orchestrator: codex\.orchestrator\.json: execEventMaxChunks: /);
  });
});

describe('phase 3: resume does not depend on the event history', () => {
  /** An exec run in sub/ that fails (exit 3) with 20 chunks of output, then succeeds on resume. */
  async function failedExec(env: Record<string, string>) {
    const starts: string[] = [];
    const runtime = createVirtualRuntime({
      startMs: T0,
      seed: 6,
      cwd: ROOT,
      env,
      executor: (): Executor => {
        let n = 0;
        return {
          start(request, onChunk) {
            starts.push(request.cwd);
            n += 1;
            const first = n === 1;
            const done = (async () => {
              if (first) for (let i = 1; i <= 20; i += 1) await onChunk({ stream: 'stdout', data: Buffer.from(`out ${i}\n`) });
              return { exitCode: first ? 3 : 0, signal: null };
            })();
            return { done, cancel: () => undefined };
          },
        };
      },
    });
    runtime.fs.seedDirectory(`${ROOT}/sub`);
    expect(await driveToCompletion(runtime, () => runCli(['exec', '--json', '--cwd', 'sub', '--', 'make', 'it'], runtime))).toBe(3);
    const doc = JSON.parse(runtime.stdout.text()) as { run_id: string; artifact_root: string };
    return { runtime, starts, runId: doc.run_id, runDir: `${ROOT}/${doc.artifact_root}` };
  }

  it('a capped exec run resumes exactly like an uncapped one: in its own working directory', async () => {
    for (const env of [{}, { [VAR]: '1' }]) {
      const world = await failedExec(env);
      const result = await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
      expect(result.status, JSON.stringify(env)).toBe('succeeded');
      expect(world.starts, JSON.stringify(env)).toEqual(['/repo/sub', '/repo/sub']);
    }
  });

  phase3('an exec run killed before it wrote run-summary.json resumes in its own working directory, not the repo root', async () => {
    const world = await failedExec({});
    await world.runtime.fs.remove(`${world.runDir}/run-summary.json`);
    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    expect(world.starts).toEqual(['/repo/sub', '/repo/sub']);
  });
});

describe('phase 3: evidence is never silently lost', () => {
  phase3('a run-summary.json that cannot be written fails the run: summary, status detail and exit code say so', async () => {
    const runtime = noisy({ chunks: 3 });
    const failing = (path: string) => {
      if (path.endsWith('/run-summary.json')) throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    };
    const { writeAtomic } = runtime.fs;
    runtime.fs.writeAtomic = async (path, data) => {
      failing(path);
      return writeAtomic.call(runtime.fs, path, data);
    };
    const streamed = (runtime.fs as unknown as { writeAtomicStream?: (p: string, d: unknown) => Promise<void> }).writeAtomicStream;
    if (streamed) {
      (runtime.fs as unknown as { writeAtomicStream: (p: string, d: unknown) => Promise<void> }).writeAtomicStream = async (path, data) => {
        failing(path);
        return streamed.call(runtime.fs, path, data);
      };
    }
    const run = await start(runtime);
    expect(run.code).toBe(1);
    const manifest = run.manifest();
    expect(manifest.status).toBe('failed');
    expect(manifest.status_detail).toBe('evidence:run-summary.json:not-written');
    expect(manifest.summary).toContain('run-summary.json could not be written: EROFS: read-only file system');
    expect(manifest.run_summary_path).toBeNull();
    // One line naming the file (its full path since issue 16, item 4) and the error.
    expect(runtime.stderr.text()).toMatch(
      /^codex-orchestrator: could not write \/repo\/\.runs\/0101\/cli\/[^/]+\/run-summary\.json: EROFS: read-only file system$/m,
    );
  });
});
