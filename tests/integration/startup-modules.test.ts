// Which modules each CLI command loads (issue 19: load only what a command needs). The built
// CLI runs under a module-listing hook (tests/helpers/module-list/), and each test names the
// modules a command must not load. Module lists, never timings: what this guards is that a
// command's start-up does not grow by loading another command's code or a heavy dependency.
//
// Two layers. The entry tsc builds (dist/src/cli/main.js) shows the CLI's own module structure:
// which of its modules a command reaches. The bin users run (dist/src/cli/bin.cjs) is a loader
// of that entry bundled (scripts/bundle-bin.mjs), which keeps the structure (a lazily imported
// module's code runs only when reached); zod's schemas are its second bundle, and the BullMQ
// modules stay in dist/. The hook lists modules that Node's loaders load, so it sees the loader
// (bin.cjs) but not the bundles it runs as scripts: here the bin must load no other module of
// the project and no package, for a valid run as for a mistake to word or a manifest to read;
// the last describe checks, through the loader's own report, which bundles ran from a cache.
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY_PATH, CLI_PATH } from '../helpers/cli.js';
import { TOOLS } from '../helpers/git-repo.js';
import { useTempRepos } from '../helpers/integration.js';

const HOOK = join(dirname(fileURLToPath(import.meta.url)), '../helpers/module-list/register.mjs');
const DIST = `${join(dirname(CLI_ENTRY_PATH), '../..')}/`;

const repo = useTempRepos();
const listDir = mkdtempSync(join(tmpdir(), 'module-list-'));
afterAll(() => rmSync(listDir, { recursive: true, force: true }));

const oneStage = { pipelines: [{ id: 'one', title: 'One', stages: [{ kind: 'command', id: 'true', title: 'True', command: 'true' }] }] };

type Loaded = { code: number; stdout: string; modules: string[] };

let lists = 0;
/** Runs the built CLI (`cli`: the entry, or the bin) with `args` in `cwd`; the modules it loaded, as paths under dist/ or `<package>/…` or `node:…`. */
function cliModules(args: string[], cwd: string, cli = CLI_ENTRY_PATH, extraEnv: Record<string, string> = {}): Promise<Loaded> {
  lists += 1;
  const file = join(listDir, `${lists}.txt`);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', MODULE_LIST_FILE: file, ...extraEnv };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', HOOK, cli, ...args], { cwd, env }, (error, stdout) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      if (code === null) return reject(error);
      const urls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      const modules = [...new Set(urls.map(shortName))];
      resolve({ code, stdout, modules });
    });
  });
}

function shortName(url: string): string {
  if (url.startsWith('node:')) return url;
  const path = fileURLToPath(url);
  const pkg = path.lastIndexOf('/node_modules/');
  if (pkg >= 0) return path.slice(pkg + '/node_modules/'.length);
  return path.startsWith(DIST) ? path.slice(DIST.length) : path;
}

/** Dependencies that only the cloud worker, the harness or the review tools use. */
const HEAVY = ['bullmq/', 'ioredis/', 'diff/', 'yaml/', 'picomatch/', 'src/harness/', 'src/cloud/worker.js', 'src/cloud/dispatch-executor.js'];
/** The code of commands that run stages. */
const RUN_MACHINERY = [
  'src/run/drive-run.js',
  'src/run/command-stage.js',
  'src/run/heartbeat.js',
  'src/run/sinks/',
  'src/persist/persister.js',
  'src/commands/invocation.js',
  'src/config/load-config.js',
];
const COMMANDS = ['start', 'resume', 'exec', 'plan', 'status', 'logs', 'runs'].map((c) => `src/commands/${c}.js`);

function loadedOf(modules: string[], prefixes: string[]): string[] {
  return modules.filter((m) => prefixes.some((p) => m.startsWith(p)));
}

