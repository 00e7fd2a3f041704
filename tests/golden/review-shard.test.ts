// The snapshot-tool workflow of issue 19 item 2, driven through the built `golden` CLI on
// throwaway copies of part of the corpus: `pending --json`, `review` by JSON path with the
// commands to run, `accept --only-new`, `check --filter` (a partial run: no orphan detection,
// said so), `check --shard i/n --out` + `merge` (same verdict as one unsharded run) and
// `--pending-dir` (pending files outside the corpus, also under CI=true).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dirs.js';
import { copyScenarios, goldenCli as golden, manifestPathOf } from '../helpers/golden-cli.js';
import { parseShard, selectShard } from '../../src/harness/golden/shard.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const tempDir = useTempDirs('golden-');

function corpusCopy(names: string[]): string {
  return copyScenarios(tempDir('golden-copy-'), names);
}

/** Makes `stage-failure`'s manifest say "bad typo": the replay then produces the original bytes. */
function seedManifestMismatch(corpus: string): { manifest: string; original: string } {
  const manifest = manifestPathOf(corpus, 'stage-failure');
  const original = readFileSync(manifest, 'utf8');
  const tampered = original.replace('error TS2322: bad type"', 'error TS2322: bad typo"');
  expect(tampered).not.toBe(original);
  writeFileSync(manifest, tampered);
  return { manifest, original };
}

/** Every file under dir whose name ends in .new or .removed (paths relative to dir). */
function pendingFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.new') || path.endsWith('.removed'))
    .sort();
}

type PendingJson = { entries: Array<{ scenario: string; file: string; kind: string; pending: string }> };

