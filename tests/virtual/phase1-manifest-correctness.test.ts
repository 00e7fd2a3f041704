// Phase 1 (tasks/specs/0001-manifest-correctness.md): what the manifest must say when a stage
// throws, when an allowed failure or an optional subpipeline fails, and about handles that
// saw no frame. Each case runs the CLI's own code on the virtual runtime (the golden replay),
// never on the wall clock, and reads the manifest the run left.
import { describe, expect, it } from 'vitest';
import { replayScenario } from '../../src/harness/golden/replay.js';
import { scenarioSchema } from '../../src/harness/golden/scenario.js';
import type { Transcript } from '../../src/runtime/transcript-executor.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function run(config: object, transcript: Transcript, extra: object = {}) {
  const scenario = scenarioSchema.parse({
    description: 'phase 1',
    config,
    recordable: false,
    steps: [{ argv: ['start', '--format', 'json'] }],
    ...extra,
  });
  const replay = await replayScenario(scenario, transcript);
  const manifests = [...replay.outputs]
    .filter(([file]) => /^files\/\.runs\/[^/]+\/cli\/[^/]+\/manifest\.json$/.test(file))
    .map(([, data]) => JSON.parse(data.toString('utf8')) as Json);
  const main = manifests.find((m) => m.parent_run_id === null)!;
  const file = (rel: string) => replay.outputs.get(`files/${rel}`)?.toString('utf8');
  return { replay, main, manifests, file, exit: replay.exitCodes[0] };
}

const ok = (data = 'ok\n') => ({ chunks: [{ stream: 'stdout' as const, data, at_ms: 1 }], exit: { code: 0, signal: null, at_ms: 2 } });
const fails = (stderr: string) => ({ chunks: [{ stream: 'stderr' as const, data: stderr, at_ms: 1 }], exit: { code: 1, signal: null, at_ms: 2 } });

function pipelines(stages: object[], more: object[] = []) {
  return { pipelines: [{ id: 'diagnostics', title: 'Diagnostics', stages }, ...more] };
}

