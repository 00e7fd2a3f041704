import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatJsonPath, parseJsonText } from '../../src/config/json-file.js';
import { CONFIG_FILE, loadConfig, selectPipeline } from '../../src/config/load-config.js';
import { InputError } from '../../src/errors.js';
import { createMemoryFileSink } from '../../src/runtime/memory-file-sink.js';

async function load(config: unknown) {
  const fs = createMemoryFileSink({ durability: { fsyncFile: false, fsyncDirectory: false } });
  fs.seedFile(`/r/${CONFIG_FILE}`, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return loadConfig(fs, '/r');
}

const stage = (id: string, extra: Record<string, unknown> = {}) => ({ kind: 'command', id, title: id, command: `echo ${id}`, ...extra });
const pipeline = (id: string, stages: unknown[], extra: Record<string, unknown> = {}) => ({ id, title: id, stages, ...extra });

describe('codex.orchestrator.json', () => {
  it('loads a valid config', async () => {
    const config = await load({ pipelines: [pipeline('diagnostics', [stage('a', { allowFailure: true, cwd: 'x', env: { A: '1' } })])] });
    expect(selectPipeline(config, undefined).id).toBe('diagnostics');
  });

  it('reports invalid JSON with line and column', async () => {
    await expect(load('{\n  "pipelines": [\n    { "id": "a", }\n  ]\n}')).rejects.toThrow(
      'codex.orchestrator.json: invalid JSON at line 3, column 18: expected a double-quoted property name',
    );
    await expect(load('')).rejects.toThrow('codex.orchestrator.json: invalid JSON at line 1, column 1: expected a value');
  });

  it.each([
    [{ pipelines: [pipeline('p', [stage('a', { command: 3 })])] }, 'pipelines[0].stages[0].command: Invalid input: expected string, received number'],
    [{ pipelines: [pipeline('p', [stage('a', { colour: 'red' })])] }, 'pipelines[0].stages[0].colour: unknown key'],
    [{ pipelines: [pipeline('p', [{ kind: 'shell', id: 'a', title: 'a' }])] }, 'pipelines[0].stages[0].kind'],
    [{ pipelines: [pipeline('p', [])] }, 'pipelines[0].stages: a pipeline needs at least one stage'],
    [{ pipelines: [pipeline('p', [stage('a'), stage('a')])] }, "pipelines[0].stages[1].id: duplicate stage id 'a' in pipeline 'p'"],
    [{ pipelines: [pipeline('p', [stage('a')]), pipeline('p', [stage('b')])] }, "pipelines[1].id: duplicate pipeline id 'p'"],
    [
      { pipelines: [pipeline('p', [{ kind: 'subpipeline', id: 's', title: 's', pipeline: 'p' }])] },
      "pipelines[0].stages[0].pipeline: subpipeline stage 's' names its own pipeline 'p'",
    ],
    [
      { pipelines: [pipeline('p', [{ kind: 'subpipeline', id: 's', title: 's', pipeline: 'nope' }])] },
      "pipelines[0].stages[0].pipeline: unknown pipeline 'nope'",
    ],
    [
      {
        pipelines: [
          pipeline('a', [{ kind: 'subpipeline', id: 'to-b', title: 'b', pipeline: 'b' }]),
          pipeline('b', [{ kind: 'subpipeline', id: 'to-a', title: 'a', pipeline: 'a' }]),
        ],
      },
      'pipelines[1].stages[0].pipeline: subpipeline cycle a -> b -> a',
    ],
    [{ defaultPipeline: 'x', pipelines: [pipeline('p', [stage('a')])] }, "defaultPipeline: unknown pipeline 'x'"],
  ])('reports %# with its JSON path', async (config, message) => {
    const error = await load(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain(`codex.orchestrator.json: ${message}`);
    expect((error as Error).message).not.toContain('\n');
  });

  // Issue 18: an unknown key is named first, with the key it most likely meant; up to five
  // problems are listed (one line), then how many more.
  const listed = it;

  listed('names an unknown key first, with a did-you-mean, and lists up to five problems', async () => {
    const stages = [
      stage('a', { title: 'x'.repeat(1001) }),
      stage('b', { allowfailure: true }),
      stage('c', { command: 3 }),
      stage('d', { Cwd: 'x' }),
      stage('e', { command: '' }),
      stage('f', { command: 4 }),
      stage('g', { command: 5 }),
    ];
    const error = (await load({ pipelines: [pipeline('p', stages)] }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'codex.orchestrator.json: pipelines[0].stages[1].allowfailure: unknown key (did you mean allowFailure?); ' +
        'pipelines[0].stages[3].Cwd: unknown key (did you mean cwd?); ' +
        'pipelines[0].stages[0].title: longer than 1000 characters; ' +
        'pipelines[0].stages[2].command: Invalid input: expected string, received number; ' +
        'pipelines[0].stages[4].command: must not be empty (and 2 more problems)',
    );
    const far = (await load({ pipelines: [pipeline('p', [stage('a', { colour: 'red' })])] }).catch((e: unknown) => e)) as Error;
    expect(far.message).toBe('codex.orchestrator.json: pipelines[0].stages[0].colour: unknown key');
  });

  it('selects the named pipeline, else defaultPipeline, else diagnostics', async () => {
    const config = await load({ defaultPipeline: 'b', pipelines: [pipeline('a', [stage('x')]), pipeline('b', [stage('y')])] });
    expect(selectPipeline(config, 'a').id).toBe('a');
    expect(selectPipeline(config, undefined).id).toBe('b');
    expect(() => selectPipeline(config, 'zzz')).toThrow("unknown pipeline 'zzz' (codex.orchestrator.json defines: a, b)");
    const none = await load({ pipelines: [pipeline('a', [stage('x')])] });
    expect(() => selectPipeline(none, undefined)).toThrow('no pipeline named, no defaultPipeline');
  });

  it('any text either loads or fails with one InputError line (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        async (text) => {
          try {
            await load(text);
          } catch (error) {
            expect(error).toBeInstanceOf(InputError);
            expect((error as Error).message.startsWith('codex.orchestrator.json: ')).toBe(true);
            expect((error as Error).message).not.toContain('\n    at ');
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('formats JSON paths', () => {
    expect(formatJsonPath([])).toBe('(root)');
    expect(formatJsonPath(['pipelines', 0, 'stages', 2, 'env', 'MY VAR'])).toBe('pipelines[0].stages[2].env["MY VAR"]');
    expect(() => parseJsonText('{"a":1}}', 'f.json')).toThrow('f.json: invalid JSON at line 1, column 8: unexpected content after the JSON value');
  });
});
