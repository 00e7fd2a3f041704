// resume, status and plan on the virtual runtime, at the edges the golden corpus does not reach
// (the mutation run found them alive): every way a resume is refused and what it records, the
// defaults of actor and reason, an exec run resumed in its own working directory, finding a run
// under any task, and the exact text of `status` and `plan`.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { InputError } from '../../src/errors.js';
import type { Manifest } from '../../src/manifest/schema.js';
import { findRun } from '../../src/commands/find-run.js';
import { PLAN_MODE_LEGEND, renderPlan, type Plan } from '../../src/commands/plan.js';
import { PLAN_PRESET, resolveExecutionMode, type ModeInputs } from '../../src/run/execution-mode.js';
import { resumeRun, type ResumeOptions } from '../../src/commands/resume.js';
import { TERMINAL_STATUSES, ownerlessRun, readRunStatus, renderStatus, statusView, type RunStatusView } from '../../src/commands/status.js';
import type { ExecResult, Executor } from '../../src/runtime/types.js';
import type { VirtualClock } from '../../src/runtime/virtual-clock.js';
import { createVirtualRuntime, driveToCompletion, type VirtualRuntime } from '../../src/runtime/virtual-runtime.js';

const ROOT = '/repo';
const T0 = Date.parse('2026-08-01T09:00:00.000Z');

const CONFIG = {
  pipelines: [
    {
      id: 'ci',
      title: 'CI',
      stages: [
        { kind: 'command', id: 'prepare', title: 'Prepare', command: 'echo prepared' },
        { kind: 'command', id: 'migrate', title: 'Migrate', command: 'migrate' },
      ],
    },
  ],
};

/** An executor that exits with the next code queued for the stage (0 when none is left) and records each start. */
function scripted(exits: Record<string, number[]>, starts: string[]): Executor {
  return {
    start(request) {
      starts.push(`${request.stageKey}${request.stageKey.startsWith('exec/') ? ` '${request.command}'` : ''} in ${request.cwd}`);
      const code = exits[request.stageKey]?.shift() ?? 0;
      return { done: Promise.resolve({ exitCode: code, signal: null }), cancel: () => undefined };
    },
  };
}

type World = { runtime: VirtualRuntime; starts: string[]; runId: string; manifestPath: string; runDir: string };

/** A run of `ci` whose `migrate` stage failed (exit 4); `exits` scripts what later starts do. */
async function failedRun(exits: Record<string, number[]> = {}): Promise<World> {
  const starts: string[] = [];
  const runtime = createVirtualRuntime({ startMs: T0, seed: 5, cwd: ROOT, executor: scripted({ 'ci/migrate': [4], ...exits }, starts) });
  runtime.fs.seedFile(`${ROOT}/codex.orchestrator.json`, JSON.stringify(CONFIG));
  expect(await driveToCompletion(runtime, () => runCli(['start', 'ci', '--format', 'json'], runtime))).toBe(1);
  return worldOf(runtime, starts);
}

/** The world of the run whose JSON document the runtime printed. */
function worldOf(runtime: VirtualRuntime, starts: string[]): World {
  const doc = JSON.parse(runtime.stdout.text()) as { run_id: string; manifest: string };
  const manifestPath = `${ROOT}/${doc.manifest}`;
  return { runtime, starts, runId: doc.run_id, manifestPath, runDir: manifestPath.replace(/\/manifest\.json$/, '') };
}

function writeOwnerFile(world: World, identity: { pid: number; host: string; started: string }, group: unknown): void {
  const owner = { ...identity, token: 'f'.repeat(32), acquired_at: '2026-08-01T09:00:00.000Z', command: 'start', stage_group: group };
  world.runtime.fs.seedFile(`${world.runDir}/.owner`, `${JSON.stringify(owner)}\n`);
}

function readManifestFile(world: World): Manifest {
  return JSON.parse(world.runtime.fs.files().get(world.manifestPath)!.toString('utf8')) as Manifest;
}

function writeManifestFile(world: World, change: (m: Manifest) => void): void {
  const m = readManifestFile(world);
  change(m);
  world.runtime.fs.seedFile(world.manifestPath, `${JSON.stringify(m, null, 2)}\n`);
}

async function refusal(world: World, options: Omit<ResumeOptions, 'run'>): Promise<string> {
  try {
    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId, ...options }));
  } catch (error) {
    return `${error instanceof InputError ? 'InputError' : 'other'}: ${(error as Error).message}`;
  }
  return 'accepted';
}

