// The child processes a harness command has started and not yet seen end (git archive, tar,
// tsc, the base's replay), so that a command stopped by a signal can end them before it removes
// the directory they write into: a tar still writing made that removal fail, and a base replay
// left running wrote its tree again (`golden diff --base`, spec 0017).
import { execFile, type ChildProcess, type ExecFileOptions } from 'node:child_process';
import { promisify } from 'node:util';

const live = new Set<ChildProcess>();

/** Remembers `child` until it closes; returns it. */
export function tracked<T extends ChildProcess>(child: T): T {
  live.add(child);
  const forget = () => live.delete(child);
  child.once('close', forget);
  child.once('error', forget);
  return child;
}

const execFileAsync = promisify(execFile);

/** execFile as a promise of its text output, its child tracked. */
export function runTracked(file: string, args: string[], options: ExecFileOptions): Promise<{ stdout: string; stderr: string }> {
  const running = execFileAsync(file, args, { ...options, encoding: 'utf8' });
  tracked(running.child);
  return running;
}

/** SIGKILL to every tracked child still running (they write into what the caller removes next). */
export function killTracked(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