describe('modules each CLI command loads (the entry the bin is bundled from)', () => {
  it('--version and --help load no command, no zod and no heavy dependency', async () => {
    const root = repo(oneStage);
    for (const args of [['--version'], ['--help']]) {
      const { code, stdout, modules } = await cliModules(args, root);
      expect(code, args.join(' ')).toBe(0);
      expect(stdout.length).toBeGreaterThan(0);
      // The hook saw the CLI itself and its one parser: the list is real.
      expect(modules).toEqual(expect.arrayContaining(['src/cli/main.js', 'src/cli/run-cli.js']));
      expect(modules.some((m) => m.startsWith('commander/'))).toBe(true);
      expect(
        loadedOf(modules, ['zod/', 'jsonc-parser/', ...HEAVY, ...COMMANDS, ...RUN_MACHINERY, 'src/manifest/', 'src/persist/']),
        args.join(' '),
      ).toEqual([]);
    }
  });

  it('start of a one-stage run loads its own command and the run machinery, and no zod, other command or heavy dependency', async () => {
    const root = repo(oneStage);
    const { code, modules } = await cliModules(['start', 'one'], root);
    expect(code).toBe(0);
    expect(modules).toEqual(expect.arrayContaining(['src/commands/start.js', 'src/run/drive-run.js', 'src/config/plain-config.js']));
    // A plainly valid config is checked without zod (src/config/plain-config.ts); the run only writes
    // manifests; the tolerant JSON parser only places a syntax error.
    const notForValidInput = ['zod/', 'jsonc-parser/', 'src/config/schema.js', 'src/manifest/schema.js', 'src/run/tool-runs-schema.js'];
    expect(loadedOf(modules, [...notForValidInput, ...HEAVY, ...COMMANDS.filter((c) => c !== 'src/commands/start.js')])).toEqual([]);
  });

  it('start on a config with a mistake loads zod, which words the problem', async () => {
    const root = repo({ pipelines: [{ id: 'one', title: 'One', stages: [{ kind: 'command', id: 'true', title: 'True', comand: 'true' }] }] });
    const { code, modules } = await cliModules(['start', 'one'], root);
    expect(code).toBe(2);
    expect(modules).toEqual(expect.arrayContaining(['src/config/schema.js']));
    expect(modules.some((m) => m.startsWith('zod/'))).toBe(true);
  });

  it('status loads neither the run machinery nor another command that runs stages', async () => {
    const root = repo(oneStage);
    expect((await cliModules(['start', 'one'], root)).code).toBe(0);
    const { code, stdout, modules } = await cliModules(['status'], root);
    expect(code).toBe(0);
    expect(stdout).toContain('status:    succeeded');
    expect(modules).toEqual(expect.arrayContaining(['src/commands/status.js', 'src/persist/manifest-writer.js']));
    const others = COMMANDS.filter((c) => c !== 'src/commands/status.js' && c !== 'src/commands/runs.js');
    expect(loadedOf(modules, [...HEAVY, ...RUN_MACHINERY, ...others])).toEqual([]);
  });
});

