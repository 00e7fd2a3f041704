// Spec 0017: what a newcomer's try of the golden workflow found, each driven through the built
// `golden` CLI on a throwaway copy of part of the corpus: merge refuses shards of different code
// or corpora, a re-check replaces the pending files an earlier one left, a path that turns from
// file to directory (or back) can be settled, --pending-dir and replay --out stay out of the
// corpus (also through a link) and a --pending-dir that is not there is said, stray files in a
// scenario folder fail the full check, a path typed from a subfolder is read from there, and the
// small ones (a flag given twice, a glob that cannot be read, a name given twice, an empty
// corpus, the temporary tree of diff --base on Ctrl-C).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeDigest, commitOf, corpusDigest } from '../../src/harness/golden/identity.js';
import { useTempDirs } from '../helpers/temp-dirs.js';
import { copyScenarios, goldenCli as golden, manifestPathOf } from '../helpers/golden-cli.js';
import { PROJECT_ROOT, TOOLS } from '../helpers/git-repo.js';

const tempDir = useTempDirs('golden-');

const corpusCopy = (names: string[]) => copyScenarios(tempDir('golden-copy-'), names);

/** Every pending file under dir (relative paths). */
function pendingUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.new') || path.endsWith('.removed'))
    .sort();
}

/** Makes `stage-failure`'s expected manifest say "bad typo"; returns a function that puts it back. */
function tamperManifest(corpus: string): () => void {
  const manifest = manifestPathOf(corpus, 'stage-failure');
  const original = readFileSync(manifest, 'utf8');
  writeFileSync(manifest, original.replace('error TS2322: bad type"', 'error TS2322: bad typo"'));
  return () => writeFileSync(manifest, original);
}

type Shard = { version: number; checked: { code: string; corpus: string; commit: string | null } };

