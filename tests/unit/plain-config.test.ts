// plainConfig (src/config/plain-config.ts) lets `start` skip zod for a plainly valid
// codex.orchestrator.json. It must never differ from configSchema: whatever it accepts, zod
// accepts with the same output, key order included; and it must accept the configs people write,
// or the CLI loads zod again (tests/integration/startup-modules.test.ts checks that side).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { plainConfig } from '../../src/config/plain-config.js';
import { configSchema } from '../../src/config/schema.js';

/** The same answer as zod, or null; JSON text compares the key order too. */
function expectAgreement(raw: unknown): 'fast' | 'zod' {
  const fast = plainConfig(raw);
  const parsed = configSchema.safeParse(raw);
  if (fast === null) return 'zod';
  expect(parsed.success, `plainConfig accepted what zod refuses: ${JSON.stringify(raw)}`).toBe(true);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(parsed.data));
  expect(fast).toStrictEqual(parsed.data);
  return 'fast';
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const fromJson = (text: string): unknown => JSON.parse(text) as unknown;

const stage = (extra: Record<string, unknown> = {}) => ({ kind: 'command', id: 's', title: 'S', command: 'true', ...extra });
const withStage = (extra: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
  ...top,
  pipelines: [{ id: 'p', title: 'P', stages: [stage(extra)] }],
});

