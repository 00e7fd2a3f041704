// Real signals to the CLI while a stage runs: the run ends `cancelled` (130 / 143), the stage's
// whole process group is stopped, later stages never start. Readiness comes through a FIFO
// the stage writes to, so nothing here waits on the clock.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJson } from '../helpers/cli.js';
import {
  ISO_RE,
  checkRunsDir,
  liveProcessesInGroup,
  metricsLines,
  onlyRunId,
  processGone,
  readFifo,
  runFiles,
  startCliRaw,
  useTempRepos,
  NODE,
  type Json,
} from '../helpers/integration.js';

const repo = useTempRepos();

// When a test fails half-way, nothing it started may outlive it: the CLI and the waiter.
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) {
    try {
      cleanup();
    } catch {
      // Gone already.
    }
  }
});
function track<T extends { child: ChildProcess }>(run: T, root: string): T {
  cleanups.push(() => {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  });
  cleanups.push(() => {
    const pid = Number(readFileSync(join(root, 'waiter.pid'), 'utf8'));
    // Only that process (it runs in this repo and wrote its pid there), never a pid the
    // system has since given to someone else.
    if (realpathSync(`/proc/${pid}/cwd`) === realpathSync(root)) {
      process.kill(pid, 'SIGKILL');
    }
  });
  return run;
}

// The waiter is the long-running process: it says "ready" only once it runs, so a signal sent
// after the FIFO read always finds it (a shell that has not yet forked its child when the
// signal lands would defer SIGINT and fork a child that never got it).
// It records the signal it gets (then dies of it), so the test sees that the signal itself
// reached the whole group, not only the shell (a later SIGKILL escalation would hide that).
const WAITER = `
import { writeFileSync } from 'node:fs';
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    writeFileSync('waiter.signal', signal);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
}
writeFileSync('waiter.pid', String(process.pid));
console.log('waiting');
writeFileSync(process.env.READY_FIFO, 'ready\\n');
setInterval(() => {}, 1 << 30);
`;

function cancellableRepo(): string {
  const root = repo(
    {
      pipelines: [
        {
          id: 'diagnostics',
          title: 'Diagnostics',
          stages: [
            { kind: 'command', id: 'prep', title: 'Prep', command: 'echo prepared' },
            {
              kind: 'command',
              id: 'wait',
              title: 'Wait',
              // The shell waits for the waiter (same process group); the trailing echo keeps the
              // shell from exec'ing it, so the group has two processes.
              command: `echo $$ > stage.pid; ${NODE} waiter.mjs; echo woke`,
              env: { READY_FIFO: 'ready.fifo' },
            },
            { kind: 'command', id: 'never', title: 'Never', command: 'touch never-ran' },
          ],
        },
      ],
    },
    { 'waiter.mjs': WAITER },
  );
  execFileSync('mkfifo', [join(root, 'ready.fifo')]);
  return root;
}

