// The live line of a terminal (issue 18): one status line at the bottom, never glued to other
// output. stdout and stderr of a shell are one terminal, so every write to either that reaches
// the terminal first clears the live line; the line is drawn again once the output ends its
// line (a command's unfinished line, e.g. a prompt, is never drawn over). Streams that are not
// terminals pass through untouched, and without a terminal on stderr nothing is wrapped.
import type { LiveLine, OutputStream, Runtime } from './types.js';

const ERASE_LINE = '\r\u001b[K';

function lastByte(data: string | Uint8Array): number | null {
  if (typeof data === 'string') return data.length === 0 ? null : data.charCodeAt(data.length - 1);
  return data.length === 0 ? null : data[data.length - 1]!;
}

/** The runtime the CLI prints through: on a terminal, stdout and stderr share one live line (on stderr). */
export function withLiveLine<R extends Pick<Runtime, 'stdout' | 'stderr'>>(runtime: R): R {
  const terminal = runtime.stderr;
  if (!terminal.isTTY) return runtime;
  let text: string | null = null;
  let shown = false;
  /** Whether the terminal's cursor is at the start of a line (the last byte written to it was a newline). */
  let atLineStart = true;

  const clear = () => {
    if (!shown) return;
    terminal.write(ERASE_LINE);
    shown = false;
  };
  const draw = () => {
    if (text === null || !atLineStart) return;
    terminal.write(`${ERASE_LINE}${text}`);
    shown = true;
  };
  const wrap = (stream: OutputStream): OutputStream => {
    if (!stream.isTTY) return stream;
    return {
      write(data) {
        const last = lastByte(data);
        if (last === null) return;
        clear();
        stream.write(data);
        atLineStart = last === 0x0a;
        draw();
      },
      get isTTY() {
        return stream.isTTY;
      },
      get columns() {
        return stream.columns;
      },
    };
  };
  const live: LiveLine = {
    set(next) {
      text = next;
      if (next === null) clear();
      else draw();
    },
    line(line) {
      clear();
      terminal.write(`${atLineStart ? '' : '\n'}${line}\n`);
      atLineStart = true;
      draw();
    },
  };
  const stderr = wrap(terminal);
  return {
    ...runtime,
    stdout: wrap(runtime.stdout),
    stderr: {
      write: (data: string | Uint8Array) => stderr.write(data),
      get isTTY() {
        return terminal.isTTY;
      },
      get columns() {
        return terminal.columns;
      },
      live,
    },
  };
}