describe('golden merge: only shards of the same code and corpus', () => {
  const SHARDS = ['exec-text', 'stage-failure', 'success'];

  it('each shard says what it checked: the digest of the code that replayed and of the corpus', async () => {
    const corpus = corpusCopy(SHARDS);
    const out = join(tempDir('golden-shard-'), 'one.json');
    expect(golden(corpus, ['check', '--shard', '1/2', '--out', out], true).code).toBe(0);
    const shard = JSON.parse(readFileSync(out, 'utf8')) as Shard;
    expect(shard.version).toBe(2);
    expect(shard.checked).toEqual({ code: codeDigest(PROJECT_ROOT), corpus: await corpusDigest(corpus), commit: commitOf(corpus) });
    // Written into the corpus, a shard's result would be part of what the next shard checks.
    const inside = golden(corpus, ['check', '--shard', '2/2', '--out', join(corpus, 'shard-2.json')], true);
    expect([inside.code, inside.stderr.trim()]).toEqual([2, `golden: --out: ${join(corpus, 'shard-2.json')} is inside the corpus ${corpus}; write the result outside it`]);
  });

  it('the code digest moves with any source file and the lock file; the corpus digest with a scenario file or the exemptions, not a pending file or what lies beside', async () => {
    const root = tempDir('golden-code-');
    mkdirSync(join(root, 'src/run'), { recursive: true });
    writeFileSync(join(root, 'src/run/a.ts'), 'export const a = 1;\n');
    const digests = [codeDigest(root)];
    writeFileSync(join(root, 'src/run/a.ts'), 'export const a = 2;\n');
    digests.push(codeDigest(root));
    // A dependency bumped alone (the lock file) changes what replays too.
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion": 3}\n');
    digests.push(codeDigest(root));
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion": 3, "packages": {}}\n');
    digests.push(codeDigest(root));
    expect(new Set(digests).size).toBe(4);
    const corpus = corpusCopy(['success']);
    const digest = await corpusDigest(corpus);
    writeFileSync(join(corpus, 'success/expected/cli/1.exit.new'), '3\n');
    writeFileSync(join(corpus, 'shard-1.json'), '{}\n');
    expect(await corpusDigest(corpus)).toBe(digest);
    writeFileSync(join(corpus, 'invariant-exemptions.json'), JSON.stringify({ exemptions: [] }));
    const withExemptions = await corpusDigest(corpus);
    expect(withExemptions).not.toBe(digest);
    writeFileSync(join(corpus, 'success/expected/cli/1.exit'), '3\n');
    expect(await corpusDigest(corpus)).not.toBe(withExemptions);
  });

  it('shards of different corpora, or of different code, get no verdict: exit 1, naming the shards', () => {
    const corpus = corpusCopy(SHARDS);
    const dir = tempDir('golden-shards-');
    const shard = (i: number) => {
      const file = join(dir, `shard-${i}.json`);
      expect([0, 1]).toContain(golden(corpus, ['check', '--shard', `${i}/2`, '--out', file], true).code);
      return file;
    };
    // The corpus changes between the two shards (as a code change between two CI jobs would change the replay).
    const first = shard(1);
    const restore = tamperManifest(corpus);
    const second = shard(2);
    const mixed = golden(corpus, ['merge', first, second]);
    expect(mixed.code).toBe(1);
    expect(mixed.stdout).toBe('');
    expect(mixed.stderr).toContain(`golden merge: the shards checked different corpora: ${first} (shard 1/2) against ${second} (shard 2/2)`);
    expect(mixed.stderr.trim().split('\n').at(-1)).toBe(`golden merge: run every shard on the same checkout (code and ${corpus}); no verdict`);
    // Both shards of one corpus, merged against another: said too.
    const again = shard(1);
    restore();
    const elsewhere = golden(corpus, ['merge', again, second]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`golden merge: the shards checked another corpus than ${corpus} has now: ${again} (shard 1/2), ${second} (shard 2/2)`);
    // Different code: one shard's digest as another checkout's build would write it.
    const clean = shard(2);
    const other = JSON.parse(readFileSync(first, 'utf8')) as Shard;
    other.checked.code = 'f'.repeat(64);
    writeFileSync(first, JSON.stringify(other));
    const code = golden(corpus, ['merge', first, clean]);
    expect(code.code).toBe(1);
    expect(code.stderr).toContain(`golden merge: the shards replayed different code: ${first} (shard 1/2) against ${clean} (shard 2/2)`);
    // A shard written before shards said what they checked: run it again.
    writeFileSync(first, JSON.stringify({ ...other, version: 1, checked: undefined }));
    const old = golden(corpus, ['merge', first, clean]);
    expect([old.code, old.stderr.trim().split('\n')]).toEqual([
      2,
      [`golden: ${first}: written by an earlier golden check (version 1, which does not say what code and corpus it checked): run that shard again`],
    ]);
  });
});

describe('golden check replaces the pending files an earlier check left', () => {
  it('the code put back, the next check passes and drops the stale pending file (accept had applied it)', () => {
    const corpus = corpusCopy(['stage-failure']);
    const restore = tamperManifest(corpus);
    expect(golden(corpus, ['check', 'stage-failure']).code).toBe(1);
    expect(pendingUnder(corpus)).toHaveLength(1);
    restore();
    const again = golden(corpus, ['check', 'stage-failure']);
    expect(again.code, again.all).toBe(0);
    expect(again.stdout).toMatch(/^ok {3}stage-failure \(.*; dropped 1 pending file\(s\) an earlier check wrote\)$/m);
    expect(pendingUnder(corpus)).toEqual([]);
    expect(golden(corpus, ['accept']).stdout).toContain('golden: accepted 0 pending file(s)');
  });

  it('still different, the pending file is written anew and the check says it replaced one; under CI one left in the corpus fails', () => {
    const corpus = corpusCopy(['stage-failure']);
    tamperManifest(corpus);
    golden(corpus, ['check', 'stage-failure']);
    const again = golden(corpus, ['check', 'stage-failure']);
    expect(again.code).toBe(1);
    expect(again.all).toContain('wrote 1 pending file(s) (in place of the 1 an earlier check wrote)');
    expect(again.all).not.toContain('left behind');
    const ci = golden(corpus, ['check', 'stage-failure'], true);
    expect(ci.code).toBe(1);
    expect(ci.all).toContain('pending file left behind');
  });
});

