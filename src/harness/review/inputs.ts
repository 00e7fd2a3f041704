// The review packet's inputs, each read and validated: the files the lane's earlier stages
// leave in the run directory (spec-guard.json, diff-budget.json, bench.json). Each is
// absent (the stage did not run), unreadable (one line naming the file and the field), or
// present. Only the fields the packet shows are checked; the tools may add others.
import { join } from 'node:path';
import { z } from 'zod';
import { readLocalJson } from '../../config/json-file.js';
import { errorMessage } from '../../errors.js';

export type Artefact<T> = { state: 'absent' } | { state: 'unreadable'; error: string } | { state: 'present'; value: T };

const violation = z.looseObject({ file: z.string(), field: z.string(), message: z.string() });

export const specGuardDocSchema = z.looseObject({
  baseSource: z.string(),
  touchedSpecs: z.array(z.string()),
  violations: z.array(violation),
});
export type SpecGuardDoc = z.infer<typeof specGuardDocSchema>;

const bucket = z.looseObject({
  files: z.number().int().nonnegative(),
  lines: z.number().int().nonnegative(),
  maxFiles: z.number(),
  maxLines: z.number(),
  over: z.boolean(),
  paths: z.array(z.looseObject({ path: z.string(), lines: z.number().nullable(), status: z.string() })),
});

export const diffBudgetDocSchema = z.looseObject({ code: bucket, fixtures: bucket, override: z.string().nullable() });
export type DiffBudgetDoc = z.infer<typeof diffBudgetDocSchema>;

const delta = z.looseObject({
  figure: z.string(),
  before: z.number().nullable(),
  now: z.number().nullable(),
  delta: z.number().nullable(),
  percent: z.number().nullable(),
});

export const benchDocSchema = z.looseObject({
  /** Counts and memory over their ceilings (these fail `bench --check`). */
  over_budget: z.array(z.string()),
  /** Timing ratios over their ceilings: they inform. Older bench.json files do not have it. */
  timings_over_budget: z.array(z.string()).optional(),
  deltas: z.looseObject({ against: z.string(), figures: z.array(delta) }).nullable(),
  /** Every figure against its ceiling; `gates` false for the timing ratios. Older bench.json files do not have it. */
  verdicts: z.array(z.looseObject({ figure: z.string(), over: z.boolean(), gates: z.boolean() })).optional(),
});
export type BenchDoc = z.infer<typeof benchDocSchema>;

/** `<runDir>/<name>`, validated; the label in an error is the file's name. */
export function readArtefact<T>(runDir: string, name: string, schema: z.ZodType<T>): Artefact<T> {
  try {
    const value = readLocalJson(join(runDir, name), name, schema);
    return value === undefined ? { state: 'absent' } : { state: 'present', value };
  } catch (error) {
    return { state: 'unreadable', error: errorMessage(error) };
  }
}

/** The value when present, else null. */
export const presentValue = <T>(artefact: Artefact<T>): T | null => (artefact.state === 'present' ? artefact.value : null);