describe('golden pending and review', () => {
  it('pending --json lists each entry with its kind: new, changed, orphan', () => {
    const corpus = corpusCopy(['stage-failure', 'exec-json', 'exec-text']);
    seedManifestMismatch(corpus);
    rmSync(join(corpus, 'exec-json/expected'), { recursive: true });
    writeFileSync(join(corpus, 'exec-text/expected/files/leftover.json'), '{}\n');
    expect(golden(corpus, ['check']).code).toBe(1);

    const listed = golden(corpus, ['pending', '--json']);
    expect(listed.code, listed.all).toBe(0);
    const entries = (JSON.parse(listed.stdout) as PendingJson).entries;
    const kinds = (scenario: string) => [...new Set(entries.filter((e) => e.scenario === scenario).map((e) => e.kind))];
    expect(kinds('stage-failure')).toEqual(['changed']);
    expect(kinds('exec-json')).toEqual(['new']);
    expect(entries.filter((e) => e.scenario === 'exec-json').map((e) => e.file)).toContain('cli/1.stdout');
    expect(entries.filter((e) => e.scenario === 'exec-text')).toEqual([
      { scenario: 'exec-text', file: 'files/leftover.json', kind: 'orphan', pending: join(corpus, 'exec-text/expected/files/leftover.json.removed') },
    ]);

    const text = golden(corpus, ['pending']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('exec-text  orphan   files/leftover.json');
    expect(golden(corpus, ['pending', 'stage-failure', '--json']).stdout).not.toContain('exec-json');
  });

  it('review prints each pending diff by JSON path and the exact accept/reject commands', () => {
    const corpus = corpusCopy(['stage-failure', 'success']);
    seedManifestMismatch(corpus);
    expect(golden(corpus, ['check']).code).toBe(1);

    const review = golden(corpus, ['review']);
    expect(review.code).toBe(0);
    expect(review.stdout).toContain('stage-failure: 1 pending');
    expect(review.stdout).toMatch(/changed +files\/\.runs\/0101\/cli\/[^/]+\/manifest\.json/);
    // Old (expected) -> new (pending), by JSON path.
    expect(review.stdout).toContain('$.commands[1].summary: "Exited with code 2 — error TS2322: bad typo" -> "Exited with code 2 — error TS2322: bad type"');
    expect(review.stdout).toContain(`accept: npm run golden -- --corpus ${corpus} accept stage-failure`);
    expect(review.stdout).toContain(`reject: npm run golden -- --corpus ${corpus} reject stage-failure`);
    expect(review.stdout).not.toContain('success:');

    expect(golden(corpus, ['review', 'success']).stdout).toContain('nothing pending');
    const unknown = golden(corpus, ['review', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toMatch(/^golden: no scenario named 'nope'/);
  });

  it('accept --only-new accepts new scenarios and files, never changed ones, and lists what stays pending', () => {
    const corpus = corpusCopy(['stage-failure', 'exec-json']);
    const { manifest } = seedManifestMismatch(corpus);
    rmSync(join(corpus, 'exec-json/expected'), { recursive: true });
    expect(golden(corpus, ['check']).code).toBe(1);

    const accept = golden(corpus, ['accept', '--only-new']);
    expect(accept.code, accept.all).toBe(0);
    expect(accept.stdout).toContain('exec-json: accepted cli/1.stdout');
    expect(accept.stdout).toMatch(/stage-failure: still pending \(changed\): files\/\.runs\/0101\/cli\/[^/]+\/manifest\.json/);
    expect(existsSync(join(corpus, 'exec-json/expected/cli/1.stdout'))).toBe(true);
    expect(existsSync(`${manifest}.new`)).toBe(true);
    expect(readFileSync(manifest, 'utf8')).toContain('bad typo');
    expect(golden(corpus, ['check', 'exec-json']).code).toBe(0);
    expect(golden(corpus, ['check', 'stage-failure']).code).toBe(1);
  });
});

describe('golden check --filter', () => {
  it('runs only the matching scenarios and says orphan detection is off', () => {
    const corpus = corpusCopy(['exec-json', 'exec-text', 'success']);
    writeFileSync(
      join(corpus, 'invariant-exemptions.json'),
      JSON.stringify({ exemptions: [{ scenario: 'no-such-scenario', invariant: 'settled', pattern: 'B1', removed_by_phase: 1, why: 'test' }] }),
    );
    // A directory left behind by a rename: expected files, no scenario.json.
    mkdirSync(join(corpus, 'renamed-away/expected/cli'), { recursive: true });
    writeFileSync(join(corpus, 'renamed-away/expected/cli/1.stdout'), 'x\n');

    const full = golden(corpus, ['check'], true);
    expect(full.code).toBe(1);
    expect(full.all).toContain("exemption for unknown scenario 'no-such-scenario'");
    expect(full.all).toContain('renamed-away: a directory without scenario.json');

    const filtered = golden(corpus, ['check', '--filter', 'exec-*'], true);
    expect(filtered.code, filtered.all).toBe(0);
    expect(filtered.all).toContain('ok   exec-json');
    expect(filtered.all).toContain('ok   exec-text');
    expect(filtered.all).not.toContain('success');
    expect(filtered.all).not.toContain('no-such-scenario');
    expect(filtered.all.match(/orphan detection is off/g)).toHaveLength(1);
    expect(filtered.stdout).toContain('golden: 2 passed, 0 failed (2 scenarios');

    const nothing = golden(corpus, ['check', '--filter', 'nope-*']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^golden: --filter: 'nope-\*' matches no scenario/)]);
  });
});

describe('golden check --pending-dir', () => {
  it('with CI=true, pending files go to --pending-dir, never into the corpus; review and accept read them there', () => {
    const corpus = corpusCopy(['stage-failure', 'success']);
    const { manifest, original } = seedManifestMismatch(corpus);
    const pendingDir = join(tempDir('golden-pending-'), 'pending');

    const check = golden(corpus, ['check', '--pending-dir', pendingDir], true);
    expect(check.code).toBe(1);
    expect(pendingFilesUnder(corpus)).toEqual([]);
    const written = pendingFilesUnder(pendingDir);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^stage-failure\/files\/\.runs\/0101\/cli\/[^/]+\/manifest\.json\.new$/);
    expect(readFileSync(join(pendingDir, written[0]!), 'utf8')).toBe(original);
    expect(check.all).toContain(`pending files written to ${pendingDir}`);

    const listed = JSON.parse(golden(corpus, ['pending', '--json', '--pending-dir', pendingDir]).stdout) as PendingJson;
    expect(listed.entries.map((e) => [e.scenario, e.kind])).toEqual([['stage-failure', 'changed']]);
    const review = golden(corpus, ['review', '--pending-dir', pendingDir]);
    expect(review.stdout).toContain(`accept: npm run golden -- --corpus ${corpus} accept --pending-dir ${pendingDir} stage-failure`);
    expect(golden(corpus, ['review']).stdout).toContain('nothing pending');

    expect(golden(corpus, ['accept', '--pending-dir', pendingDir]).code).toBe(0);
    expect(readFileSync(manifest, 'utf8')).toBe(original);
    expect(pendingFilesUnder(pendingDir)).toEqual([]);
    expect(golden(corpus, ['check'], true).code).toBe(0);
  });

  it('a --pending-dir inside the corpus is refused: one line, exit 2', () => {
    const corpus = corpusCopy(['success']);
    const refused = golden(corpus, ['check', '--pending-dir', join(corpus, 'pending')], true);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^golden: --pending-dir: .* is inside the corpus/)]);
    expect(existsSync(join(corpus, 'pending'))).toBe(false);
  });
});

type ShardResult = { shard: { index: number; count: number }; scenarios: Array<{ name: string; passed: boolean }> };

