// Issue 16, item 3, as a property: in enforce mode no secret gets past the guard, wherever it
// sits in the output and however the output is cut into chunks. Each case is a whole `start`
// (then `status`) on the virtual runtime: the documented secret shapes (keyword secrets with
// each keyword and separators, AWS key ids, PEM private-key blocks with a body and an END
// line) at random offsets of stdout and stderr, cut at random points, the chunks of the two
// streams interleaved at random, the exit code at random; sometimes a secret in the command
// text too. Then every file under the root and all the CLI printed are searched for any
// 6-character piece of any secret's value (a keyword secret's value, a key id's 16
// characters, a private key's body).
//
// Cases: PRIVACY_PROPERTY_RUNS (default 2,000 in `npm test`); `npm run test:privacy-property`
// runs 10,000. PRIVACY_PROPERTY_COUNT=N instead counts, over N sampled cases, how many leak
// (what the test is measured with on an older guard).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { createVirtualRuntime, driveToCompletion, type VirtualRuntime } from '../../src/runtime/virtual-runtime.js';
import type { Transcript } from '../../src/runtime/transcript-executor.js';
import { restoreProcessEnvAfterEach } from '../helpers/process-env.js';

const ROOT = '/repo';
const CONFIG = `${ROOT}/codex.orchestrator.json`;
const RUNS = Number(process.env.PRIVACY_PROPERTY_RUNS ?? 2_000);
const COUNT = process.env.PRIVACY_PROPERTY_COUNT ? Number(process.env.PRIVACY_PROPERTY_COUNT) : null;
const PIECE = 6;
restoreProcessEnvAfterEach();

// Secrets are written with letters that nothing else in a run uses together (no letter of
// [REDACTED], AKIA or an ISO time), so any 6 of them in a row found anywhere are a leak.
const SECRET_LETTERS = 'BFGHJLMNOPQSUVWXY';
// The output around them: lower case, digits, spaces, line breaks and punctuation.
const FILLER_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789   \n\n\t.,;:=-_/#()';

const secretText = (min: number, max: number) =>
  fc.array(fc.constantFrom(...SECRET_LETTERS), { minLength: min, maxLength: max }).map((chars) => chars.join(''));

type Secret = { text: string; value: string };

const keywordSecret: fc.Arbitrary<Secret> = fc
  .record({
    keyword: fc.constantFrom('secret', 'password', 'api_key', 'api-key', 'apikey', 'token', 'PASSWORD', 'Api_Key', 'TOKEN', 'client_secret'),
    separator: fc.constantFrom('=', ':', ' = ', ': ', ' :', '=  ', '\t:\t', ' \n= '),
    value: secretText(8, 24),
  })
  .map(({ keyword, separator, value }) => ({ text: `${keyword}${separator}${value}`, value }));

const awsKeyId: fc.Arbitrary<Secret> = secretText(16, 16).map((value) => ({ text: `AKIA${value}`, value }));

const pemBlock: fc.Arbitrary<Secret> = fc
  .record({
    label: fc.constantFrom('', 'RSA ', 'EC ', 'DSA ', 'OPENSSH ', 'ENCRYPTED '),
    lines: fc.array(secretText(12, 64), { minLength: 1, maxLength: 4 }),
    lineBreak: fc.constantFrom('\n', '\r\n'),
  })
  .map(({ label, lines, lineBreak }) => ({
    text: [`-----BEGIN ${label}PRIVATE KEY-----`, ...lines, `-----END ${label}PRIVATE KEY-----`, ''].join(lineBreak),
    value: lines.join(''),
  }));

const secret = fc.oneof(keywordSecret, awsKeyId, pemBlock);
const filler = fc.array(fc.constantFrom(...FILLER_CHARS), { maxLength: 40 }).map((chars) => chars.join(''));

/**
 * One stream: filler and secrets in turn, as text, with the secrets it holds. A keyword
 * secret's value runs to the next space (the rule), so one that is not the stream's last
 * thing is followed by a line break: a second secret glued to its value would be part of it.
 */
const stream = fc.array(fc.tuple(filler, fc.option(secret, { nil: undefined })), { maxLength: 4 }).map((parts) => ({
  text: parts.map(([before, s], i) => `${before}${s?.text ?? ''}${s && i < parts.length - 1 && !s.text.endsWith('\n') ? '\n' : ''}`).join(''),
  secrets: parts.flatMap(([, s]) => (s ? [s] : [])),
}));

/** Cuts `text` at the given points (taken modulo its length) into chunks. */
function cut(text: string, points: number[]): string[] {
  const at = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const point of [...at, text.length]) {
    if (point > from) chunks.push(text.slice(from, point));
    from = point;
  }
  return chunks;
}

