// A golden scenario: the inputs of one or more CLI invocations (config, seed files, env,
// argv, signals) and where its recorded transcript and expected outputs live.
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { readLocalJson, validateWith } from '../../config/json-file.js';
import { parseRedisUrl } from '../../cloud/settings.js';
import { ENV_VARIABLES } from '../../config/env-settings.js';
import { InputError } from '../../errors.js';
import { transcriptSchema, type Transcript } from '../../runtime/transcript-executor.js';

const signalSchema = z.strictObject({ at_ms: z.number().int().nonnegative(), signal: z.enum(['SIGINT', 'SIGTERM']) });

const stepSchema = z.strictObject({
  argv: z.array(z.string()).min(1),
  /** Signals delivered to the CLI, at offsets from the step's first child start (the step's start in the replay, where no time passes before it). */
  signals: z.array(signalSchema).default([]),
  /** Files (repo-relative) written before the step runs, e.g. the fix a resume picks up. */
  write_files: z.record(z.string(), z.string()).default({}),
  /** Virtual time that passes before the step starts. */
  after_ms: z.number().int().nonnegative().default(0),
});

/**
 * A write the replay makes fail, to pin what the core does then: the `nth` write of kind `op`
 * (`write`: an atomic replace; `append`), 1-based, of a path matching `path` (a glob,
 * repo-relative) rejects with `code`, as a full or failing disk would. Only the replay injects
 * faults, so a scenario with faults is not recordable.
 */
const faultSchema = z.strictObject({
  path: z.string().min(1),
  op: z.enum(['write', 'append']).default('write'),
  nth: z.number().int().positive(),
  code: z.enum(['EIO', 'ENOSPC', 'EACCES', 'EROFS']).default('EIO'),
});

export type ScenarioFault = z.infer<typeof faultSchema>;

const workerIdSchema = z.string().regex(/^[A-Za-z0-9._:@-]{1,100}$/, 'a worker id (letters, digits, . _ : @ -)');

/**
 * What a cloud scenario's real run (`golden record`, `golden fidelity`) needs besides the CLI:
 * a Redis of its own and worker processes. The scenario's env declares the Redis URL (a unix
 * socket URL); the real run points it at a temp socket and the recording says the declared one
 * again, so the expected files never show the temp path. The replay ignores this block.
 */
const cloudSchema = z.strictObject({
  /** `up`: a redis-server of the recorder's own on that socket; `unreachable`: nobody listens there (the fallback policies). */
  redis: z.enum(['up', 'unreachable']).default('up'),
  /** Worker processes started before the first step (`codex-orchestrator worker --id <id>`), one checkout for all. */
  workers: z.array(workerIdSchema).default([]),
  /** Every worker's `--lock-ms` (how long a dead worker's job waits before another worker runs it again). */
  lock_ms: z.number().int().positive().optional(),
  /**
   * A worker lost mid-stage: `kill -9` worker `id` once the orchestrator has received
   * `after_chunks` output chunks of a cloud stage, then start worker `then_start`.
   */
  kill_worker: z
    .strictObject({ id: workerIdSchema, after_chunks: z.number().int().positive(), then_start: workerIdSchema.optional() })
    .optional(),
});

export type ScenarioCloud = z.infer<typeof cloudSchema>;

