// The contract floor of bench/latency.ts: the file operations of a traced one-stage `start`,
// replayed by bench/startup-floor.cts with the real sink's steps and no CLI. What it replays is
// read from the trace (so it follows the run when the run's writes change), and the replay
// leaves the same files with the same sizes, under a run id of its own.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { floorOperations } from '../../bench/latency.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/bin.cjs', import.meta.url));
const FLOOR = fileURLToPath(new URL('../../dist/bench/startup-floor.cjs', import.meta.url));
const tmp = useTempDirs('startup-floor-');

/** Every file under `dir` (relative path -> size), with the run id of its run directories as `{run}`. */
function filesOf(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (at: string, rel: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      const relative = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path, relative);
      else out.set(relative.replace(/(?<=\/(?:cli|mcp)\/)[^/]+/, '{run}'), statSync(path).size);
    }
  };
  walk(dir, '');
  return out;
}

describe('the contract floor of a one-stage start', () => {
  it("takes the traced run's operations in order, the child as `exec`, the run id as {run}", () => {
    const run = '2026-03-01T10-00-00-000Z-abcdef12';
    const trace = [
      { trace: 2, origin_ms: 0, root: '/r', heartbeat_interval_ms: 5000, pid: 1 },
      { t: 0, kind: 'cli:start', argv: ['start'] },
      { t: 1, kind: 'create', path: `.runs/0101/cli/${run}/.owner`, bytes: 204 },
      { t: 2, kind: 'write', path: `.runs/0101/mcp/${run}/manifest.json`, bytes: 294, fsync: true },
      { t: 3, kind: 'exec:start', stage: 'one/true' },
      { t: 4, kind: 'exec:exit', stage: 'one/true', code: 0, signal: null },
      { t: 5, kind: 'append', path: '.runs/0101/metrics.json', bytes: 581 },
      { t: 6, kind: 'remove', path: `.runs/0101/cli/${run}/.owner` },
      { t: 7, kind: 'cli:exit', code: 0 },
    ];
    expect(floorOperations(trace.map((e) => JSON.stringify(e)).join('\n'))).toEqual([
      { kind: 'create', path: '.runs/0101/cli/{run}/.owner', bytes: 204 },
      { kind: 'write', path: '.runs/0101/mcp/{run}/manifest.json', bytes: 294 },
      { kind: 'exec' },
      { kind: 'append', path: '.runs/0101/metrics.json', bytes: 581 },
      { kind: 'remove', path: '.runs/0101/cli/{run}/.owner' },
    ]);
    expect(() => floorOperations(JSON.stringify({ t: 0, kind: 'cli:start' }))).toThrow('the traced run wrote nothing under a run directory');
  });

  it('replays a real traced run: the same files with the same sizes, under a run id of its own', () => {
    const real = tmp();
    const config = JSON.stringify({
      pipelines: [{ id: 'one', title: 'One', stages: [{ kind: 'command', id: 'true', title: 'True', command: 'true' }] }],
    });
    writeFileSync(join(real, 'codex.orchestrator.json'), config);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', CODEX_ORCHESTRATOR_TRACE: join(real, 'trace.ndjson') };
    execFileSync(process.execPath, [CLI, 'start', 'one'], { cwd: real, env, stdio: 'ignore' });
    const operations = floorOperations(readFileSync(join(real, 'trace.ndjson'), 'utf8'));
    expect(operations.filter((o) => o.kind === 'exec')).toHaveLength(1);

    const floor = tmp();
    writeFileSync(join(floor, 'operations.json'), JSON.stringify(operations));
    execFileSync(process.execPath, [FLOOR, join(floor, 'operations.json')], { cwd: floor, stdio: 'ignore' });
    const made = filesOf(floor);
    made.delete('operations.json');
    const expected = filesOf(real);
    for (const ours of ['codex.orchestrator.json', 'trace.ndjson']) expected.delete(ours);
    expect([...made].sort()).toEqual([...expected].sort());
  });
});
