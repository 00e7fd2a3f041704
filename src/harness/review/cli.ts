#!/usr/bin/env node
// `npm run review`: the lane's last stage. Writes review.md and review.html into the lane
// run's directory (CODEX_ORCHESTRATOR_RUN_DIR, or --run-dir).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { InputError, errorMessage } from '../../errors.js';
import { readManifest } from '../../persist/manifest-writer.js';
import { createNodeFileSink } from '../../runtime/node-file-sink.js';
import { createRealClock } from '../../runtime/real-clock.js';
import { resolveBase } from '../git/change.js';
import { diffAgainstBase } from '../golden/diff-base.js';
import { listScenarios } from '../golden/scenario.js';
import { ranLines, whatRan } from './ran.js';
import { isMain, runTool, userPath } from '../tool-cli.js';
import { exitWhenSettled } from '../../runtime/exit-when-settled.js';
import { distRoot, staleDistLine } from '../fresh-dist.js';
import { gatherPacket, judgedStages, ownStage, packetVerdict, renderHtml, renderMarkdown, type Packet } from './packet.js';

/** HEAD's commit id, or null (no commit yet, not a git checkout). */
function headCommit(root: string): string | null {
  try {
    return (
      execFileSync('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() || null
    );
  } catch {
    return null;
  }
}

/** The directory a run's `artifact_root` (repo-relative) is relative to, when `runDir` ends with it; else null. */
export function repoRootOf(runDir: string, artifactRoot: string): string | null {
  const tail = resolve('/', artifactRoot);
  if (isAbsolute(artifactRoot) || artifactRoot.split(/[\\/]/).includes('..')) return null;
  return runDir.endsWith(tail) && runDir.length > tail.length ? runDir.slice(0, runDir.length - tail.length) : null;
}

export function runReviewCli(argv: string[]): Promise<number> {
  return runTool('review', argv, (program, setExit) => {
    program
      .description(
        'Write the review packet (review.md, review.html) into the lane run directory. Exit 0 when it is green, or red because a stage failed ' +
          '(that stage fails the run); exit 1 when it is red with every other stage passed (a suite left out, a report that cannot be read, ' +
          'an undeclared golden change), or says "not reviewed" (no stage declared a report: "report" in codex.orchestrator.json).',
      )
      .option('--run-dir <dir>', 'the run directory (default: $CODEX_ORCHESTRATOR_RUN_DIR)')
      .option('--base <ref>', 'base ref for the golden diff (default: $BASE_SHA, else origin/main, else HEAD: the working tree against HEAD)')
      .option('--corpus <dir>', 'golden corpus (default: golden)')
      .option('--no-golden-diff', 'leave the golden diff out (it builds the base ref in a temporary directory)')
      .action(async (given: { runDir?: string; base?: string; corpus?: string; goldenDiff: boolean }) => {
        const opts = given;
        const cwd = process.cwd();
        const runDirOption = opts.runDir ?? process.env.CODEX_ORCHESTRATOR_RUN_DIR;
        if (!runDirOption) throw new InputError('no run directory: run inside the lane (CODEX_ORCHESTRATOR_RUN_DIR) or pass --run-dir');
        const runDir = opts.runDir !== undefined ? userPath(opts.runDir) : resolve(runDirOption);
        // A corpus given that is not there would leave the packet without its golden diff and its list of scenarios, green all the same.
        if (given.corpus !== undefined && !statSync(userPath(given.corpus), { throwIfNoEntry: false })?.isDirectory())
          throw new InputError(`--corpus: ${given.corpus} is not a directory`);
        const clock = createRealClock();
        const manifest = await readManifest(
          createNodeFileSink({ clock, pid: process.pid }),
          join(runDir, 'manifest.json'),
          relative(cwd, join(runDir, 'manifest.json')),
        );
        // The run's own repository: where its manifest's repo-relative paths start (npm run
        // starts the tool in this package's root, whatever directory the run belongs to).
        const derived = repoRootOf(runDir, manifest.artifact_root);
        const root = derived ?? cwd;
        // A runs directory outside its repository (CODEX_ORCHESTRATOR_RUNS_DIR) leaves an
        // artifact_root with '..': the repository cannot be told from it. Said, not guessed.
        if (derived === null && relative(cwd, runDir).startsWith('..'))
          process.stderr.write(
            `review: the repository of ${runDir} cannot be told from its artifact_root (${manifest.artifact_root}): its paths are read from ${cwd}; run the review there\n`,
          );
        const corpus = given.corpus !== undefined ? userPath(given.corpus) : join(root, 'golden');
        let base: string | null = null;
        let baseSha: string | null = null;
        let golden: Packet['golden'];
        try {
          const resolved = resolveBase(root, opts.base, process.env);
          base = resolved.base;
          baseSha = resolved.sha;
          if (!opts.goldenDiff) golden = { error: 'left out (--no-golden-diff)' };
          else if (!resolved.sha) golden = { error: 'no base commit to compare with' };
          else
            golden = {
              scenarios: await diffAgainstBase({
                repo: root,
                corpus,
                base: resolved.sha,
                log: (line) => process.stderr.write(`${line}\n`),
              }),
            };
        } catch (error) {
          if (error instanceof InputError && opts.base !== undefined) throw error;
          golden = { error: errorMessage(error) };
        }
        const built = distRoot(import.meta.url);
        const staleDist = built === null ? null : staleDistLine(built);
        if (staleDist !== null) process.stderr.write(`review: ${staleDist} (the packet says so)\n`);
        // What ran, when the run's stages declare their reports (the lane's do): the review's own
        // report, so the manifest names it too.
        // Inside the run: this process is its review stage (the orchestrator gave it the run directory).
        const envRunDir = process.env.CODEX_ORCHESTRATOR_RUN_DIR;
        const inside = envRunDir !== undefined && envRunDir !== '' && resolve(envRunDir) === runDir;
        const ran = manifest.commands.some((c) => c.report !== undefined)
          ? whatRan(root, manifest, await listScenarios(corpus).catch(() => []), ownStage(root, runDir, manifest, inside))
          : null;
        if (ran) writeFileSync(join(runDir, 'ran.json'), `${JSON.stringify(ran, null, 2)}\n`);
        const packet = gatherPacket({
          root,
          runDir,
          manifest,
          base,
          golden,
          now: new Date(),
          baseSha,
          headSha: headCommit(root),
          staleDist,
          ran,
          inside,
        });
        // The touched specs beside the packet, so its links stay inside the run directory.
        for (const spec of packet.specs) {
          if (!spec.link) continue;
          mkdirSync(join(runDir, 'specs'), { recursive: true });
          copyFileSync(join(root, spec.file), join(runDir, spec.link));
        }
        writeFileSync(join(runDir, 'review.md'), renderMarkdown(packet));
        writeFileSync(join(runDir, 'review.html'), renderHtml(packet));
        // Named from where the user is.
        const md = relative(cwd, join(runDir, 'review.md'));
        process.stdout.write(`review: wrote ${md} and ${relative(cwd, join(runDir, 'review.html'))}\n`);
        for (const line of ran ? ranLines(ran) : []) process.stdout.write(`review: ran ${line}\n`);
        // The last line: the stage's summary, so the lane's own last line names the packet and its verdict.
        const verdict = packetVerdict(packet);
        process.stdout.write(`${verdict.line} (${md})\n`);
        // Red because a stage failed: that stage already fails the run, and the review stage
        // passes (it did its work). Red with every other stage passed (a suite left out, a
        // report that cannot be read, a golden change no spec declares) is the packet's own
        // finding, and a run with nothing to review is one too: no lane run's green can rest on
        // either.
        const otherFailed = judgedStages(packet).some((s) => s.status === 'failed');
        setExit(!verdict.reviewed || (!verdict.green && !otherFailed) ? 1 : 0);
      });
  });
}

// No refusal on a stale dist/ (fresh-dist.ts): the review is the lane's always stage, so it
// writes the packet all the same, red, saying why.
if (isMain(import.meta.url)) {
  // No top-level await: the bundle is a classic script (scripts/bundle-bin.mjs).
  exitWhenSettled('review', runReviewCli(process.argv.slice(2)));
}
