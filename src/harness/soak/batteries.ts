// The soak's batteries (README "Reliability"): each repeats one way the core gets hurt, at a
// chosen scale, on the built CLI (real processes, real signals) or, for the fuzz, in process
// on the virtual runtime, and counts what held and what did not. A battery never stops at
// its first failure: it counts every case and keeps the first few failures to show.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, cpSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../cli/run-cli.js';
import { manifestSchema } from '../../manifest/schema.js';
import type { Executor } from '../../runtime/types.js';
import { createVirtualRuntime, driveToCompletion } from '../../runtime/virtual-runtime.js';

// The built bin (scripts/bundle-bin.mjs), whether this module runs built (dist/src/harness/soak) or from source (tests).
const here = dirname(fileURLToPath(import.meta.url));
export const CLI_PATH = join(here, here.includes(`${sep}dist${sep}`) ? '../../../..' : '../../..', 'dist/src/cli/bin.cjs');

export type BatteryResult = {
  battery: string;
  cases: number;
  /** Cases where every promise held. */
  held: number;
  /** Count per kind of broken promise (0 everywhere is the goal). */
  broken: Record<string, number>;
  /** Figures that describe the run (not promises): e.g. the slowest cancel. */
  figures: Record<string, number | string>;
  /** The first few failures, one line each, to reproduce. */
  examples: string[];
};

/** A seeded generator (mulberry32), so a soak can be replayed from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Tally {
  cases = 0;
  held = 0;
  broken: Record<string, number> = {};
  figures: Record<string, number | string> = {};
  examples: string[] = [];
  constructor(readonly battery: string) {}
  /** One case: `problems` lists the promises it broke (none: it held). */
  record(label: string, problems: string[]): void {
    this.cases += 1;
    if (problems.length === 0) {
      this.held += 1;
      return;
    }
    for (const problem of new Set(problems)) this.broken[problem] = (this.broken[problem] ?? 0) + 1;
    if (this.examples.length < 5) this.examples.push(`${label}: ${problems.join('; ')}`);
  }
  result(): BatteryResult {
    return { battery: this.battery, cases: this.cases, held: this.held, broken: this.broken, figures: this.figures, examples: this.examples };
  }
}

type Cli = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number };

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CODEX_') && key !== 'MCP_RUNNER_TASK_ID') env[key] = value;
  return { ...env, ...extra };
}

function startCli(args: string[], cwd: string, env: Record<string, string> = {}) {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const result = new Promise<Cli>((resolve) => {
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - started,
      }),
    );
  });
  return { child, result };
}

const runCliProcess = (args: string[], cwd: string) => startCli(args, cwd).result;

function makeRepo(config: unknown): string {
  const root = mkdtempSync(join(tmpdir(), 'codex-soak-'));
  writeFileSync(join(root, 'codex.orchestrator.json'), `${JSON.stringify(config, null, 2)}\n`);
  return root;
}

function runIds(root: string): string[] {
  const dir = join(root, '.runs', '0101', 'cli');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/**
 * Resolves once the trace file `name` in `dir` has `count` lines, or `ended` settles: driven by
 * file-system events, never by the clock.
 */
function traceEvents(dir: string, name: string, count: number, ended: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      watcher.close();
      resolve();
    };
    const check = () => {
      try {
        const text = readFileSync(join(dir, name), 'latin1');
        let lines = 0;
        for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines += 1;
        if (lines >= count) finish();
      } catch {
        // Not written yet.
      }
    };
    const watcher = watch(dir, (_event, file) => {
      if (file === name) check();
    });
    void ended.then(finish, finish);
    check();
  });
}

/**
 * What was written to the FIFO `path` once its writer closed it (a stage's way of saying it
 * runs), or null when `ended` settles first (the pending open is then unblocked).
 */
