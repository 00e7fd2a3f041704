// Issue 16, item 3: no secret past the guard in enforce mode. Each case runs a whole `start`
// (then `status`) on the virtual runtime with the guard in enforce mode and looks for the
// secret in every file under the root and in everything the CLI printed.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { createVirtualRuntime, driveToCompletion, type VirtualRuntime } from '../../src/runtime/virtual-runtime.js';
import type { Transcript } from '../../src/runtime/transcript-executor.js';
import { restoreProcessEnvAfterEach } from '../helpers/process-env.js';

// Expected failures on the per-chunk guard; flipped to `it` by the stream guard.
const fixed = it;

const ROOT = '/repo';
const CONFIG = `${ROOT}/codex.orchestrator.json`;
const READ_SIZE = 64 * 1024;
restoreProcessEnvAfterEach();

type Chunk = { stream: 'stdout' | 'stderr'; data: string };

/** One `start leaky` in enforce mode with a one-stage pipeline, then `status` of its run. */
async function enforcedRun(options: { command?: string; chunks: Chunk[]; exitCode?: number }) {
  const transcript: Transcript = {
    stages: {
      'leaky/talk': [
        {
          chunks: options.chunks.map((chunk, i) => ({ ...chunk, at_ms: 10 * (i + 1) })),
          exit: { code: options.exitCode ?? 0, signal: null, at_ms: 10 * (options.chunks.length + 1) },
        },
      ],
    },
  };
  const runtime = createVirtualRuntime({
    startMs: Date.parse('2026-03-01T10:00:00.000Z'),
    seed: 16,
    cwd: ROOT,
    transcript,
    env: { CODEX_PRIVACY_GUARD_MODE: 'enforce' },
  });
  const config = {
    pipelines: [{ id: 'leaky', title: 'Leaky', stages: [{ kind: 'command', id: 'talk', title: 'Talk', command: options.command ?? 'talk' }] }],
  };
  runtime.fs.seedFile(CONFIG, JSON.stringify(config));
  const code = await driveToCompletion(runtime, () => runCli(['start', 'leaky', '--format', 'json'], runtime));
  const runId = (JSON.parse(runtime.stdout.text()) as { run_id: string }).run_id;
  await driveToCompletion(runtime, () => runCli(['status', '--run', runId], runtime));
  return { runtime, code };
}

/** What the stage's log holds of a stream (the chunks' bytes, in order). */
function logged(runtime: VirtualRuntime, stream: 'stdout' | 'stderr'): string {
  const [, log] = [...runtime.fs.files()].find(([path]) => path.endsWith('/commands/01-talk.ndjson'))!;
  const events = log
    .toString('utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; stream?: string; data?: string; encoding?: string });
  return events
    .filter((e) => e.type === 'exec:chunk' && e.stream === stream)
    .map((e) => Buffer.from(e.data!, e.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8'))
    .join('');
}

/** Where `needle` can be read: files under the root (path) and the CLI's stdout / stderr. */
function leaks(runtime: VirtualRuntime, needle: string): string[] {
  const found: string[] = [];
  for (const [path, data] of runtime.fs.files()) {
    // The config is the input, not something the orchestrator wrote.
    if (path !== CONFIG && data.includes(needle)) found.push(path.slice(ROOT.length + 1));
  }
  if (runtime.stdout.bytes().includes(needle)) found.push('<stdout>');
  if (runtime.stderr.bytes().includes(needle)) found.push('<stderr>');
  return found;
}

describe('enforce mode: no secret past the guard (issue 16, item 3)', () => {
  fixed('a secret that straddles a 64 KiB read boundary reaches no file and not status', async () => {
    // stderr: the value's first 4 characters end one read, the rest starts the next; stdout:
    // the first 8 end one read (enough for the per-chunk rule), the rest starts the next.
    const stderrHead = 'password=hunt';
    const stdoutHead = 'token: abcdefgh';
    const read = (head: string) => `${'x'.repeat(READ_SIZE - head.length - 1)}\n${head}`;
    expect(Buffer.byteLength(read(stderrHead))).toBe(READ_SIZE);
    const { runtime, code } = await enforcedRun({
      chunks: [
        { stream: 'stdout', data: read(stdoutHead) },
        { stream: 'stderr', data: read(stderrHead) },
        { stream: 'stdout', data: 'ijklmnop accepted\n' },
        { stream: 'stderr', data: 'er2Secret99 denied\n' },
      ],
      exitCode: 1,
    });
    expect(code).toBe(1);
    expect(leaks(runtime, 'hunter2Secret99')).toEqual([]);
    expect(leaks(runtime, 'er2Secret99')).toEqual([]);
    expect(leaks(runtime, 'ijklmnop')).toEqual([]);
  });

  fixed("a private key's body after its header line is dropped too, up to its END line", async () => {
    const body = 'MIIEowIBAAKCAQEAx7keymaterial';
    const { runtime } = await enforcedRun({
      chunks: [
        { stream: 'stdout', data: 'dumping the key\n-----BEGIN RSA PRIVATE KEY-----\n' },
        { stream: 'stdout', data: `${body}\n` },
        { stream: 'stdout', data: '-----END RSA PRIVATE KEY-----\ndone\n' },
      ],
    });
    expect(leaks(runtime, body)).toEqual([]);
    expect(leaks(runtime, 'PRIVATE KEY')).toEqual([]);
    expect(logged(runtime, 'stdout')).toBe('dumping the key\ndone\n');
  });

  fixed("a secret in a stage's command text reaches neither the manifest, the logs nor stderr", async () => {
    const { runtime } = await enforcedRun({
      command: "curl -H 'token: abcdef123456' https://example.invalid",
      chunks: [{ stream: 'stdout', data: 'ok\n' }],
    });
    expect(leaks(runtime, 'abcdef123456')).toEqual([]);
    expect(leaks(runtime, "curl -H 'token: [REDACTED] https://example.invalid")).not.toEqual([]);
  });

  fixed('an AWS key id split over two writes is not reassembled in the stage summary', async () => {
    const { runtime } = await enforcedRun({
      chunks: [
        { stream: 'stdout', data: 'key id AKIAIOSF' },
        { stream: 'stdout', data: 'ODNN7EXAMPLE in use\n' },
      ],
    });
    expect(leaks(runtime, 'AKIAIOSFODNN7EXAMPLE')).toEqual([]);
    expect(leaks(runtime, 'ODNN7EXAMPLE')).toEqual([]);
  });

  it('an exec run whose command the guard changed is not resumed (the manifest does not have the command as it ran)', async () => {
    const transcript: Transcript = { stages: { 'exec/exec': [{ chunks: [], exit: { code: 1, signal: null, at_ms: 5 } }] } };
    const runtime = createVirtualRuntime({
      startMs: Date.parse('2026-03-01T10:00:00.000Z'),
      seed: 16,
      cwd: ROOT,
      transcript,
      env: { CODEX_PRIVACY_GUARD_MODE: 'enforce' },
    });
    expect(await driveToCompletion(runtime, () => runCli(['exec', '--json', 'deploy --token=abcdef123456'], runtime))).toBe(1);
    const runId = (JSON.parse(runtime.stdout.text()) as { run_id: string }).run_id;
    expect(await driveToCompletion(runtime, () => runCli(['resume', '--run', runId], runtime))).toBe(2);
    expect(runtime.stderr.text()).toContain(`cannot resume run '${runId}': the privacy guard kept its command out of the manifest`);
    expect(leaks(runtime, 'abcdef123456')).toEqual([]);
  });
});
