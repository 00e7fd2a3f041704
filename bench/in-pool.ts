// The bench's pool for its memory probes. Its own module: bench/run-bench.ts runs the bench
// when imported, so a test of the pool must not import it.

/**
 * Runs `tasks` at most `width` at a time, the heaviest first (by `weights`, when given: the
 * longest task then overlaps the others instead of running alone at the end); the results in
 * the tasks' order.
 */
export async function inPool<T>(tasks: Array<() => Promise<T>>, width: number, weights?: number[]): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  const order = tasks.map((_, i) => i);
  if (weights) order.sort((a, b) => weights[b]! - weights[a]! || a - b);
  let next = 0;
  const lane = async () => {
    while (next < order.length) {
      const i = order[next++]!;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, lane));
  return results;
}
