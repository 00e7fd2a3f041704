// How a bench that runs other processes stops on SIGINT or SIGTERM (bench:cloud, bench:lane):
// it stops its children, waits until every one has exited (with its process group, when each
// leads one: nothing of it outlives it), cleans up, and exits 130/143. Until then `stopping` is
// true: a child that ends because it was stopped is not a result, and nothing new starts.
import type { ChildProcess } from 'node:child_process';
import { liveGroupMembers } from '../src/runtime/process-table.js';

/** After a group's leader has exited, how long the rest of it has to go before SIGKILL, and then before giving up. */
export const GROUP_GRACE_MS = 1_000;
const POLL_MS = 10;

/**
 * Resolves once process group `pgid` has no live member: polled every 10 ms, the group gets
 * SIGKILL after GROUP_GRACE_MS, and after as long again it resolves anyway (a process that a
 * SIGKILL does not end, in uninterruptible sleep, cannot be waited out).
 */
export async function groupGone(pgid: number): Promise<void> {
  for (let waited = 0; liveGroupMembers(pgid) > 0 && waited < 2 * GROUP_GRACE_MS; waited += POLL_MS) {
    if (waited === GROUP_GRACE_MS) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

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
  /** Each child leads its own process group: the process exits once every group is gone, not only its leader (groupGone). */
  groups?: boolean;
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
    const gone = children.map(async (child) => {
      await new Promise((resolve) => child.once('exit', resolve));
      if (options.groups === true && child.pid !== undefined) await groupGone(child.pid);
    });
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
