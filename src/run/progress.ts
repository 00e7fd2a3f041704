// Progress of a run on stderr: on a TTY a live line per stage (status, elapsed); off a TTY
// plain lines. stdout is never used, so `--format json` keeps it clean.
import type { Clock, OutputStream, TimerHandle } from '../runtime/types.js';

export type StageLabel = { pipelineId: string; index: number; total: number; stageId: string; depth: number };

export type StageEnd = { status: string; exitCode: number | null; durationMs: number; note?: string };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export class Progress {
  private live: { label: StageLabel; startedAt: number; timer: TimerHandle } | null = null;

  constructor(
    private readonly out: OutputStream,
    private readonly clock: Clock,
  ) {}

  private prefix(label: StageLabel): string {
    return `${'  '.repeat(label.depth)}[${label.pipelineId} ${label.index}/${label.total}] ${label.stageId}`;
  }

  runStarted(runId: string, pipelineId: string, depth: number, resumed: boolean): void {
    this.line(`${'  '.repeat(depth)}codex-orchestrator: ${resumed ? 'resuming' : 'started'} run ${runId} (pipeline ${pipelineId})`);
  }

  stageStarted(label: StageLabel, what: string): void {
    if (this.out.isTTY) {
      this.stopLive();
      const startedAt = this.clock.now();
      const timer = this.clock.setInterval(() => this.drawLive(), 1_000);
      this.live = { label, startedAt, timer };
      this.drawLive();
      return;
    }
    this.line(`${this.prefix(label)} started: ${what}`);
  }

  stageFinished(label: StageLabel, end: StageEnd): void {
    const exit = end.exitCode === null ? '' : `exit ${end.exitCode}, `;
    const text = `${this.prefix(label)} ${end.status} (${exit}${seconds(end.durationMs)})${end.note ? ` ${end.note}` : ''}`;
    if (this.out.isTTY) {
      this.stopLive();
      this.out.write(`\r\u001b[K${text}\n`);
      return;
    }
    this.line(text);
  }

  note(text: string): void {
    if (this.out.isTTY) this.stopLive();
    this.line(text);
  }

  /** Stops the live line (its timer), e.g. before the run ends. */
  stopLive(): void {
    if (!this.live) return;
    this.clock.clearInterval(this.live.timer);
    this.out.write('\r\u001b[K');
    this.live = null;
  }

  private drawLive(): void {
    if (!this.live) return;
    const elapsed = this.clock.now() - this.live.startedAt;
    this.out.write(`\r\u001b[K${this.prefix(this.live.label)} running ${seconds(elapsed)}`);
  }

  private line(text: string): void {
    this.out.write(`${text}\n`);
  }
}
