// `golden check --shard i/n --out <file>` and `golden merge <files...>`: the corpus split into
// n deterministic slices, each checked on its own (e.g. one CI job each), and the slices'
// results put back together with the verdict and exit code of one unsharded `check`.
import { InvalidArgumentError } from 'commander';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readLocalJson, validateWith } from '../../config/json-file.js';
import { InputError } from '../../errors.js';
import { EXEMPTIONS_FILE, loadExemptions } from './exemptions.js';
import { EXPECTED_DIR, SCENARIO_FILE, TRANSCRIPT_FILE, listScenarios } from './scenario.js';

export type ShardSpec = { index: number; count: number };

/** What a scenario's folder holds; anything else there is a corpus problem. */
const SCENARIO_PARTS = new Set([SCENARIO_FILE, TRANSCRIPT_FILE, EXPECTED_DIR]);

/** `i/n` with 1 <= i <= n (commander argument parser). */
export function parseShard(value: string): ShardSpec {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) throw new InvalidArgumentError('expected i/n with 1 <= i <= n (whole numbers), e.g. 2/4');
  return { index, count };
}

/**
 * The scenarios of shard i/n: sort the ids (by code unit, not locale, so the same on every
 * machine and whatever order the directory listing gave), then take every one at a position
 * p with p mod n = i - 1. The n shards are disjoint, cover the corpus, and differ in size by
 * at most one.
 */
export function selectShard(names: string[], shard: ShardSpec): string[] {
  const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.filter((_, position) => position % shard.count === shard.index - 1);
}

const verdictSchema = z.object({
  name: z.string().min(1),
  passed: z.boolean(),
  /** The files its run wrote and its CLI outputs (what the check line counts; its timeline and requests are compared too). */
  files: z.number().int().nonnegative(),
  /** The lines `check` printed for the scenario (`ok …` or `FAIL …` and its details). */
  lines: z.array(z.string()),
  pending_written: z.array(z.string()),
});

export type ScenarioVerdict = z.infer<typeof verdictSchema>;

/** Where a check put its pending files: beside the expected ones, in a --pending-dir, nowhere (CI). */
export const pendingModes = ['corpus', 'dir', 'none'] as const;
export type PendingMode = (typeof pendingModes)[number];

/** The result's format; version 1 did not say what it checked (and merge could not refuse a mix). */
export const CHECK_RESULT_VERSION = 2;

export const checkResultSchema = z.object({
  tool: z.literal('golden check'),
  version: z.literal(CHECK_RESULT_VERSION),
  /** The digests of the code that replayed and of the corpus, and the commit (src/harness/golden/identity.ts). */
  checked: z.object({ code: z.string().min(1), corpus: z.string().min(1), commit: z.string().nullable() }),
  shard: z.object({ index: z.number().int().positive(), count: z.number().int().positive() }).nullable(),
  filter: z.string().nullable(),
  /** Not every scenario ran (names, --filter or --shard): orphan detection was off. */
  partial: z.boolean(),
  pending: z.enum(pendingModes),
  pending_dir: z.string().nullable(),
  scenarios: z.array(verdictSchema),
  /** The orphan detection's findings; null in a partial run, which does not look. */
  corpus_problems: z.array(z.string()).nullable(),
});

export type CheckResult = z.infer<typeof checkResultSchema>;

/**
 * Orphan detection, which needs the whole corpus: an invariant exemption naming no scenario,
 * and a directory without scenario.json (a renamed or removed scenario's leftovers), which
 * no replay would ever look at.
 */