describe.each([
  { signal: 'SIGINT' as const, code: 130, format: 'text' },
  { signal: 'SIGTERM' as const, code: 143, format: 'json' },
])('$signal while a stage runs', ({ signal, code, format }) => {
  it(`ends the run cancelled with exit ${code} and stops the stage's process group`, async () => {
    const root = cancellableRepo();
    const { child, result } = track(startCliRaw(['start', '--format', format], { cwd: root }), root);
    expect(await readFifo(join(root, 'ready.fifo'), result)).toBe('ready\n');
    const stagePid = Number(readFileSync(join(root, 'stage.pid'), 'utf8'));
    const waiterPid = Number(readFileSync(join(root, 'waiter.pid'), 'utf8'));
    expect(Number.isInteger(stagePid) && stagePid > 1).toBe(true);
    expect(
      liveProcessesInGroup(stagePid)
        .map((p) => p.pid)
        .sort(),
    ).toEqual([stagePid, waiterPid].sort());

    child.kill(signal);
    const done = await result;
    expect(done.code, done.stderr).toBe(code);
    expect(done.signal).toBeNull();

    // The stage's shell and the waiter are gone (a zombie left to PID 1 counts as gone), and
    // the waiter got the signal itself.
    expect(processGone(stagePid)).toBe(true);
    expect(processGone(waiterPid)).toBe(true);
    expect(readFileSync(join(root, 'waiter.signal'), 'utf8')).toBe(signal);
    expect(liveProcessesInGroup(stagePid)).toEqual([]);
    expect(existsSync(join(root, 'never-ran'))).toBe(false);

    const id = onlyRunId(root);
    if (format === 'json') {
      const doc = JSON.parse(done.stdout) as Json;
      expect(doc).toMatchObject({ run_id: id, status: 'cancelled' });
    } else {
      expect(done.stdout.split('\n')[0]).toBe(`Run ${id} cancelled (cancelled:${signal}).`);
    }

    const run = runFiles(root, id);
    const m = run.manifest();
    expect(m.status).toBe('cancelled');
    expect(m.status_detail).toBe(`cancelled:${signal}`);
    expect(m.completed_at).toMatch(ISO_RE);
    expect(m.summary.split('\n')).toContain(`Run cancelled by ${signal}.`);
    expect(m.commands[0]).toMatchObject({ status: 'succeeded' });
    expect(m.commands[1]).toMatchObject({ status: 'failed', exit_code: code, summary: `Terminated with signal ${signal} — waiting` }); // its last stdout line (spec 0010)
    expect(m.commands[1].completed_at).toMatch(ISO_RE);
    expect(m.commands[2]).toMatchObject({ status: 'pending', started_at: null, completed_at: null, exit_code: null });

    const events = run.commandLog('02-wait.ndjson');
    expect(
      events
        .filter((e) => e.type === 'exec:chunk')
        .map((e) => e.data)
        .join(''),
    ).toBe('waiting\n');
    expect(events.at(-2)).toMatchObject({ type: 'exec:end', exit_code: code, signal, status: 'failed' });
    expect(events.at(-1)).toMatchObject({ type: 'command:end', exit_code: code, signal });
    expect(run.runner().some((e) => e.index === 3)).toBe(false);

    expect(metricsLines(root).map((l) => [l.run_id, l.status])).toEqual([[id, 'cancelled']]);
    expect(readJson(join(root, 'out/0101/state.json'))).toMatchObject({ totals: { runs: 1, cancelled: 1 } });
    checkRunsDir(root);
  });
});

describe('a cancelled run', () => {
  it('can be resumed: the stopped stage runs again, the succeeded one does not', async () => {
    const root = cancellableRepo();
    const { child, result } = track(startCliRaw(['start'], { cwd: root }), root);
    await readFifo(join(root, 'ready.fifo'), result);
    child.kill('SIGINT');
    expect((await result).code).toBe(130);
    const id = onlyRunId(root);

    // The resumed stage signals through the same FIFO again; cancel the resumed run too.
    const resumed = track(startCliRaw(['resume', '--run', id, '--format', 'json'], { cwd: root }), root);
    expect(await readFifo(join(root, 'ready.fifo'), resumed.result)).toBe('ready\n');
    resumed.child.kill('SIGTERM');
    const done = await resumed.result;
    expect(done.code, done.stderr).toBe(143);
    const m = runFiles(root, id).manifest();
    expect(m).toMatchObject({ status: 'cancelled', status_detail: 'cancelled:SIGTERM' });
    expect(m.resume_events.map((e: Json) => e.outcome)).toEqual(['accepted']);
    const starts = runFiles(root, id)
      .runner()
      .filter((e) => e.type === 'command:start')
      .map((e) => e.index);
    expect(starts).toEqual([1, 2, 2]);
    expect(metricsLines(root).map((l) => l.status)).toEqual(['cancelled', 'cancelled']);
    checkRunsDir(root);
  });
});

