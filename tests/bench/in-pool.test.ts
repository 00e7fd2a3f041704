// The bench's pool for its memory probes (bench/in-pool.ts): at most `width` at once,
// the heaviest first, the results in the tasks' order. Driven by hand-resolved promises.
import { describe, expect, it } from 'vitest';
import { inPool } from '../../bench/in-pool.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('inPool', () => {
  it('starts the heaviest first, never more than width at once, and keeps the results in order', async () => {
    const weights = [16, 64, 256, 16, 256, 1024];
    const gates = weights.map(() => gate());
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const tasks = weights.map((w, i) => async () => {
      started.push(i);
      running += 1;
      most = Math.max(most, running);
      await gates[i]!.opened;
      running -= 1;
      return `probe ${w}`;
    });
    const done = inPool(tasks, 2, weights);
    await Promise.resolve();
    expect(started).toEqual([5, 2]); // 1024 MB, then the first 256 MB
    gates[2]!.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([5, 2, 4]); // the other 256 MB takes the freed place; 1024 still runs
    for (const g of gates) g.open();
    expect(await done).toEqual(weights.map((w) => `probe ${w}`));
    expect(started).toEqual([5, 2, 4, 1, 0, 3]);
    expect(most).toBe(2);
  });

  it('without weights runs the tasks in their order', async () => {
    const started: number[] = [];
    const results = await inPool(
      [0, 1, 2].map((i) => async () => (started.push(i), i * 10)),
      2,
    );
    expect([started, results]).toEqual([
      [0, 1, 2],
      [0, 10, 20],
    ]);
  });
});
