// A real `codex-orchestrator worker` process for the cloud tests: ready when it says so on
// stderr (never after a sleep); `kill()` sends a signal, `result` is its exit.
import { startCli, type CliResult } from './cli.js';

export type WorkerProcess = { pid: number; result: Promise<CliResult>; stderr(): string; kill(signal: NodeJS.Signals): void };

export async function startWorkerProcess(root: string, env: Record<string, string>, args: string[] = []): Promise<WorkerProcess> {
  const worker = startCli(['worker', '--root', root, ...args], { cwd: root, env, invariants: false });
  let text = '';
  await new Promise<void>((resolve, reject) => {
    worker.child.stderr!.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      if (text.includes(' ready on queue ')) resolve();
    });
    worker.child.once('exit', () => reject(new Error(`worker exited before it was ready: ${text}`)));
  });
  return {
    pid: worker.child.pid!,
    result: worker.result,
    stderr: () => text,
    kill: (signal) => {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill(signal);
    },
  };
}
