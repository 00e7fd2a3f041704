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
//
// A bin whose caches were trained on exactly its bundles, by this Node (bin.bundle.trained holds
// both: the Node version and each bundle's digest; bundle-bin.mjs removes it with the caches
// when a bundle changes), is not trained again when a run in check mode still uses every cache:
// the build after `npm ci`'s own (the lane's build stage) then takes a check run per bin.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * The bin's training runs, in order ([cwd, args, exit code or null for any]), the run whose check
 * must say every cache was used, and what that check needs run before it (the CLI's `status`
 * needs a run) when the training is skipped.
 */
function training(name) {
  if (name !== CLI) {
    const work = WORK[basename(dirname(name))];
    return { runs: [[repo, ['--help'], 0], ...(work ? [[ROOT, work, null]] : [])], check: [repo, ['--help']], before: [], caches: 1 };
  }
  return {
    runs: [
      [repo, ['start', 'one'], 0],
      [repo, () => ['status', '--run', runIds()[0] ?? 'none'], 0],
      [mistaken, ['start', 'one'], 2],
    ],
    check: [repo, () => ['status', '--run', runIds()[0] ?? 'none']],
    before: [[repo, ['start', 'one'], 0]],
    caches: 2,
  };
}

/** What a bin's caches were trained on: this Node and each of its bundles (their digests). */
function trainedOn(bin) {
  const dir = dirname(bin);
  const bundles = readdirSync(dir)
    .filter((file) => file.endsWith('.bundle.js'))
    .sort();
  return (
    [
      process.version,
      ...bundles.map(
        (file) =>
          `${file} ${createHash('sha256')
            .update(readFileSync(join(dir, file)))
            .digest('hex')}`,
      ),
    ].join('\n') + '\n'
  );
}

const upToDate = [];

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
  /** The check run's findings: null when it used every cache. */
  const check = async () => {
    const checked = await run(plan.check[0], argsOf(plan.check[1]), 'check');
    const said = checked.stderr.split('\n').filter((line) => line.startsWith('code cache'));
    if (checked.status !== 0) return `the run checking its code caches exited ${checked.status ?? checked.signal}`;
    if (said.length !== plan.caches || said.some((line) => !line.endsWith(': used')))
      return `V8 did not use every code cache (${said.join('; ') || 'nothing said'})`;
    return null;
  };
  const marker = join(dirname(bin), 'bin.bundle.trained');
  const key = trainedOn(bin);
  if (existsSync(marker) && readFileSync(marker, 'utf8') === key) {
    let ready = true;
    for (const [cwd, args, code] of plan.before) ready &&= (await run(cwd, argsOf(args), 'check')).status === code;
    if (ready && (await check()) === null) {
      upToDate.push(name);
      return;
    }
  }
  rmSync(marker, { force: true });
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
  const finding = await check();
  if (finding !== null) failures.push(`${name}: ${finding}, just trained`);
  else writeFileSync(marker, key);
}

try {
  // The bins side by side (each its own runs in order): on 2 cores about half the time.
  await Promise.all(bins.map(train));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (upToDate.length > 0)
  process.stderr.write(`code-cache: ${upToDate.length} of ${bins.length} bin(s) trained on these bundles already, and using their caches\n`);
for (const line of failures) process.stderr.write(`code-cache: ${line}\n`);
if (failures.length > 0) process.exit(1);