describe('a path that turns from file to directory, or back', () => {
  it('a file where expected/ has a directory: accept removes the directory, then takes the file', () => {
    const corpus = corpusCopy(['success']);
    const exit = join(corpus, 'success/expected/cli/1.exit');
    const bytes = readFileSync(exit);
    rmSync(exit);
    mkdirSync(exit);
    writeFileSync(join(exit, 'inner'), 'x\n');
    expect(golden(corpus, ['check', 'success']).code).toBe(1);
    const accept = golden(corpus, ['accept', 'success']);
    expect(accept.code, accept.all).toBe(0);
    expect(accept.stdout).toContain('success: removed cli/1.exit/inner\nsuccess: accepted cli/1.exit\n');
    expect(readFileSync(exit)).toEqual(bytes);
    expect(golden(corpus, ['check', 'success']).code).toBe(0);
  });

  it('a directory where expected/ has a file: one line says to use --pending-dir, nothing half written; that way it is accepted', () => {
    const corpus = corpusCopy(['success']);
    const runs = join(corpus, 'success/expected/files/.runs/0101/cli');
    const commands = join(runs, readdirSync(runs)[0]!, 'commands');
    const before = readdirSync(commands);
    rmSync(commands, { recursive: true });
    writeFileSync(commands, 'x\n');
    const check = golden(corpus, ['check', 'success']);
    expect(check.code).toBe(1);
    expect(check.all).toMatch(/error: expected\/files\/\S+\/commands is a file, and the replay now writes a directory there \(\S+\/commands\/\S+\): .*--pending-dir/);
    expect(pendingUnder(corpus)).toEqual([]);
    const pending = tempDir('golden-pending-');
    expect(golden(corpus, ['check', 'success', '--pending-dir', pending]).code).toBe(1);
    // --only-new takes no removal, so the file stays, and the new files that need its place stay pending with it.
    const onlyNew = golden(corpus, ['accept', 'success', '--only-new', '--pending-dir', pending]);
    expect(onlyNew.code, onlyNew.all).toBe(0);
    expect(onlyNew.stdout).toMatch(/still pending \(new\): files\/\S+\/commands\/01-build\.ndjson/);
    expect(onlyNew.stdout.trim().split('\n').at(-1)).toBe(
      'golden: accepted 0 pending file(s); 4 still pending (not new, or new where one still pending is in the way: review them, then golden accept without --only-new)',
    );
    expect(readFileSync(commands, 'utf8')).toBe('x\n');
    expect(golden(corpus, ['accept', 'success', '--pending-dir', pending]).code).toBe(0);
    expect(readdirSync(commands)).toEqual(before);
    expect(golden(corpus, ['check', 'success']).code).toBe(0);
  });
});

