// The spawn executor's start gate (ExecRequest.gated): the command runs only once onSpawn has
// settled, so whatever onSpawn arranges for the process (the cloud worker's stage guard) is in
// place before the command does anything. A caller that dies before then leaves a process that
// exits without running the command.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSpawnExecutor } from '../../src/runtime/spawn-executor.js';
import { createRealClock } from '../../src/runtime/real-clock.js';
import type { ExecChunk } from '../../src/runtime/types.js';
import { processGone } from '../helpers/integration.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'codex-gate-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Resolves once `pid` is gone (or a zombie), polling every 10 ms; false after `boundMs` (a failure). */
async function goneWithin(pid: number, boundMs: number): Promise<boolean> {
  for (let waited = 0; waited <= boundMs; waited += 10) {
    if (processGone(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

describe('spawn executor: a gated start', () => {
  it('runs the command as an ungated start would: the same $0, environment, output and exit status, and no extra descriptor', async () => {
    const executor = createSpawnExecutor(createRealClock());
    const chunks: ExecChunk[] = [];
    const spawned: number[] = [];
    const handle = executor.start(
      {
        command: 'echo "$0 $GATE_VALUE"; if [ -e /proc/self/fd/3 ]; then echo fd3-open; else echo fd3-closed; fi; echo err >&2; exit 7',
        cwd: tempDir(),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GATE_VALUE: 'v' },
        stageKey: 'gate',
        gated: true,
        onSpawn: (pid) => {
          spawned.push(pid);
        },
      },
      async (chunk) => {
        chunks.push(chunk);
      },
    );
    const exit = await handle.done;
    expect(exit).toEqual({ exitCode: 7, signal: null });
    expect(spawned).toHaveLength(1);
    const text = (stream: string) => Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => Buffer.from(c.data))).toString('utf8');
    expect(text('stdout')).toBe('/bin/sh v\nfd3-closed\n');
    expect(text('stderr')).toBe('err\n');
  });

  it("runs the command once onSpawn's promise resolves", async () => {
    const executor = createSpawnExecutor(createRealClock());
    const dir = tempDir();
    const mark = join(dir, 'ran');
    const handle = executor.start(
      {
        command: 'touch "$MARK"',
        cwd: dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MARK: mark },
        stageKey: 'gate',
        gated: true,
        onSpawn: () => new Promise<void>((resolve) => setImmediate(resolve)),
      },
      async () => undefined,
    );
    expect(await handle.done).toEqual({ exitCode: 0, signal: null });
    expect(existsSync(mark)).toBe(true);
  });

  it('a caller killed (kill -9) before onSpawn settles leaves a process that exits without running the command', async () => {
    const dir = tempDir();
    const mark = join(dir, 'ran');
    const executorModule = join(import.meta.dirname, '../../dist/src/runtime/spawn-executor.js');
    const clockModule = join(import.meta.dirname, '../../dist/src/runtime/real-clock.js');
    // The caller says the pid, then never settles onSpawn; it is killed outright.
    writeFileSync(
      join(dir, 'caller.mjs'),
      `const { createSpawnExecutor } = await import(${JSON.stringify(executorModule)});
       const { createRealClock } = await import(${JSON.stringify(clockModule)});
       createSpawnExecutor(createRealClock()).start(
         { command: 'touch "$MARK"', cwd: ${JSON.stringify(dir)}, env: { PATH: process.env.PATH, MARK: ${JSON.stringify(mark)} }, stageKey: 'gate', gated: true,
           onSpawn: (pid) => { process.stdout.write(pid + '\\n'); return new Promise(() => undefined); } },
         async () => undefined,
       );`,
    );
    const caller = spawn(process.execPath, [join(dir, 'caller.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let text = '';
      caller.stdout.on('data', (d: Buffer) => {
        text += d.toString('utf8');
        if (text.includes('\n')) resolve(Number(text.trim()));
      });
      caller.once('close', () => reject(new Error(`the caller ended before saying the pid: ${text}`)));
    });
    caller.kill('SIGKILL');
    await new Promise<void>((resolve) => caller.once('close', () => resolve()));
    // Bounded for code without the gate, where the command runs and ends at once anyway.
    expect(await goneWithin(pid, 10_000)).toBe(true);
    expect(existsSync(mark)).toBe(false);
  });
});
