// Running a scenario's steps, shared by the replay and by real runs (record, fidelity): seed
// the inputs, then for each step write its files, run the CLI with fresh captured output,
// remember the run it printed (for `{last_run_id}` / `{last_resume_token}`), and collect
// `cli/<n>.stdout|stderr|exit`. How the CLI is run (virtual time or real) is the caller's.
// Scenario argv may refer to what earlier steps produced: `{last_run_id}` (the run id in the
// previous JSON output) and `{last_resume_token}` (that run's .resume-token).
import { join } from 'node:path';
import type { Runtime } from '../../runtime/types.js';
import { createCapturedStream, type CapturedStream } from '../../runtime/virtual-runtime.js';
import type { Scenario, ScenarioStep } from './scenario.js';

export type StepVars = { last_run_id?: string; last_resume_token?: string };

export function substituteArgs(argv: string[], vars: StepVars): string[] {
  return argv.map((arg) =>
    arg.replace(/\{(last_run_id|last_resume_token)\}/g, (whole, key: keyof StepVars) => {
      const value = vars[key];
      if (value === undefined) throw new Error(`scenario argv uses ${whole} but no earlier step printed a run (use --format json)`);
      return value;
    }),
  );
}

/** The run id and artifact root a step printed, when its stdout is a JSON run document. */
export function runFromStdout(stdout: string): { runId: string; artifactRoot: string } | null {
  try {
    const doc = JSON.parse(stdout) as { run_id?: unknown; artifact_root?: unknown };
    if (typeof doc.run_id === 'string' && typeof doc.artifact_root === 'string') return { runId: doc.run_id, artifactRoot: doc.artifact_root };
  } catch {
    // Not a JSON document.
  }
  return null;
}

export function configText(config: Scenario['config']): string | undefined {
  if (config === undefined) return undefined;
  return typeof config === 'string' ? config : `${JSON.stringify(config, null, 2)}\n`;
}

/** Runs `work` with process.env restored afterwards (B6 writes pipeline env into it). */
export async function withProcessEnvRestored<T>(work: () => Promise<T>): Promise<T> {
  const before = { ...process.env };
  try {
    return await work();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in before)) delete process.env[key];
    Object.assign(process.env, before);
  }
}

/**
 * The environment of a fresh CLI process started with `base`, as the bin sees it (its
 * Runtime.env is process.env itself): `base`, plus whatever the run writes into process.env
 * while it runs (B6). The replay gives each step one, so a child is handed what a real
 * child would be, and nothing leaks from one step (process) to the next.
 */
export function freshProcessEnv(base: Record<string, string>): Record<string, string | undefined> {
  const before = { ...process.env };
  const written = (key: string) => process.env[key] !== before[key];
  const get = (key: string) => (written(key) ? process.env[key] : base[key]);
  const keys = () => [...new Set([...Object.keys(base), ...Object.keys(process.env).filter(written)])].filter((key) => get(key) !== undefined);
  return new Proxy({} as Record<string, string | undefined>, {
    get: (_target, key) => (typeof key === 'string' ? get(key) : undefined),
    has: (_target, key) => typeof key === 'string' && get(key) !== undefined,
    ownKeys: () => keys(),
    getOwnPropertyDescriptor: (_target, key) =>
      typeof key === 'string' && get(key) !== undefined ? { value: get(key), enumerable: true, configurable: true, writable: true } : undefined,
    set: (_target, key, value) => {
      if (typeof key === 'string') process.env[key] = String(value);
      return true;
    },
    deleteProperty: (_target, key) => {
      if (typeof key === 'string') delete process.env[key];
      return true;
    },
  });
}

export type StepHooks = {
  /** Puts an input file (repo-relative) in place; it is not an output of the run. */
  seedFile(rel: string, text: string): Promise<void>;
  seedDirectory(rel: string): Promise<void>;
  /** Runs the CLI once for this step and returns its exit code. */
  invoke(argv: string[], step: ScenarioStep): Promise<number>;
};

export type StepsResult = { cliOutputs: Map<string, Buffer>; exitCodes: number[] };

export async function seedInputs(scenario: Scenario, hooks: StepHooks): Promise<void> {
  const config = configText(scenario.config);
  if (config !== undefined) await hooks.seedFile('codex.orchestrator.json', config);
  for (const [rel, text] of Object.entries(scenario.files)) await hooks.seedFile(rel, text);
  for (const dir of scenario.dirs) await hooks.seedDirectory(dir);
}

export async function runSteps(scenario: Scenario, runtime: Runtime, hooks: StepHooks): Promise<StepsResult> {
  const cliOutputs = new Map<string, Buffer>();
  const exitCodes: number[] = [];
  const vars: StepVars = {};
  for (const [i, step] of scenario.steps.entries()) {
    for (const [rel, text] of Object.entries(step.write_files)) await hooks.seedFile(rel, text);
    const stdout: CapturedStream = createCapturedStream();
    const stderr: CapturedStream = createCapturedStream();
    runtime.stdout = stdout;
    runtime.stderr = stderr;
    const code = await hooks.invoke(substituteArgs(step.argv, vars), step);
    const run = runFromStdout(stdout.text());
    if (run) {
      vars.last_run_id = run.runId;
      const token = await runtime.fs.readFile(join(runtime.cwd, run.artifactRoot, '.resume-token')).catch(() => null);
      vars.last_resume_token = token ? token.toString('utf8').trim() : undefined;
    }
    exitCodes.push(code);
    cliOutputs.set(`cli/${i + 1}.stdout`, stdout.bytes());
    cliOutputs.set(`cli/${i + 1}.stderr`, stderr.bytes());
    cliOutputs.set(`cli/${i + 1}.exit`, Buffer.from(`${code}\n`));
  }
  return { cliOutputs, exitCodes };
}
