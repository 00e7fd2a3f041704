// The wall clock and Node's timers, behind the Clock seam. Only the real runtime uses it.
import type { Clock, TimerHandle } from './types.js';

type NodeTimer = ReturnType<typeof globalThis.setTimeout>;

export function createRealClock(): Clock {
  const timers = new Map<number, NodeTimer>();
  let nextId = 1;
  const track = (timer: NodeTimer): TimerHandle => {
    const id = nextId++;
    timers.set(id, timer);
    return { id };
  };
  const clear = (handle: TimerHandle | null | undefined) => {
    if (!handle) return;
    const timer = timers.get(handle.id);
    if (timer !== undefined) {
      globalThis.clearTimeout(timer);
      timers.delete(handle.id);
    }
  };
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(
        id,
        globalThis.setTimeout(() => {
          timers.delete(id);
          fn();
        }, ms),
      );
      return { id };
    },
    clearTimeout: clear,
    setInterval(fn, ms) {
      return track(globalThis.setInterval(fn, ms));
    },
    clearInterval: clear,
  };
}
