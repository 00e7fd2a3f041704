// What exec and every command that runs stages check before anything is written, on the virtual
// runtime (the integration tests check the same through the built CLI, where a mutant cannot
// reach): an exec command of blanks, a CODEX_ORCHESTRATOR_ROOT that is not a directory, and the
// cloud settings an invocation carries (the config's reconnectMs added to them).
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { prepareInvocation } from '../../src/commands/invocation.js';
import { InputError } from '../../src/errors.js';
import type { Executor } from '../../src/runtime/types.js';
import { createVirtualRuntime, driveToCompletion } from '../../src/runtime/virtual-runtime.js';

const starts: string[] = [];
const executor: Executor = {
  start(request) {
    starts.push(request.command);
    return { done: Promise.resolve({ exitCode: 0, signal: null }), cancel: () => undefined };
  },
};

const runtimeWith = (env: Record<string, string> = {}) => createVirtualRuntime({ startMs: 0, seed: 1, cwd: '/repo', executor, env });

/** The error `work` rejects with, as `InputError: <message>` (or `resolved`). */
async function rejection(work: Promise<unknown>): Promise<string> {
  return work.then(
    () => 'resolved',
    (error: unknown) => `${error instanceof InputError ? 'InputError' : 'other'}: ${(error as Error).message}`,
  );
}

describe('exec', () => {
  it('a command of blanks is refused as an empty one is: one line, exit 2, nothing started or written', async () => {
    for (const command of ['', ' \t ']) {
      const runtime = runtimeWith();
      const before = runtime.fs.files();
      starts.length = 0;
      const code = await driveToCompletion(runtime, () => runCli(['exec', '--', command], runtime));
      expect([code, runtime.stdout.text(), runtime.stderr.text()], JSON.stringify(command)).toEqual([
        2,
        '',
        'codex-orchestrator: exec: the command is empty\n',
      ]);
      expect(starts).toEqual([]);
      expect(runtime.fs.files()).toEqual(before);
    }
  });
});

describe('prepareInvocation', () => {
  it('a CODEX_ORCHESTRATOR_ROOT that is missing or a file is refused; one that is a directory is the root', async () => {
    const runtime = runtimeWith({ CODEX_ORCHESTRATOR_ROOT: 'no-such-root' });
    expect(await rejection(prepareInvocation(runtime, { taskId: '0101', needConfig: false }))).toBe(
      'InputError: CODEX_ORCHESTRATOR_ROOT: no-such-root is not a directory',
    );
    runtime.fs.seedFile('/repo/a-file', 'x');
    runtime.env.CODEX_ORCHESTRATOR_ROOT = 'a-file';
    expect(await rejection(prepareInvocation(runtime, { taskId: '0101', needConfig: false }))).toBe(
      'InputError: CODEX_ORCHESTRATOR_ROOT: a-file is not a directory',
    );
    runtime.fs.seedDirectory('/repo/other');
    runtime.env.CODEX_ORCHESTRATOR_ROOT = 'other';
    expect((await prepareInvocation(runtime, { taskId: '0101', needConfig: false })).roots.root).toBe('/repo/other');
  });

  it("the cloud settings: none without a Redis URL; from the environment without a config; the config's reconnectMs added when it gives one", async () => {
    const cloudOf = async (env: Record<string, string>, cloud?: Record<string, unknown>) => {
      const runtime = runtimeWith(env);
      if (cloud !== undefined) runtime.fs.seedFile('/repo/codex.orchestrator.json', JSON.stringify({ pipelines: [], cloud }));
      return (await prepareInvocation(runtime, { taskId: '0101', needConfig: cloud !== undefined })).cloud;
    };
    const url = { CODEX_ORCHESTRATOR_REDIS_URL: 'redis://cache:6380' };
    const settings = { connection: { host: 'cache', port: 6380 }, queue: 'codex-orchestrator', fallback: 'auto', target: 'cache:6380' };
    expect(await cloudOf({})).toBeNull();
    expect(await cloudOf(url)).toEqual(settings);
    expect(await cloudOf(url, {})).toEqual(settings);
    expect(await cloudOf(url, { reconnectMs: 2500 })).toEqual({ ...settings, reconnectMs: 2500 });
    expect(await cloudOf({}, { redisUrl: 'redis://queue-host:7000', reconnectMs: 0 })).toEqual({
      connection: { host: 'queue-host', port: 7000 },
      queue: 'codex-orchestrator',
      fallback: 'auto',
      target: 'queue-host:7000',
      reconnectMs: 0,
    });
  });
});
