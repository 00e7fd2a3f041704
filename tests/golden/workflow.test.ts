// The reviewer's workflow, driven through the built `golden` CLI on a throwaway copy of part
// of the corpus: mismatch -> pending *.new -> review -> accept / reject; CI never writes.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyScenarios, goldenCli as golden, manifestPathOf } from '../helpers/golden-cli.js';

function corpusCopy(names: string[]): string {
  return copyScenarios(mkdtempSync(join(tmpdir(), 'golden-copy-')), names);
}

describe('golden reviewer workflow', () => {
  it('a changed byte fails check with the JSON path, writes a pending .new, and never touches expected', () => {
    const corpus = corpusCopy(['stage-failure', 'success']);
    const manifest = manifestPathOf(corpus, 'stage-failure');
    const original = readFileSync(manifest, 'utf8');
    const tampered = original.replace('"summary": "Exited with code 2 — error TS2322: bad type"', '"summary": "Exited with code 2 — error TS2322: bad typo"');
    expect(tampered).not.toBe(original);
    writeFileSync(manifest, tampered);

    const check = golden(corpus, ['check']);
    expect(check.code).toBe(1);
    expect(check.all).toContain('FAIL stage-failure');
    expect(check.all).toContain('ok   success');
    expect(check.all).toMatch(/expected\/files\/\.runs\/0101\/cli\/[^/]+\/manifest\.json differs/);
    expect(check.all).toContain('$.commands[1].summary: "Exited with code 2 — error TS2322: bad typo" -> "Exited with code 2 — error TS2322: bad type"');
    expect(readFileSync(manifest, 'utf8')).toBe(tampered);
    expect(readFileSync(`${manifest}.new`, 'utf8')).toBe(original);

    const review = golden(corpus, ['review']);
    expect(review.stdout).toContain('stage-failure:');
    expect(review.stdout).toContain('manifest.json.new');

    // The next check writes the pending file anew, in place of the one it finds (spec 0017);
    // under CI, which writes none, a pending file left in the corpus fails the check.
    const again = golden(corpus, ['check']);
    expect(again.code).toBe(1);
    expect(again.all).toContain('wrote 1 pending file(s) (in place of the 1 an earlier check wrote)');
    expect(readFileSync(`${manifest}.new`, 'utf8')).toBe(original);
    const ci = golden(corpus, ['check'], true);
    expect(ci.code).toBe(1);
    expect(ci.all).toContain('pending file left behind');

    expect(golden(corpus, ['accept', 'stage-failure']).code).toBe(0);
    expect(readFileSync(manifest, 'utf8')).toBe(original);
    expect(existsSync(`${manifest}.new`)).toBe(false);
    expect(golden(corpus, ['check']).code).toBe(0);
    rmSync(corpus, { recursive: true, force: true });
  });

  it('a write timeline change is shown line by line and by JSON path, and goes through the same accept/reject', () => {
    const corpus = corpusCopy(['success']);
    const timeline = join(corpus, 'success/expected/timeline.ndjson');
    const original = readFileSync(timeline, 'utf8');
    const lines = original.split('\n');
    // A write the run makes that the expected timeline does not have, and a state it shows otherwise.
    const dropped = lines.findIndex((line) => line.includes('"build:running"'));
    const changed = lines.findIndex((line) => line.includes('"run":"succeeded"'));
    expect(dropped).toBeGreaterThan(0);
    expect(changed).toBeGreaterThan(dropped);
    const tampered = lines.map((line, i) => (i === changed ? line.replace('"run":"succeeded"', '"run":"failed"') : line)).filter((_, i) => i !== dropped);
    writeFileSync(timeline, tampered.join('\n'));

    const check = golden(corpus, ['check']);
    expect(check.code).toBe(1);
    expect(check.all).toContain('/success/expected/timeline.ndjson differs');
    expect(check.all).toContain(`line ${dropped + 1}: added {"t":0,"kind":"write"`);
    expect(check.all).toContain(`line ${changed}->${changed + 1} $.state.run: "failed" -> "succeeded"`);
    // Only those two: a dropped line does not shift every line after it.
    expect(check.all.match(/^ {6}line /gm)).toHaveLength(2);
    expect(readFileSync(`${timeline}.new`, 'utf8')).toBe(original);

    expect(golden(corpus, ['reject', 'success']).code).toBe(0);
    expect(readFileSync(timeline, 'utf8')).toBe(tampered.join('\n'));
    expect(golden(corpus, ['check']).code).toBe(1);
    expect(golden(corpus, ['accept', 'success']).code).toBe(0);
    expect(readFileSync(timeline, 'utf8')).toBe(original);
    expect(golden(corpus, ['check']).code).toBe(0);
    rmSync(corpus, { recursive: true, force: true });
  });

  it("a child's request that differs from the recording names the stage, the key, the old and the new value", () => {
    const corpus = corpusCopy(['stage-env-cwd']);
    const transcriptFile = join(corpus, 'stage-env-cwd/transcript.json');
    const transcript = JSON.parse(readFileSync(transcriptFile, 'utf8')) as { stages: Record<string, Array<{ request: { cwd: string; env: Record<string, string> } }>> };
    transcript.stages['envs/where']![0]!.request.env.SHARED = 'recorded-elsewhere';
    transcript.stages['envs/where']![0]!.request.cwd = 'packages';
    writeFileSync(transcriptFile, JSON.stringify(transcript, null, 2));
    const check = golden(corpus, ['check'], true);
    expect(check.code).toBe(1);
    expect(check.all).toContain('stage-env-cwd: request differs from transcript.json: envs/where #1: cwd: "packages" -> "packages/core"');
    expect(check.all).toContain('stage-env-cwd: request differs from transcript.json: envs/where #1: env.SHARED: "recorded-elsewhere" -> "pipeline"');
    rmSync(corpus, { recursive: true, force: true });
  });

  it('invariant exemptions: one that no longer fires fails check, as does one for an unknown scenario', () => {
    const corpus = corpusCopy(['success']);
    const exemption = (scenario: string) => ({ scenario, invariant: 'settled', pattern: 'B1', removed_by_phase: 1, why: 'test' });
    writeFileSync(join(corpus, 'invariant-exemptions.json'), JSON.stringify({ exemptions: [exemption('success'), exemption('no-such-scenario')] }));
    const check = golden(corpus, ['check'], true);
    expect(check.code).toBe(1);
    expect(check.all).toContain('success: exemption no longer fires: invariant settled (B1, removed by phase 1)');
    expect(check.all).toContain("exemption for unknown scenario 'no-such-scenario'");
    writeFileSync(join(corpus, 'invariant-exemptions.json'), JSON.stringify({ exemptions: [{ ...exemption('success'), invariant: 'sometimes' }] }));
    const bad = golden(corpus, ['check'], true);
    expect(bad.code).toBe(2);
    expect(bad.all).toMatch(/invariant-exemptions\.json.*exemptions\[0\]\.invariant/);
    rmSync(corpus, { recursive: true, force: true });
  });

  it('reject drops the pending file and keeps the expected one', () => {
    const corpus = corpusCopy(['success']);
    const stdoutFile = join(corpus, 'success/expected/cli/1.stdout');
    writeFileSync(stdoutFile, 'Run something else\n');
    const check = golden(corpus, ['check']);
    expect(check.code).toBe(1);
    expect(check.all).toContain('--- expected/cli/1.stdout');
    expect(check.all).toContain('-Run something else');
    expect(golden(corpus, ['reject']).code).toBe(0);
    expect(readFileSync(stdoutFile, 'utf8')).toBe('Run something else\n');
    expect(golden(corpus, ['review']).stdout).toContain('nothing pending');
    rmSync(corpus, { recursive: true, force: true });
  });

  it('with CI=true a mismatch writes nothing', () => {
    const corpus = corpusCopy(['success']);
    const stdoutFile = join(corpus, 'success/expected/cli/1.stdout');
    writeFileSync(stdoutFile, 'changed\n');
    const check = golden(corpus, ['check'], true);
    expect(check.code).toBe(1);
    expect(check.all).toContain('CI=true, so no pending files were written');
    expect(golden(corpus, ['review']).stdout).toContain('nothing pending');
    rmSync(corpus, { recursive: true, force: true });
  });

  it('an expected file that no scenario produces fails check; accept removes it', () => {
    const corpus = corpusCopy(['exec-text']);
    const stray = join(corpus, 'exec-text/expected/files/leftover.json');
    writeFileSync(stray, '{}\n');
    const check = golden(corpus, ['check']);
    expect(check.code).toBe(1);
    expect(check.all).toContain('expected/files/leftover.json is no longer produced');
    expect(existsSync(`${stray}.removed`)).toBe(true);
    golden(corpus, ['accept']);
    expect(existsSync(stray)).toBe(false);
    expect(golden(corpus, ['check']).code).toBe(0);
    rmSync(corpus, { recursive: true, force: true });
  });

  it('a new scenario without expected files gets them all as pending', () => {
    const corpus = corpusCopy(['exec-json']);
    rmSync(join(corpus, 'exec-json/expected'), { recursive: true });
    const check = golden(corpus, ['check']);
    expect(check.code).toBe(1);
    expect(check.all).toContain('expected/cli/1.stdout is new');
    golden(corpus, ['accept', 'exec-json']);
    expect(golden(corpus, ['check']).code).toBe(0);
    rmSync(corpus, { recursive: true, force: true });
  });

  it('bad input: an unknown scenario or a broken scenario.json is one clear line, exit 2', () => {
    const corpus = corpusCopy(['success']);
    const unknown = golden(corpus, ['check', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toMatch(/^golden: no scenario named 'nope'/);
    writeFileSync(join(corpus, 'success/scenario.json'), '{"description": "x", "steps": [{"argv": []}]}');
    const broken = golden(corpus, ['check']);
    expect(broken.code).toBe(1);
    // Named where it is: this corpus, not the default one.
    expect(broken.all).toContain(`${corpus}/success/scenario.json: steps[0].argv`);
    rmSync(corpus, { recursive: true, force: true });
  });

  it('record runs the commands for real and writes transcript.json; a hand-written transcript is refused', () => {
    const corpus = corpusCopy(['stage-failure', 'noisy-stage']);
    rmSync(join(corpus, 'stage-failure/transcript.json'));
    const record = golden(corpus, ['record', 'stage-failure']);
    expect(record.code, record.all).toBe(0);
    expect(record.stdout).toContain('stage-failure: recorded 2 stage run(s)');
    const transcript = JSON.parse(readFileSync(join(corpus, 'stage-failure/transcript.json'), 'utf8')) as {
      stages: Record<string, Array<{ chunks: Array<{ stream: string; data?: string }>; exit: { code: number } }>>;
    };
    expect(Object.keys(transcript.stages)).toEqual(['ci/prepare', 'ci/build']);
    expect(transcript.stages['ci/build']![0]!.exit.code).toBe(2);
    expect(transcript.stages['ci/build']![0]!.chunks.map((c) => c.data).join('')).toContain('error TS2322: bad type');
    const refused = golden(corpus, ['record', 'noisy-stage']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe('golden: noisy-stage: not recordable (its transcript is written by hand: "recordable": false)');
    rmSync(corpus, { recursive: true, force: true });
  });
});
