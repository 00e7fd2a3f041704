// Bad input: exit 2, one stderr line naming what is wrong and where (file, JSON path, flag),
// no stack trace, nothing on stdout, and nothing written: neither .runs nor out appears.
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { expectOneLineError, rootEntries, useTempRepos } from '../helpers/integration.js';

const repo = useTempRepos();

const cmd = (id: string, command = 'echo ok') => ({ kind: 'command', id, title: id, command });
const pipeline = (id: string, stages: unknown[]) => ({ id, title: id, stages });
const good = { pipelines: [pipeline('diagnostics', [cmd('a'), cmd('b')])] };

type Case = {
  name: string;
  config?: unknown;
  args: string[];
  env?: Record<string, string>;
  mentions: string[];
  pattern?: RegExp;
};

const cases: Case[] = [
  {
    name: 'a stage id of 10 MB (length limits)',
    config: { pipelines: [pipeline('diagnostics', [{ ...cmd('a'), id: 'x'.repeat(10_000_000) }])] },
    args: ['start'],
    mentions: ['codex.orchestrator.json: pipelines[0].stages[0].id: longer than 200 characters'],
  },
  {
    name: 'a command over 64 KiB, a title over 1000 characters',
    config: { pipelines: [pipeline('diagnostics', [{ ...cmd('a', 'y'.repeat(65_537)), title: 't'.repeat(1_001) }])] },
    args: ['plan'],
    mentions: ['pipelines[0].stages[0].title: longer than 1000 characters; ', 'pipelines[0].stages[0].command: longer than 65536 characters'],
  },
  {
    name: 'a stage cwd outside the repository root (absolute)',
    config: { pipelines: [pipeline('diagnostics', [{ ...cmd('a'), cwd: '/etc' }])] },
    args: ['start'],
    mentions: ["codex.orchestrator.json: pipelines[0].stages[0].cwd: '/etc' is outside the repository root", '"allowOutsideRoot": true'],
  },
  {
    name: 'a stage cwd outside the repository root (relative)',
    config: { pipelines: [pipeline('diagnostics', [cmd('a'), { ...cmd('b'), cwd: 'sub/../../..' }])] },
    args: ['plan'],
    mentions: ["pipelines[0].stages[1].cwd: 'sub/../../..' is outside the repository root"],
  },
  {
    name: 'invalid JSON (line and column)',
    config: '{\n  "pipelines": [\n    { "id": "a", "title": "A", "stages": [], }\n  ]\n}\n',
    args: ['start'],
    mentions: ['codex.orchestrator.json', 'invalid JSON'],
    pattern: /line 3, column \d+/,
  },
  {
    name: 'schema violation (JSON path)',
    config: { pipelines: [pipeline('diagnostics', [cmd('a'), { kind: 'command', id: 'b', title: 'B', command: 42 }])] },
    args: ['start'],
    mentions: ['codex.orchestrator.json: pipelines[0].stages[1].command: '],
  },
  {
    name: 'unknown key',
    config: { pipelines: [pipeline('diagnostics', [{ ...cmd('a'), colour: 'red' }])] },
    args: ['start'],
    mentions: ['codex.orchestrator.json', 'pipelines[0].stages[0].colour', 'unknown key'],
  },
  {
    name: 'unknown top-level key',
    config: { ...good, pipeline: [] },
    args: ['start'],
    mentions: ['codex.orchestrator.json', 'pipeline', 'unknown key'],
  },
  {
    name: 'duplicate stage id',
    config: { pipelines: [pipeline('diagnostics', [cmd('a'), cmd('b'), cmd('a')])] },
    args: ['start'],
    mentions: ['codex.orchestrator.json', 'pipelines[0].stages[2].id', "duplicate stage id 'a'"],
  },
  {
    name: 'unknown stage kind',
    config: { pipelines: [pipeline('diagnostics', [{ kind: 'script', id: 'a', title: 'A' }])] },
    args: ['start'],
    mentions: ['codex.orchestrator.json', 'pipelines[0].stages[0].kind: '],
  },
  {
    name: 'stage without a kind',
    config: { pipelines: [pipeline('diagnostics', [cmd('a'), { id: 'b', title: 'B', command: 'true' }])] },
    args: ['start'],
    mentions: ['codex.orchestrator.json: pipelines[0].stages[1].kind: '],
  },
  {
    name: 'unknown pipeline named on the command line',
    config: good,
    args: ['start', 'nope'],
    mentions: ["unknown pipeline 'nope'", 'codex.orchestrator.json'],
  },
  {
    name: 'subpipeline naming a missing pipeline',
    config: { pipelines: [pipeline('diagnostics', [cmd('a'), { kind: 'subpipeline', id: 's', title: 'S', pipeline: 'ghost' }])] },
    args: ['start'],
    mentions: ['codex.orchestrator.json', 'pipelines[0].stages[1].pipeline', "'ghost'"],
  },
  {
    name: 'subpipeline naming its own pipeline',
    config: { pipelines: [pipeline('diagnostics', [cmd('a'), { kind: 'subpipeline', id: 'me', title: 'Me', pipeline: 'diagnostics' }])] },
    args: ['start'],
    mentions: ['codex.orchestrator.json', 'pipelines[0].stages[1].pipeline', 'diagnostics'],
  },
  {
    name: 'subpipeline cycle a -> b -> a',
    config: {
      pipelines: [
        pipeline('diagnostics', [cmd('x')]),
        pipeline('a', [cmd('a1'), { kind: 'subpipeline', id: 'to-b', title: 'B', pipeline: 'b' }]),
        pipeline('b', [{ kind: 'subpipeline', id: 'to-a', title: 'A', pipeline: 'a' }]),
      ],
    },
    args: ['start'],
    mentions: ['codex.orchestrator.json', 'pipelines[2].stages[0].pipeline', 'cycle', 'a -> b -> a'],
  },
  {
    name: 'unknown defaultPipeline',
    config: { ...good, defaultPipeline: 'gone' },
    args: ['start'],
    mentions: ['codex.orchestrator.json', 'defaultPipeline', "'gone'"],
  },
  {
    name: 'no pipeline named, no defaultPipeline, no diagnostics',
    config: { pipelines: [pipeline('other', [cmd('a')])] },
    args: ['start'],
    mentions: ['codex.orchestrator.json', 'defaultPipeline'],
  },
  { name: 'missing config file', args: ['start'], mentions: ['codex.orchestrator.json', 'not found'] },
  { name: 'task id ../x', config: good, args: ['start', '--task', '../x'], mentions: ['task id', '"../x"'] },
  { name: 'task id a/b', config: good, args: ['start', '--task', 'a/b'], mentions: ['task id', '"a/b"'] },
  { name: 'task id with a control character', config: good, args: ['start', '--task', 'a\u0001b'], mentions: ['task id', 'control character'] },
  { name: 'task id with a newline (still one line)', config: good, args: ['start', '--task', 'a\nb'], mentions: ['task id', 'control character'] },
  { name: 'task id .hidden', config: good, args: ['start', '--task', '.hidden'], mentions: ['task id', '".hidden"'] },
  { name: 'task id from MCP_RUNNER_TASK_ID', config: good, args: ['start'], env: { MCP_RUNNER_TASK_ID: 'x:y' }, mentions: ['task id', '"x:y"'] },
  { name: 'exec with a bad task id', args: ['exec', '--task', '../up', '--', 'touch', 'ran'], mentions: ['task id', '"../up"'] },
  { name: 'parent run id with a separator', config: good, args: ['start', '--parent-run', 'a/b'], mentions: ['parent run id', '"a/b"'] },
  { name: 'unknown --target', config: good, args: ['start', '--target', 'zzz'], mentions: ['--target', "'zzz'"] },
  { name: 'unknown option', config: good, args: ['start', '--bogus'], mentions: ["'--bogus'"] },
  { name: 'unknown option close to a known one', config: good, args: ['start', '--targt', 'a'], mentions: ["'--targt'", '--target'] },
  { name: 'unknown command', config: good, args: ['strat'], mentions: ["'strat'", 'start'] },
  { name: 'invalid --format', config: good, args: ['start', '--format', 'yaml'], mentions: ['--format', 'yaml'] },
  { name: 'exec --json with --jsonl', args: ['exec', '--json', '--jsonl', '--', 'touch', 'ran'], mentions: ['--json', '--jsonl'] },
  {
    name: 'status of a missing run',
    config: good,
    args: ['status', '--run', '2026-01-01T00-00-00-000Z-00000000'],
    mentions: ['2026-01-01T00-00-00-000Z-00000000', 'not found'],
  },
  {
    name: 'resume of a missing run',
    config: good,
    args: ['resume', '--run', '2026-01-01T00-00-00-000Z-00000000'],
    mentions: ['2026-01-01T00-00-00-000Z-00000000', 'not found'],
  },
  { name: 'status with a bad run id', config: good, args: ['status', '--run', '../etc'], mentions: ['run id', '"../etc"'] },
  // Without --run, status shows the task's latest run: with none, it says so and how to make one.
  {
    name: 'status without --run and no run yet',
    config: good,
    args: ['status'],
    mentions: ['no run of task 0101', 'codex-orchestrator start', '--run'],
  },
  { name: 'logs without --run and no run yet', config: good, args: ['logs'], mentions: ['no run of task 0101', '--run'] },
  {
    name: 'status --watch with a bad interval',
    config: good,
    args: ['status', '--run', 'x', '--watch', '--interval', '0'],
    mentions: ['--interval'],
  },
  { name: 'plan of an unknown pipeline', config: good, args: ['plan', 'nope'], mentions: ["unknown pipeline 'nope'"] },
  {
    name: 'status --watch with an interval over a day (a timer cannot hold it)',
    config: good,
    args: ['status', '--run', 'x', '--watch', '--interval', '1e10'],
    mentions: ['--interval', 'at most 86400'],
  },
  { name: 'help for an unknown command', config: good, args: ['help', 'bogus'], mentions: ["unknown command 'bogus'"] },
  { name: 'exec of an empty command', config: good, args: ['exec', ''], mentions: ['exec: the command is empty'] },
  {
    name: 'exec under a CODEX_ORCHESTRATOR_ROOT that does not exist (nothing is made there)',
    args: ['exec', '--', 'true'],
    env: { CODEX_ORCHESTRATOR_ROOT: 'no-such-root' },
    mentions: ['CODEX_ORCHESTRATOR_ROOT: no-such-root is not a directory'],
  },
  {
    name: 'a CODEX_ORCHESTRATOR_TRACE file that cannot be written (a directory)',
    config: good,
    args: ['--version'],
    env: { CODEX_ORCHESTRATOR_TRACE: '.' },
    mentions: ['CODEX_ORCHESTRATOR_TRACE: cannot write .: EISDIR'],
  },
  {
    name: 'a config saved with a UTF-8 byte order mark',
    config: `\uFEFF${JSON.stringify(good)}`,
    args: ['start'],
    mentions: ['codex.orchestrator.json: starts with a byte order mark (U+FEFF)'],
  },
  {
    name: 'a value breaking two rules that say the same is said once',
    config: { ...good, execEventMaxChunks: 1e99 },
    args: ['start'],
    mentions: ['execEventMaxChunks: expected an integer from 0 to 1000000'],
    pattern: /^[^;]*$/,
  },
];

