#!/usr/bin/env node
// `npm run docs:check`: the docs name only scripts, pipelines and paths that exist, and every
// section reference (in the docs and in source comments) names a numbered section that exists.
import { isMain, outFile, runTool, writeJsonOut } from '../tool-cli.js';
import { exitWhenSettled } from '../../runtime/exit-when-settled.js';
import { refuseStaleDist } from '../fresh-dist.js';
import { checkDocs } from './check.js';

export function runDocsCheckCli(argv: string[]): Promise<number> {
  return runTool('docs:check', argv, (program, setExit) => {
    program
      .description(
        'Check README.md and docs/**/*.md: every `npm run X` is a script, every `codex-orchestrator start X` a pipeline, every backticked repo path exists. ' +
          'In those files and in the comments of the sources under src/, bench/, codemods/, lint-rules/ and tests/, every `<file>.md §N` ' +
          '(a bare <file>.md is in docs/) names a file with a `## N.` heading, and no reference cites a contracts document outside the repository.',
      )
      .option('--json', 'print the report as JSON')
      .option('--out <file>', 'also write the report as JSON to this file', outFile)
      .action((opts: { json?: boolean; out?: string }) => {
        const report = checkDocs(process.cwd());
        writeJsonOut(opts.out, report);
        if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else {
          for (const p of report.problems) process.stdout.write(`docs:check: ${p.file}:${p.line}: ${p.text}: ${p.message}\n`);
          const c = report.checked;
          process.stdout.write(
            `docs:check: ${report.files.length} file(s), ${c.scripts} script, ${c.pipelines} pipeline and ${c.paths} path reference(s): ${report.problems.length === 0 ? 'ok' : `${report.problems.length} problem(s)`}\n`,
          );
        }
        setExit(report.problems.length > 0 ? 1 : 0);
      });
  });
}

if (isMain(import.meta.url)) {
  refuseStaleDist('docs:check', import.meta.url);
  // No top-level await: the bundle is a classic script (scripts/bundle-bin.mjs).
  exitWhenSettled('docs:check', runDocsCheckCli(process.argv.slice(2)));
}