describe('resume refuses, and records the refusal', () => {
  it('a wrong token: blocked with the default actor and reason, written to the manifest', async () => {
    const world = await failedRun();
    world.runtime.clock.setNow(T0 + 60_000);
    expect(await refusal(world, { token: '0'.repeat(64) })).toBe(`InputError: cannot resume run '${world.runId}': resume token does not match`);
    const m = readManifestFile(world);
    expect(m.resume_events).toEqual([
      { timestamp: '2026-08-01T09:01:00.000Z', actor: 'cli', reason: 'manual-resume', outcome: 'blocked', detail: 'resume token does not match' },
    ]);
    expect(m.updated_at).toBe('2026-08-01T09:01:00.000Z');
    expect(m.status).toBe('failed');
    expect(world.starts).toEqual(['ci/prepare in /repo', 'ci/migrate in /repo']);
  });

  it('a run that already succeeded, with the actor and reason given', async () => {
    const world = await failedRun();
    writeManifestFile(world, (m) => {
      m.status = 'succeeded';
    });
    expect(await refusal(world, { actor: 'bot', reason: 'retry' })).toBe(`InputError: cannot resume run '${world.runId}': the run already succeeded`);
    expect(readManifestFile(world).resume_events).toEqual([
      { timestamp: '2026-08-01T09:00:00.000Z', actor: 'bot', reason: 'retry', outcome: 'blocked', detail: 'the run already succeeded' },
    ]);
  });

  it('a run another live process owns is refused, naming it, with nothing written; once that process is gone it is taken over at once', async () => {
    for (const status of ['in_progress', 'queued'] as const) {
      const world = await failedRun();
      writeManifestFile(world, (m) => {
        m.status = status;
        m.heartbeat_at = '2026-08-01T09:00:00.000Z';
      });
      const other = { pid: 777, host: 'virtual-host', started: 'virtual-start-777' };
      const group = { stage: 'migrate', pgid: 778, started: 'virtual-start-778' };
      writeOwnerFile(world, other, group);
      world.runtime.processes.setAlive(other, true);
      world.runtime.clock.setNow(T0 + 10_000); // the heartbeat is fresh throughout
      const before = world.runtime.fs.files();
      expect(await refusal(world, {}), status).toBe(
        `InputError: cannot resume run '${world.runId}': it is owned by pid 777 on host virtual-host (start since 2026-08-01T09:00:00.000Z), which still runs`,
      );
      expect(world.runtime.fs.files(), status).toEqual(before);

      world.runtime.processes.setAlive(other, false);
      expect(await refusal(world, {}), status).toBe('accepted');
      expect(world.runtime.processes.stopped, status).toEqual([group]);
      const accepted = readManifestFile(world).resume_events.at(-1)!;
      expect(accepted, status).toMatchObject({
        outcome: 'accepted',
        detail: 'took over from pid 777 on host virtual-host: its process is gone',
        previous_owner: { pid: 777, host: 'virtual-host', started: 'virtual-start-777', command: 'start', state: 'gone' },
      });
      // The virtual table stops nothing (it has no processes), so no group is said stopped.
      expect(accepted.stopped_process_group, status).toBeUndefined();
      expect(world.runtime.fs.files().has(`${world.runDir}/.owner`), 'given up at the end').toBe(false);
    }
  });

  it('an owner on another host is presumed alive while the heartbeat is fresh, and taken over once it is stale', async () => {
    const world = await failedRun();
    writeManifestFile(world, (m) => {
      m.status = 'in_progress';
      m.heartbeat_at = '2026-08-01T09:00:00.000Z';
    });
    writeOwnerFile(world, { pid: 4242, host: 'build-2', started: 'b/1' }, null);
    world.runtime.clock.setNow(T0 + 30_000); // exactly the stale-after limit: still fresh
    expect(await refusal(world, {})).toBe(
      `InputError: cannot resume run '${world.runId}': it is owned by pid 4242 on host build-2 (start since 2026-08-01T09:00:00.000Z), which still runs`,
    );
    world.runtime.clock.setNow(T0 + 30_001);
    expect(await refusal(world, {})).toBe('accepted');
    expect(readManifestFile(world).resume_events.at(-1)).toMatchObject({
      detail: 'took over from pid 4242 on host build-2: its heartbeat is stale',
      previous_owner: { host: 'build-2', state: 'stale' },
    });
    expect(world.runtime.processes.stopped, 'a group on another host is not this host to stop').toEqual([]);
  });

  it('a run in progress that no process owns (its process let go before its end) is resumed at once', async () => {
    const world = await failedRun();
    writeManifestFile(world, (m) => {
      m.status = 'in_progress';
      m.heartbeat_at = '2026-08-01T09:00:00.000Z';
    });
    world.runtime.clock.setNow(T0 + 1_000);
    expect(await refusal(world, {})).toBe('accepted');
    expect(readManifestFile(world).status).toBe('succeeded');
  });

  it('a pipeline whose stages changed since the run: refused, nothing written', async () => {
    const world = await failedRun();
    const before = readManifestFile(world);
    const changed = {
      pipelines: [{ ...CONFIG.pipelines[0], stages: [CONFIG.pipelines[0]!.stages[0], { ...CONFIG.pipelines[0]!.stages[1], id: 'upgrade' }] }],
    };
    world.runtime.fs.seedFile(`${ROOT}/codex.orchestrator.json`, JSON.stringify(changed));
    expect(await refusal(world, { token: before.resume_token })).toBe(
      `InputError: cannot resume run '${world.runId}': pipeline 'ci' now has stages [prepare, upgrade], the run had [prepare, migrate]`,
    );
    expect(readManifestFile(world)).toEqual(before);
  });

  it('a run id that is not an id, or that no task has', async () => {
    const world = await failedRun();
    expect(await refusal({ ...world, runId: '../x' }, {})).toBe('InputError: invalid run id "../x": it contains a path separator');
    expect(await refusal({ ...world, runId: 'nope' }, {})).toBe("InputError: run 'nope' not found under /repo/.runs");
  });
});

describe('resume accepted', () => {
  it('with the right token: records who and why, logs run:resume, reruns only what did not succeed', async () => {
    const world = await failedRun();
    const token = readManifestFile(world).resume_token;
    world.runtime.clock.setNow(T0 + 120_000);
    const result = await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId, token, actor: 'ops', reason: 'fixed' }));
    expect(result.status).toBe('succeeded');
    expect(world.starts).toEqual(['ci/prepare in /repo', 'ci/migrate in /repo', 'ci/migrate in /repo']);
    const m = readManifestFile(world);
    expect(m.resume_events).toEqual([
      {
        timestamp: '2026-08-01T09:02:00.000Z',
        actor: 'ops',
        reason: 'fixed',
        outcome: 'accepted',
        resumed_from: {
          status: 'failed',
          status_detail: 'stage:migrate:failed',
          ended_at: '2026-08-01T09:00:00.000Z',
          error_files: [errorFile(world, 'migrate', 1)],
        },
      },
    ]);
    expect(m.commands.map((c) => c.status)).toEqual(['succeeded', 'succeeded']);
    const log = world.runtime.fs
      .files()
      .get(`${world.manifestPath.slice(0, -'manifest.json'.length)}runner.ndjson`)!
      .toString('utf8');
    const resumeLine = log.split('\n').find((line) => line.includes('run:resume'));
    expect(JSON.parse(resumeLine!)).toMatchObject({ type: 'run:resume', actor: 'ops', reason: 'fixed', timestamp: '2026-08-01T09:02:00.000Z' });
  });

  it('without actor and reason: cli and manual-resume', async () => {
    const world = await failedRun();
    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    expect(readManifestFile(world).resume_events).toEqual([
      {
        timestamp: '2026-08-01T09:00:00.000Z',
        actor: 'cli',
        reason: 'manual-resume',
        outcome: 'accepted',
        resumed_from: {
          status: 'failed',
          status_detail: 'stage:migrate:failed',
          ended_at: '2026-08-01T09:00:00.000Z',
          error_files: [errorFile(world, 'migrate', 1)],
        },
      },
    ]);
  });
});