export const scenarioSchema = z.strictObject({
  description: z.string().min(1),
  /** codex.orchestrator.json: an object (written as 2-space JSON) or raw text (for bad-config scenarios). */
  config: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
  /** Other input files, repo-relative. */
  files: z.record(z.string(), z.string()).default({}),
  /** Directories that exist in the repo (stage cwds). */
  dirs: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  start_time: z.string().default('2026-01-05T09:00:00.000Z'),
  seed: z.number().int().default(1),
  steps: z.array(stepSchema).min(1),
  /** Whether `golden record` / `golden fidelity` can run it for real (false: hand-written transcript). */
  recordable: z.boolean().default(true),
  faults: z.array(faultSchema).default([]),
  /** A cloud scenario: the Redis and workers its real run starts (see cloudSchema). */
  cloud: cloudSchema.optional(),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioStep = z.infer<typeof stepSchema>;

export type LoadedScenario = {
  name: string;
  dir: string;
  scenario: Scenario;
  transcript: Transcript;
};

export const SCENARIO_FILE = 'scenario.json';
export const TRANSCRIPT_FILE = 'transcript.json';
export const EXPECTED_DIR = 'expected';

/** The corpus as messages name it: relative to the current directory when under it (`golden`), else absolute. */
export function corpusLabel(corpus: string): string {
  const rel = relative(process.cwd(), resolve(corpus));
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? resolve(corpus) : rel;
}

export async function loadScenario(corpus: string, name: string): Promise<LoadedScenario> {
  const dir = join(corpus, name);
  const label = `${corpusLabel(corpus)}/${name}/${SCENARIO_FILE}`;
  const raw = readLocalJson(join(dir, SCENARIO_FILE), label);
  if (raw === undefined) throw new InputError(`${label}: not found (no scenario named '${name}')`);
  const scenario = validateWith(scenarioSchema, raw, label);
  if (Number.isNaN(Date.parse(scenario.start_time))) throw new InputError(`${label}: start_time: not an ISO time`);
  if (scenario.faults.length > 0 && scenario.recordable) throw new InputError(`${label}: faults: a scenario with injected faults must be "recordable": false`);
  if (scenario.cloud) checkCloud(scenario, label);
  const transcriptLabel = `${corpusLabel(corpus)}/${name}/${TRANSCRIPT_FILE}`;
  const rawTranscript = readLocalJson(join(dir, TRANSCRIPT_FILE), transcriptLabel);
  const transcript = rawTranscript === undefined ? { stages: {} } : validateWith(transcriptSchema, rawTranscript, transcriptLabel);
  return { name, dir, scenario, transcript };
}

/** Scenario names (directories holding a scenario.json), sorted. */
export async function listScenarios(corpus: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(corpus);
  } catch {
    throw new InputError(`golden corpus not found: ${corpus}`);
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    const isScenario = await stat(join(corpus, name, SCENARIO_FILE)).then(
      (s) => s.isFile(),
      () => false,
    );
    if (isScenario) out.push(name);
  }
  return out;
}

/** The named scenarios, each once, in the order named (all when none are named); an unknown name is an error. */
export async function selectScenarios(corpus: string, names: string[]): Promise<string[]> {
  const all = await listScenarios(corpus);
  if (names.length === 0) return all;
  for (const name of names) {
    if (!all.includes(name)) throw new InputError(`no scenario named '${name}' in ${corpus} (have: ${all.join(', ') || 'none'})`);
  }
  return [...new Set(names)];
}

/** The Redis URL a cloud scenario declares (its env's): a unix socket's path, as messages name it. */
export function declaredRedisSocket(scenario: Scenario, label = 'scenario.json'): string {
  const name = ENV_VARIABLES.redisUrl.name;
  const url = scenario.env[name];
  if (url === undefined) throw new InputError(`${label}: cloud: the scenario's env sets no ${name}`);
  const path = parseRedisUrl(url, `${label}: env.${name}`).path;
  if (path === undefined) throw new InputError(`${label}: env.${name}: a cloud scenario declares a unix socket URL (unix:///path), so its real run can put its own Redis there`);
  return path;
}

function checkCloud(scenario: Scenario, label: string): void {
  const cloud = scenario.cloud!;
  declaredRedisSocket(scenario, label);
  const ids = [...cloud.workers, ...(cloud.kill_worker?.then_start ? [cloud.kill_worker.then_start] : [])];
  if (new Set(ids).size !== ids.length) throw new InputError(`${label}: cloud: worker ids must differ (${ids.join(', ')})`);
  if (cloud.redis === 'unreachable' && ids.length > 0) throw new InputError(`${label}: cloud.workers: no worker can reach a Redis that is "unreachable"`);
  if (cloud.kill_worker && !cloud.workers.includes(cloud.kill_worker.id))
    throw new InputError(`${label}: cloud.kill_worker.id: '${cloud.kill_worker.id}' is not one of cloud.workers (${cloud.workers.join(', ') || 'none'})`);
}
