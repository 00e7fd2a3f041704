// Loaded by readToolRuns (run-summary.ts) when `resume` reads an earlier run's records: a run
// that only writes its summary loads no zod.
import { z } from 'zod';
import '../config/zod-jitless.js';

/** The part of run-summary.json that `resume` reads back: every tool run record so far. */
export const toolRunsSchema = z.looseObject({
  tool_runs: z.array(
    z.looseObject({
      id: z.string(),
      tool: z.string(),
      status: z.enum(['succeeded', 'failed']),
      startedAt: z.string(),
      completedAt: z.string(),
      attemptCount: z.number().int().nonnegative(),
      events: z.array(z.looseObject({ type: z.string(), timestamp: z.string() })),
    }),
  ),
});