const SHARD_CORPUS = ['allow-failure', 'exec-json', 'exec-text', 'plan-output', 'stage-failure', 'status-output', 'success'];

function runShards(corpus: string, count: number, outDir: string): string[] {
  const files: string[] = [];
  for (let i = 1; i <= count; i += 1) {
    const file = join(outDir, `shard-${i}.json`);
    const shard = golden(corpus, ['check', '--shard', `${i}/${count}`, '--out', file], true);
    expect([0, 1], shard.all).toContain(shard.code);
    files.push(file);
  }
  return files;
}

/** The verdict of a check or merge: exit code, per-scenario lines, the counts of the summary line. */
function verdictOf(run: { code: number | null; all: string }) {
  const lines = run.all.split('\n');
  return {
    code: run.code,
    scenarioLines: lines.filter((line) => /^(ok {3}|FAIL )/.test(line) || /^ {2}\S/.test(line)).sort(),
    summary: lines.find((line) => line.startsWith('golden: ') && line.includes(' passed, '))?.replace(/ \(.*$/, ''),
  };
}

describe('golden check --shard and golden merge', () => {
  it('the partition: disjoint, covering, sizes within one, whatever order the ids come in', () => {
    const ids = Array.from({ length: 35 }, (_, i) => `scenario-${String(i).padStart(2, '0')}`);
    const shuffled = [...ids].sort((a, b) => (a.split('').reverse().join('') < b.split('').reverse().join('') ? -1 : 1));
    expect(shuffled).not.toEqual(ids);
    for (const count of [1, 2, 3, 4, 8, 35, 40]) {
      const shards = Array.from({ length: count }, (_, i) => selectShard(ids, { index: i + 1, count }));
      expect(shards.flat().sort()).toEqual(ids);
      const sizes = shards.map((shard) => shard.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      shards.forEach((shard, i) => expect(selectShard(shuffled, { index: i + 1, count })).toEqual(shard));
    }
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/2', '3/2', '1/0', '2', '-1/2', '1/2/3', ' 1/2']) expect(() => parseShard(bad), bad).toThrow('i/n');
  });

  it('shards partition the corpus by sorted scenario id; merge gives the verdict of an unsharded run', () => {
    const corpus = corpusCopy(SHARD_CORPUS);
    seedManifestMismatch(corpus);
    writeFileSync(
      join(corpus, 'invariant-exemptions.json'),
      JSON.stringify({ exemptions: [{ scenario: 'no-such-scenario', invariant: 'settled', pattern: 'B1', removed_by_phase: 1, why: 'test' }] }),
    );
    const outDir = tempDir('golden-shards-');
    const files = runShards(corpus, 3, outDir);
    const results = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as ShardResult);
    const sorted = [...SHARD_CORPUS].sort();
    results.forEach((result, i) => {
      expect(result.shard).toEqual({ index: i + 1, count: 3 });
      expect(result.scenarios.map((s) => s.name)).toEqual(sorted.filter((_, k) => k % 3 === i));
    });
    // Deterministic: the same shard again runs the same scenarios.
    const again = join(outDir, 'again.json');
    golden(corpus, ['check', '--shard', '2/3', '--out', again], true);
    expect((JSON.parse(readFileSync(again, 'utf8')) as ShardResult).scenarios.map((s) => s.name)).toEqual(results[1]!.scenarios.map((s) => s.name));

    const unsharded = golden(corpus, ['check'], true);
    const merged = golden(corpus, ['merge', ...files]);
    expect(unsharded.code).toBe(1);
    expect(merged.all).toContain('FAIL stage-failure');
    expect(merged.all).toContain("exemption for unknown scenario 'no-such-scenario'");
    expect(verdictOf(merged)).toEqual(verdictOf(unsharded));
  });

  it('on a clean corpus merge passes like the unsharded check', () => {
    const corpus = corpusCopy(SHARD_CORPUS.slice(0, 4));
    const files = runShards(corpus, 2, tempDir('golden-shards-'));
    const unsharded = golden(corpus, ['check'], true);
    const merged = golden(corpus, ['merge', ...files]);
    expect(unsharded.code).toBe(0);
    expect(verdictOf(merged)).toEqual(verdictOf(unsharded));
  });

  it('merge refuses a missing or a duplicated scenario: exit 1 with the names', () => {
    const corpus = corpusCopy(SHARD_CORPUS.slice(0, 4));
    const files = runShards(corpus, 2, tempDir('golden-shards-'));
    const first = (JSON.parse(readFileSync(files[0]!, 'utf8')) as ShardResult).scenarios.map((s) => s.name);

    const missing = golden(corpus, ['merge', files[1]!]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`did not run: ${first.join(', ')}`);

    const duplicated = golden(corpus, ['merge', files[0]!, files[0]!, files[1]!]);
    expect(duplicated.code).toBe(1);
    expect(duplicated.stderr).toContain(`ran more than once: ${first.join(', ')}`);

    const notJson = join(tempDir('golden-bad-'), 'bad.json');
    writeFileSync(notJson, 'nope');
    const bad = golden(corpus, ['merge', notJson]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain(notJson);
  });

  it('a bad shard spec, or a shard with a filter, is one line naming the flag, exit 2', () => {
    const corpus = corpusCopy(['success']);
    for (const spec of ['3/2', '0/2', 'a/b', '1/0', '1/99999999999999999999']) {
      const bad = golden(corpus, ['check', '--shard', spec]);
      expect(bad.code, spec).toBe(2);
      expect(bad.stderr.trim().split('\n'), spec).toEqual([expect.stringContaining(`'${spec}'`)]);
      expect(bad.stderr).toContain('i/n');
    }
    const both = golden(corpus, ['check', '--shard', '1/2', '--filter', 'x*']);
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toMatch(/^golden: --shard: .*--filter/);
    const unknown = golden(corpus, ['check', '--shards', '1/2']);
    expect(unknown.code).toBe(2);
  });

  it('an empty --filter, or a --pending-dir that is a file, is one line naming the flag, exit 2, and nothing runs', () => {
    const corpus = corpusCopy(['success']);
    const empty = golden(corpus, ['check', '--filter', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^golden: --filter: give a glob/)]);
    const file = join(tempDir('pending-file-'), 'afile');
    writeFileSync(file, 'x');
    const notDir = golden(corpus, ['check', '--pending-dir', file]);
    expect(notDir.code).toBe(2);
    expect(notDir.all.trim().split('\n')).toEqual([`golden: --pending-dir: ${file} is not a directory`]);
    // Empty, it would resolve to the current directory and spill the pending files there.
    const blank = golden(corpus, ['check', '--pending-dir', '']);
    expect(blank.code).toBe(2);
    expect(blank.all.trim().split('\n')).toEqual([expect.stringMatching(/^golden: --pending-dir: empty; give a directory/)]);
    // One that cannot be made is said once, before any replay, never claimed as written to.
    const under = join(file, 'pending');
    const unmade = golden(corpus, ['check', '--pending-dir', under]);
    expect(unmade.code).toBe(2);
    expect(unmade.all.trim().split('\n')).toEqual([`golden: --pending-dir: could not create ${under}: ENOTDIR`]);
  });

  it("the next steps a check prints carry its --corpus, and are printed only where pending files were written", () => {
    const corpus = corpusCopy(['stage-failure', 'success']);
    seedManifestMismatch(corpus);
    const check = golden(corpus, ['check']);
    expect(check.code).toBe(1);
    expect(check.all).toContain(`then: golden --corpus ${corpus} accept stage-failure`);
    expect(check.all).toContain(`golden: review the pending files (golden --corpus ${corpus} review), then golden --corpus ${corpus} accept|reject <scenario>`);
    golden(corpus, ['reject', 'stage-failure']);
    // A scenario that cannot load fails with nothing pending: no "review the pending files".
    writeFileSync(join(corpus, 'success/scenario.json'), '{');
    const broken = golden(corpus, ['check', 'success']);
    expect(broken.code).toBe(1);
    expect(broken.all).not.toContain('pending');
  });
});

describe('golden --help', () => {
  it('every subcommand documents its flags', () => {
    const corpus = corpusCopy(['success']);
    const help = (command: string) => golden(corpus, [command, '--help']);
    const check = help('check');
    expect(check.code).toBe(0);
    for (const flag of ['--filter <glob>', '--shard <i/n>', '--out <file>', '--pending-dir <dir>']) expect(check.stdout).toContain(flag);
    expect(help('merge').stdout).toContain('exactly once');
    expect(help('pending').stdout).toContain('--json');
    expect(help('review').stdout).toContain('--pending-dir <dir>');
    expect(help('accept').stdout).toContain('--only-new');
    expect(help('reject').stdout).toContain('--pending-dir <dir>');
  });

  it('the lane keeps running the full, unsharded check', () => {
    const config = JSON.parse(readFileSync(join(ROOT, 'codex.orchestrator.json'), 'utf8')) as { pipelines: Array<{ id: string; stages: Array<{ id: string; command?: string }> }> };
    const lane = config.pipelines.find((p) => p.id === 'implementation-gate')!;
    // Every scenario: no --filter, no --shard, no names; its JSON result is the stage's report.
    expect(lane.stages.find((s) => s.id === 'golden')?.command).toBe('npm run golden -- check --out "$CODEX_ORCHESTRATOR_RUN_DIR/golden.json"');
  });
});
