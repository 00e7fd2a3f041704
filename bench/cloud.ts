// The cloud execution mode, measured (issue 17): the dispatch overhead of a one-stage `true`
// run sent to a worker against the same run here (a ratio of interleaved pairs in one run), and
// the wall time of 20 concurrent runs of 3 short stages with 1, 2 and 4 workers. A real
// `redis-server` on a unix socket and real worker processes; informational (timings inform,
// they never gate). `npm run bench:cloud`; each run's figures and the machine's facts are added
// to bench/history/cloud.json (for a maintainer to compare runs and machines); the README's
// "Cloud stages" section quotes one of its entries.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { refuseStaleDist } from '../src/harness/fresh-dist.js';
import { isMain, runTool } from '../src/harness/tool-cli.js';
import { CLI, interleavedRatio } from './latency.js';
import { stopOnSignal, type SignalStop } from './stop-on-signal.js';

/** The checkout's bench/history/cloud.json (this module runs from dist/bench/). */
const CLOUD_HISTORY = fileURLToPath(new URL('../../bench/history/cloud.json', import.meta.url));

/** One `npm run bench:cloud`: where and on what it ran, and its figures. */
type CloudBenchEntry = {
  recorded_at: string;
  commit: string | null;
  machine: { cpus: number; cpu_model: string; memory_gb: number; platform: string; release: string; node: string; loadavg_1m_at_start: number };
  overhead: { ratio: number; band: [number, number]; cloud_ms: number; here_ms: number; pairs: number };
  scaling: Array<{
    workers: number;
    runs: number;
    stages_per_run: number;
    stage_seconds: number;
    wall_seconds: number;
    speedup: number;
    /** CPU seconds (user + system) the 20 orchestrator processes used, read from the kernel as they were reaped. */
    orchestrators_cpu_seconds: number | null;
  }>;
  note: string;
};

/** Adds `entry` to the history file (a JSON object with `runs`, oldest first); returns how many runs it holds. */
function appendCloudHistory(path: string, entry: CloudBenchEntry): number {
  const history = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { runs: CloudBenchEntry[] }) : { runs: [] };
  history.runs.push(entry);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(history, null, 2)}\n`);
  return history.runs.length;
}

function commitOf(dir: string): string | null {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' });
  if (head.status !== 0) return null;
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: dir, encoding: 'utf8' }).stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? '+changes' : ''}`;
}

