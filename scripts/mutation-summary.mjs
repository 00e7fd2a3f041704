// The last step of `npm run mutation`: turns StrykerJS's JSON report into the committed
// reports/mutation/summary.json (never typed by hand), and prettier-formats it and the
// incremental file so `npm run lint` accepts them. Needs dist/ (`npm run build`).
//
//   node scripts/mutation-summary.mjs [report.json]   (default reports/mutation/mutation.json)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import * as prettier from 'prettier';
import { MUTATION_SUMMARY_FILE, readMutationSummary, summarizeMutationReport } from '../dist/src/harness/review/mutation.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const reportPath = resolve(ROOT, process.argv[2] ?? 'reports/mutation/mutation.json');
const strykerConfig = JSON.parse(readFileSync(join(ROOT, 'stryker.config.json'), 'utf8'));

if (!existsSync(reportPath)) {
  process.stderr.write(`mutation-summary: no report at ${reportPath}: run \`npx stryker run\` first\n`);
  process.exit(2);
}
const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const run = {
  date: statSync(reportPath).mtime.toISOString(),
  commit: git('rev-parse', 'HEAD'),
  dirty: git('status', '--porcelain', '--', 'src', 'tests', 'stryker.config.json', 'vitest.stryker.config.ts') !== '',
};
/** The files the configured `mutate` patterns select (a `--mutate` run may test fewer). */
function sourceFiles(patterns) {
  const isMatch = picomatch(patterns.filter((p) => !p.startsWith('!')));
  const isExcluded = picomatch(patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1)));
  return readdirSync(join(ROOT, 'src'), { recursive: true })
    .map((name) =>
      relative(ROOT, join(ROOT, 'src', String(name)))
        .split('\\')
        .join('/'),
    )
    .filter((file) => isMatch(file) && !isExcluded(file))
    .sort();
}
const summary = summarizeMutationReport(
  JSON.parse(readFileSync(reportPath, 'utf8')),
  run,
  readMutationSummary(ROOT),
  sourceFiles(strykerConfig.mutate),
);

async function writeFormatted(path, text) {
  const options = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(text, { ...options, filepath: path }));
}

await writeFormatted(join(ROOT, MUTATION_SUMMARY_FILE), JSON.stringify(summary));
const incremental = join(ROOT, strykerConfig.incrementalFile);
if (existsSync(incremental)) await writeFormatted(incremental, readFileSync(incremental, 'utf8'));

for (const [folder, f] of Object.entries(summary.folders)) {
  process.stdout.write(
    `${folder}: ${f.score === null ? 'n/a' : `${f.score}%`} (killed ${f.killed}, timeout ${f.timeout}, survived ${f.survived}, no coverage ${f.no_coverage}; ${f.date} at ${f.commit.slice(0, 10)}${f.dirty ? ', uncommitted changes' : ''}${f.untested_files.length > 0 ? `; not tested: ${f.untested_files.join(', ')}` : ''})\n`,
  );
}
process.stdout.write(`mutation-summary: wrote ${MUTATION_SUMMARY_FILE}\n`);