describe('resume takes a dead owner over and says what it stopped (docs/contracts.md §12)', () => {
  const CHILD_DIR = `${ROOT}/.runs/0101/cli/r-child`;

  /** The run as an owner that died at T0 left it (migrate running when `running`), with its .owner and a child run. */
  function diedHolding(world: World, owner: { pid: number; host: string; started: string }, group: unknown, running: boolean): void {
    writeManifestFile(world, (m) => {
      m.heartbeat_at = '2026-08-01T09:00:00.000Z';
      m.child_runs = [{ run_id: 'r-child', pipeline_id: 'checks', status: 'failed', manifest: '.runs/0101/cli/r-child/manifest.json' }];
      if (running) {
        Object.assign(m, { status: 'in_progress', status_detail: null, completed_at: null });
        Object.assign(m.commands[1]!, { status: 'running', completed_at: null, exit_code: null, summary: null, error_file: null });
      }
    });
    writeOwnerFile(world, owner, group);
  }

  /** Resumes; the accepted event and the lines the resume wrote on stderr. */
  async function resumed(world: World): Promise<{ event: Manifest['resume_events'][number]; stderr: string[] }> {
    const before = world.runtime.stderr.text().length;
    expect(await refusal(world, {})).toBe('accepted');
    return { event: readManifestFile(world).resume_events.at(-1)!, stderr: world.runtime.stderr.text().slice(before).split('\n') };
  }

  it('an .owner that cannot be read, once the heartbeat is stale: taken over, said in the event and on stderr, this host scanned', async () => {
    const world = await failedRun();
    writeManifestFile(world, (m) => {
      m.status = 'in_progress';
      m.heartbeat_at = '2026-08-01T09:00:00.000Z';
    });
    world.runtime.fs.seedFile(`${world.runDir}/.owner`, '{"pid": 77');
    world.runtime.clock.setNow(T0 + 30_001);
    const { event, stderr } = await resumed(world);
    const detail = 'took over from an owner whose .owner file was unreadable, after its heartbeat went stale';
    expect([event.detail, event.previous_owner, event.stopped_process_group]).toEqual([detail, undefined, undefined]);
    expect(stderr).toContain(`codex-orchestrator: run ${world.runId}: ${detail}`);
    expect(world.runtime.processes.stoppedByEnvironment).toEqual([{ name: 'CODEX_ORCHESTRATOR_RUN_DIR', values: [world.runDir] }]);
    expect(world.runtime.processes.stopped).toEqual([]);
  });

  it('an owner on another host that recorded its stage group: that stage may still run there, and nothing is stopped here', async () => {
    const world = await failedRun();
    diedHolding(world, { pid: 4242, host: 'build-2', started: 'b/1' }, { stage: 'migrate', pgid: 4300, started: 'b/2' }, true);
    world.runtime.clock.setNow(T0 + 30_001);
    const { event, stderr } = await resumed(world);
    const detail =
      "took over from pid 4242 on host build-2: its heartbeat is stale; stage 'migrate' may still run on host build-2 (process group 4300)";
    expect([event.detail, event.stopped_process_group]).toEqual([detail, undefined]);
    expect(stderr).toContain(`codex-orchestrator: run ${world.runId}: ${detail}`);
    expect(world.runtime.processes.stoppedByEnvironment).toEqual([]);
    expect(world.runtime.processes.stopped).toEqual([]);
  });

  it('an owner on this host that is gone: what it left running is stopped (its recorded group, else what the scan of the run directories found) and counted', async () => {
    const group = { stage: 'migrate', pgid: 778, started: 'virtual-start-778' };
    const cases = [
      {
        name: 'the recorded group, which the scan did not find',
        group,
        scan: { groups: [], processes: 0 },
        running: false,
        said: "stage 'migrate' (3 processes, process group 778)",
        stopped_process_group: { stage: 'migrate', pgid: 778, processes: 3 },
        stopGroup: [group],
      },
      {
        name: 'the recorded group, which the scan found and stopped: not stopped again',
        group,
        scan: { groups: [778], processes: 2 },
        running: false,
        said: "stage 'migrate' (2 processes, process group 778)",
        stopped_process_group: { stage: 'migrate', pgid: 778, processes: 2 },
        stopGroup: [],
      },
      {
        name: "no recorded group: the scan's group, the stage the manifest says was running",
        group: null,
        scan: { groups: [901], processes: 2 },
        running: true,
        said: "stage 'migrate' (2 processes, process group 901)",
        stopped_process_group: { stage: 'migrate', pgid: 901, processes: 2 },
        stopGroup: [],
      },
      {
        name: 'no recorded group, none found, no stage running',
        group: null,
        scan: { groups: [], processes: 1 },
        running: false,
        said: "stage 'unknown' (1 processes)",
        stopped_process_group: { stage: 'unknown', pgid: null, processes: 1 },
        stopGroup: [],
      },
    ];
    for (const c of cases) {
      const world = await failedRun();
      diedHolding(world, { pid: 777, host: 'virtual-host', started: 'virtual-start-777' }, c.group, c.running);
      const table = world.runtime.processes;
      // The virtual table has no processes: these stand for the ones the dead owner left.
      table.stopByEnvironment = (name, values) => {
        table.stoppedByEnvironment.push({ name, values });
        return c.scan;
      };
      const stopGroup = table.stopGroup.bind(table);
      table.stopGroup = (stopping) => {
        stopGroup(stopping);
        return 3;
      };
      const { event, stderr } = await resumed(world);
      const detail = `took over from pid 777 on host virtual-host: its process is gone; stopped what it left running of ${c.said}`;
      expect([event.detail, event.stopped_process_group], c.name).toEqual([detail, c.stopped_process_group]);
      expect(stderr, c.name).toContain(`codex-orchestrator: run ${world.runId}: ${detail}`);
      expect(table.stoppedByEnvironment, c.name).toEqual([{ name: 'CODEX_ORCHESTRATOR_RUN_DIR', values: [world.runDir, CHILD_DIR] }]);
      expect(table.stopped, c.name).toEqual(c.stopGroup);
    }
  });

  it('a resume refused once it holds the run (a wrong token, a damaged run-summary.json) lets the run go: no .owner is left', async () => {
    const world = await failedRun();
    expect(await refusal(world, { token: '0'.repeat(64) })).toBe(`InputError: cannot resume run '${world.runId}': resume token does not match`);
    expect(world.runtime.fs.files().has(`${world.runDir}/.owner`)).toBe(false);
    world.runtime.fs.seedFile(`${world.runDir}/run-summary.json`, '{not json');
    expect(await refusal(world, {})).toMatch(
      new RegExp(`^InputError: cannot resume run '${world.runId}': \\.runs/\\S+/run-summary\\.json: invalid JSON at line 1, column 2: `),
    );
    expect(world.runtime.fs.files().has(`${world.runDir}/.owner`)).toBe(false);
  });
});

/** The run's error files (repo-relative), sorted. */
function errorFiles(world: World): string[] {
  const errors = `${world.runDir}/errors/`;
  return [...world.runtime.fs.files().keys()].filter((path) => path.startsWith(errors)).map((path) => path.slice(ROOT.length + 1));
}

/** The repo-relative path of a `ci` stage's error file: the current one, or the one set aside from `invocation`. */
function errorFile(world: World, stage: 'prepare' | 'migrate', invocation?: number): string {
  const stem = `${world.runDir.slice(ROOT.length + 1)}/errors/0${stage === 'prepare' ? 1 : 2}-${stage}`;
  return invocation === undefined ? `${stem}.json` : `${stem}.invocation-${invocation}.json`;
}

const fileText = (world: World, repoPath: string) => world.runtime.fs.files().get(`${ROOT}/${repoPath}`)?.toString('utf8');