describe('phase 1: a stage that throws ends failed, in the manifest on disk', () => {
  const expectThrown = (r: Awaited<ReturnType<typeof run>>, i: number, id: string, message: string) => {
    const entry = r.main.commands[i];
    expect(entry.status).toBe('failed');
    expect(entry.completed_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(entry.summary).toBe(`Execution error: ${message}`);
    expect(entry.error_file).toBe(`${r.main.artifact_root}/errors/${String(i + 1).padStart(2, '0')}-${id}.json`);
    const error = JSON.parse(r.file(entry.error_file)!) as Json;
    expect(error).toMatchObject({ command_id: id, reason: 'command-execution-error', details: { message } });
    expect(r.main.status).toBe('failed');
    expect(r.main.status_detail).toBe(`stage:${id}:error`);
    expect(r.exit).toBe(1);
  };

  it('a stage whose cwd does not exist', async () => {
    const r = await run(
      pipelines([
        { kind: 'command', id: 'build', title: 'Build', command: 'make' },
        { kind: 'command', id: 'nowhere', title: 'Nowhere', command: 'true', cwd: 'does/not/exist' },
      ]),
      { stages: { 'diagnostics/build': [ok()] } },
    );
    expectThrown(r, 1, 'nowhere', 'working directory does not exist: does/not/exist');
    expect(r.main.commands[0].status).toBe('succeeded');
  });

  it('a command that cannot be spawned', async () => {
    const r = await run(pipelines([{ kind: 'command', id: 'spawn', title: 'Spawn', command: 'true' }]), {
      stages: { 'diagnostics/spawn': [{ chunks: [], error: 'spawn /bin/sh ENOENT' }] },
    });
    expectThrown(r, 0, 'spawn', 'spawn /bin/sh ENOENT');
  });

  it('a subpipeline stage that throws (its child run cannot be written)', async () => {
    const config = pipelines(
      [{ kind: 'subpipeline', id: 'extras', title: 'Extras', pipeline: 'extras' }],
      [{ id: 'extras', title: 'Extras', stages: [{ kind: 'command', id: 'lint', title: 'Lint', command: 'true' }] }],
    );
    // The second run of seed 1 is the child: its first write (its resume token) fails, so it cannot be created.
    const r = await run(config, { stages: {} }, { faults: [{ path: '.runs/0101/cli/*-ba8a4a27/.resume-token', nth: 1, code: 'EIO' }] });
    const entry = r.main.commands[0];
    expect(entry.status).toBe('failed');
    expect(entry.completed_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    // Issue 16, item 4: the orchestrator's failure to write the child run, not the stage's Execution error.
    expect(entry.summary).toMatch(
      /^Stopped by the orchestrator: \.runs\/0101\/cli\/[^/]+-ba8a4a27\/\.resume-token could not be written: EIO: injected fault$/,
    );
    expect(r.main.status).toBe('failed');
    expect(r.main.status_detail).toMatch(/^evidence:\.runs\/0101\/cli\/[^/]+-ba8a4a27\/\.resume-token:not-written$/);
    expect(r.replay.violations).toEqual([]);
  });
});

describe('phase 1: manifest conformance', () => {
  it('a command stage with allowFailure that fails is recorded skipped; its summary says how it exited; the run succeeds', async () => {
    const r = await run(
      pipelines([
        { kind: 'command', id: 'lint', title: 'Lint', command: 'lint', allowFailure: true },
        { kind: 'command', id: 'test', title: 'Test', command: 'test' },
      ]),
      { stages: { 'diagnostics/lint': [fails('3 warnings treated as errors\n')], 'diagnostics/test': [ok()] } },
    );
    expect(r.main.commands[0]).toMatchObject({ status: 'skipped', exit_code: 1, summary: 'Exited with code 1 — 3 warnings treated as errors' });
    expect(r.main.commands[0].completed_at).toMatch(/^\d{4}-/);
    expect(r.main.status).toBe('succeeded');
    expect(r.exit).toBe(0);
  });

  it('an optional subpipeline whose child fails is recorded skipped', async () => {
    const config = pipelines(
      [
        { kind: 'subpipeline', id: 'extras', title: 'Extras', pipeline: 'extras', optional: true },
        { kind: 'command', id: 'build', title: 'Build', command: 'build' },
      ],
      [{ id: 'extras', title: 'Extras', stages: [{ kind: 'command', id: 'flaky', title: 'Flaky', command: 'flaky' }] }],
    );
    const r = await run(config, { stages: { 'extras/flaky': [fails('mirror timeout\n')], 'diagnostics/build': [ok()] } });
    expect(r.main.commands[0].status).toBe('skipped');
    expect(r.main.commands[0].summary).toBe("Subpipeline 'Extras' failed (stage:flaky:failed).");
    expect(r.main.status).toBe('succeeded');
  });

  it('an optional subpipeline whose child run cannot be written is failed, not skipped: the run fails (issue 16, item 4)', async () => {
    const config = pipelines(
      [{ kind: 'subpipeline', id: 'extras', title: 'Extras', pipeline: 'extras', optional: true }],
      [{ id: 'extras', title: 'Extras', stages: [{ kind: 'command', id: 'lint', title: 'Lint', command: 'true' }] }],
    );
    const r = await run(config, { stages: {} }, { faults: [{ path: '.runs/0101/cli/*-ba8a4a27/.resume-token', nth: 1, code: 'EIO' }] });
    expect(r.main.commands[0].status).toBe('failed');
    expect(r.main.commands[0].summary).toMatch(/^Stopped by the orchestrator: .* could not be written: EIO: injected fault$/);
    expect(r.main.status).toBe('failed');
    expect(r.exit).toBe(1);
  });

  it('handles[].latest_sequence is an integer: 0 before the first frame', async () => {
    const r = await run(pipelines([{ kind: 'command', id: 'build', title: 'Build', command: 'make' }]), { stages: { 'diagnostics/build': [ok()] } });
    const byStream = Object.fromEntries(r.main.handles.map((h: Json) => [h.metadata.stream, h]));
    expect(byStream.stdout).toMatchObject({ frame_count: 1, latest_sequence: 1 });
    expect(byStream.stderr).toMatchObject({ frame_count: 0, latest_sequence: 0 });
  });
});
