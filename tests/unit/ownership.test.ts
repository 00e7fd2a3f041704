// The run's owner file (src/run/ownership.ts) on the in-memory sink and the virtual process
// table, and the real process table on this machine's /proc.
import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runPaths } from '../../src/persist/manifest-writer.js';
import { acquireRun, judgeOwner, parseOwner, readOwner, type Acquired, type Refused } from '../../src/run/ownership.js';
import { DURABILITY } from '../../src/runtime/durability.js';
import { createMemoryFileSink } from '../../src/runtime/memory-file-sink.js';
import { createRealProcessTable, createVirtualProcessTable } from '../../src/runtime/process-table.js';
import type { ProcessIdentity } from '../../src/runtime/types.js';
import { createVirtualClock } from '../../src/runtime/virtual-clock.js';
import { createSeededIds } from '../../src/runtime/seeded-ids.js';
import type { Manifest } from '../../src/manifest/schema.js';

const T0 = Date.parse('2026-08-01T09:00:00.000Z');
const roots = { root: '/repo', runsDir: '/repo/.runs', outDir: '/repo/out' };

function world() {
  const fs = createMemoryFileSink({ durability: DURABILITY });
  const clock = createVirtualClock(T0);
  const paths = runPaths(roots, '0101', 'r-1', fs, clock);
  const live = new Set<string>();
  const processOf = (pid: number) => createVirtualProcessTable({ pid, host: 'h', started: `s-${pid}` }, live);
  // Each process's own ids, as each real process has its own random source.
  const ids = new Map<number, ReturnType<typeof createSeededIds>>();
  const idsOf = (pid: number) => ids.get(pid) ?? ids.set(pid, createSeededIds(1, pid)).get(pid)!;
  return { fs, clock, paths, processOf, idsOf };
}

const heartbeat = (at: string): Pick<Manifest, 'status' | 'heartbeat_at' | 'updated_at' | 'heartbeat_stale_after_seconds'> =>
  ({ status: 'in_progress', heartbeat_at: at, updated_at: at, heartbeat_stale_after_seconds: 30 }) as const;

const acquire = (w: ReturnType<typeof world>, pid: number, manifest: Manifest | null = null) =>
  acquireRun(
    { paths: w.paths, processes: w.processOf(pid), ids: w.idsOf(pid) },
    { command: 'resume', nowMs: w.clock.now(), manifest: async () => manifest },
  );

describe('acquireRun', () => {
  it('takes a free run, writing who holds it; release removes it', async () => {
    const w = world();
    const got = (await acquire(w, 10)) as Acquired;
    expect(got.kind).toBe('owned');
    expect(got.previous).toBeNull();
    const held = await readOwner(w.paths);
    expect(held?.record).toMatchObject({
      pid: 10,
      host: 'h',
      started: 's-10',
      command: 'resume',
      stage_group: null,
      acquired_at: '2026-08-01T09:00:00.000Z',
    });
    expect(held?.record?.token).toMatch(/^[0-9a-f]{32}$/);
    got.ownership.recordStageGroup('build', 99);
    await got.ownership.release();
    expect(w.fs.files().has(w.paths.ownerPath)).toBe(false);
    // Released: a late stage group is not written back.
    got.ownership.recordStageGroup('late', 100);
    await got.ownership.release();
    expect(w.fs.files().has(w.paths.ownerPath)).toBe(false);
  });

  it('records the running stage group in the owner file', async () => {
    const w = world();
    const got = (await acquire(w, 10)) as Acquired;
    got.ownership.recordStageGroup('build', 99);
    got.ownership.recordStageGroup('test', 120);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect((await readOwner(w.paths))?.record?.stage_group).toEqual({ stage: 'test', pgid: 120, started: 'virtual-start-120' });
  });

  it('of twenty processes that try at once, exactly one gets the run; the others are refused naming it', async () => {
    const w = world();
    const results = await Promise.all(Array.from({ length: 20 }, (_, k) => acquire(w, 100 + k)));
    const owned = results.filter((r) => r.kind === 'owned') as Acquired[];
    expect(owned).toHaveLength(1);
    const winner = owned[0]!.ownership.record.pid;
    for (const refused of results.filter((r): r is Refused => r.kind === 'refused')) {
      expect(refused.reason).toBe(`it is owned by pid ${winner} on host h (resume since 2026-08-01T09:00:00.000Z), which still runs`);
    }
  });

  it('a dead owner is taken over by exactly one of twenty takers, which learns whom it replaced', async () => {
    const w = world();
    const dead = (await acquire(w, 7)) as Acquired;
    dead.ownership.recordStageGroup('build', 70);
    await new Promise((resolve) => setImmediate(resolve));
    w.processOf(7).setAlive({ pid: 7, host: 'h', started: 's-7' }, false);
    const results = await Promise.all(Array.from({ length: 20 }, (_, k) => acquire(w, 200 + k)));
    const owned = results.filter((r) => r.kind === 'owned') as Acquired[];
    expect(owned).toHaveLength(1);
    expect(owned[0]!.previous).toMatchObject({ pid: 7, state: 'gone', stage_group: { stage: 'build', pgid: 70 } });
    expect((await readOwner(w.paths))?.record?.pid).toBe(owned[0]!.ownership.record.pid);
    // No takeover marker is left behind.
    expect([...w.fs.files().keys()].filter((path) => path.includes('.owner.takeover'))).toEqual([]);
    // The dead owner's release (were it to run after all) does not remove the new owner's file.
    await dead.ownership.release();
    expect((await readOwner(w.paths))?.record?.pid).toBe(owned[0]!.ownership.record.pid);
  });

  it('a pid now used by another process (another start) is a dead owner', async () => {
    const w = world();
    w.fs.seedFile(
      w.paths.ownerPath,
      JSON.stringify({ pid: 300, host: 'h', started: 'old-start', token: 't', acquired_at: 'x', command: 'start', stage_group: null }),
    );
    w.processOf(300); // pid 300 alive, started s-300
    const got = await acquire(w, 1);
    expect(got.kind).toBe('owned');
  });

  it('an unreadable owner file counts as held while the heartbeat is fresh, and is taken over once it is stale', async () => {
    const w = world();
    w.fs.seedFile(w.paths.ownerPath, '');
    const fresh = heartbeat('2026-08-01T09:00:00.000Z') as Manifest;
    w.clock.setNow(T0 + 30_000);
    expect(await acquire(w, 1, fresh)).toMatchObject({
      kind: 'refused',
      reason: 'it is owned by a process that left an unreadable .owner file, which still runs',
    });
    w.clock.setNow(T0 + 30_001);
    expect(await acquire(w, 1, fresh)).toMatchObject({ kind: 'owned', previous: null, previousUnreadable: true });
  });

  it('a takeover already under way (its marker held by a live taker) is not joined', async () => {
    const w = world();
    w.fs.seedFile(
      w.paths.ownerPath,
      JSON.stringify({ pid: 300, host: 'h', started: 'gone', token: 'dead', acquired_at: 'x', command: 'start', stage_group: null }),
    );
    w.fs.seedFile(
      `${w.paths.ownerPath}.takeover-dead`,
      JSON.stringify({ pid: 301, host: 'h', started: 's-301', token: 'taker', acquired_at: 'y', command: 'resume', stage_group: null }),
    );
    expect(await acquire(w, 1)).toMatchObject({ kind: 'refused', reason: 'pid 301 on host h (resume since y) is taking it over' });
  });
});

