// The build's last step (after chmod-bin's stamp, which the tools check before they start):
// trains the V8 code caches of each bin the bundle step wrote (scripts/bundle-bin.mjs). A first
// run writes a bundle's cache at its exit, holding every function that run compiled; later runs
// extend it (they start from it and write it back with what they compiled too); one more run
// must use every cache, or the build fails. The CLI runs a one-stage pipeline in a temporary
// repo (the config, the run, the manifest writes), then `status` on that run (a manifest read:
// the schemas bundle) and `start` on a config with a mistake (its wording); a tool prints its
// help (its start: its packages and schemas set up), then does its work once on this checkout
// when it can (golden checks one scenario, the spec guard and diff budget judge the working
// tree, the docs check the docs): those runs only warm the cache, so their verdict (or a
// failure, outside a git checkout) does not matter. The runs get PATH alone: V8 refuses a cache
// made under other V8 flags, so "used" is proven for a start without any (NODE_OPTIONS with V8
// flags only costs the compilation the cache saves).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const CLI = join('src', 'cli', 'bin.cjs');
const bins = readdirSync(join(DIST, 'src'), { recursive: true })
  .map(String)
  .filter((path) => path.endsWith('bin.bundle.js'))
  .map((path) => join(DIST, 'src', dirname(path), 'bin.cjs'))
  .sort();
const failures = [];
if (bins.length === 0) failures.push('no bundle under dist/src: run scripts/bundle-bin.mjs first');

const oneStage = (command) =>
  JSON.stringify({ pipelines: [{ id: 'one', title: 'One', stages: [{ kind: 'command', id: 'true', title: 'True', [command]: 'true' }] }] });
const scratch = mkdtempSync(join(tmpdir(), 'code-cache-'));
const repo = join(scratch, 'repo');
const mistaken = join(scratch, 'mistaken');
mkdirSync(repo);
mkdirSync(mistaken);
writeFileSync(join(repo, 'codex.orchestrator.json'), oneStage('command'));
writeFileSync(join(mistaken, 'codex.orchestrator.json'), oneStage('comand'));
const runIds = () => (existsSync(join(repo, '.runs/0101/cli')) ? readdirSync(join(repo, '.runs/0101/cli')) : []);

/** Each tool's work once on this checkout (see above), after its help. */
const WORK = {
  golden: ['check', '--corpus', join(ROOT, 'golden'), '--filter', 'success', '--pending-dir', join(scratch, 'pending')],
  'spec-guard': ['--dry-run'],
  'diff-budget': ['--json'],
  'docs-check': [],
};

/** The bin's training runs, in order ([cwd, args, exit code or null for any]), and the run whose check must say every cache was used. */
function training(name) {
  if (name !== CLI) {
    const work = WORK[basename(dirname(name))];
    return { runs: [[repo, ['--help'], 0], ...(work ? [[ROOT, work, null]] : [])], check: [repo, ['--help']], caches: 1 };
  }
  return {
    runs: [
      [repo, ['start', 'one'], 0],
      [repo, () => ['status', '--run', runIds()[0] ?? 'none'], 0],
      [mistaken, ['start', 'one'], 2],
    ],
    check: [repo, () => ['status', '--run', runIds()[0] ?? 'none']],
    caches: 2,
  };
}

/** Trains one bin's caches, then checks it uses them; its findings go to `failures`. */
async function train(bin) {
  const name = relative(DIST, bin);
  if (!existsSync(bin)) {
    failures.push(`${name} is missing next to its bundle`);
    return;
  }
  const run = (cwd, args, mode) =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [bin, ...args],
        { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CODEX_BIN_CODE_CACHE: mode }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
        (error, _stdout, stderr) =>
          done({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, signal: error?.signal ?? null, stderr }),
      );
    });
  const plan = training(name);
  // An argument list may be a function: the CLI's `status` needs the id of the run made before it.
  const argsOf = (args) => (typeof args === 'function' ? args() : args);
  for (const [k, [cwd, args, code]] of plan.runs.entries()) {
    const argv = argsOf(args);
    const result = await run(cwd, argv, k === 0 ? 'write' : 'extend');
    if (code !== null && result.status !== code) {
      failures.push(
        `${name} ${argv.join(' ')} exited ${result.status ?? result.signal} (not ${code}) while its code cache was trained: ${result.stderr.trim().split('\n').at(-1)}`,
      );
      return;
    }
  }
  const checked = await run(plan.check[0], argsOf(plan.check[1]), 'check');
  const said = checked.stderr.split('\n').filter((line) => line.startsWith('code cache'));
  if (checked.status !== 0) failures.push(`${name}: the run checking its code caches exited ${checked.status ?? checked.signal}`);
  else if (said.length !== plan.caches || said.some((line) => !line.endsWith(': used')))
    failures.push(`${name}: V8 did not use every code cache just trained (${said.join('; ') || 'nothing said'})`);
}

try {
  // The bins side by side (each its own runs in order): on 2 cores about half the time.
  await Promise.all(bins.map(train));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
for (const line of failures) process.stderr.write(`code-cache: ${line}\n`);
if (failures.length > 0) process.exit(1);
