// Progress of a run on stderr: on a TTY a live line per stage (status, elapsed, and the last
// line the stage printed, dimmed), kept below everything else printed (src/runtime/live-line.ts);
// off a TTY plain lines. stdout is never used, so `--format json` keeps it clean.
import { StringDecoder } from 'node:string_decoder';
import { stripTerminalEscapes } from '../events/output-tail.js';
import { withLiveLine } from '../runtime/live-line.js';
import type { Clock, LiveLine, OutputStream, TimerHandle } from '../runtime/types.js';

export type StageLabel = { pipelineId: string; index: number; total: number; stageId: string; depth: number };

export type StageEnd = { status: string; exitCode: number | null; durationMs: number; note?: string };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

const DIM = '\u001b[2m';
const UNDIM = '\u001b[22m';
/** A terminal that does not say its width is taken as this wide. */
const DEFAULT_COLUMNS = 80;
/** The live line follows the stage's output at most this often (a noisy stage would redraw per chunk). */
export const OUTPUT_REDRAW_MS = 100;
/** The unfinished line of output kept to find the last line (a line longer than this shows its end). */
const PARTIAL_MAX_CHARS = 4096;

/** `text` cut to `width` characters, the cut marked with an ellipsis. */
function cut(text: string, width: number): string {
  const chars = Array.from(text);
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** A line of output as the live line shows it: no colours, no control characters, trimmed. */
function plainLine(text: string): string {
  return stripTerminalEscapes(text)
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .trim();
}

type Live = {
  label: StageLabel;
  startedAt: number;
  timer: TimerHandle;
  /** The last line of output with something in it, as shown. */
  lastLine: string;
  /** The output after its last line break. */
  partial: string;
  decoder: StringDecoder;
  lastOutputDrawAt: number;
  redraw: TimerHandle | null;
};

export class Progress {
  private live: Live | null = null;
  private readonly out: OutputStream;
  private readonly liveLine: LiveLine | null;

  constructor(
    out: OutputStream,
    private readonly clock: Clock,
  ) {
    // A terminal given without its live line (a Progress of its own) gets one over itself alone.
    this.out = out.isTTY && !out.live ? withLiveLine({ stdout: out, stderr: out }).stderr : out;
    this.liveLine = this.out.isTTY ? (this.out.live ?? null) : null;
  }

  /** Whether the live line shows the stage's output (on a terminal): only then is stageOutput worth calling. */
  get showsOutput(): boolean {
    return this.liveLine !== null;
  }

  private prefix(label: StageLabel): string {
    return `${'  '.repeat(label.depth)}[${label.pipelineId} ${label.index}/${label.total}] ${label.stageId}`;
  }

  runStarted(runId: string, pipelineId: string, depth: number, resumed: boolean): void {
    this.line(`${'  '.repeat(depth)}codex-orchestrator: ${resumed ? 'resuming' : 'started'} run ${runId} (pipeline ${pipelineId})`);
  }

  stageStarted(label: StageLabel, what: string): void {
    if (this.liveLine) {
      this.stopLive();
      const startedAt = this.clock.now();
      const timer = this.clock.setInterval(() => this.drawLive(), 1_000);
      this.live = {
        label,
        startedAt,
        timer,
        lastLine: '',
        partial: '',
        decoder: new StringDecoder('utf8'),
        lastOutputDrawAt: Number.NEGATIVE_INFINITY,
        redraw: null,
      };
      this.drawLive();
      return;
    }
    this.line(`${this.prefix(label)} started: ${what}`);
  }

  /** Output of the running stage (what the privacy guard let through): its last line goes on the live line. */
  stageOutput(bytes: Uint8Array): void {
    const live = this.live;
    if (!live) return;
    const pieces = (live.partial + live.decoder.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))).split(/\r\n|\r|\n/);
    live.partial = pieces.pop()!.slice(-PARTIAL_MAX_CHARS);
    let last = plainLine(live.partial);
    for (let k = pieces.length - 1; last === '' && k >= 0; k -= 1) last = plainLine(pieces[k]!);
    if (last === '' || last === live.lastLine) return;
    live.lastLine = last;
    if (live.redraw !== null) return;
    const wait = live.lastOutputDrawAt + OUTPUT_REDRAW_MS - this.clock.now();
    if (wait <= 0) {
      live.lastOutputDrawAt = this.clock.now();
      this.drawLive();
      return;
    }
    live.redraw = this.clock.setTimeout(() => {
      live.redraw = null;
      live.lastOutputDrawAt = this.clock.now();
      this.drawLive();
    }, wait);
  }

  stageFinished(label: StageLabel, end: StageEnd): void {
    const exit = end.exitCode === null ? '' : `exit ${end.exitCode}, `;
    const text = `${this.prefix(label)} ${end.status} (${exit}${seconds(end.durationMs)})${end.note ? ` ${end.note}` : ''}`;
    if (this.liveLine) this.stopLive();
    this.line(text);
  }

  /** A line about the running stage (`[p 1/2] away <text>`); on a terminal the live line stays below it. */
  stageNote(label: StageLabel, text: string): void {
    this.line(`${this.prefix(label)} ${text}`);
  }

  /** A message of its own line; on a terminal the live line stays below it. */
  note(text: string): void {
    this.line(text);
  }

  /** Stops the live line (its timers) and removes it, e.g. before the run ends. */
  stopLive(): void {
    if (!this.live) return;
    this.clock.clearInterval(this.live.timer);
    if (this.live.redraw !== null) this.clock.clearTimeout(this.live.redraw);
    this.live = null;
    this.liveLine?.set(null);
  }

  private drawLive(): void {
    if (!this.live || !this.liveLine) return;
    const width = (this.out.columns || DEFAULT_COLUMNS) - 1;
    const head = cut(`${this.prefix(this.live.label)} running ${seconds(this.clock.now() - this.live.startedAt)}`, width);
    const room = width - Array.from(head).length - 2;
    const tail = this.live.lastLine !== '' && room >= 8 ? `  ${DIM}${cut(this.live.lastLine, room)}${UNDIM}` : '';
    this.liveLine.set(`${head}${tail}`);
  }

  private line(text: string): void {
    if (this.liveLine) this.liveLine.line(text);
    else this.out.write(`${text}\n`);
  }
}