describe('resume sets aside the error files of the invocation it follows (docs/contracts.md §7)', () => {
  it('a stage that failed, then succeeded on resume: its error file is kept as invocation 1, named by the resume event, and errors/02-migrate.json is gone', async () => {
    const world = await failedRun();
    const failedOnce = fileText(world, errorFile(world, 'migrate'));
    expect(JSON.parse(failedOnce!)).toMatchObject({ command_id: 'migrate', reason: 'command-failed', details: { exit_code: 4 } });
    expect(readManifestFile(world).commands[1]!.error_file).toBe(errorFile(world, 'migrate'));

    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    const m = readManifestFile(world);
    expect(m.status).toBe('succeeded');
    expect(m.commands[1]).toMatchObject({ status: 'succeeded', error_file: null });
    // Before the fix the failed attempt's file stayed as errors/02-migrate.json beside a stage that succeeded.
    expect(errorFiles(world)).toEqual([errorFile(world, 'migrate', 1)]);
    expect(fileText(world, errorFile(world, 'migrate', 1))).toBe(failedOnce);
    expect(m.resume_events.at(-1)!.resumed_from).toEqual({
      status: 'failed',
      status_detail: 'stage:migrate:failed',
      ended_at: '2026-08-01T09:00:00.000Z',
      error_files: [errorFile(world, 'migrate', 1)],
    });
  });

  it('failing again: errors/02-migrate.json is the current failure (its entry names it), each earlier one kept under its invocation', async () => {
    const world = await failedRun({ 'ci/migrate': [4, 5, 6] });
    const first = fileText(world, errorFile(world, 'migrate'));
    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    let m = readManifestFile(world);
    expect(m.status).toBe('failed');
    expect(m.commands[1]!.error_file).toBe(errorFile(world, 'migrate'));
    expect(JSON.parse(fileText(world, errorFile(world, 'migrate'))!)).toMatchObject({ details: { exit_code: 5 } });
    expect(errorFiles(world)).toEqual([errorFile(world, 'migrate', 1), errorFile(world, 'migrate')]);
    const second = fileText(world, errorFile(world, 'migrate'));

    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    m = readManifestFile(world);
    expect(JSON.parse(fileText(world, errorFile(world, 'migrate'))!)).toMatchObject({ details: { exit_code: 6 } });
    expect(errorFiles(world)).toEqual([errorFile(world, 'migrate', 1), errorFile(world, 'migrate', 2), errorFile(world, 'migrate')]);
    expect([fileText(world, errorFile(world, 'migrate', 1)), fileText(world, errorFile(world, 'migrate', 2))]).toEqual([first, second]);
    expect(m.resume_events.map((event) => event.resumed_from?.error_files)).toEqual([
      [errorFile(world, 'migrate', 1)],
      [errorFile(world, 'migrate', 2)],
    ]);

    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    expect(readManifestFile(world).status).toBe('succeeded');
    expect(errorFiles(world)).toEqual([errorFile(world, 'migrate', 1), errorFile(world, 'migrate', 2), errorFile(world, 'migrate', 3)]);
  });

  it('an error file the manifest does not name (its process died before the entry) is set aside too; one an earlier try already moved is found under its new name', async () => {
    const world = await failedRun();
    const text = fileText(world, errorFile(world, 'migrate'))!;
    // The process died after writing the error file, before the stage's end reached the manifest.
    writeManifestFile(world, (m) => {
      Object.assign(m, { status: 'in_progress', status_detail: null, completed_at: null });
      Object.assign(m.commands[1]!, { status: 'running', completed_at: null, exit_code: null, summary: null, error_file: null });
    });
    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    expect(errorFiles(world)).toEqual([errorFile(world, 'migrate', 1)]);
    expect(readManifestFile(world).resume_events[0]!.resumed_from).toEqual({
      status: 'in_progress',
      status_detail: null,
      ended_at: '2026-08-01T09:00:00.000Z',
      error_files: [errorFile(world, 'migrate', 1)],
    });

    // A resume that moved the file and stopped before its manifest landed: the next one names it.
    const again = await failedRun();
    await again.runtime.fs.remove(`${ROOT}/${errorFile(again, 'migrate')}`);
    again.runtime.fs.seedFile(`${ROOT}/${errorFile(again, 'migrate', 1)}`, text);
    await driveToCompletion(again.runtime, () => resumeRun(again.runtime, { run: again.runId }));
    expect(errorFiles(again)).toEqual([errorFile(again, 'migrate', 1)]);
    expect(readManifestFile(again).resume_events[0]!.resumed_from!.error_files).toEqual([errorFile(again, 'migrate', 1)]);
  });
});

describe('resume sets aside error files: what the previous resume kept decides (docs/contracts.md §7)', () => {
  it("the copy the previous resume named is gone: the stage's next failure is kept under this invocation's name", async () => {
    const world = await failedRun({ 'ci/migrate': [4, 5, 0] });
    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId })); // fails again: exit 5
    await world.runtime.fs.remove(`${ROOT}/${errorFile(world, 'migrate', 1)}`);
    const second = fileText(world, errorFile(world, 'migrate'));
    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    expect(errorFiles(world)).toEqual([errorFile(world, 'migrate', 2)]);
    expect(fileText(world, errorFile(world, 'migrate', 2))).toBe(second);
    expect(readManifestFile(world).resume_events.map((event) => event.resumed_from?.error_files)).toEqual([
      [errorFile(world, 'migrate', 1)],
      [errorFile(world, 'migrate', 2)],
    ]);
  });

  it('a previous resume recorded before issue 19 (no resumed_from) kept no copy: the failure is kept under this invocation even beside an older copy of the same bytes', async () => {
    const world = await failedRun({ 'ci/migrate': [4, 5, 0] });
    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId })); // fails again: exit 5
    const second = fileText(world, errorFile(world, 'migrate'))!;
    writeManifestFile(world, (m) => {
      delete m.resume_events[0]!.resumed_from;
    });
    world.runtime.fs.seedFile(`${ROOT}/${errorFile(world, 'migrate', 1)}`, second);
    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    expect(errorFiles(world)).toEqual([errorFile(world, 'migrate', 1), errorFile(world, 'migrate', 2)]);
    expect(fileText(world, errorFile(world, 'migrate', 2))).toBe(second);
    expect(readManifestFile(world).resume_events[1]!.resumed_from!.error_files).toEqual([errorFile(world, 'migrate', 2)]);
  });
});

