// The exit code of a command-line entry whose work is a promise. An entry bundled as a classic
// script (scripts/bundle-bin.mjs) has no top-level await, so this keeps what top-level await
// gave: the code the work resolves to; a rejection printed (its stack) and exit 1, whatever
// --unhandled-rejections says; and, when nothing is left to run while the work is still
// pending, exit 13, as Node's "unsettled top-level await" (an explicit process.exit, such as
// commander's after --help, is not that).
export function exitWhenSettled(name: string, work: Promise<number | void>): void {
  let settled = false;
  process.on('beforeExit', () => {
    if (settled) return;
    settled = true;
    process.stderr.write(`${name}: internal error: the command stopped before it finished (nothing left to run while it waited)\n`);
    process.exitCode = 13;
  });
  work.then(
    (code) => {
      settled = true;
      if (typeof code === 'number') process.exitCode = code;
    },
    (error: unknown) => {
      settled = true;
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