describe('judgeOwner and parseOwner', () => {
  const table = createVirtualProcessTable({ pid: 1, host: 'h', started: 's-1' });
  const record = (host: string, pid: number) => ({
    pid,
    host,
    started: `s-${pid}`,
    token: 't',
    acquired_at: 'a',
    command: 'start',
    stage_group: null,
  });
  it('on another host: alive while the heartbeat is fresh, stale after', () => {
    expect(judgeOwner(record('other', 1), table, heartbeat('2026-08-01T09:00:00.000Z'), T0 + 30_000)).toBe('alive');
    expect(judgeOwner(record('other', 1), table, heartbeat('2026-08-01T09:00:00.000Z'), T0 + 30_001)).toBe('stale');
    expect(judgeOwner(record('other', 1), table, null, T0 + 99_000_000)).toBe('alive');
  });
  it('on this host, the process table decides, whatever the heartbeat', () => {
    expect(judgeOwner(record('h', 1), table, heartbeat('2020-01-01T00:00:00.000Z'), T0)).toBe('alive');
    expect(judgeOwner(record('h', 2), table, heartbeat('2026-08-01T09:00:00.000Z'), T0)).toBe('gone');
  });
  it('reads only a record with its identity, else null', () => {
    expect(parseOwner('{"pid":1}')).toBeNull();
    expect(parseOwner('null')).toBeNull();
    expect(parseOwner('{')).toBeNull();
    expect(parseOwner('{"pid":1,"host":"h","token":"t","acquired_at":"a"}')).toEqual({
      pid: 1,
      host: 'h',
      started: null,
      token: 't',
      acquired_at: 'a',
      command: 'unknown',
      stage_group: null,
    });
  });
});

describe('the real process table', () => {
  const table = createRealProcessTable();
  const self = table.self();

  it('knows this process, and its start', () => {
    expect(self).toMatchObject({ pid: process.pid, host: hostname() });
    expect(self.started).toMatch(/^[0-9a-f-]+\/\d+$/);
    expect(table.liveness(self)).toBe('alive');
    expect(table.identify(process.pid)).toEqual(self);
  });

  it('an exited pid, the same pid with another start, and another host', () => {
    const exited = Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim());
    expect(table.liveness({ pid: exited, host: hostname(), started: null })).toBe('gone');
    expect(table.liveness({ ...self, started: `${self.started}0` })).toBe('gone');
    expect(table.liveness({ ...self, host: `${hostname()}-elsewhere` })).toBe('unknown');
  });

  it('stops every process of a group, and leaves a group whose leader is another process', async () => {
    const child = spawn('sh', ['-c', 'sleep 600 & sleep 600 & echo go; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const exit = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const leader: ProcessIdentity = table.identify(child.pid!);
    try {
      expect(table.stopGroup({ pgid: child.pid!, started: `${leader.started}0` })).toBe(0);
      expect(table.stopGroup({ pgid: child.pid!, started: leader.started })).toBe(3);
      expect(await exit).toBe('SIGKILL');
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Stopped.
      }
    }
  });
});
