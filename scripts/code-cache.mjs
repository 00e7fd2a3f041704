// The build's last step (after chmod-bin's stamp, which the tools check before they start):
// trains the V8 code cache of each bin the bundle step wrote (scripts/bundle-bin.mjs). One run
// writes the cache at its exit, holding every function that run compiled; one more must use it,
// or the build fails. The CLI runs a one-stage pipeline in a temporary repo (its start: the
// config, the run, the manifest writes); a tool prints its help (its start: its packages and
// schemas set up). The runs get PATH alone: V8 refuses a cache made under other flags.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');
const bins = readdirSync(join(DIST, 'src'), { recursive: true })
  .map(String)
  .filter((path) => path.endsWith('bin.bundle.js'))
  .map((path) => join(DIST, 'src', dirname(path), 'bin.cjs'))
  .sort();
const failures = [];
if (bins.length === 0) failures.push('no bundle under dist/src: run scripts/bundle-bin.mjs first');
const repo = mkdtempSync(join(tmpdir(), 'code-cache-'));
try {
  writeFileSync(
    join(repo, 'codex.orchestrator.json'),
    JSON.stringify({ pipelines: [{ id: 'one', title: 'One', stages: [{ kind: 'command', id: 'true', title: 'True', command: 'true' }] }] }),
  );
  for (const bin of bins) {
    const name = relative(DIST, bin);
    if (!existsSync(bin)) {
      failures.push(`${name} is missing next to its bundle`);
      continue;
    }
    const args = name === join('src', 'cli', 'bin.cjs') ? ['start', 'one'] : ['--help'];
    const run = (mode) =>
      spawnSync(process.execPath, [bin, ...args], {
        cwd: repo,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CODEX_BIN_CODE_CACHE: mode },
        encoding: 'utf8',
      });
    const trained = run('write');
    if (trained.status !== 0) {
      failures.push(
        `${name} ${args.join(' ')} exited ${trained.status ?? trained.signal} while its code cache was trained: ${trained.stderr.trim().split('\n').at(-1)}`,
      );
      continue;
    }
    const used = run('check').stderr.split('\n')[0];
    if (used !== 'code cache: used') failures.push(`${name}: V8 did not use the code cache just trained (${used})`);
  }
} finally {
  rmSync(repo, { recursive: true, force: true });
}
for (const line of failures) process.stderr.write(`code-cache: ${line}\n`);
if (failures.length > 0) process.exit(1);