describe('plainConfig', () => {
  it('answers as configSchema on every golden scenario config and the repository own config', () => {
    const configs: unknown[] = [fromJson(readFileSync(join(ROOT, 'codex.orchestrator.json'), 'utf8'))];
    for (const name of readdirSync(join(ROOT, 'golden'))) {
      const file = join(ROOT, 'golden', name, 'scenario.json');
      let scenario: { config?: unknown };
      try {
        scenario = fromJson(readFileSync(file, 'utf8')) as { config?: unknown };
      } catch {
        continue;
      }
      if (scenario.config !== undefined && typeof scenario.config !== 'string') configs.push(fromJson(JSON.stringify(scenario.config)));
    }
    const answers = configs.map(expectAgreement);
    // Each valid one took the fast path: a start on it loads no zod.
    configs.forEach((config, i) => {
      if (configSchema.safeParse(config).success) expect(answers[i], JSON.stringify(config).slice(0, 200)).toBe('fast');
    });
    expect(answers.filter((a) => a === 'fast').length).toBeGreaterThan(10);
  });

  it('returns fresh objects with the keys in the schema order, as zod does', () => {
    const raw = fromJson(
      '{"pipelines":[{"stages":[{"env":{"B":"1","A":"2"},"command":"x","title":"T","id":"s","kind":"command"}],"title":"P","id":"p"}],"defaultPipeline":"p"}',
    );
    expect(expectAgreement(raw)).toBe('fast');
    const out = plainConfig(raw)!;
    expect(Object.keys(out)).toEqual(['defaultPipeline', 'pipelines']);
    expect(Object.keys(out.pipelines[0]!.stages[0]!)).toEqual(['kind', 'id', 'title', 'command', 'env']);
    expect(out.pipelines).not.toBe((raw as { pipelines: unknown }).pipelines);
  });

  it('leaves to zod every edge it does not check itself', () => {
    const cases: unknown[] = [
      null,
      [],
      'x',
      {},
      { pipelines: {} },
      { pipelines: [], extra: 1 },
      withStage({ id: '' }),
      withStage({ id: 'x'.repeat(200) }),
      withStage({ id: 'x'.repeat(201) }),
      withStage({ title: 'x'.repeat(1000) }),
      withStage({ title: 'x'.repeat(1001) }),
      withStage({ summaryHint: 'x'.repeat(1001) }),
      withStage({ command: '' }),
      withStage({ command: 'x'.repeat(65_536) }),
      withStage({ command: 'x'.repeat(65_537) }),
      withStage({ kind: 'other' }),
      withStage({ allowFailure: 'yes' }),
      withStage({ env: { A: 1 } }),
      withStage({ env: [] }),
      withStage({ cwd: null }),
      withStage({ report: 'tests.json' }),
      withStage({ report: 'reports/a.json' }),
      withStage({ report: '' }),
      withStage({ report: '/abs.json' }),
      withStage({ report: '../up.json' }),
      withStage({ report: 'a/../b.json' }),
      withStage({ report: 'a\\b.json' }),
      withStage({ report: 'x'.repeat(1001) }),
      withStage({ idempotent: false, requiresCloud: true, requires_cloud: false, mode: 'cloud', executionMode: 'mcp', always: true }),
      withStage({}, { execEventMaxChunks: 0 }),
      withStage({}, { execEventMaxChunks: 1_000_000 }),
      withStage({}, { execEventMaxChunks: 1_000_001 }),
      withStage({}, { execEventMaxChunks: -1 }),
      withStage({}, { execEventMaxChunks: 1.5 }),
      withStage({}, { execEventMaxChunks: 2 ** 53 }),
      withStage({}, { execEventMaxChunks: '5' }),
      withStage({}, { cloud: {} }),
      withStage({}, { cloud: { redisUrl: '' } }),
      withStage({}, { cloud: { redisUrl: 'redis://x', queue: 'q', fallback: 'strict', reconnectMs: 3_600_000 } }),
      withStage({}, { cloud: { fallback: 'never' } }),
      withStage({}, { cloud: { reconnectMs: 3_600_001 } }),
      withStage({}, { cloud: { other: 1 } }),
      withStage({}, { $schema: './x.json', defaultPipeline: 'nope' }),
      { pipelines: [{ id: 'p', title: 'P', stages: [] }] },
      { pipelines: [{ id: 'p', title: 'P', stages: [{ kind: 'subpipeline', id: 'c', title: 'C', pipeline: 'q', optional: true }] }] },
      { pipelines: [{ id: 'p', title: 'P', stages: [{ kind: 'subpipeline', id: 'c', title: 'C', pipeline: '' }] }] },
      { pipelines: [{ id: 'p', title: 'P', stages: [{ kind: 'subpipeline', id: 'c', title: 'C', pipeline: 'q', command: 'x' }] }] },
      { pipelines: [{ id: 'p', title: 'P', description: 'd', tags: ['a', 'b'], guardrailsRequired: true, env: { A: 'b' }, stages: [stage()] }] },
      { pipelines: [{ id: 'p', title: 'P', tags: ['a', 1], stages: [stage()] }] },
      // A `__proto__` key: zod's copy of a record drops it; a strict object refuses it.
      fromJson('{"pipelines":[{"id":"p","title":"P","stages":[{"kind":"command","id":"s","title":"S","command":"x","env":{"__proto__":"x"}}]}]}'),
      fromJson('{"__proto__":{},"pipelines":[]}'),
    ];
    const answers = cases.map(expectAgreement);
    // Both ways are taken: the list holds valid configs (fast) and invalid ones (zod).
    expect(answers).toContain('fast');
    expect(answers).toContain('zod');
  });

  it('agrees with configSchema on generated configs (property)', () => {
    const edgeString = fc.oneof(
      fc.constantFrom('', 'a', 'x'.repeat(200), 'x'.repeat(201), 'x'.repeat(1000), 'x'.repeat(1001)),
      fc.string({ maxLength: 8 }),
    );
    const value = fc.oneof(edgeString, fc.boolean(), fc.integer({ min: -2, max: 3_600_001 }), fc.double(), fc.constant(null));
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const env = fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 }), fc.dictionary(fc.string(), value));
    const command = fc.record(
      {
        kind: fc.oneof(fc.constant('command'), edgeString),
        id: edgeString,
        title: edgeString,
        command: fc.oneof(fc.constantFrom('true', '', 'x'.repeat(65_537)), edgeString),
        cwd: maybe(fc.oneof(edgeString, value)),
        env: maybe(env),
        allowFailure: maybe(fc.oneof(fc.boolean(), value)),
        summaryHint: maybe(edgeString),
        mode: maybe(value),
        idempotent: maybe(fc.boolean()),
        report: maybe(fc.oneof(fc.constantFrom('r.json', '/r.json', '../r.json', 'a/../r', 'a\\r', ''), edgeString, value)),
        unknownKey: maybe(value),
      },
      { requiredKeys: ['kind', 'id', 'title', 'command'] },
    );
    const subpipeline = fc.record(
      { kind: fc.constant('subpipeline'), id: edgeString, title: edgeString, pipeline: edgeString, optional: maybe(value) },
      { requiredKeys: ['kind', 'id', 'title', 'pipeline'] },
    );
    const pipeline = fc.record(
      {
        id: edgeString,
        title: edgeString,
        description: maybe(value),
        tags: maybe(fc.array(fc.oneof(edgeString, value), { maxLength: 3 })),
        guardrailsRequired: maybe(value),
        env: maybe(env),
        stages: fc.array(fc.oneof(command, subpipeline), { maxLength: 3 }),
      },
      { requiredKeys: ['id', 'title', 'stages'] },
    );
    const config = fc.record(
      {
        $schema: maybe(value),
        defaultPipeline: maybe(edgeString),
        execEventMaxChunks: maybe(fc.oneof(fc.integer({ min: -1, max: 1_000_001 }), value)),
        cloud: maybe(
          fc.record({
            redisUrl: maybe(edgeString),
            queue: maybe(value),
            fallback: maybe(fc.constantFrom('auto', 'strict', 'other')),
            reconnectMs: maybe(value),
          }),
        ),
        pipelines: fc.array(pipeline, { maxLength: 3 }),
      },
      { requiredKeys: ['pipelines'] },
    );
    // Half of them from plainly valid parts only, so that both answers are exercised a lot.
    const name = fc.string({ minLength: 1, maxLength: 6 });
    const validStage = fc.record(
      {
        kind: fc.constant('command'),
        id: name,
        title: fc.string({ maxLength: 6 }),
        command: name,
        env: maybe(fc.dictionary(name, fc.string())),
        allowFailure: maybe(fc.boolean()),
      },
      { requiredKeys: ['kind', 'id', 'title', 'command'] },
    );
    const validConfig = fc.record(
      {
        defaultPipeline: maybe(name),
        execEventMaxChunks: maybe(fc.integer({ min: 0, max: 1_000_000 })),
        pipelines: fc.array(
          fc.record({ id: name, title: name, tags: maybe(fc.array(name)), stages: fc.array(validStage, { minLength: 1, maxLength: 3 }) }),
          { maxLength: 3 },
        ),
      },
      { requiredKeys: ['pipelines'] },
    );
    const seen = { fast: 0, zod: 0 };
    fc.assert(
      fc.property(fc.oneof(config, validConfig), (generated) => {
        // As the CLI sees it: parsed JSON (no undefined values).
        seen[expectAgreement(fromJson(JSON.stringify(generated)))] += 1;
      }),
      { numRuns: 2_000 },
    );
    expect(seen.fast).toBeGreaterThan(200);
    expect(seen.zod).toBeGreaterThan(200);
  });

  it('is a tripwire on configSchema: a change of the schema needs plainConfig checked against it', () => {
    // The JSON Schema of configSchema, hashed. When this fails, the config's schema changed:
    // make src/config/plain-config.ts check what it now checks (a new key, limit or type),
    // extend the cases above, then put the new hash here. A refine is not in the JSON Schema:
    // its predicate lives in src/config/limits.ts, shared by the schema and plainConfig.
    const described = JSON.stringify(z.toJSONSchema(configSchema));
    expect(createHash('sha256').update(described).digest('hex')).toBe('264d9b495946571db80fb53df9d8bf29f6c286eb6a168372d513a54463ebfaed');
  });
});