describe('signals reach nested and one-stage runs', () => {
  it('SIGTERM during a subpipeline cancels the child run and the parent (exit 143)', async () => {
    const root = repo(
      {
        pipelines: [
          {
            id: 'parent',
            title: 'Parent',
            stages: [
              { kind: 'subpipeline', id: 'sub', title: 'Sub', pipeline: 'child' },
              { kind: 'command', id: 'after', title: 'After', command: 'touch after-ran' },
            ],
          },
          {
            id: 'child',
            title: 'Child',
            stages: [
              { kind: 'command', id: 'wait', title: 'Wait', command: `${NODE} waiter.mjs`, env: { READY_FIFO: 'ready.fifo' } },
              { kind: 'command', id: 'never', title: 'Never', command: 'touch never-ran' },
            ],
          },
        ],
      },
      { 'waiter.mjs': WAITER },
    );
    execFileSync('mkfifo', [join(root, 'ready.fifo')]);
    const { child, result } = track(startCliRaw(['start', 'parent', '--format', 'json'], { cwd: root }), root);
    await readFifo(join(root, 'ready.fifo'), result);
    const waiterPid = Number(readFileSync(join(root, 'waiter.pid'), 'utf8'));
    child.kill('SIGTERM');
    const done = await result;
    expect(done.code, done.stderr).toBe(143);
    expect(processGone(waiterPid)).toBe(true);
    expect(readFileSync(join(root, 'waiter.signal'), 'utf8')).toBe('SIGTERM');
    expect(existsSync(join(root, 'never-ran')) || existsSync(join(root, 'after-ran'))).toBe(false);

    const doc = JSON.parse(done.stdout) as Json;
    expect(doc.status).toBe('cancelled');
    const parent = runFiles(root, doc.run_id).manifest();
    const childRun = runFiles(root, parent.commands[0].sub_run_id).manifest();
    expect(parent).toMatchObject({ status: 'cancelled', status_detail: 'cancelled:SIGTERM' });
    expect(parent.commands[1].status).toBe('pending');
    expect(parent.child_runs[0]).toMatchObject({ run_id: childRun.run_id, status: 'cancelled' });
    expect(childRun).toMatchObject({ status: 'cancelled', status_detail: 'cancelled:SIGTERM', parent_run_id: parent.run_id });
    expect(childRun.commands.map((c: Json) => c.status)).toEqual(['failed', 'pending']);
    expect(metricsLines(root).map((l) => [l.run_id, l.status])).toEqual([
      [childRun.run_id, 'cancelled'],
      [parent.run_id, 'cancelled'],
    ]);
    checkRunsDir(root, { minManifests: 2 });
  });

  it('SIGINT during exec: exit 130 and the exec run is cancelled', async () => {
    const root = repo(undefined, { 'waiter.mjs': WAITER });
    execFileSync('mkfifo', [join(root, 'ready.fifo')]);
    const { child, result } = track(
      startCliRaw(['exec', '--json', '--', process.execPath, 'waiter.mjs'], { cwd: root, env: { READY_FIFO: 'ready.fifo' } }),
      root,
    );
    await readFifo(join(root, 'ready.fifo'), result);
    const waiterPid = Number(readFileSync(join(root, 'waiter.pid'), 'utf8'));
    child.kill('SIGINT');
    const done = await result;
    expect(done.code, done.stderr).toBe(130);
    expect(processGone(waiterPid)).toBe(true);
    expect(readFileSync(join(root, 'waiter.signal'), 'utf8')).toBe('SIGINT');
    const doc = JSON.parse(done.stdout) as Json;
    expect(doc).toMatchObject({ status: 'cancelled', exit_code: 130, signal: 'SIGINT', stdout: 'waiting\n' });
    expect(runFiles(root, onlyRunId(root)).manifest()).toMatchObject({ pipeline_id: 'exec', status: 'cancelled', status_detail: 'cancelled:SIGINT' });
    checkRunsDir(root);
  });
});

describe('a stage whose background job ignores SIGINT (issue 16, item 7)', () => {
  // A non-interactive shell starts background jobs with SIGINT ignored: SIGINT alone left
  // the job (and so the stage) running until SIGKILL. The group now gets SIGTERM after the
  // signal: the job records it, so the test sees the ladder without timing it.
  const BACKGROUND = `
import { writeFileSync } from 'node:fs';
process.on('SIGINT', () => writeFileSync('bg.sigint', 'ignored'));
process.on('SIGTERM', () => {
  writeFileSync('bg.signal', 'SIGTERM');
  process.exit(143);
});
writeFileSync('waiter.pid', String(process.pid));
writeFileSync(process.env.READY_FIFO, 'ready\\n');
setInterval(() => {}, 1 << 30);
`;

  it('SIGINT: the run ends cancelled (130) and the job was stopped by the SIGTERM that follows', async () => {
    const root = repo(
      {
        pipelines: [
          {
            id: 'diagnostics',
            title: 'Diagnostics',
            stages: [
              {
                kind: 'command',
                id: 'bg',
                title: 'Background',
                command: `echo $$ > stage.pid; ${NODE} background.mjs & wait`,
                env: { READY_FIFO: 'ready.fifo' },
              },
            ],
          },
        ],
      },
      { 'background.mjs': BACKGROUND },
    );
    execFileSync('mkfifo', [join(root, 'ready.fifo')]);
    const { child, result } = track(startCliRaw(['start'], { cwd: root }), root);
    expect(await readFifo(join(root, 'ready.fifo'), result)).toBe('ready\n');
    const stagePid = Number(readFileSync(join(root, 'stage.pid'), 'utf8'));
    child.kill('SIGINT');
    const done = await result;
    expect(done.code, done.stderr).toBe(130);
    expect(readFileSync(join(root, 'bg.signal'), 'utf8')).toBe('SIGTERM');
    expect(liveProcessesInGroup(stagePid)).toEqual([]);
    expect(runFiles(root, onlyRunId(root)).manifest().status).toBe('cancelled');
  });
});
