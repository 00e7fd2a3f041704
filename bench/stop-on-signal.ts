// How a bench that runs other processes stops on SIGINT or SIGTERM (bench:cloud, bench:lane):
// it stops its children, waits until every one has exited (nothing of it outlives it), cleans
// up, and exits 130/143. Until then `stopping` is true: a child that ends because it was stopped
// is not a result, and nothing new starts.
import type { ChildProcess } from 'node:child_process';

export type SignalStop = {
  /** True once a signal has come. */
  readonly stopping: boolean;
  /** Takes the handlers off again (the bench ended on its own). */
  uninstall(): void;
};

export function stopOnSignal(options: {
  /** The children to stop now. */
  children: () => ChildProcess[];
  /** Stops one child (a signal to it, or to its process group). */
  kill: (child: ChildProcess) => void;
  /** The line said on stderr as soon as the signal comes. */
  message: (signal: NodeJS.Signals) => string;
  /** Runs once they have all exited, before the process exits. */
  cleanup: () => void;
}): SignalStop {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    stopping = true;
    process.stderr.write(`${options.message(signal)}\n`);
    const children = options.children().filter((child) => child.exitCode === null && child.signalCode === null);
    const gone = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
    for (const child of children) options.kill(child);
    void Promise.all(gone).then(() => {
      options.cleanup();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    get stopping() {
      return stopping;
    },
    uninstall: () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}