describe('resume sets aside error files in an order a kill -9 cannot break (docs/contracts.md §7)', () => {
  /** The files on disk at the moment the resume removes errors/02-migrate.json (before the removal: a kill -9 there). */
  async function atRemoval(world: World): Promise<Map<string, Buffer>> {
    const fs = world.runtime.fs;
    const remove = fs.remove.bind(fs);
    let seen: Map<string, Buffer> | null = null;
    fs.remove = async (path) => {
      if (seen === null && path.endsWith(`/${errorFile(world, 'migrate')}`)) seen = new Map(fs.files());
      return remove(path);
    };
    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    fs.remove = remove;
    expect(seen, 'the resume removed the old name').not.toBeNull();
    return seen!;
  }

  it('the resume, naming the kept copy, is on disk before the old name is removed (it was written after: a kill there left the entry naming a file that was gone)', async () => {
    const world = await failedRun();
    const disk = await atRemoval(world);
    const m = JSON.parse(disk.get(world.manifestPath)!.toString('utf8')) as Manifest;
    expect(m.resume_events.at(-1)).toMatchObject({ outcome: 'accepted', resumed_from: { error_files: [errorFile(world, 'migrate', 1)] } });
    expect(m.commands[1]!.error_file).toBeNull();
    expect(disk.has(`${ROOT}/${errorFile(world, 'migrate', 1)}`)).toBe(true);
  });

  it('killed after the resume landed and before the removal: the next resume removes the old name, and keeps no second copy of the same failure', async () => {
    const world = await failedRun();
    const failed = fileText(world, errorFile(world, 'migrate'));
    const disk = await atRemoval(world);
    // A machine that stopped at that instant: its disk as it was, a fresh process.
    const starts: string[] = [];
    const runtime = createVirtualRuntime({ startMs: T0 + 60_000, seed: 6, cwd: ROOT, executor: scripted({}, starts) });
    // Its .owner is left out: the virtual process table would find pid 4242 alive (a dead owner on this host is taken over at once).
    for (const [path, bytes] of disk) if (!path.endsWith('/.owner')) runtime.fs.seedFile(path, bytes);
    const after = { ...world, runtime, starts };
    expect(readManifestFile(after).status).toBe('in_progress');
    await driveToCompletion(runtime, () => resumeRun(runtime, { run: world.runId }));
    const m = readManifestFile(after);
    expect(m.status).toBe('succeeded');
    expect(errorFiles(after)).toEqual([errorFile(world, 'migrate', 1)]);
    expect(fileText(after, errorFile(world, 'migrate', 1))).toBe(failed);
    expect(m.resume_events.map((event) => event.resumed_from?.error_files)).toEqual([[errorFile(world, 'migrate', 1)], []]);
  });
  it('the old name cannot be removed: one line naming it, the run left resumable; the next resume removes it and keeps one copy', async () => {
    const world = await failedRun();
    const fs = world.runtime.fs;
    const remove = fs.remove.bind(fs);
    const old = `${ROOT}/${errorFile(world, 'migrate')}`;
    fs.remove = async (path) => {
      if (path === old) throw Object.assign(new Error(`EACCES: permission denied, unlink '${path}'`), { code: 'EACCES' });
      return remove(path);
    };
    const refused = await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId })).then(
      () => 'resumed',
      (error: unknown) => (error as Error).message,
    );
    expect(refused).toBe(`could not remove ${old}: EACCES: permission denied`);
    expect(world.starts.filter((start) => start.startsWith('ci/migrate'))).toHaveLength(1);
    fs.remove = remove;
    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    const m = readManifestFile(world);
    expect(m.status).toBe('succeeded');
    expect(errorFiles(world)).toEqual([errorFile(world, 'migrate', 1)]);
    expect(m.resume_events.map((event) => event.resumed_from?.error_files)).toEqual([[errorFile(world, 'migrate', 1)], []]);
  });
});

describe("a resumed run's duration: the time its invocations ran, not the time it sat failed (docs/contracts.md §1 runs)", () => {
  /** Each start of a stage takes the next [virtual ms, exit code] queued for it ([1000, 0] when none is left). */
  function timed(plan: Record<string, Array<[number, number]>>): (clock: VirtualClock) => Executor {
    return (clock) => ({
      start(request) {
        const [ms, code] = plan[request.stageKey]?.shift() ?? [1_000, 0];
        const done = new Promise<ExecResult>((resolve) => clock.setTimeout(() => resolve({ exitCode: code, signal: null }), ms));
        return { done, cancel: () => undefined };
      },
    });
  }

  /** prepare runs 2 s, migrate 3 s and fails: the first invocation ends at T0 + 5 s. Then `migrateAgain`. */
  async function failedFor5s(migrateAgain: Array<[number, number]>): Promise<World> {
    const runtime = createVirtualRuntime({
      startMs: T0,
      seed: 5,
      cwd: ROOT,
      executor: timed({ 'ci/prepare': [[2_000, 0]], 'ci/migrate': [[3_000, 4], ...migrateAgain] }),
    });
    runtime.fs.seedFile(`${ROOT}/codex.orchestrator.json`, JSON.stringify(CONFIG));
    expect(await driveToCompletion(runtime, () => runCli(['start', 'ci', '--format', 'json'], runtime))).toBe(1);
    return worldOf(runtime, []);
  }

  async function cli(world: World, argv: string[]): Promise<{ code: number; stdout: string }> {
    const before = world.runtime.stdout.text().length;
    const code = await driveToCompletion(world.runtime, () => runCli(argv, world.runtime));
    return { code, stdout: world.runtime.stdout.text().slice(before) };
  }

  const metricsDurations = (world: World) =>
    world.runtime.fs
      .files()
      .get(`${ROOT}/.runs/0101/metrics.json`)!
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { duration_seconds: number }).duration_seconds);

  it('resumed ten minutes later, migrate runs 4 s: runs, status, the resume line, run-summary.json and the metrics line all say 9 s; started_at and completed_at stay the run’s first start and last end', async () => {
    const world = await failedFor5s([[4_000, 0]]);
    expect(readManifestFile(world).completed_at).toBe('2026-08-01T09:00:05.000Z');
    world.runtime.clock.setNow(T0 + 600_000);
    const resumed = await cli(world, ['resume', '--run', world.runId]);
    expect(resumed.code).toBe(0);
    // Before the fix every one of these said 604 s: from the first start to the end of the resume.
    expect(resumed.stdout).toContain('  stages: 2 succeeded, 0 allowed to fail, 0 failed, 0 not run (9.0s)\n');

    const m = readManifestFile(world);
    expect([m.started_at, m.completed_at]).toEqual(['2026-08-01T09:00:00.000Z', '2026-08-01T09:10:04.000Z']);
    expect(m.resume_events[0]!.resumed_from!.ended_at).toBe('2026-08-01T09:00:05.000Z');

    const runs = JSON.parse((await cli(world, ['runs', '--format', 'json'])).stdout) as { runs: Array<Record<string, unknown>> };
    expect(runs.runs[0]).toMatchObject({ started_at: m.started_at, completed_at: m.completed_at, duration_ms: 9_000 });
    expect((await cli(world, ['runs'])).stdout.split('\n')[1]).toContain(`  ${m.started_at}  9.0s  stages: 2 succeeded`);

    const status = JSON.parse((await cli(world, ['status', '--run', world.runId, '--format', 'json'])).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ started_at: m.started_at, completed_at: m.completed_at, duration_ms: 9_000, invocations: 2 });
    expect((await cli(world, ['status', '--run', world.runId])).stdout).toContain('  duration:  9.0s (the time its 2 invocations ran)\n');

    const summary = JSON.parse(world.runtime.fs.files().get(`${world.runDir}/run-summary.json`)!.toString('utf8')) as { duration_seconds: number };
    expect(summary.duration_seconds).toBe(9);
    expect(metricsDurations(world)).toEqual([5, 9]);
  });

  it('resumed twice: each invocation counts from its resume to its end (8 + 5 + 7 s), and a blocked resume between them counts nothing', async () => {
    const world = await failedFor5s([
      [3_000, 4],
      [7_000, 0],
    ]);
    world.runtime.clock.setNow(T0 + 60_000);
    expect((await cli(world, ['resume', '--run', world.runId])).code).toBe(1); // 1:03 to 1:08: fails again after 3 s
    world.runtime.clock.setNow(T0 + 120_000);
    expect((await cli(world, ['resume', '--run', world.runId, '--token', '0'.repeat(64)])).code).toBe(2);
    world.runtime.clock.setNow(T0 + 180_000);
    expect((await cli(world, ['resume', '--run', world.runId])).code).toBe(0);
    const m = readManifestFile(world);
    expect(m.resume_events.map((e) => [e.outcome, e.resumed_from?.ended_at])).toEqual([
      ['accepted', '2026-08-01T09:00:05.000Z'],
      ['blocked', undefined],
      ['accepted', '2026-08-01T09:01:03.000Z'],
    ]);
    expect(m.completed_at).toBe('2026-08-01T09:03:07.000Z');
    const runs = JSON.parse((await cli(world, ['runs', '--format', 'json'])).stdout) as { runs: Array<{ duration_ms: number }> };
    expect(runs.runs[0]!.duration_ms).toBe(15_000);
    expect(metricsDurations(world)).toEqual([5, 8, 15]);
  });

  it('an invocation whose process died counts up to its last heartbeat; a resume recorded before issue 19 (no resumed_from) counts the time before it whole', async () => {
    const world = await failedFor5s([[4_000, 0]]);
    // The process died during migrate: the manifest still says in progress, last heartbeat at 09:00:04.
    writeManifestFile(world, (m) => {
      Object.assign(m, { status: 'in_progress', status_detail: null, completed_at: null, heartbeat_at: '2026-08-01T09:00:04.000Z' });
      Object.assign(m.commands[1]!, { status: 'running', completed_at: null, exit_code: null, summary: null, error_file: null });
    });
    world.runtime.clock.setNow(T0 + 600_000);
    expect((await cli(world, ['resume', '--run', world.runId])).code).toBe(0);
    expect(readManifestFile(world).resume_events[0]!.resumed_from).toMatchObject({ status: 'in_progress', ended_at: '2026-08-01T09:00:04.000Z' });
    const status = JSON.parse((await cli(world, ['status', '--run', world.runId, '--format', 'json'])).stdout) as { duration_ms: number };
    expect(status.duration_ms).toBe(8_000);

    writeManifestFile(world, (m) => {
      delete m.resume_events[0]!.resumed_from;
    });
    const old = JSON.parse((await cli(world, ['status', '--run', world.runId, '--format', 'json'])).stdout) as { duration_ms: number };
    expect(old.duration_ms).toBe(604_000);
  });
});