export async function findOrphans(corpus: string, label: string): Promise<string[]> {
  const known = await listScenarios(corpus);
  const problems: string[] = [];
  for (const e of await loadExemptions(corpus)) {
    if (!known.includes(e.scenario)) problems.push(`FAIL ${label}/${EXEMPTIONS_FILE}: exemption for unknown scenario '${e.scenario}' (${e.invariant}, ${e.pattern})`);
  }
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const entries = (await readdir(corpus, { withFileTypes: true })).sort(byName);
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (!known.includes(entry.name)) {
      problems.push(`FAIL ${label}/${entry.name}: a directory without scenario.json (left behind by a renamed or removed scenario?); delete it or give it a scenario.json`);
      continue;
    }
    // What a replay never looks at (pending files written one level too deep, say) passes unseen.
    for (const inside of (await readdir(join(corpus, entry.name), { withFileTypes: true })).sort(byName)) {
      if (SCENARIO_PARTS.has(inside.name) || inside.name.startsWith('.')) continue;
      problems.push(
        `FAIL ${label}/${entry.name}/${inside.name}: not part of a scenario (a scenario folder holds only ${[...SCENARIO_PARTS].join(', ')}), and no check looks at it; delete it`,
      );
    }
  }
  return problems;
}

/** Reads shard results; a missing, unreadable or malformed file, or one that is not a shard, is bad input. */
export function readShardResults(files: string[]): CheckResult[] {
  return files.map((file) => {
    const raw = readLocalJson(file, file);
    if (raw === undefined) throw new InputError(`${file}: not found`);
    const version = (raw as { tool?: unknown; version?: unknown } | null)?.version;
    if ((raw as { tool?: unknown } | null)?.tool === 'golden check' && typeof version === 'number' && version < CHECK_RESULT_VERSION) {
      throw new InputError(`${file}: written by an earlier golden check (version ${version}, which does not say what code and corpus it checked): run that shard again`);
    }
    const result = validateWith(checkResultSchema, raw, file);
    if (!result.shard) throw new InputError(`${file}: not a shard result (write one with golden check --shard i/n --out <file>)`);
    return result;
  });
}

/**
 * Why the shards cannot be put together though each is whole: they replayed different code, or
 * another corpus than each other or than `corpusDigestNow` (the corpus merge judges orphans
 * and coverage by). One line each; [] when they all checked the same.
 */
export function mixedShards(files: string[], results: CheckResult[], corpusDigestNow: string, corpusLabel: string): string[] {
  const name = (k: number) => `${files[k]} (shard ${results[k]!.shard!.index}/${results[k]!.shard!.count}${results[k]!.checked.commit ? ` at ${results[k]!.checked.commit!.slice(0, 10)}` : ''})`;
  const groups = (key: 'code' | 'corpus') => {
    const by = new Map<string, number[]>();
    results.forEach((result, k) => by.set(result.checked[key], [...(by.get(result.checked[key]) ?? []), k]));
    return [...by.values()];
  };
  const problems: string[] = [];
  const code = groups('code');
  if (code.length > 1) problems.push(`the shards replayed different code: ${code.map((ks) => ks.map(name).join(', ')).join(' against ')}`);
  const corpus = groups('corpus');
  if (corpus.length > 1) problems.push(`the shards checked different corpora: ${corpus.map((ks) => ks.map(name).join(', ')).join(' against ')}`);
  const other = results.map((result, k) => (result.checked.corpus === corpusDigestNow ? -1 : k)).filter((k) => k >= 0);
  if (corpus.length === 1 && other.length > 0) problems.push(`the shards checked another corpus than ${corpusLabel} has now: ${other.map(name).join(', ')}`);
  return problems;
}

export type MergePlan = { verdicts: ScenarioVerdict[]; missing: string[]; duplicated: string[]; unknown: string[] };

/** Every scenario of the corpus must have run exactly once across the shards. */
export function planMerge(corpusScenarios: string[], results: CheckResult[]): MergePlan {
  const seen = new Map<string, ScenarioVerdict[]>();
  for (const result of results) for (const verdict of result.scenarios) seen.set(verdict.name, [...(seen.get(verdict.name) ?? []), verdict]);
  return {
    verdicts: corpusScenarios.flatMap((name) => seen.get(name)?.slice(0, 1) ?? []),
    missing: corpusScenarios.filter((name) => !seen.has(name)),
    duplicated: [...seen].filter(([, runs]) => runs.length > 1).map(([name]) => name),
    unknown: [...seen.keys()].filter((name) => !corpusScenarios.includes(name)),
  };
}
