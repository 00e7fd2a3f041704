// A clock that only moves when told to: timers fire one at a time, in due order, so a run
// driven by it lands every tick and throttled write at the same virtual instant every time.
import type { Clock, TimerHandle } from './types.js';

type VirtualTimer = { id: number; due: number; seq: number; fn: () => void; every: number | null };

export interface VirtualClock extends Clock {
  /** Fires the earliest pending timer (moving time to it); false when none is pending. */
  fireNext(): boolean;
  pendingTimers(): number;
  /** Moves time forward without firing anything (for tests that only need a later `now`). */
  setNow(ms: number): void;
}

export function createVirtualClock(startMs: number): VirtualClock {
  let now = startMs;
  let nextId = 1;
  let nextSeq = 1;
  const timers = new Map<number, VirtualTimer>();

  const add = (fn: () => void, ms: number, every: number | null): TimerHandle => {
    const delay = Math.max(0, Number.isFinite(ms) ? ms : 0);
    const timer: VirtualTimer = { id: nextId++, due: now + delay, seq: nextSeq++, fn, every };
    timers.set(timer.id, timer);
    return { id: timer.id };
  };
  const clear = (handle: TimerHandle | null | undefined) => {
    if (handle) timers.delete(handle.id);
  };
  const earliest = (): VirtualTimer | undefined => {
    let best: VirtualTimer | undefined;
    for (const timer of timers.values()) {
      if (!best || timer.due < best.due || (timer.due === best.due && timer.seq < best.seq)) best = timer;
    }
    return best;
  };

  return {
    now: () => now,
    setTimeout: (fn, ms) => add(fn, ms, null),
    clearTimeout: clear,
    setInterval: (fn, ms) => add(fn, ms, Math.max(1, ms)),
    clearInterval: clear,
    fireNext() {
      const timer = earliest();
      if (!timer) return false;
      now = Math.max(now, timer.due);
      if (timer.every !== null) {
        timer.due += timer.every;
        timer.seq = nextSeq++;
      } else {
        timers.delete(timer.id);
      }
      timer.fn();
      return true;
    },
    pendingTimers: () => timers.size,
    setNow(ms) {
      now = Math.max(now, ms);
    },
  };
}