function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    child[stream]!.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      if (pattern.test(text)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready: ${text.slice(-500)}`)));
  });
}

/** The orchestrator runs started and not yet ended (a signal stops them). */
const runs = new Set<ChildProcess>();
/** Once a signal stops the bench, a run it stopped is not a failure to report. */
let signalStop: SignalStop | null = null;

function run(cwd: string, env: Record<string, string>, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    runs.add(child);
    child.once('error', reject);
    child.once('exit', (code) => {
      runs.delete(child);
      if (signalStop?.stopping) return;
      if (code === 0) resolve();
      else reject(new Error(`codex-orchestrator ${args.join(' ')} exited ${code}`));
    });
  });
}

/** The kernel's clock ticks per second (getconf CLK_TCK), read once. */
let clockTicks: number | undefined;

/**
 * CPU seconds (user + system) of this process's children that have ended and been waited for,
 * from /proc/self/stat (cutime, cstime); null where there is no /proc.
 */
export function reapedChildrenCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // The fields after the command name (which may hold spaces), from field 3 (state) on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[13]) + Number(fields[14]);
    clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    return Number.isFinite(ticks) ? ticks / clockTicks : null;
  } catch {
    return null;
  }
}

function repo(dir: string, config: unknown): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'codex.orchestrator.json'), `${JSON.stringify(config)}\n`);
  return dir;
}

async function main(): Promise<number> {
  refuseStaleDist('bench:cloud', import.meta.url);
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    process.stderr.write('bench:cloud: redis-server is not installed (apt-get install -y redis-server)\n');
    return 2;
  }
  const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
  const base = mkdtempSync(join(tmpdir(), 'codex-bench-cloud-'));
  const socket = join(base, 'redis.sock');
  const redis = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', base], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const workers: ChildProcess[] = [];
  // Stopped by a signal sent to this process alone (kill <pid>, a CI timeout): its redis-server,
  // workers and runs are stopped and the temporary directory removed before it exits 130/143,
  // as the finally below does when it ends on its own.
  signalStop = stopOnSignal({
    children: () => [...workers, redis, ...runs],
    kill: (child) => child.kill('SIGKILL'),
    message: (signal) => `bench:cloud: stopped by ${signal}; nothing was recorded`,
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  });
  try {
    await waitFor(redis, 'stdout', /ready to accept connections/i, 'redis-server');
    const url = `unix://${socket}`;
    const startWorkers = async (n: number, queue: string) => {
      const env = { PATH: process.env.PATH ?? '', CODEX_ORCHESTRATOR_REDIS_URL: url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: queue };
      const started = Array.from({ length: n }, (_, i) => {
        const root = repo(join(base, `worker-${queue}-${i}`), { pipelines: [] });
        const child = spawn(process.execPath, [CLI, 'worker', '--root', root, '--id', `w${i + 1}`], {
          cwd: root,
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        workers.push(child);
        return waitFor(child, 'stderr', / ready on queue /, `worker ${i + 1}`).then(() => child);
      });
      return Promise.all(started);
    };
    const stopWorkers = async (list: ChildProcess[]) => {
      await Promise.all(list.map((child) => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM')))));
    };

    // 1. Dispatch overhead: the same one-stage `true` run, cloud against here.
    const one = (mode: string) => ({
      pipelines: [{ id: 'one', title: 'One', stages: [{ kind: 'command', id: 't', title: 'T', command: 'true', executionMode: mode }] }],
    });
    const cloudRepo = repo(join(base, 'overhead-cloud'), one('cloud'));
    const localRepo = repo(join(base, 'overhead-local'), one('mcp'));
    const overheadWorkers = await startWorkers(1, 'overhead');
    const cloudEnv = { CODEX_ORCHESTRATOR_REDIS_URL: url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: 'overhead' };
    process.stderr.write('bench:cloud: dispatch overhead (20 interleaved pairs)…\n');
    const overhead = await interleavedRatio(
      () => run(cloudRepo, cloudEnv, ['start', 'one']),
      () => run(localRepo, {}, ['start', 'one']),
      { pairs: 20, warmup: 2 },
    );
    await stopWorkers(overheadWorkers);

    // 2. 20 concurrent runs of 3 short stages (0.2 s each) with 1, 2 and 4 workers.
    const three = {
      pipelines: [
        {
          id: 'three',
          title: 'Three',
          stages: [1, 2, 3].map((i) => ({ kind: 'command', id: `s${i}`, title: `S${i}`, command: 'sleep 0.2', executionMode: 'cloud' })),
        },
      ],
    };
    const scaling: Array<{ workers: number; seconds: number; cpu: number | null }> = [];
    for (const n of [1, 2, 4]) {
      const queue = `scale-${n}`;
      const list = await startWorkers(n, queue);
      const repos = Array.from({ length: 20 }, (_, i) => repo(join(base, `scale-${n}-${i}`), three));
      process.stderr.write(`bench:cloud: 20 runs x 3 stages with ${n} worker(s)…\n`);
      // Only the runs end (and are reaped) between the two readings: the workers are still up.
      const cpu0 = reapedChildrenCpuSeconds();
      const t0 = performance.now();
      await Promise.all(repos.map((r) => run(r, { CODEX_ORCHESTRATOR_REDIS_URL: url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: queue }, ['start', 'three'])));
      const seconds = Math.round((performance.now() - t0) / 10) / 100;
      const cpu1 = reapedChildrenCpuSeconds();
      scaling.push({ workers: n, seconds, cpu: cpu0 === null || cpu1 === null ? null : Math.round((cpu1 - cpu0) * 100) / 100 });
      await stopWorkers(list);
    }

    const one1 = scaling[0]!.seconds;
    const cores = cpus().length;
    const cpuNote = (cpu: number | null) =>
      cpu === null
        ? ''
        : `; the 20 orchestrators used ${cpu} s of CPU, ${Math.round((cpu / cores) * 100) / 100} s of wall time at least on ${cores} cores`;
    const lines = [
      `cloud dispatch overhead, one-stage \`true\` run, cloud vs here: ${overhead.ratio}x (band ${overhead.low}-${overhead.high}; ${overhead.a_ms} ms vs ${overhead.b_ms} ms, ${overhead.pairs} pairs)`,
      ...scaling.map(
        (s) =>
          `20 concurrent runs x 3 stages of 0.2 s, ${s.workers} worker(s): ${s.seconds} s (speed-up ${Math.round((one1 / s.seconds) * 100) / 100}x${cpuNote(s.cpu)})`,
      ),
      'timings depend on the machine: they inform, they never gate',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const entry: CloudBenchEntry = {
      recorded_at: new Date().toISOString(),
      commit: commitOf(dirname(CLOUD_HISTORY)),
      machine: {
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
        memory_gb: Math.round(totalmem() / 2 ** 30),
        platform: platform(),
        release: release(),
        node: process.version,
        loadavg_1m_at_start: loadAtStart,
      },
      overhead: {
        ratio: overhead.ratio,
        band: [overhead.low, overhead.high],
        cloud_ms: overhead.a_ms,
        here_ms: overhead.b_ms,
        pairs: overhead.pairs,
      },
      scaling: scaling.map((s) => ({
        workers: s.workers,
        runs: 20,
        stages_per_run: 3,
        stage_seconds: 0.2,
        wall_seconds: s.seconds,
        speedup: Math.round((one1 / s.seconds) * 100) / 100,
        orchestrators_cpu_seconds: s.cpu,
      })),
      note: 'timings depend on the machine and its load: they inform, they never gate',
    };
    const count = appendCloudHistory(CLOUD_HISTORY, entry);
    process.stdout.write(`recorded in bench/history/cloud.json (run ${count})\n`);
    return 0;
  } finally {
    signalStop.uninstall();
    for (const child of workers) if (child.exitCode === null) child.kill('SIGKILL');
    redis.kill('SIGTERM');
    await new Promise((resolve) => (redis.exitCode === null ? redis.once('exit', resolve) : resolve(null)));
    rmSync(base, { recursive: true, force: true });
  }
}

export function runCloudBench(argv: string[]): Promise<number> {
  return runTool('bench:cloud', argv, (program, setExit) => {
    program
      .description(
        "Measure the cloud execution mode with a real redis-server (on a unix socket in a temporary directory) and real worker processes: the dispatch overhead of a one-stage `true` run, cloud against here (a ratio of 20 interleaved pairs), and the wall time of 20 concurrent runs of 3 stages of 0.2 s with 1, 2 and 4 workers, with the CPU the orchestrators used. Adds the figures and the machine's facts to bench/history/cloud.json. Informational: it never gates.",
      )
      .action(async () => setExit(await main()));
  });
}

if (isMain(import.meta.url)) {
  process.exitCode = await runCloudBench(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`bench:cloud: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  });
}