describe('resume of an exec run', () => {
  async function failedExec(): Promise<World> {
    const starts: string[] = [];
    const runtime = createVirtualRuntime({ startMs: T0, seed: 6, cwd: ROOT, executor: scripted({ 'exec/exec': [3, 3, 0] }, starts) });
    runtime.fs.seedDirectory(`${ROOT}/sub`);
    expect(await driveToCompletion(runtime, () => runCli(['exec', '--json', '--cwd', 'sub', '--', 'make', 'it'], runtime))).toBe(3);
    return worldOf(runtime, starts);
  }

  it('reruns the command where it first ran (from run-summary.json), and a failure stays exec-failed', async () => {
    const world = await failedExec();
    const result = await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    expect(result.status).toBe('failed');
    expect(readManifestFile(world).status_detail).toBe('exec-failed');
    expect(readManifestFile(world).commands[0]!.command).toBe('make it');
    expect(world.starts).toEqual(["exec/exec 'make it' in /repo/sub", "exec/exec 'make it' in /repo/sub"]);
  });

  it('finds where it ran in the stage log, also when the run left no run-summary.json or no tool runs in it (phase 3)', async () => {
    for (const summary of [null, JSON.stringify({ tool_runs: [] })]) {
      const world = await failedExec();
      const summaryPath = `${world.manifestPath.slice(0, -'manifest.json'.length)}run-summary.json`;
      if (summary === null) await world.runtime.fs.remove(summaryPath);
      else world.runtime.fs.seedFile(summaryPath, summary);
      await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
      expect(world.starts.at(-1), String(summary)).toBe("exec/exec 'make it' in /repo/sub");
    }
  });

  it('refuses, naming the stage log, when the command never started or its log is damaged', async () => {
    const cases: Array<[string | null, RegExp]> = [
      [null, /its command never started, so where it runs is unknown \(\.runs\/.*\/commands\/01-exec\.ndjson has no exec:begin\)$/],
      ['{"type":"command:start","command":"make it"}\n', /has no exec:begin\)$/],
      ['{"type":"command:start"}\nnot json\n', /commands\/01-exec\.ndjson: line 2 is not a JSON event$/],
    ];
    for (const [log, message] of cases) {
      const world = await failedExec();
      const logPath = `${world.manifestPath.slice(0, -'manifest.json'.length)}commands/01-exec.ndjson`;
      if (log === null) await world.runtime.fs.remove(logPath);
      else world.runtime.fs.seedFile(logPath, log);
      const startsBefore = world.starts.length;
      await expect(driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }))).rejects.toThrow(message);
      expect(world.starts).toHaveLength(startsBefore);
    }
  });

  it('reads only the head of a large stage log to find where the command ran', async () => {
    const world = await failedExec();
    const logPath = `${world.manifestPath.slice(0, -'manifest.json'.length)}commands/01-exec.ndjson`;
    const head = world.runtime.fs.files().get(logPath)!.toString('utf8');
    const filler = `${JSON.stringify({ type: 'exec:chunk', data: 'x'.repeat(1000) })}\n`.repeat(2_000);
    world.runtime.fs.seedFile(logPath, head + filler);
    const reads: number[] = [];
    const readPrefix = world.runtime.fs.readPrefix.bind(world.runtime.fs);
    world.runtime.fs.readPrefix = (path, bytes) => {
      if (path === logPath) reads.push(bytes);
      return readPrefix(path, bytes);
    };
    await driveToCompletion(world.runtime, () => resumeRun(world.runtime, { run: world.runId }));
    expect(reads).toEqual([64 * 1024]);
    expect(world.starts.at(-1)).toBe("exec/exec 'make it' in /repo/sub");
  });

  it('refuses to resume on a damaged run-summary.json, naming the file and the field (it would guess the directory)', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{not json', /run-summary\.json: invalid JSON at line 1, column 2: /],
      [JSON.stringify({ tool_runs: 'none' }), /run-summary\.json: tool_runs: /],
      [JSON.stringify({ tool_runs: [{ id: 'x' }] }), /run-summary\.json: tool_runs\[0\]\.tool: /],
    ];
    for (const [summary, message] of cases) {
      const world = await failedExec();
      world.runtime.fs.seedFile(`${world.manifestPath.slice(0, -'manifest.json'.length)}run-summary.json`, summary);
      const startsBefore = world.starts.length;
      await expect(resumeRun(world.runtime, { run: world.runId })).rejects.toThrow(
        new RegExp(`^cannot resume run '${world.runId}': \\.runs/.*${message.source}`),
      );
      expect(world.starts.length).toBe(startsBefore);
    }
  });
});