const scenario = fc.record({
  stdout: stream,
  stderr: stream,
  stdoutCuts: fc.array(fc.nat(), { maxLength: 6 }),
  stderrCuts: fc.array(fc.nat(), { maxLength: 6 }),
  order: fc.array(fc.boolean(), { maxLength: 16 }),
  exitCode: fc.constantFrom(0, 1),
  commandSecret: fc.option(secret, { nil: undefined, freq: 4 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** The chunks of both streams in one order: each stream's own order kept, the two mixed by `order`. */
function interleave(s: Scenario): Array<{ stream: 'stdout' | 'stderr'; data: string }> {
  const out = cut(s.stdout.text, s.stdoutCuts).map((data) => ({ stream: 'stdout' as const, data }));
  const err = cut(s.stderr.text, s.stderrCuts).map((data) => ({ stream: 'stderr' as const, data }));
  const mixed: Array<{ stream: 'stdout' | 'stderr'; data: string }> = [];
  let k = 0;
  while (out.length > 0 || err.length > 0) {
    const takeOut = err.length === 0 || (out.length > 0 && (s.order[k++ % Math.max(1, s.order.length)] ?? true));
    mixed.push((takeOut ? out : err).shift()!);
  }
  return mixed;
}

async function runCase(s: Scenario): Promise<VirtualRuntime> {
  const chunks = interleave(s).map((chunk, i) => ({ ...chunk, at_ms: i + 1 }));
  const transcript: Transcript = {
    stages: { 'leaky/talk': [{ chunks, exit: { code: s.exitCode, signal: null, at_ms: chunks.length + 1 } }] },
  };
  const runtime = createVirtualRuntime({
    startMs: Date.parse('2026-03-01T10:00:00.000Z'),
    seed: 3,
    cwd: ROOT,
    transcript,
    env: { CODEX_PRIVACY_GUARD_MODE: 'enforce' },
  });
  const command = s.commandSecret ? `deploy --with ${s.commandSecret.text}` : 'deploy';
  const config = { pipelines: [{ id: 'leaky', title: 'Leaky', stages: [{ kind: 'command', id: 'talk', title: 'Talk', command }] }] };
  runtime.fs.seedFile(CONFIG, JSON.stringify(config));
  const code = await driveToCompletion(runtime, () => runCli(['start', 'leaky', '--format', 'json'], runtime));
  expect(code).toBe(s.exitCode);
  const runId = (JSON.parse(runtime.stdout.text()) as { run_id: string }).run_id;
  expect(await driveToCompletion(runtime, () => runCli(['status', '--run', runId], runtime))).toBe(0);
  return runtime;
}

/** Every 6-character piece of a secret found in a file under the root (not the config, the input) or in the CLI's output. */
function leaks(runtime: VirtualRuntime, s: Scenario): string[] {
  const secrets = [...s.stdout.secrets, ...s.stderr.secrets, ...(s.commandSecret ? [s.commandSecret] : [])];
  const places: Array<[string, Buffer]> = [...runtime.fs.files()].filter(([path]) => path !== CONFIG);
  places.push(['<stdout>', runtime.stdout.bytes()], ['<stderr>', runtime.stderr.bytes()]);
  const found: string[] = [];
  for (const { value } of secrets) {
    for (let i = 0; i + PIECE <= value.length; i += 1) {
      const piece = value.slice(i, i + PIECE);
      for (const [place, data] of places) if (data.includes(piece)) found.push(`${piece} in ${place}`);
    }
  }
  return [...new Set(found)];
}

describe('enforce mode: no secret past the guard, wherever it is and however the output is cut (property)', () => {
  it.runIf(COUNT === null)(
    `${RUNS} random runs on the virtual runtime: no piece of a secret in any file or in what the CLI printed`,
    async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const runtime = await runCase(s);
          expect(leaks(runtime, s)).toEqual([]);
        }),
        { numRuns: RUNS },
      );
    },
    600_000,
  );

  it.runIf(COUNT !== null)(
    'counts the sampled cases that leak',
    async () => {
      let leaking = 0;
      let outputOnly = 0;
      let leakingOutputOnly = 0;
      const samples = fc.sample(scenario, { numRuns: COUNT ?? 0, seed: 16 });
      for (const s of samples) {
        const leaked = leaks(await runCase(s), s).length > 0;
        if (leaked) leaking += 1;
        if (!s.commandSecret) {
          outputOnly += 1;
          if (leaked) leakingOutputOnly += 1;
        }
      }
      console.log(`privacy property: ${leaking} of ${samples.length} sampled cases leak`);
      console.log(`privacy property: ${leakingOutputOnly} of the ${outputOnly} with no secret in the command leak`);
    },
    600_000,
  );
});
