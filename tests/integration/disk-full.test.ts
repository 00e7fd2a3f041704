// Issue 16, item 4, with the built CLI on a real small tmpfs: the runs directory fills up
// during a stage, is read-only, or the output directory is read-only. Mounting needs root and
// a kernel that allows it; where it is not permitted these tests are skipped, with the reason
// (tests/virtual/disk-errors.test.ts injects the same failures through the file-sink seam).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli, type CliResult, type CliOptions } from '../helpers/cli.js';
import { assertRunsDirManifestsValid } from '../helpers/manifest-schema.js';
import { checkRunsDir, onlyRunId, runFiles, useTempRepos, type Json } from '../helpers/integration.js';
import { mountTmpfs, probeMount, remountReadOnly, unmount } from '../helpers/tmpfs.js';

/** Expected failures on the code before the change (tests first, with `it.fails`); flipped by the change. */
const fixed = it;

const repo = useTempRepos();
const mount = probeMount();

/**
 * The stage fills the runs directory's file system up to 32 KiB short of full (unless
 * room.flag exists), then prints 60,000 bytes at once: the run's log cannot take them.
 */
const FILL_AND_PRINT = `
import { existsSync, statfsSync, writeFileSync } from 'node:fs';
const runs = process.env.CODEX_ORCHESTRATOR_RUNS_DIR;
if (!existsSync('room.flag')) {
  const fs = statfsSync(runs);
  writeFileSync(runs + '/filler', Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - 32 * 1024)));
}
process.stdout.write('x'.repeat(60000) + '\\n');
`;

const CONFIG = {
  pipelines: [
    {
      id: 'p',
      title: 'P',
      stages: [
        { kind: 'command', id: 'noisy', title: 'Noisy', command: `${JSON.stringify(process.execPath)} fill-and-print.mjs` },
        { kind: 'command', id: 'after', title: 'After', command: 'echo after' },
      ],
    },
  ],
};

/**
 * The CLI, killed if it has not returned after 30 s: before this change a run whose disk was
 * full retried its failed background write forever and never returned.
 */
async function cli(args: string[], options: CliOptions): Promise<CliResult> {
  const { child, result } = startCli(args, options);
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    return await result;
  } finally {
    clearTimeout(guard);
  }
}

/** The CLI's own message lines on stderr (not its progress lines). */
function messageLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('codex-orchestrator:') && !/: (started|resuming) run /.test(line));
}

describe.skipIf(!mount.ok)(`a real small tmpfs${mount.ok ? '' : ` (skipped: ${mount.reason})`}`, () => {
  const mounted: string[] = [];
  const tmpfsAt = (dir: string, bytes: number) => {
    mkdirSync(dir, { recursive: true });
    mountTmpfs(dir, bytes);
    mounted.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of mounted.splice(0)) {
      unmount(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  fixed(
    'the runs directory fills up during a stage: one line, the document, a valid failed manifest, no temp file; resume finishes once there is room',
    async () => {
      const root = repo(CONFIG, { 'fill-and-print.mjs': FILL_AND_PRINT });
      const runsDir = tmpfsAt(mkdtempSync(join(tmpdir(), 'runs-tmpfs-')), 1024 * 1024);
      const env = { CODEX_ORCHESTRATOR_RUNS_DIR: runsDir };
      const start = await cli(['start', 'p', '--format', 'json'], { cwd: root, env });
      const id = onlyRunId(root, '0101', runsDir);
      const run = runFiles(root, id, '0101', runsDir);
      const line = `could not write ${run.dir}/runner.ndjson: ENOSPC: no space left on device`;
      expect(start.code, start.stderr).toBe(1);
      expect(messageLines(start.stderr)).toEqual([`codex-orchestrator: ${line}`]);
      expect(start.stderr).not.toContain('internal error');
      expect(JSON.parse(start.stdout)).toMatchObject({ run_id: id, status: 'failed', error: line });

      // The manifest on disk is valid and says what failed; the logs hold whole lines; no temp file is left.
      expect(assertRunsDirManifestsValid(runsDir)).toBe(1);
      const manifest = run.manifest();
      expect([manifest.status, manifest.status_detail]).toEqual(['failed', 'evidence:runner.ndjson:not-written']);
      expect((manifest.commands as Json[]).map((c) => [c.status, c.summary])).toEqual([
        ['failed', 'Stopped by the orchestrator: runner.ndjson could not be written: ENOSPC: no space left on device'],
        ['pending', null],
      ]);
      expect(run.runner().map((e) => e.type)).toEqual(['command:start', 'exec:begin']);
      checkRunsDir(root, { runsDir });

      // Room again: resume reruns the stopped stage and the next one.
      writeFileSync(join(root, 'room.flag'), 'yes\n');
      rmSync(join(runsDir, 'filler'));
      const resume = await cli(['resume', '--run', id, '--format', 'json'], { cwd: root, env });
      expect(resume.code, resume.stderr).toBe(0);
      expect(JSON.parse(resume.stdout)).toMatchObject({ run_id: id, status: 'succeeded' });
      expect((run.manifest().commands as Json[]).map((c) => c.status)).toEqual(['succeeded', 'succeeded']);
    },
  );

  fixed('a read-only runs directory is reported as such, in one line, with the document', async () => {
    const root = repo(CONFIG, { 'fill-and-print.mjs': FILL_AND_PRINT });
    const runsDir = tmpfsAt(mkdtempSync(join(tmpdir(), 'runs-ro-')), 64 * 1024);
    remountReadOnly(runsDir);
    const start = await cli(['start', 'p', '--format', 'json'], { cwd: root, env: { CODEX_ORCHESTRATOR_RUNS_DIR: runsDir } });
    const line = `could not create directory ${runsDir}/0101: EROFS: read-only file system`;
    expect(start.code, start.stderr).toBe(1);
    expect(messageLines(start.stderr)).toEqual([`codex-orchestrator: ${line}`]);
    expect(JSON.parse(start.stdout)).toMatchObject({ status: 'failed', manifest: null, error: line });
    expect(readdirSync(runsDir)).toEqual([]);
  });

  fixed('a read-only output directory: exit 1 and a failed manifest, the same verdict', async () => {
    const root = repo(CONFIG, { 'fill-and-print.mjs': FILL_AND_PRINT, 'room.flag': 'yes\n' });
    remountReadOnly(tmpfsAt(join(root, 'out'), 64 * 1024));
    const start = await cli(['start', 'p', '--format', 'json'], { cwd: root });
    const run = runFiles(root, onlyRunId(root));
    const line = `could not create directory ${root}/out/0101: EROFS: read-only file system`;
    expect(start.code, start.stderr).toBe(1);
    expect(messageLines(start.stderr)).toEqual([`codex-orchestrator: ${line}`]);
    expect(JSON.parse(start.stdout)).toMatchObject({ status: 'failed', error: line });
    const manifest = run.manifest();
    expect([manifest.status, manifest.status_detail]).toEqual(['failed', 'evidence:out/0101/state.json:not-written']);
    expect(readFileSync(run.manifestPath, 'utf8').endsWith('}\n')).toBe(true);
    expect(existsSync(join(root, 'out/0101'))).toBe(false);
  });
});
