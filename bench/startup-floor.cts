// The floor under a one-stage run's start-up: what the durability contract alone costs
// (docs/contracts.md §3), with none of the CLI's logic. Replays the file operations a traced
// `start` made (CODEX_ORCHESTRATOR_TRACE, read by bench/latency.ts) with the same steps the
// real sink takes (src/runtime/node-file-sink.ts): an atomic replace is a temp file written in
// place, fsynced, renamed, and its directory fsynced; an exclusive create is a temp file linked
// into place; an append is a write at the end; the stage is `sh -c true` with its output piped.
// A new run id per run, as the CLI makes one; its random bytes, as the CLI's, come from
// /dev/urandom (src/runtime/random-source.ts), so neither loads node:crypto. CommonJS, and no
// module of the project, so what it loads is Node's own: bench/latency.ts times it against
// `node -e 0` and against the CLI.
//
// Usage: node startup-floor.cjs <operations.json> (run in the directory the paths are relative to)
import { spawn } from 'node:child_process';
import { closeSync, fsync, linkSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** One file operation of a trace, or the stage's child (`exec`), in the order the run made them. */
export type FloorOperation = { kind: 'create' | 'write' | 'append' | 'remove' | 'exec'; path?: string; bytes?: number };

/** `count` random bytes as hex, from one block read from /dev/urandom (as the CLI's ids and temp names). */
const random = (() => {
  const block = Buffer.alloc(512);
  let used = block.byteLength;
  return (count: number): string => {
    if (used + count > block.byteLength) {
      const fd = openSync('/dev/urandom', 'r');
      for (let at = 0; at < block.byteLength;) at += readSync(fd, block, at, block.byteLength - at, null);
      closeSync(fd);
      used = 0;
    }
    used += count;
    return block.toString('hex', used - count, used);
  };
})();

const fsyncAsync = (fd: number) => new Promise<void>((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));

function writeAll(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.byteLength;) at += writeSync(fd, bytes, at, bytes.byteLength - at);
}

async function replace(path: string, bytes: Buffer): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${random(16)}.tmp`;
  const fd = openSync(temp, 'wx');
  writeAll(fd, bytes);
  await fsyncAsync(fd);
  closeSync(fd);
  renameSync(temp, path);
  const dir = openSync(dirname(path), 'r');
  await fsyncAsync(dir);
  closeSync(dir);
}

function create(path: string, bytes: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${random(16)}.tmp`;
  const fd = openSync(temp, 'wx');
  writeAll(fd, bytes);
  closeSync(fd);
  linkSync(temp, path);
  rmSync(temp, { force: true });
}

const appended = new Map<string, number>();
function append(path: string, bytes: Buffer): void {
  let fd = appended.get(path);
  if (fd === undefined) {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, 'a');
    appended.set(path, fd);
  }
  writeAll(fd, bytes);
}

function stage(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'true'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', () => resolve());
  });
}

async function main(file: string): Promise<void> {
  const operations = JSON.parse(readFileSync(file, 'utf8')) as FloorOperation[];
  // The traced run's id, in every path under it, becomes this run's own.
  const runId = `floor-${random(4)}-${process.pid}`;
  const withRun = (path: string) => path.replace(/\{run\}/g, runId);
  for (const operation of operations) {
    const path = operation.path === undefined ? '' : withRun(operation.path);
    const bytes = Buffer.alloc(operation.bytes ?? 0, 0x7b);
    if (operation.kind === 'write') await replace(path, bytes);
    else if (operation.kind === 'create') create(path, bytes);
    else if (operation.kind === 'append') append(path, bytes);
    else if (operation.kind === 'remove') rmSync(path, { force: true });
    else await stage();
  }
  for (const fd of appended.values()) closeSync(fd);
}

if (require.main === module) {
  main(process.argv[2] ?? '').catch((error: unknown) => {
    process.stderr.write(`startup-floor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
