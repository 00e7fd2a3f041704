// Real small file systems for the disk-error tests: a tmpfs of a given size (to fill it up), or
// one remounted read-only. Mounting needs root and a kernel that lets this process mount (a
// container may not): `probeMount` tries once and says why not, and the tests that need it are
// skipped with that reason. chmod cannot make a directory read-only here (the tests run as root).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type MountProbe = { ok: true } | { ok: false; reason: string };

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function failure(error: unknown): string {
  const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8').trim();
  return stderr || (error as Error).message;
}

let probed: MountProbe | null = null;

/** Whether this process may mount a tmpfs and remount it read-only (tried once per test file). */
export function probeMount(): MountProbe {
  if (probed) return probed;
  if (process.platform !== 'linux') return (probed = { ok: false, reason: `tmpfs mounts need Linux (this is ${process.platform})` });
  if (process.getuid?.() !== 0) return (probed = { ok: false, reason: 'mounting a tmpfs needs root' });
  const dir = mkdtempSync(join(tmpdir(), 'mount-probe-'));
  try {
    run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return (probed = { ok: false, reason: `mount is not permitted here: ${failure(error)}` });
  }
  try {
    run('mount', ['-o', 'remount,ro', dir]);
    probed = { ok: true };
  } catch (error) {
    probed = { ok: false, reason: `remounting read-only is not permitted here: ${failure(error)}` };
  } finally {
    run('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
  return probed;
}

/** Mounts a tmpfs of `bytes` at `dir` (which must exist). */
export function mountTmpfs(dir: string, bytes: number): void {
  run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
}

export function remountReadOnly(dir: string): void {
  run('mount', ['-o', 'remount,ro', dir]);
}

export function unmount(dir: string): void {
  run('umount', [dir]);
}

/** Bytes still free on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/** Fills the file system holding `dir` with one file, `leave` bytes short of full; returns its path. */
export function fillUp(dir: string, leave: number, name = 'filler'): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.alloc(Math.max(0, freeBytes(dir) - leave)));
  return path;
}