describe('--pending-dir and replay --out stay out of the corpus', () => {
  it('a --pending-dir that is not there is said by pending, review, accept and reject (it looked like nothing pending)', () => {
    const corpus = corpusCopy(['success']);
    const missing = join(tempDir('golden-none-'), 'typo');
    for (const command of ['pending', 'review', 'accept', 'reject']) {
      const run = golden(corpus, [command, '--pending-dir', missing]);
      expect([run.code, run.stdout, run.stderr.trim().split('\n')], command).toEqual([
        2,
        '',
        [`golden: --pending-dir: ${missing} does not exist (golden check --pending-dir <dir> writes the pending files there)`],
      ]);
    }
  });

  it('a --pending-dir inside the corpus through a link is refused, and stray files in a scenario folder fail the full check', () => {
    const corpus = corpusCopy(['stage-failure', 'success']);
    tamperManifest(corpus);
    const link = join(tempDir('golden-link-'), 'corpus');
    symlinkSync(corpus, link, 'dir');
    const through = golden(corpus, ['check', 'stage-failure', '--pending-dir', join(link, 'stage-failure')], true);
    expect([through.code, through.stderr.trim()]).toEqual([2, `golden: --pending-dir: ${join(link, 'stage-failure')} is inside the corpus ${corpus}; give a directory outside it`]);
    expect(pendingUnder(corpus)).toEqual([]);
    // What such a run would have left: pending files one level too deep, which no replay reads.
    mkdirSync(join(corpus, 'success/success'));
    writeFileSync(join(corpus, 'success/success/manifest.json.new'), '{}\n');
    writeFileSync(join(corpus, 'success/notes.txt'), 'x\n');
    const full = golden(corpus, ['check'], true);
    expect(full.code).toBe(1);
    for (const name of ['notes.txt', 'success'])
      expect(full.stderr).toContain(
        `FAIL ${corpus}/success/${name}: not part of a scenario (a scenario folder holds only scenario.json, transcript.json, expected), and no check looks at it; delete it`,
      );
    expect(full.stdout).toMatch(/, 2 corpus problem\(s\), /);
  });

  it('replay --out: empty, inside the corpus or holding it is one line, exit 2, and nothing is written', () => {
    const corpus = corpusCopy(['success']);
    const cwd = tempDir('golden-cwd-');
    const replay = (out: string) =>
      spawnSync(process.execPath, [TOOLS.golden, '--corpus', corpus, 'replay', '--out', out], { cwd, encoding: 'utf8' });
    const cases: Array<[string, string]> = [
      ['', 'golden: --out: empty; give a directory outside the corpus, e.g. /tmp/golden-replay'],
      [corpus, `golden: --out: ${corpus} is inside the corpus ${corpus}; give a directory outside it`],
      [join(corpus, 'out'), `golden: --out: ${join(corpus, 'out')} is inside the corpus ${corpus}; give a directory outside it`],
      [join(corpus, '..'), `golden: --out: ${join(corpus, '..')} holds the corpus ${corpus}; give a directory outside it`],
    ];
    for (const [out, line] of cases) {
      const run = replay(out);
      expect([run.status, run.stderr.trim().split('\n')], out).toEqual([2, [line]]);
    }
    expect(readdirSync(cwd)).toEqual([]);
    expect(readdirSync(corpus)).toEqual(['success']);
    const fine = join(tempDir('golden-replay-'), 'out');
    expect(replay(fine).status).toBe(0);
    expect(existsSync(join(fine, 'success/outputs/cli/1.exit'))).toBe(true);
  });
});