describe('bad input', () => {
  it.each(cases)('$name', async ({ config, args, env, mentions, pattern }) => {
    const root = repo(config);
    const before = rootEntries(root);
    const result = await runCliProcess(args, { cwd: root, env });
    const line = expectOneLineError(result, ...mentions);
    if (pattern) expect(line).toMatch(pattern);
    // Nothing written: no .runs, no out, no stray file from a stage.
    expect(rootEntries(root)).toEqual(before);
  });
});

describe('inputs that are not regular files are refused, never waited on (issue 16, item 6)', () => {
  it('a config that is a FIFO, or a link to /dev/zero: exit 2, one line naming it and what it is', async () => {
    const { execFileSync } = await import('node:child_process');
    const { rmSync, symlinkSync } = await import('node:fs');
    const { join } = await import('node:path');
    const root = repo(good);
    const config = join(root, 'codex.orchestrator.json');
    rmSync(config);
    execFileSync('mkfifo', [config]);
    expectOneLineError(await runCliProcess(['start'], { cwd: root }), 'codex.orchestrator.json: cannot be read: not a regular file (a FIFO)');
    rmSync(config);
    symlinkSync('/dev/zero', config);
    expectOneLineError(
      await runCliProcess(['plan'], { cwd: root }),
      'codex.orchestrator.json: cannot be read: not a regular file (a character device)',
    );
  });

  it('a config over 16 MiB is refused without being read whole', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const root = repo(good);
    writeFileSync(join(root, 'codex.orchestrator.json'), `${JSON.stringify(good)}${' '.repeat(16 * 1024 * 1024)}`);
    expectOneLineError(await runCliProcess(['plan'], { cwd: root }), 'codex.orchestrator.json: cannot be read: larger than 16777216 bytes');
  });
});

describe('a stage may leave the repository root only when it says so (issue 16, item 6)', () => {
  it('allowOutsideRoot: true runs the stage in a directory outside the root; a cwd inside it needs nothing', async () => {
    const { dirname } = await import('node:path');
    const { realpathSync } = await import('node:fs');
    const { onlyRunId, runFiles } = await import('../helpers/integration.js');
    const root = repo({
      pipelines: [
        pipeline('diagnostics', [
          { ...cmd('outside', 'pwd'), cwd: '..', allowOutsideRoot: true },
          { ...cmd('inside', 'pwd'), cwd: 'sub/..' },
        ]),
      ],
    });
    const result = await runCliProcess(['start'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const manifest = runFiles(root, onlyRunId(root)).manifest() as { commands: Array<{ summary: string }> };
    expect(manifest.commands.map((c) => realpathSync(c.summary))).toEqual([realpathSync(dirname(root)), realpathSync(root)]);
  });
});
