// The real executor: runs a command through /bin/sh in its own process group, streams its
// output chunk by chunk with back-pressure, and stops the whole group on cancel.
import { spawn } from 'node:child_process';
import { stat, type Stats } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { Clock, ExecChunk, ExecHandle, ExecResult, Executor, OutputStreamName, TimerHandle } from './types.js';

/**
 * Stopping a cancelled group: the signal itself first, then SIGTERM after TERM_AFTER_MS (a
 * non-interactive shell's background jobs ignore SIGINT, so SIGINT alone left them, and the
 * stage, running until SIGKILL), then SIGKILL at KILL_GRACE_MS. Under a second of it all; a
 * second cancel (a second Ctrl-C) sends SIGKILL at once.
 */
export const TERM_AFTER_MS = 200;
export const KILL_GRACE_MS = 500;

/**
 * A gated start (ExecRequest.gated): /bin/sh waits for `go` on fd 3, then becomes the command's
 * own `/bin/sh -c` (the same process, group, $0 and environment) with fd 3 closed. Anything else
 * (the caller died: end of file) and it exits 125 without running the command.
 */
const GATE_SCRIPT = 'IFS= read -r go <&3 && [ "$go" = go ] || exit 125\nexec /bin/sh -c "$1" 3<&-';

export function createSpawnExecutor(clock: Clock): Executor {
  return {
    start(request, onChunk): ExecHandle {
      let cancelRequested: NodeJS.Signals | null = null;
      let killGroup: ((signal: NodeJS.Signals) => void) | null = null;
      let escalation: TimerHandle | null = null;
      /** The signal, then SIGTERM, then SIGKILL, on the clock (see TERM_AFTER_MS). */
      const stopGroup = (signal: NodeJS.Signals) => {
        killGroup?.(signal);
        escalation = clock.setTimeout(() => {
          if (signal !== 'SIGTERM') killGroup?.('SIGTERM');
          escalation = clock.setTimeout(() => killGroup?.('SIGKILL'), KILL_GRACE_MS - TERM_AFTER_MS);
        }, TERM_AFTER_MS);
      };

      const done = (async (): Promise<ExecResult> => {
        const cwdStat = await new Promise<Stats | null>((resolve) => stat(request.cwd, (error, info) => resolve(error ? null : info)));
        if (!cwdStat || !cwdStat.isDirectory()) {
          throw new Error(`working directory ${cwdStat ? 'is not a directory' : 'does not exist'}: ${request.cwd}`);
        }
        if (cancelRequested) return { exitCode: null, signal: cancelRequested };
        return await new Promise<ExecResult>((resolve, reject) => {
          const gated = request.gated === true;
          const child = gated
            ? spawn('/bin/sh', ['-c', GATE_SCRIPT, '/bin/sh', request.command], {
                cwd: request.cwd,
                env: request.env,
                detached: true,
                stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
              })
            : spawn(request.command, {
                shell: '/bin/sh',
                cwd: request.cwd,
                env: request.env,
                detached: true,
                stdio: ['ignore', 'pipe', 'pipe'],
              });
          const queue: Array<{ chunk: ExecChunk; source: Readable }> = [];
          let pumping = false;
          let exit: ExecResult | null = null;
          let closed = false;
          let failed = false;

          const finishIfDone = () => {
            if (closed && !pumping && queue.length === 0 && exit && !failed) {
              clock.clearTimeout(escalation);
              resolve(exit);
            }
          };
          const pump = async () => {
            if (pumping) return;
            pumping = true;
            try {
              while (queue.length > 0) {
                const next = queue.shift()!;
                await onChunk(next.chunk);
                next.source.resume();
              }
            } catch (error) {
              failed = true;
              clock.clearTimeout(escalation);
              killGroup?.('SIGKILL');
              reject(error);
            } finally {
              pumping = false;
            }
            finishIfDone();
          };
          const wire = (source: Readable, stream: OutputStreamName) => {
            source.on('data', (data: Buffer) => {
              source.pause();
              queue.push({ chunk: { stream, data }, source });
              void pump();
            });
          };
          wire(child.stdout!, 'stdout');
          wire(child.stderr!, 'stderr');

          killGroup = (signal) => {
            if (child.pid === undefined) return;
            try {
              process.kill(-child.pid, signal);
            } catch {
              // The group is already gone.
            }
          };
          child.on('error', (error) => {
            failed = true;
            clock.clearTimeout(escalation);
            reject(error);
          });
          child.on('exit', (code, signal) => {
            exit = { exitCode: code, signal };
          });
          child.on('close', (code, signal) => {
            exit ??= { exitCode: code, signal };
            closed = true;
            finishIfDone();
          });
          const gate = gated ? (child.stdio[3] as Writable) : null;
          gate?.on('error', () => undefined);
          let armed: void | Promise<void> = undefined;
          try {
            if (child.pid !== undefined) armed = request.onSpawn?.(child.pid);
          } catch (error) {
            // Closed without `go`: the held process exits without running the command.
            gate?.destroy();
            throw error;
          }
          if (gate) {
            // Opened whether onSpawn succeeded or not: a caller alive to open it runs the command.
            const open = () => gate.end('go\n');
            if (armed instanceof Promise) armed.then(open, open);
            else open();
          }
          if (cancelRequested) stopGroup(cancelRequested);
        });
      })();

      return {
        done,
        cancel(signal) {
          if (cancelRequested) {
            // Asked again: no more grace.
            clock.clearTimeout(escalation);
            killGroup?.('SIGKILL');
            return;
          }
          cancelRequested = signal;
          if (killGroup) stopGroup(signal);
        },
      };
    },
  };
}