describe('paths typed from a subfolder, help and hints', () => {
  it('a path given to `npm run golden` from a subfolder is read from that folder; a tool another script starts keeps its cwd', () => {
    const corpus = corpusCopy(['success']);
    const base = tempDir('golden-npm-');
    const root = join(base, 'package');
    const sub = join(root, 'src');
    mkdirSync(sub, { recursive: true });
    // As npm runs the script: in the package root, INIT_CWD the folder it was typed in, the
    // words typed after `--` appended to the script's own.
    const run = (script: string, args: string[]) =>
      spawnSync(process.execPath, [TOOLS.golden, ...args], {
        cwd: root,
        env: { ...process.env, CI: 'true', INIT_CWD: sub, npm_lifecycle_script: script },
        encoding: 'utf8',
      });
    const typed = ['--corpus', corpus, 'check', '--out', '../r.json'];
    expect(run(`node ${TOOLS.golden}`, typed).status).toBe(0);
    expect([existsSync(join(root, 'r.json')), existsSync(join(base, 'r.json'))]).toEqual([true, false]);
    rmSync(join(root, 'r.json'));
    // The script's own words are the package's paths, from its root, whatever folder npm was typed in.
    const own = run(`node ${TOOLS.golden} --corpus ${corpus} check --out out/own.json`, ['--corpus', corpus, 'check', '--out', 'out/own.json']);
    expect(own.status, own.stderr).toBe(0);
    expect([existsSync(join(root, 'out/own.json')), existsSync(join(sub, 'out'))]).toEqual([true, false]);
    // vitest under `npm test`, say: the script is not this tool, so the tool's own cwd counts.
    expect(run('vitest run', typed).status).toBe(0);
    expect([existsSync(join(root, 'r.json')), existsSync(join(base, 'r.json'))]).toEqual([false, true]);
  });

  it("each command's help lists --corpus; pending's hint carries --corpus and --pending-dir", () => {
    const corpus = corpusCopy(['stage-failure']);
    for (const command of ['check', 'merge', 'pending', 'review', 'accept', 'reject', 'diff', 'replay']) {
      expect(golden(corpus, [command, '--help']).stdout, command).toMatch(/--corpus <dir>/);
    }
    tamperManifest(corpus);
    const pending = tempDir('golden-pending-');
    golden(corpus, ['check', '--pending-dir', pending], true);
    expect(golden(corpus, ['pending', '--pending-dir', pending]).stdout).toContain(
      `golden: 1 pending entries; golden --corpus ${corpus} review --pending-dir ${pending} shows them`,
    );
  });

  it('a flag given twice, a glob that cannot be read, an empty corpus: one line, exit 2; a name given twice runs once', () => {
    const corpus = corpusCopy(['success', 'exec-text']);
    const twice = golden(corpus, ['check', '--filter', 'exec-*', '--filter', 'succ*']);
    expect([twice.code, twice.stderr.trim().split('\n')]).toEqual([2, [expect.stringContaining("--filter is given twice; give it once (one glob can name several: '{exec-*,cloud-*}')")]]);
    const shards = golden(corpus, ['check', '--shard', '1/2', '--shard', '2/2']);
    expect([shards.code, shards.stderr]).toEqual([2, expect.stringContaining('--shard is given twice')]);
    const blank = golden(corpus, ['merge', '']);
    expect([blank.code, blank.stderr.trim()]).toEqual([2, 'golden: merge: an empty file name; give the shard results (golden check --shard i/n --out <file>)']);
    const glob = golden(corpus, ['check', '--filter', '[z-a]*']);
    expect([glob.code, glob.stderr.trim()]).toEqual([2, "golden: --filter: '[z-a]*' is not a glob picomatch can read"]);
    const empty = tempDir('golden-empty-');
    const none = golden(empty, ['check']);
    expect([none.code, none.stderr.trim()]).toEqual([2, `golden: ${empty} has no scenarios (a scenario is a folder with a scenario.json): nothing to check`]);
    const named = golden(corpus, ['check', 'success', 'success']);
    expect(named.code).toBe(0);
    expect(named.stdout.match(/^ok {3}success/gm)).toHaveLength(1);
    expect(named.stdout).toContain('partial run (1 of 2 scenarios');
  });
});

describe('golden diff --base stopped', () => {
  // To the tool's process alone (as npm forwards it), while git archive and tar write the base's
  // tree, then while the base's replay writes its outputs: each is ended, the tree removed.
  it.each([
    ['SIGINT', 'in a temporary directory', 130],
    ['SIGTERM', 'side by side', 143],
  ] as const)('%s once it says "%s" leaves no temporary tree, and exits %i', async (signal, said, code) => {
    const tmp = tempDir('golden-diff-tmp-');
    const child = spawn(process.execPath, [TOOLS.golden, 'diff', '--base', 'HEAD'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (exit) => resolve(exit)));
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (stderr.includes(said)) resolve();
      });
      child.on('close', () => resolve());
    });
    expect(readdirSync(tmp).filter((name) => name.startsWith('golden-base-')), stderr).toHaveLength(1);
    child.kill(signal);
    expect([await exited, stderr.split('\n').filter((line) => line.includes('could not remove'))]).toEqual([code, []]);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