export async function fifoSaid(path: string, ended: Promise<unknown>): Promise<string | null> {
  const reading = readFile(path, 'utf8');
  const first = await Promise.race([
    reading.then((text) => ({ text })),
    ended.then(
      () => null,
      () => null,
    ),
  ]);
  if (first !== null) return first.text;
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // Read already.
  }
  await reading.catch(() => undefined);
  return null;
}

/** Processes of a group still alive (a zombie has exited). */
function liveInGroup(pgid: number): number {
  let n = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'latin1');
      const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') n += 1;
    } catch {
      // Gone meanwhile.
    }
  }
  return n;
}

/** What a reader finds in a run directory at any instant: a manifest that parses and validates. */
function manifestProblems(runDir: string): { problems: string[]; manifest: Record<string, unknown> | null } {
  let text: string;
  try {
    text = readFileSync(join(runDir, 'manifest.json'), 'utf8');
  } catch {
    return { problems: [], manifest: null }; // Not written yet: the run had not reached its first forced write.
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { problems: ['torn manifest (not JSON)'], manifest: null };
  }
  const parsed = manifestSchema.safeParse(doc);
  return { problems: parsed.success ? [] : ['manifest off its schema'], manifest: doc as Record<string, unknown> };
}

function metricsStatuses(root: string): string[] {
  try {
    return readFileSync(join(root, '.runs', '0101', 'metrics.json'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => String((JSON.parse(line) as { status?: unknown }).status));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------
// crash: SIGKILL the orchestrator at a random point, then recover the run.

const CRASH_CONFIG = {
  pipelines: [
    {
      id: 'diagnostics',
      title: 'Diagnostics',
      stages: [
        { kind: 'command', id: 'noisy', title: 'Noisy', command: 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done' },
        // Quiet for 5 s with a background grandchild until the battery resumes the run.
        { kind: 'command', id: 'quiet', title: 'Quiet', command: 'test -f resumed && exit 0; sleep 5 & sleep 5; wait' },
        { kind: 'command', id: 'last', title: 'Last', command: 'echo done' },
      ],
    },
  ],
};

export async function crashBattery(cases: number, seed: number, onProgress: (done: number) => void = () => undefined): Promise<BatteryResult> {
  const tally = new Tally('crash');
  const next = random(seed);
  let killedBeforeRun = 0;
  let resumed = 0;
  let groupsStopped = 0;
  for (let n = 0; n < cases; n += 1) {
    const root = makeRepo(CRASH_CONFIG);
    const problems: string[] = [];
    // The kill point is the k-th event of the CLI's trace (every write, child start and exit):
    // k = 0 kills it at once (before the run exists); a third of the runs have a quiet stage
    // that ends at once, so their kill points reach the run's end (summary, metrics).
    const short = next() < 1 / 3;
    const k = next() < 0.1 ? 0 : 1 + Math.floor(next() * (short ? 60 : 31));
    try {
      if (short) writeFileSync(join(root, 'resumed'), '');
      const trace = join(root, 'trace.ndjson');
      const run = startCli(['start'], root, { CODEX_ORCHESTRATOR_TRACE: trace });
      if (k > 0) await traceEvents(root, 'trace.ndjson', k, run.result);
      run.child.kill('SIGKILL');
      const killed = await run.result;
      if (killed.signal !== 'SIGKILL' && killed.code !== 0) problems.push(`the CLI ended ${killed.code ?? killed.signal} before the kill`);
      const ids = runIds(root);
      if (ids.length === 0) {
        killedBeforeRun += 1;
      } else {
        const id = ids[0]!;
        const runDir = join(root, '.runs', '0101', 'cli', id);
        const found = manifestProblems(runDir);
        problems.push(...found.problems);
        const status = found.manifest?.status;
        const terminal = status === 'succeeded' || status === 'failed' || status === 'cancelled';
        let group: number | null = null;
        try {
          const owner = JSON.parse(readFileSync(join(runDir, '.owner'), 'utf8')) as { stage_group?: { pgid: number } | null };
          group = owner.stage_group?.pgid ?? null;
        } catch {
          // No owner file: the run ended, or was never owned long enough to have a stage.
        }
        if (!terminal && found.manifest !== null) {
          const view = await runCliProcess(['status', '--run', id, '--format', 'json'], root);
          const owner = (JSON.parse(view.stdout || 'null') as { owner?: { state?: string } | null } | null)?.owner;
          if (view.code !== 0) problems.push('status failed');
          else if (owner !== null && owner?.state !== 'gone') problems.push(`status did not say the owner is gone (${owner?.state})`);
          if (!existsSync(join(root, 'resumed'))) writeFileSync(join(root, 'resumed'), '');
          const resume = await runCliProcess(['resume', '--run', id], root);
          if (resume.code !== 0) problems.push(`resume exit ${resume.code}: ${resume.stderr.trim().split('\n').at(-1)}`);
          else resumed += 1;
          if (/stopped what it left running/.test(resume.stderr)) groupsStopped += 1;
          if (group !== null && liveInGroup(group) > 0) problems.push('a stage process outlived the takeover');
          const after = manifestProblems(runDir);
          problems.push(...after.problems);
          if (after.manifest?.status !== 'succeeded') problems.push(`run ended ${String(after.manifest?.status)}`);
          const lines = metricsStatuses(root);
          if (lines.length !== 1 || lines[0] !== 'succeeded') problems.push(`metrics lines ${JSON.stringify(lines)}`);
        } else if (terminal) {
          const lines = metricsStatuses(root);
          // Killed after the terminal state was written, maybe before the metrics line: at most one line.
          if (lines.length > 1) problems.push(`metrics lines ${JSON.stringify(lines)}`);
        }
      }
    } catch (error) {
      problems.push(`harness error: ${(error as Error).message}`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    tally.record(`seed ${seed} case ${n} (kill at trace event ${k}${short ? ', short quiet stage' : ''})`, problems);
    onProgress(n + 1);
  }
  tally.figures = { 'killed before the run existed': killedBeforeRun, 'resumed after the kill': resumed, 'left stage groups stopped': groupsStopped };
  return tally.result();
}

// ---------------------------------------------------------------------------------------
// concurrent-resume: two resumes of one failed run, started together.

const RESUME_CONFIG = {
  pipelines: [
    {
      id: 'diagnostics',
      title: 'Diagnostics',
      stages: [
        { kind: 'command', id: 'flaky', title: 'Flaky', command: 'echo x >> flaky-count.txt; test -f flag || exit 3' },
        { kind: 'command', id: 'after', title: 'After', command: 'echo x >> after-count.txt; sleep 0.1' },
      ],
    },
  ],
};

export async function concurrentResumeBattery(pairs: number, onProgress: (done: number) => void = () => undefined): Promise<BatteryResult> {
  const tally = new Tally('concurrent-resume');
  const template = makeRepo(RESUME_CONFIG);
  let refusedOwned = 0;
  let refusedSucceeded = 0;
  try {
    await runCliProcess(['start'], template);
    writeFileSync(join(template, 'flag'), '');
    const id = runIds(template)[0]!;
    for (let n = 0; n < pairs; n += 1) {
      const root = mkdtempSync(join(tmpdir(), 'codex-soak-'));
      const problems: string[] = [];
      try {
        cpSync(template, root, { recursive: true });
        const [a, b] = await Promise.all([runCliProcess(['resume', '--run', id], root), runCliProcess(['resume', '--run', id], root)]);
        const codes = [a.code, b.code].sort();
        if (codes[0] !== 0 || codes[1] !== 2) problems.push(`exit codes ${a.code}/${b.code}`);
        const loser = a.code === 2 ? a : b;
        if (/owned by pid/.test(loser.stderr)) refusedOwned += 1;
        else if (/already succeeded/.test(loser.stderr)) refusedSucceeded += 1;
        const after = readFileSync(join(root, 'after-count.txt'), 'utf8');
        if (after !== 'x\n') problems.push(`the stage after ran ${after.split('\n').length - 1} times`);
        const lines = metricsStatuses(root);
        if (JSON.stringify(lines) !== '["failed","succeeded"]') problems.push(`metrics lines ${JSON.stringify(lines)}`);
        const found = manifestProblems(join(root, '.runs', '0101', 'cli', id));
        problems.push(...found.problems);
      } catch (error) {
        problems.push(`harness error: ${(error as Error).message}`);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
      tally.record(`pair ${n}`, problems);
      onProgress(n + 1);
    }
  } finally {
    rmSync(template, { recursive: true, force: true });
  }
  tally.figures = { 'refused: owned by the other': refusedOwned, 'refused: already succeeded': refusedSucceeded };
  return tally.result();
}

// ---------------------------------------------------------------------------------------
// signal: SIGINT or SIGTERM at a random point of a stage with background grandchildren.

const SIGNAL_CONFIG = {
  pipelines: [
    {
      id: 'diagnostics',
      title: 'Diagnostics',
      stages: [
        { kind: 'command', id: 'busy', title: 'Busy', command: 'sleep 30 & sleep 30 & echo $$ > group.txt; echo ready > ready.fifo; wait' },
        { kind: 'command', id: 'never', title: 'Never', command: 'echo never >> never.txt' },
      ],
    },
  ],
};

export async function signalBattery(cases: number, seed: number, onProgress: (done: number) => void = () => undefined): Promise<BatteryResult> {
  const tally = new Tally('signal');
  const next = random(seed);
  let slowest = 0;
  const latencies: number[] = [];
  for (let n = 0; n < cases; n += 1) {
    const root = makeRepo(SIGNAL_CONFIG);
    const problems: string[] = [];
    const signal: NodeJS.Signals = next() < 0.5 ? 'SIGINT' : 'SIGTERM';
    try {
      spawnSync('mkfifo', [join(root, 'ready.fifo')]);
      const run = startCli(['start'], root);
      // The signal goes once the stage runs with its grandchildren (it says so on a FIFO).
      if ((await fifoSaid(join(root, 'ready.fifo'), run.result)) === null) throw new Error('the CLI ended before the stage was ready');
      const sent = performance.now();
      run.child.kill(signal);
      const ended = await run.result;
      const ms = performance.now() - sent;
      latencies.push(ms);
      slowest = Math.max(slowest, ms);
      const expected = signal === 'SIGINT' ? 130 : 143;
      if (ended.code !== expected) problems.push(`exit ${ended.code ?? ended.signal} instead of ${expected}`);
      if (ms > 1000) problems.push(`took ${Math.round(ms)} ms`);
      const group = Number(readFileSync(join(root, 'group.txt'), 'utf8').trim());
      if (group > 0 && liveInGroup(group) > 0) problems.push('a stage process outlived the cancel');
      const id = runIds(root)[0];
      if (id === undefined) problems.push('no run');
      else {
        const found = manifestProblems(join(root, '.runs', '0101', 'cli', id));
        problems.push(...found.problems);
        if (found.manifest?.status !== 'cancelled') problems.push(`run ${String(found.manifest?.status)}, not cancelled`);
      }
      if (existsSync(join(root, 'never.txt'))) problems.push('a later stage ran');
    } catch (error) {
      problems.push(`harness error: ${(error as Error).message}`);
    } finally {
      try {
        const group = Number(readFileSync(join(root, 'group.txt'), 'utf8').trim());
        if (group > 0) process.kill(-group, 'SIGKILL');
      } catch {
        // Stopped, as it should be.
      }
      rmSync(root, { recursive: true, force: true });
    }
    tally.record(`seed ${seed} case ${n} (${signal})`, problems);
    onProgress(n + 1);
  }
  latencies.sort((a, b) => a - b);
  tally.figures = {
    'median signal to exit (ms)': Math.round(latencies[Math.floor(latencies.length / 2)] ?? 0),
    'slowest signal to exit (ms)': Math.round(slowest),
  };
  return tally.result();
}

// ---------------------------------------------------------------------------------------
// fuzz: random configs and argv, in process on the virtual runtime.

const WORDS = [
  'start',
  'resume',
  'status',
  'plan',
  'exec',
  'help',
  '--format',
  'json',
  'text',
  '--task',
  '--run',
  '--target',
  '--watch',
  '--interval',
  '--parent-run',
  '--approval-policy',
  '--token',
  '--actor',
  '--reason',
  '--cwd',
  '--json',
  '--jsonl',
  '--',
  'ci',
  'diagnostics',
  'x',
  '',
  '-h',
  '--version',
  '../etc',
  '0101',
  '2026-01-05T09-00-00-000Z-96a0f96b',
  '\u0000',
  'é',
  '-1',
  '1e9',
  ' ',
];

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

function junk(next: () => number, depth = 0): unknown {
  const r = next();
  if (depth > 2 || r < 0.25) return pick(next, [null, true, 0, -1, 1.5, 'x', '', 'a'.repeat(Math.floor(next() * 300)), '\u2028', '../..', '/etc']);
  if (r < 0.5) return Array.from({ length: Math.floor(next() * 3) }, () => junk(next, depth + 1));
  const keys = [
    'id',
    'title',
    'kind',
    'command',
    'cwd',
    'stages',
    'pipeline',
    'env',
    'allowFailure',
    'optional',
    'allowOutsideRoot',
    'executionMode',
    'zzz',
  ];
  return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [pick(next, keys), junk(next, depth + 1)]));
}

/** A valid config, then a few random mutations of it (a field removed, retyped, or replaced by junk). */
function fuzzConfig(next: () => number): string {
  const stage = (k: number) => ({ kind: 'command', id: `s${k}`, title: `S${k}`, command: `echo ${k}` });
  const config: Record<string, unknown> = {
    defaultPipeline: 'ci',
    pipelines: [
      { id: 'ci', title: 'CI', stages: [stage(1), stage(2), { kind: 'subpipeline', id: 'sub', title: 'Sub', pipeline: 'diagnostics' }] },
      { id: 'diagnostics', title: 'Diagnostics', stages: [stage(3)] },
    ],
  };
  const mutations = Math.floor(next() * 4);
  for (let m = 0; m < mutations; m += 1) {
    const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
    const pipelines = Array.isArray(config.pipelines) ? config.pipelines.filter(isObject) : [];
    const stages = pipelines.flatMap((pipeline) => (Array.isArray(pipeline.stages) ? pipeline.stages.filter(isObject) : []));
    const target = pick(next, [config, ...pipelines, ...stages]);
    const key = pick(next, [...Object.keys(target), 'zzz', 'allowfailure', 'cwd', 'env']);
    const r = next();
    if (r < 0.3) delete target[key];
    else target[key] = junk(next);
  }
  const text = JSON.stringify(config);
  const r = next();
  if (r < 0.05) return text.slice(0, Math.floor(next() * text.length)); // cut short
  if (r < 0.08) return `${text}\n{`; // trailing junk
  return text;
}

function fuzzArgv(next: () => number): string[] {
  const base = pick(next, [['start'], ['plan'], ['exec', '--', 'true'], ['status', '--run'], ['resume', '--run'], []]);
  return [...base, ...Array.from({ length: Math.floor(next() * 5) }, () => pick(next, WORDS))];
}

const okExecutor: Executor = {
  start(_request, onChunk) {
    const done = (async () => {
      await onChunk({ stream: 'stdout', data: Buffer.from('ok\n') });
      return { exitCode: 0, signal: null };
    })();
    return { done, cancel: () => undefined };
  },
};

export async function fuzzBattery(cases: number, seed: number, onProgress: (done: number) => void = () => undefined): Promise<BatteryResult> {
  const tally = new Tally('fuzz');
  const next = random(seed);
  const codes: Record<string, number> = {};
  for (let n = 0; n < cases; n += 1) {
    const problems: string[] = [];
    const config = fuzzConfig(next);
    const argv = fuzzArgv(next);
    const runtime = createVirtualRuntime({ startMs: Date.parse('2026-01-05T09:00:00.000Z'), seed: n, cwd: '/repo', executor: okExecutor });
    runtime.fs.seedFile('/repo/codex.orchestrator.json', config);
    const before = new Map(runtime.fs.files());
    let code: number;
    try {
      code = await driveToCompletion(runtime, () => runCli(argv, runtime));
    } catch (error) {
      code = -1;
      problems.push(`threw: ${(error as Error).message}`);
    }
    codes[code] = (codes[code] ?? 0) + 1;
    const stderr = runtime.stderr.text();
    if (![0, 1, 2].includes(code) && code !== -1) problems.push(`exit ${code}`);
    if (/internal error/.test(stderr)) problems.push('internal error');
    if (/\n\s+at .+:\d+:\d+/.test(stderr)) problems.push('stack trace');
    if (code === 2) {
      const lines = stderr.replace(/\n$/, '').split('\n');
      if (lines.length !== 1 && !/^(Usage|error:)/m.test(stderr)) problems.push(`${lines.length} lines on stderr for bad input`);
      const after = runtime.fs.files();
      const written = [...after.keys()].filter((path) => !before.has(path) || !before.get(path)!.equals(after.get(path)!));
      if (written.length > 0) problems.push(`bad input wrote ${written.length} file(s)`);
    }
    for (const [path, data] of runtime.fs.files()) {
      if (!path.endsWith('/manifest.json') || !path.includes('/cli/')) continue;
      let doc: unknown;
      try {
        doc = JSON.parse(data.toString('utf8'));
      } catch {
        problems.push('torn manifest');
        continue;
      }
      if (!manifestSchema.safeParse(doc).success) problems.push('manifest off its schema');
    }
    tally.record(`seed ${seed} case ${n}: argv ${JSON.stringify(argv)} config ${JSON.stringify(config.slice(0, 120))}`, problems);
    if ((n + 1) % 100 === 0 || n + 1 === cases) onProgress(n + 1);
  }
  tally.figures = Object.fromEntries(Object.entries(codes).map(([code, count]) => [`exit ${code}`, count]));
  return tally.result();
}

// ---------------------------------------------------------------------------------------
// disk-full: the runs directory on a small tmpfs that fills at a random point of the run.

const DISK_CONFIG = {
  pipelines: [
    {
      id: 'diagnostics',
      title: 'Diagnostics',
      stages: [
        // About 1.5 MB of output: more than the smallest file systems below hold.
        { kind: 'command', id: 'fill', title: 'Fill', command: 'i=0; while [ $i -lt 3000 ]; do printf "%0500d\\n" $i; i=$((i+1)); done' },
        { kind: 'command', id: 'last', title: 'Last', command: 'echo done' },
      ],
    },
  ],
};

/** Why this process cannot mount a tmpfs (null: it can). */
export function mountUnavailable(): string | null {
  if (process.platform !== 'linux') return `tmpfs mounts need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const dir = mkdtempSync(join(tmpdir(), 'codex-soak-mount-'));
  try {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    if (mounted.status !== 0) return `mount is not permitted here: ${mounted.stderr.toString().trim()}`;
    spawnSync('umount', [dir]);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function tempFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.tmp$|\.tmp-|\.[0-9a-f-]{36}\.tmp/.test(entry.name)) found.push(path);
    }
  };
  if (existsSync(dir)) walk(dir);
  return found;
}

export async function diskFullBattery(cases: number, seed: number, onProgress: (done: number) => void = () => undefined): Promise<BatteryResult> {
  const tally = new Tally('disk-full');
  const unavailable = mountUnavailable();
  if (unavailable !== null) {
    tally.figures = { skipped: unavailable };
    return tally.result();
  }
  const next = random(seed);
  let failedInOneLine = 0;
  let resumedAfterFreeing = 0;
  let notFull = 0;
  for (let n = 0; n < cases; n += 1) {
    const root = makeRepo(DISK_CONFIG);
    const runs = join(root, '.runs');
    const problems: string[] = [];
    // From 16 KiB (full before the first stage's log grows) to 2 MiB (full in its last bytes, or never).
    const size = 16 * 1024 + Math.floor(next() * 2 * 1024 * 1024);
    let mounted = false;
    try {
      spawnSync('mkdir', ['-p', runs]);
      mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', runs]).status === 0;
      if (!mounted) throw new Error('mount failed');
      const first = await runCliProcess(['start', '--format', 'json'], root);
      const id = runIds(root)[0];
      if (first.code === 0) {
        notFull += 1; // The file system held the whole run.
      } else {
        if (first.code !== 1) problems.push(`exit ${first.code ?? first.signal}, not 1`);
        if (/internal error/.test(first.stderr)) problems.push('internal error');
        if (/\n\s+at .+:\d+:\d+/.test(first.stderr)) problems.push('stack trace');
        if (!/ENOSPC|no space left/i.test(first.stderr)) problems.push('stderr does not say the disk is full');
        let doc: { status?: unknown } | null = null;
        try {
          doc = JSON.parse(first.stdout) as { status?: unknown };
        } catch {
          problems.push('--format json printed no JSON document');
        }
        if (doc !== null && doc.status !== 'failed') problems.push(`JSON status ${String(doc.status)}`);
        if (problems.length === 0) failedInOneLine += 1;
      }
      const left = tempFiles(runs);
      if (left.length > 0) problems.push(`${left.length} temp file(s) left`);
      if (id !== undefined) {
        const runDir = join(runs, '0101', 'cli', id);
        problems.push(...manifestProblems(runDir).problems);
        if (first.code !== 0) {
          // Space freed: the run can be finished.
          if (spawnSync('mount', ['-o', 'remount,size=64m', runs]).status !== 0) throw new Error('remount failed');
          const resumed = await runCliProcess(['resume', '--run', id], root);
          if (resumed.code !== 0) problems.push(`resume after freeing space: exit ${resumed.code}: ${resumed.stderr.trim().split('\n').at(-1)}`);
          else resumedAfterFreeing += 1;
          const after = manifestProblems(runDir);
          problems.push(...after.problems);
          if (resumed.code === 0 && after.manifest?.status !== 'succeeded') problems.push(`resumed run ${String(after.manifest?.status)}`);
        }
      }
    } catch (error) {
      problems.push(`harness error: ${(error as Error).message}`);
    } finally {
      if (mounted) spawnSync('umount', ['-l', runs]);
      rmSync(root, { recursive: true, force: true });
    }
    tally.record(`seed ${seed} case ${n} (tmpfs of ${size} bytes)`, problems);
    onProgress(n + 1);
  }
  tally.figures = {
    'failed in one line with JSON': failedInOneLine,
    'resumed after freeing space': resumedAfterFreeing,
    'the disk held the run': notFull,
  };
  return tally.result();
}

/** Whether this machine can run the process batteries (Linux /proc, a built CLI). */
export function processBatteriesAvailable(): string | null {
  if (!existsSync('/proc/self/stat')) return 'no /proc on this machine';
  if (!existsSync(CLI_PATH)) return `${CLI_PATH} is missing: run npm run build`;
  if (spawnSync('sh', ['-c', 'true']).status !== 0) return 'no /bin/sh';
  return null;
}