describe('the bin: its loader and bundles, no other module of the project and no package', () => {
  const project = (modules: string[]) => modules.filter((m) => !m.startsWith('node:'));

  it('--version, --help and a one-stage run load the bin alone, and no package', async () => {
    const root = repo(oneStage);
    for (const args of [['--version'], ['--help'], ['start', 'one']]) {
      const { code, modules } = await cliModules(args, root, CLI_PATH);
      expect(code, args.join(' ')).toBe(0);
      expect(project(modules), args.join(' ')).toEqual(['src/cli/bin.cjs']);
    }
  });

  it('every bundle the build wrote is ASCII alone: V8 holds a script text with one character past ASCII at two bytes per character', () => {
    const bundles = (readdirSync(join(DIST, 'src'), { recursive: true }) as string[]).filter((path) => path.endsWith('.bundle.js'));
    expect(bundles).toEqual(expect.arrayContaining([join('cli', 'bin.bundle.js'), join('cli', 'schemas.bundle.js')]));
    for (const bundle of bundles) {
      const text = readFileSync(join(DIST, 'src', bundle), 'latin1');
      expect(/[^\x00-\x7f]/.exec(text)?.index ?? null, bundle).toBeNull();
    }
  });

  it('a traced run (CODEX_ORCHESTRATOR_TRACE, as every test run) loads the bin alone too: the trace keeps manifest texts, not zod digests', async () => {
    const root = repo(oneStage);
    const trace = join(root, 'trace.ndjson');
    const { code, modules } = await cliModules(['start', 'one'], root, CLI_PATH, { CODEX_ORCHESTRATOR_TRACE: trace });
    expect(code).toBe(0);
    expect(project(modules)).toEqual(['src/cli/bin.cjs']);
    expect(readFileSync(trace, 'utf8')).toContain('"state":{"text":');
  });

  it('a one-stage run loads no node:crypto (its ids come from /dev/urandom) and no node:fs/promises; a run with instruction files loads node:crypto for their digest', async () => {
    const root = repo(oneStage);
    const plain = await cliModules(['start', 'one'], root, CLI_PATH);
    expect(plain.code).toBe(0);
    // The list holds Node's builtins too: a run starts children, so it loads node:child_process.
    expect(plain.modules).toEqual(expect.arrayContaining(['node:child_process', 'node:fs']));
    expect(plain.modules).not.toContain('node:crypto');
    expect(plain.modules).not.toContain('node:fs/promises');
    const instructed = repo(oneStage);
    writeFileSync(join(instructed, 'AGENTS.md'), '# How to work here\n');
    const hashed = await cliModules(['start', 'one'], instructed, CLI_PATH);
    expect(hashed.code).toBe(0);
    expect(hashed.modules).toContain('node:crypto');
    const [id] = readdirSync(join(instructed, '.runs/0101/cli'));
    const manifest = JSON.parse(readFileSync(join(instructed, '.runs/0101/cli', id!, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(JSON.stringify(manifest)).toContain(createHash('sha256').update('# How to work here\n').digest('hex'));
  });

  it('says what the entry says: the same help, version and run', async () => {
    const root = repo(oneStage);
    for (const args of [['--help'], ['--version'], ['start', '--help'], ['status']]) {
      const [bin, entry] = await Promise.all([cliModules(args, root, CLI_PATH), cliModules(args, root)]);
      expect(bin.code, args.join(' ')).toBe(entry.code);
      expect(bin.stdout, args.join(' ')).toBe(entry.stdout);
    }
  });

  it('a config with a mistake and a manifest read load zod from the second bundle of the bin, no module of dist/ and no package', async () => {
    const root = repo({ pipelines: [{ id: 'one', title: 'One', stages: [{ kind: 'command', id: 'true', title: 'True', comand: 'true' }] }] });
    const mistake = await cliModules(['start', 'one'], root, CLI_PATH);
    expect(mistake.code).toBe(2);
    expect(project(mistake.modules)).toEqual(['src/cli/bin.cjs']);
    const valid = repo(oneStage);
    expect((await cliModules(['start', 'one'], valid, CLI_PATH)).code).toBe(0);
    const [id] = readdirSync(join(valid, '.runs/0101/cli'));
    const status = await cliModules(['status', '--run', id!], valid, CLI_PATH);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Run ${id!}`);
    expect(project(status.modules)).toEqual(['src/cli/bin.cjs']);
  });
});

describe('the bins start from the code cache the build trained (scripts/code-cache.mjs)', () => {
  const bins = [TOOLS.cli, TOOLS.golden, TOOLS.specGuard, TOOLS.diffBudget, TOOLS.docsCheck, TOOLS.review];

  it('each bin says V8 used its cache, and runs as it does without one', () => {
    const root = repo(oneStage);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    for (const bin of bins) {
      const args = bin === TOOLS.cli ? ['plan', 'one'] : ['--help'];
      const cached = spawnSync(process.execPath, [bin, ...args], { cwd: root, env: { ...env, CODEX_BIN_CODE_CACHE: 'check' }, encoding: 'utf8' });
      expect(cached.stderr.split('\n')[0], bin).toBe('code cache: used');
      const fresh = spawnSync(process.execPath, [bin, ...args], { cwd: root, env: { ...env, CODEX_BIN_CODE_CACHE: 'none' }, encoding: 'utf8' });
      expect(cached.status, bin).toBe(fresh.status);
      expect(cached.stdout, bin).toBe(fresh.stdout);
    }
  });

  it('the schemas come from their own bundle and cache, and word a mistake as the entry does', async () => {
    // The config schema for a config's mistake, from a bin whose caches V8 used.
    const root = repo({ pipelines: [{ id: 'one', title: 'One', stages: [{ kind: 'command', id: 'true', title: 'True', comand: 'true' }] }] });
    const result = spawnSync(process.execPath, [TOOLS.cli, 'start', 'one'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CODEX_BIN_CODE_CACHE: 'check' },
      encoding: 'utf8',
    });
    const entry = spawnSync(process.execPath, [CLI_ENTRY_PATH, 'start', 'one'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      encoding: 'utf8',
    });
    const [bin, schemas, ...rest] = result.stderr.trim().split('\n');
    expect([bin, schemas]).toEqual(['code cache: used', 'code cache (schemas): used']);
    expect(result.status).toBe(2);
    expect(rest).toEqual([expect.stringMatching(/^codex-orchestrator: codex\.orchestrator\.json: .*comand: unknown key/)]);
    expect(rest.join('\n')).toBe(entry.stderr.trim());
  });
});
