// The golden corpus is checked on every `npm test`: each scenario is replayed in-process
// and every output byte compared with golden/<scenario>/expected/. Nothing is written here.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkPassed, checkScenario, formatCheck } from '../../src/harness/golden/check.js';
import { compareOutputs } from '../../src/harness/golden/compare.js';
import { readExpected } from '../../src/harness/golden/pending.js';
import { replayScenario } from '../../src/harness/golden/replay.js';
import { listScenarios, loadScenario } from '../../src/harness/golden/scenario.js';
import { assertValidManifest } from '../helpers/manifest-schema.js';

const CORPUS = fileURLToPath(new URL('../../golden', import.meta.url));
const scenarios = await listScenarios(CORPUS);

describe('golden corpus', () => {
  it('has at least 20 scenarios', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(20);
  });

  it.each(scenarios)('%s replays byte for byte', async (name) => {
    const result = await checkScenario(CORPUS, name, { writePending: false });
    expect(checkPassed(result), formatCheck(result, 'golden').join('\n')).toBe(true);
  });

  it('every run manifest in the corpus validates against schemas/manifest.schema.json', async () => {
    let manifests = 0;
    for (const name of scenarios) {
      const { dir } = await loadScenario(CORPUS, name);
      for (const [file, data] of await readExpected(dir)) {
        if (!/^files\/.*\/cli\/[^/]+\/manifest\.json$/.test(file)) continue;
        assertValidManifest(JSON.parse(data.toString('utf8')), `golden/${name}/expected/${file}`);
        manifests += 1;
      }
    }
    expect(manifests).toBeGreaterThanOrEqual(25);
  });

  it('replays identically every time (same inputs, same bytes)', async () => {
    for (const name of ['resume-after-failure', 'privacy-enforce-block', 'long-stage-heartbeats']) {
      const { scenario, transcript } = await loadScenario(CORPUS, name);
      const first = await replayScenario(scenario, transcript);
      const second = await replayScenario(scenario, transcript);
      expect(compareOutputs(first.outputs, second.outputs)).toEqual([]);
      expect([...second.counts]).toEqual([...first.counts]);
    }
  });

  it('counts every write per file for bench/', async () => {
    const { scenario, transcript } = await loadScenario(CORPUS, 'long-stage-heartbeats');
    const replay = await replayScenario(scenario, transcript);
    const heartbeat = [...replay.counts].find(([path]) => path.endsWith('/.heartbeat'))!;
    // Start + one tick every 5 s over a 47 s stage.
    expect(heartbeat[1]).toEqual({ writes: 10, bytes: 250, fsyncs: 20 }); // the file and its directory, per write (phase 1)
    const manifest = [...replay.counts].find(([path]) => path.endsWith('/manifest.json') && path.includes('/cli/'))!;
    expect(manifest[1].writes).toBeGreaterThan(5);
    expect(manifest[1].bytes).toBeGreaterThan(0);
  });

  it('tampering with any single byte of any expected file fails the comparison', async () => {
    // Every expected file of every scenario, several positions each (first, last, middle and
    // seeded pseudo-random ones), plus a dropped and an added byte.
    let seed = 12345;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let tampered = 0;
    for (const name of scenarios) {
      const { dir, scenario, transcript } = await loadScenario(CORPUS, name);
      const replay = await replayScenario(scenario, transcript);
      const expected = await readExpected(dir);
      expect(compareOutputs(expected, replay.outputs)).toEqual([]);
      for (const [file, data] of expected) {
        const positions = data.length === 0 ? [] : [0, data.length - 1, data.length >> 1, next(data.length), next(data.length)];
        const variants: Buffer[] = positions.map((p) => {
          const copy = Buffer.from(data);
          copy[p] = copy[p]! ^ 0x01;
          return copy;
        });
        variants.push(Buffer.concat([data, Buffer.from(' ')]));
        if (data.length > 0) variants.push(data.subarray(0, data.length - 1));
        for (const variant of variants) {
          const broken = new Map(expected);
          broken.set(file, variant);
          const differences = compareOutputs(broken, replay.outputs);
          expect(differences.map((d) => d.file), `${name}/${file}`).toEqual([file]);
          tampered += 1;
        }
      }
    }
    expect(tampered).toBeGreaterThan(2_000);
  });
});