describe('findRun', () => {
  it('finds a run under any task, not just the first task directory', async () => {
    const runtime = createVirtualRuntime({ startMs: T0, seed: 1, cwd: ROOT });
    runtime.fs.seedDirectory(`${ROOT}/.runs/0001/cli`);
    runtime.fs.seedFile(`${ROOT}/.runs/0002/cli/r-1/manifest.json`, '{}');
    const roots = { root: ROOT, runsDir: `${ROOT}/.runs`, outDir: `${ROOT}/out` };
    expect(await findRun(runtime.fs, roots, 'r-1')).toEqual({
      taskId: '0002',
      runId: 'r-1',
      manifestPath: `${ROOT}/.runs/0002/cli/r-1/manifest.json`,
    });
  });
});

describe('status', () => {
  const view: RunStatusView = {
    run_id: 'r-1',
    task_id: '0101',
    pipeline_id: 'ci',
    status: 'in_progress',
    status_detail: 'stage:migrate:failed',
    started_at: '2026-08-01T09:00:00.000Z',
    completed_at: null,
    duration_ms: null,
    invocations: 1,
    updated_at: '2026-08-01T09:00:01.000Z',
    heartbeat_at: '2026-08-01T09:00:01.000Z',
    heartbeat_stale: true,
    owner: { pid: 4243, host: 'build-1', started: 'boot/77', acquired_at: '2026-08-01T09:00:00.000Z', command: 'start', state: 'gone' },
    summary: 'first line\nsecond line',
    guardrails_required: false,
    manifest: '.runs/0101/cli/r-1/manifest.json',
    commands: [
      { index: 1, id: 'prepare', kind: 'command', status: 'succeeded', exit_code: 0, summary: 'prepared\nmore' },
      { index: 2, id: 'checks', kind: 'subpipeline', status: 'running', exit_code: null, summary: null },
    ],
    child_runs: [{ run_id: 'r-2', pipeline_id: 'checks', status: 'in_progress', manifest: 'm' }],
  };

  it('renders every field, the first line of each stage summary, child runs and the whole summary', () => {
    expect(renderStatus(view)).toBe(
      [
        'Run r-1 (task 0101, pipeline ci)',
        '  status:    in_progress (stage:migrate:failed) (heartbeat stale: the process may have died)',
        '  owner:     pid 4243 on host build-1 (start since 2026-08-01T09:00:00.000Z), gone - resume it with: codex-orchestrator resume --run r-1',
        '  started:   2026-08-01T09:00:00.000Z',
        '  completed: -',
        '  duration:  -',
        '  manifest:  .runs/0101/cli/r-1/manifest.json',
        '  stages:',
        '    1. prepare              succeeded exit 0 - prepared',
        '    2. checks               running',
        '  child run: r-2 (checks) in_progress',
        '  summary:',
        '    first line',
        '    second line',
        '',
      ].join('\n'),
    );
  });

  it('leaves out what is not there', () => {
    const plain = {
      ...view,
      status: 'failed' as const,
      status_detail: null,
      heartbeat_stale: false,
      completed_at: '2026-08-01T09:05:00.000Z',
      duration_ms: 300_000,
      summary: null,
      child_runs: [],
    };
    expect(renderStatus(plain)).toBe(
      [
        'Run r-1 (task 0101, pipeline ci)',
        '  status:    failed',
        '  started:   2026-08-01T09:00:00.000Z',
        '  completed: 2026-08-01T09:05:00.000Z',
        '  duration:  300.0s',
        '  manifest:  .runs/0101/cli/r-1/manifest.json',
        '  stages:',
        '    1. prepare              succeeded exit 0 - prepared',
        '    2. checks               running',
        '',
      ].join('\n'),
    );
    // A resumed run's duration says what it counts: less than from its start to its end.
    expect(renderStatus({ ...plain, duration_ms: 9_000, invocations: 3 }).split('\n')[4]).toBe('  duration:  9.0s (the time its 3 invocations ran)');
  });

  it('the terminal statuses are exactly succeeded, failed and cancelled', async () => {
    expect([...TERMINAL_STATUSES]).toEqual(['succeeded', 'failed', 'cancelled']);
    const world = await failedRun();
    const m = readManifestFile(world);
    expect(statusView(m, 'label', T0).commands).toEqual([
      { index: 1, id: 'prepare', kind: 'command', status: 'succeeded', exit_code: 0, summary: 'Command completed with code 0' },
      { index: 2, id: 'migrate', kind: 'command', status: 'failed', exit_code: 4, summary: 'Exited with code 4' },
    ]);
  });
  it('ownerlessRun: a run not ended whose owner is none, gone or stale says how to resume it; an alive owner or an ended run says nothing', () => {
    const owner = view.owner!;
    const unreadable = { pid: null, host: null, started: null, acquired_at: null, command: null };
    const resume = 'resume it with: codex-orchestrator resume --run r-1';
    expect(ownerlessRun({ ...view, owner: null })).toBe(`no process owns run r-1 (the one that ran it ended before its end); ${resume}`);
    expect(ownerlessRun(view)).toBe(`the owner of run r-1 (pid 4243 on host build-1) is gone; ${resume}`);
    expect(ownerlessRun({ ...view, owner: { ...owner, state: 'stale' } })).toBe(
      `the owner of run r-1 (pid 4243 on host build-1) has not written a heartbeat in time; ${resume}`,
    );
    expect(ownerlessRun({ ...view, owner: { ...unreadable, state: 'gone' } })).toBe(
      `the owner of run r-1 (unreadable .owner file) is gone; ${resume}`,
    );
    expect(ownerlessRun({ ...view, owner: { ...owner, state: 'alive' } })).toBeNull();
    for (const status of ['succeeded', 'failed', 'cancelled'] as const) expect(ownerlessRun({ ...view, status, owner: null }), status).toBeNull();
  });

  it('the owner line: none, an unreadable .owner, a stale or a live owner (only a run that can be resumed says how)', () => {
    const ownerLine = (owner: RunStatusView['owner']) => renderStatus({ ...view, owner }).split('\n')[2];
    const owner = view.owner!;
    const unreadable = { pid: null, host: null, started: null, acquired_at: null, command: null };
    const resume = ' - resume it with: codex-orchestrator resume --run r-1';
    expect(ownerLine(null)).toBe(`  owner:     none (the process that ran it ended before the run did)${resume}`);
    expect(ownerLine({ ...unreadable, state: 'stale' })).toBe(`  owner:     unreadable .owner file, heartbeat stale${resume}`);
    expect(ownerLine({ ...owner, state: 'stale' })).toBe(
      `  owner:     pid 4243 on host build-1 (start since 2026-08-01T09:00:00.000Z), heartbeat stale${resume}`,
    );
    expect(ownerLine({ ...owner, state: 'alive' })).toBe('  owner:     pid 4243 on host build-1 (start since 2026-08-01T09:00:00.000Z)');
    expect(ownerLine({ ...unreadable, state: 'alive' })).toBe('  owner:     unreadable .owner file');
  });

  it('readRunStatus gives the .owner of a run not ended: its record, all null when it cannot be read, none for a run that has ended', async () => {
    const world = await failedRun();
    const ended = readManifestFile(world);
    writeManifestFile(world, (m) => {
      m.status = 'in_progress';
      m.heartbeat_at = '2026-08-01T09:00:00.000Z';
    });
    const other = { pid: 777, host: 'virtual-host', started: 'virtual-start-777' };
    writeOwnerFile(world, other, null);
    world.runtime.processes.setAlive(other, true);
    world.runtime.clock.setNow(T0 + 1_000);
    expect((await readRunStatus(world.runtime, world.runId)).owner).toEqual({
      pid: 777,
      host: 'virtual-host',
      started: 'virtual-start-777',
      acquired_at: '2026-08-01T09:00:00.000Z',
      command: 'start',
      state: 'alive',
    });
    world.runtime.fs.seedFile(`${world.runDir}/.owner`, '{"pid": 7');
    const unreadable = { pid: null, host: null, started: null, acquired_at: null, command: null };
    expect((await readRunStatus(world.runtime, world.runId)).owner).toEqual({ ...unreadable, state: 'alive' });
    world.runtime.clock.setNow(T0 + 30_001);
    expect((await readRunStatus(world.runtime, world.runId)).owner).toEqual({ ...unreadable, state: 'stale' });
    // An .owner left beside a run that has ended is not read: nobody owns an ended run.
    world.runtime.fs.seedFile(world.manifestPath, `${JSON.stringify(ended, null, 2)}\n`);
    writeOwnerFile(world, other, null);
    expect((await readRunStatus(world.runtime, world.runId)).owner).toBeNull();
  });
});

