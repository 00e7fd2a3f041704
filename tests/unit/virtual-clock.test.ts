// The virtual clock the golden corpus and the virtual tests run on: timers fire one at a time,
// earliest due first, and timers due at the same instant in the order they were armed.
import { describe, expect, it } from 'vitest';
import type { TimerHandle } from '../../src/runtime/types.js';
import { createVirtualClock } from '../../src/runtime/virtual-clock.js';

const START = 1_000_000;

/** Fires every pending timer, returning how many fired (guarded against a runaway interval). */
function fireAll(clock: ReturnType<typeof createVirtualClock>, limit = 100): number {
  let fired = 0;
  while (fired < limit && clock.fireNext()) fired += 1;
  return fired;
}

describe('the virtual clock', () => {
  it('starts at its start time and moves only when a timer fires', () => {
    const clock = createVirtualClock(START);
    expect(clock.now()).toBe(START);
    clock.setTimeout(() => undefined, 250);
    expect(clock.now()).toBe(START);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.fireNext()).toBe(true);
    expect(clock.now()).toBe(START + 250);
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.fireNext()).toBe(false);
    expect(clock.now()).toBe(START + 250);
  });

  it('fires the earliest due first, and same-instant timers in registration order', () => {
    const clock = createVirtualClock(START);
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now() - START}`);
    clock.setTimeout(at('a'), 10);
    clock.setTimeout(at('b'), 10);
    clock.setTimeout(at('c'), 5);
    clock.setTimeout(at('d'), 10);
    clock.setTimeout(at('e'), 0);
    expect(fireAll(clock)).toBe(5);
    expect(fired).toEqual(['e@0', 'c@5', 'a@10', 'b@10', 'd@10']);
  });

  it('fires a timer armed by a firing timer for the same instant after those already due then', () => {
    const clock = createVirtualClock(START);
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now() - START}`);
    clock.setTimeout(() => {
      at('a')();
      clock.setTimeout(at('a+0'), 0);
      clock.setTimeout(at('a+1'), 1);
    }, 10);
    clock.setTimeout(at('b'), 10);
    clock.setTimeout(at('c'), 11);
    expect(fireAll(clock)).toBe(5);
    expect(fired).toEqual(['a@10', 'b@10', 'a+0@10', 'c@11', 'a+1@11']);
  });

  it('never fires a cleared timer, also one cleared by a timer due at the same instant', () => {
    const clock = createVirtualClock(START);
    const fired: string[] = [];
    const kept = clock.setTimeout(() => fired.push('kept'), 20);
    const dropped = clock.setTimeout(() => fired.push('dropped'), 10);
    // Both due at 30: the killer was armed first, so it fires first and clears the victim.
    let victim: TimerHandle | null = null;
    clock.setTimeout(() => {
      fired.push('killer');
      clock.clearTimeout(victim);
    }, 30);
    victim = clock.setTimeout(() => fired.push('victim'), 30);
    expect(clock.pendingTimers()).toBe(4);
    clock.clearTimeout(dropped);
    expect(clock.pendingTimers()).toBe(3);
    clock.clearTimeout(null);
    clock.clearTimeout(undefined);
    clock.clearTimeout(dropped);
    expect(clock.pendingTimers()).toBe(3);
    expect(fireAll(clock)).toBe(2);
    expect(fired).toEqual(['kept', 'killer']);
    expect(clock.now()).toBe(START + 30);
    clock.clearTimeout(kept); // already fired: nothing to clear
    expect(clock.pendingTimers()).toBe(0);
  });

  it('re-arms an interval after each firing, behind timers already due at that instant', () => {
    const clock = createVirtualClock(START);
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now() - START}`);
    const every = clock.setInterval(at('tick'), 100);
    clock.setTimeout(at('t200'), 200); // armed before the interval's re-arm at 100
    expect(clock.fireNext()).toBe(true);
    clock.setTimeout(at('t200-late'), 100); // armed at 100, after the re-arm
    for (let i = 0; i < 4; i += 1) expect(clock.fireNext()).toBe(true);
    expect(fired).toEqual(['tick@100', 't200@200', 'tick@200', 't200-late@200', 'tick@300']);
    expect(clock.pendingTimers()).toBe(1);
    clock.clearInterval(every);
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.fireNext()).toBe(false);
    expect(fired).toHaveLength(5);
  });

  it('stops an interval cleared from its own callback', () => {
    const clock = createVirtualClock(START);
    const fired: number[] = [];
    const every = clock.setInterval(() => {
      fired.push(clock.now() - START);
      if (fired.length === 2) clock.clearInterval(every);
    }, 40);
    expect(fireAll(clock)).toBe(2);
    expect(fired).toEqual([40, 80]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('re-arms a zero interval 1 ms later, and treats a negative or NaN delay as zero', () => {
    const clock = createVirtualClock(START);
    const fired: number[] = [];
    const every = clock.setInterval(() => fired.push(clock.now() - START), 0);
    for (let i = 0; i < 3; i += 1) clock.fireNext();
    expect(fired).toEqual([0, 1, 2]);
    clock.clearInterval(every);
    clock.setTimeout(() => fired.push(clock.now() - START), -50);
    clock.setTimeout(() => fired.push(clock.now() - START), Number.NaN);
    expect(fireAll(clock)).toBe(2);
    expect(fired).toEqual([0, 1, 2, 2, 2]);
  });

  it('setNow moves time forward only, fires nothing, and a timer it passes fires at the later now', () => {
    const clock = createVirtualClock(START);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now() - START), 100);
    clock.setNow(START + 500);
    expect(clock.now()).toBe(START + 500);
    expect(fired).toEqual([]);
    expect(clock.pendingTimers()).toBe(1);
    clock.setNow(START + 200); // never backwards
    expect(clock.now()).toBe(START + 500);
    clock.setTimeout(() => fired.push(clock.now() - START), 50); // relative to the new now: due at 550
    expect(fireAll(clock)).toBe(2);
    expect(fired).toEqual([500, 550]);
    expect(clock.now()).toBe(START + 550);
  });
});
