// Runs a scenario for real — real clock, real child processes, a real temp directory — the
// way `golden record` captures transcripts and `golden fidelity` checks the replay against.
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { runCli } from '../../cli/run-cli.js';
import { createManualSignals } from '../../runtime/process-signals.js';
import { createRealRuntime } from '../../runtime/real-runtime.js';
import type { Transcript } from '../../runtime/transcript-executor.js';
import { createCapturedStream } from '../../runtime/virtual-runtime.js';
import { createRecordingExecutor, type RecordingExecutor } from './recording-executor.js';
import { configText, withProcessEnvRestored } from './replay.js';
import type { Scenario } from './scenario.js';
import { runFromStdout, substituteArgs, type StepVars } from './step-args.js';

export type RealRun = { root: string; outputs: Map<string, Buffer>; transcript: Transcript; exitCodes: number[] };

/** Variables of an enclosing run (e.g. the lane) that must not steer the scenario's run. */
function isAmbient(key: string): boolean {
  return key.startsWith('CODEX_ORCHESTRATOR_') || key.startsWith('CODEX_PRIVACY_') || key.startsWith('CODEX_METRICS_') || key === 'MCP_RUNNER_TASK_ID';
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}

export async function runScenarioForReal(scenario: Scenario): Promise<RealRun> {
  const root = await mkdtemp(join(tmpdir(), 'golden-real-'));
  const inputs = new Map<string, string>();
  const seed = async (rel: string, text: string) => {
    const path = join(root, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    inputs.set(path, text);
  };
  const config = configText(scenario.config);
  if (config !== undefined) await seed('codex.orchestrator.json', config);
  for (const [rel, text] of Object.entries(scenario.files)) await seed(rel, text);
  for (const dir of scenario.dirs) await mkdir(join(root, dir), { recursive: true });

  return withProcessEnvRestored(async () => {
    for (const key of Object.keys(process.env)) if (isAmbient(key)) delete process.env[key];
    Object.assign(process.env, scenario.env);
    const signals = createManualSignals();
    let recorder: RecordingExecutor | null = null;
    // As in the bin, the orchestrator's environment is process.env itself (B6 writes into it).
    const runtime = createRealRuntime({
      stdout: createCapturedStream(),
      stderr: createCapturedStream(),
      signals,
      cwd: root,
      wrapExecutor: (spawn, clock) => (recorder = createRecordingExecutor(spawn, clock)),
    });
    const outputs = new Map<string, Buffer>();
    const exitCodes: number[] = [];
    const vars: StepVars = {};
    for (const [i, step] of scenario.steps.entries()) {
      for (const [rel, text] of Object.entries(step.write_files)) await seed(rel, text);
      const stdout = createCapturedStream();
      const stderr = createCapturedStream();
      runtime.stdout = stdout;
      runtime.stderr = stderr;
      const timers = step.signals.map((s) => setTimeout(() => signals.fire(s.signal), s.at_ms));
      const code = await runCli(substituteArgs(step.argv, vars), runtime);
      for (const timer of timers) clearTimeout(timer);
      const run = runFromStdout(stdout.text());
      if (run) {
        vars.last_run_id = run.runId;
        vars.last_resume_token = (await readFile(join(root, run.artifactRoot, '.resume-token'), 'utf8').catch(() => '')).trim() || undefined;
      }
      exitCodes.push(code);
      outputs.set(`cli/${i + 1}.stdout`, stdout.bytes());
      outputs.set(`cli/${i + 1}.stderr`, stderr.bytes());
      outputs.set(`cli/${i + 1}.exit`, Buffer.from(`${code}\n`));
    }
    for (const path of await walk(root)) {
      const data = await readFile(path);
      const input = inputs.get(path);
      if (input !== undefined && data.equals(Buffer.from(input))) continue;
      outputs.set(`files/${relative(root, path).split(sep).join('/')}`, data);
    }
    return { root, outputs, transcript: recorder!.transcript(), exitCodes };
  });
}

export async function removeRealRun(run: RealRun): Promise<void> {
  await rm(run.root, { recursive: true, force: true });
}