const previewExecutionMode = (stage: ModeInputs) => resolveExecutionMode(PLAN_PRESET, stage, undefined);

describe('plan', () => {
  it('renders the target, skipped stages and nested subpipeline stages', () => {
    const plan: Plan = {
      pipeline_id: 'main',
      pipeline_title: 'Main',
      target: 'sub',
      stages: [
        {
          index: 1,
          id: 'build',
          title: 'B',
          kind: 'command',
          command: 'make',
          pipeline: null,
          execution_mode: 'cloud',
          allow_failure: false,
          optional: false,
          will_run: true,
          stages: null,
        },
        {
          index: 2,
          id: 'sub',
          title: 'S',
          kind: 'subpipeline',
          command: null,
          pipeline: 'checks',
          execution_mode: null,
          allow_failure: false,
          optional: false,
          will_run: true,
          stages: [
            {
              index: 1,
              id: 'unit',
              title: 'U',
              kind: 'command',
              command: 'npm test',
              pipeline: null,
              execution_mode: 'mcp',
              allow_failure: false,
              optional: false,
              will_run: true,
              stages: null,
            },
          ],
        },
        {
          index: 3,
          id: 'empty',
          title: 'E',
          kind: 'subpipeline',
          command: null,
          pipeline: 'none',
          execution_mode: null,
          allow_failure: false,
          optional: false,
          will_run: false,
          stages: null,
        },
        {
          index: 4,
          id: 'ship',
          title: 'Ship',
          kind: 'command',
          command: 'publish',
          pipeline: null,
          execution_mode: 'mcp',
          allow_failure: false,
          optional: false,
          will_run: false,
          stages: null,
        },
      ],
    };
    expect(renderPlan(plan)).toBe(
      [
        'Pipeline main (Main), up to stage sub:',
        '  1. build [cloud] make',
        '  2. sub [subpipeline checks]',
        '    1. unit [mcp] npm test',
        '  3. empty [subpipeline none]  [skipped]',
        '  4. ship [mcp] publish  [skipped]',
        PLAN_MODE_LEGEND,
        '',
      ].join('\n'),
    );
    expect(renderPlan({ ...plan, target: null, stages: [] })).toBe(`Pipeline main (Main):\n${PLAN_MODE_LEGEND}\n`);
  });

  it('marks a stage allowed to fail or optional, and explains only the marks it used', () => {
    const lint: Plan['stages'][number] = {
      index: 1,
      id: 'lint',
      title: 'L',
      kind: 'command',
      command: 'eslint .',
      pipeline: null,
      execution_mode: 'mcp',
      allow_failure: true,
      optional: false,
      will_run: true,
      stages: null,
    };
    const checks: Plan['stages'][number] = {
      ...lint,
      index: 2,
      id: 'checks',
      kind: 'subpipeline',
      command: null,
      pipeline: 'checks',
      execution_mode: null,
    };
    const plan: Plan = { pipeline_id: 'main', pipeline_title: 'Main', target: null, stages: [lint] };
    const allowFailure = 'allow-failure: the run goes on (and can succeed) when the stage fails.';
    expect(renderPlan(plan)).toBe(
      ['Pipeline main (Main):', '  1. lint [mcp] eslint .  (allow-failure)', PLAN_MODE_LEGEND, allowFailure, ''].join('\n'),
    );
    expect(
      renderPlan({
        ...plan,
        stages: [
          { ...lint, optional: true, will_run: false },
          { ...checks, allow_failure: false, optional: true },
        ],
      }),
    ).toBe(
      [
        'Pipeline main (Main):',
        '  1. lint [mcp] eslint .  (allow-failure, optional)  [skipped]',
        '  2. checks [subpipeline checks]  (optional)',
        PLAN_MODE_LEGEND,
        `${allowFailure} optional: a failed subpipeline does not fail the run.`,
        '',
      ].join('\n'),
    );
  });

  it('previews the execution mode: booleans first, then the executionMode word trimmed and lower-cased', () => {
    expect(previewExecutionMode({ requires_cloud: false, requiresCloud: true, executionMode: 'cloud' })).toBe('mcp');
    expect(previewExecutionMode({ requiresCloud: true })).toBe('cloud');
    expect(previewExecutionMode({ executionMode: ' Cloud ' })).toBe('cloud');
    expect(previewExecutionMode({ executionMode: 'MCP' })).toBe('mcp');
    expect(previewExecutionMode({ executionMode: 'elsewhere' })).toBe('mcp');
  });
});
