// The privacy guard (docs/contracts.md §9). It sees a stream, not isolated chunks: a secret
// split over two chunks is judged as the text it makes once joined. A PEM private key is
// blocked from its BEGIN line through its END line; a keyword secret's value and an AWS key
// id are replaced by [REDACTED]. To judge a pattern cut by a chunk's end, the guard holds
// back only the bytes the pattern may still need (at most a few dozen) and releases them
// with the next chunk or at the end of the stream. The bytes of a pattern's start that are
// kept as they are (a keyword and its separator) are released at once: only a short
// context of them is remembered. Shadow mode runs the same guard for its decisions and
// changes nothing; enforce mode persists only what the guard released.
import { ENV_VARIABLES } from '../config/env-settings.js';
import type { PrivacyAction } from '../manifest/schema.js';

export type PrivacyMode = 'shadow' | 'enforce';

export const REDACTED = '[REDACTED]';

/** The longest label a PEM private-key line may have (`RSA `, `ENCRYPTED `, …), in characters. */
export const PEM_LABEL_MAX_CHARS = 64;

// Keyword, optional spaces, ':' or '=', optional spaces, then the value (6+ non-space chars).
const SENSITIVE_TOKEN = /(secret|password|api_key|api-key|apikey|token)(\s*[:=]\s*)(\S{6,})/gi;
const AWS_KEY_ID = /AKIA[0-9A-Z]{16}/g;
const PEM_BEGIN = /-----BEGIN (?=[A-Z0-9 ]{0,64}PRIVATE KEY-----)(?:[A-Z0-9]+ )*PRIVATE KEY-----/g;
const PEM_END = /-----END (?=[A-Z0-9 ]{0,64}PRIVATE KEY-----)(?:[A-Z0-9]+ )*PRIVATE KEY-----/g;

/**
 * The end of a text where a keyword secret may still be starting: a keyword's first letters,
 * a keyword and spaces, then its separator, then up to 5 characters of its value (group 1),
 * which is all that decides whether it is a secret (6 make one).
 */
const KEYWORD_OPEN =
  /(?:(?:secret|password|api_key|api-key|apikey|token)\s*(?:[:=]\s*(\S{0,5}))?|s(?:e(?:c(?:r(?:e)?)?)?)?|p(?:a(?:s(?:s(?:w(?:o(?:r)?)?)?)?)?)?|t(?:o(?:k(?:e)?)?)?|a(?:p(?:i(?:[_-](?:k(?:e)?)?|k(?:e)?)?)?)?)$/gi;
/** The end of a text that may still become an AWS key id (`AKIA` and 16 of [0-9A-Z]). */
const AWS_OPEN = /A(?:K(?:I(?:A[0-9A-Z]{0,15})?)?)?$/g;
const AWS_OPEN_MAX = 19;
const PEM_BEGIN_HEAD = '-----BEGIN ';
const PEM_TAIL = 'PRIVATE KEY-----';
/** The longest text that is the start of a PEM header but not one yet. */
const PEM_OPEN_MAX = PEM_BEGIN_HEAD.length + PEM_LABEL_MAX_CHARS + PEM_TAIL.length - 1;
/** What is kept of a blocked text to find an END line cut by a chunk's end. */
const PEM_END_MAX = '-----END '.length + PEM_LABEL_MAX_CHARS + PEM_TAIL.length;
const LABEL_WORDS = /^(?:[A-Z0-9]+ )*$/;
const LABEL_WORDS_AND_PART = /^(?:[A-Z0-9]+ )*[A-Z0-9]*$/;
const SPACES = /\s+/g;

const EMPTY = Buffer.alloc(0);
const COLON = 0x3a;
const EQUALS = 0x3d;
const DASH = 0x2d;

/** `\s` of a regular expression, on a latin1 character or byte. */
function isSpace(code: number): boolean {
  return (code >= 0x09 && code <= 0x0d) || code === 0x20 || code === 0xa0;
}

function isUpperOrDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a);
}

export function privacyModeFrom(env: Record<string, string | undefined>): PrivacyMode {
  return env[ENV_VARIABLES.privacyMode.name]?.trim().toLowerCase() === 'enforce' ? 'enforce' : 'shadow';
}

export type Classification = { action: PrivacyAction; rule: string | null };

/** Each keyword secret's value and each AWS key id of `data`, replaced (a whole text, judged alone). */
export function redact(data: Uint8Array): Buffer {
  const text = Buffer.from(data)
    .toString('latin1')
    .replace(SENSITIVE_TOKEN, (_match, word: string, separator: string) => `${word}${separator}${REDACTED}`)
    .replace(AWS_KEY_ID, REDACTED);
  return Buffer.from(text, 'latin1');
}

/** Whether `text` (from a '-') may still become a PEM private-key header. */
function isPemBeginStart(text: string): boolean {
  if (text.length <= PEM_BEGIN_HEAD.length) return PEM_BEGIN_HEAD.startsWith(text);
  if (!text.startsWith(PEM_BEGIN_HEAD)) return false;
  const rest = text.slice(PEM_BEGIN_HEAD.length);
  // The label's words, then the start of 'PRIVATE KEY-----' …
  for (let cut = Math.min(PEM_TAIL.length - 1, rest.length); cut >= 0; cut -= 1) {
    const label = rest.slice(0, rest.length - cut);
    if (rest.endsWith(PEM_TAIL.slice(0, cut)) && label.length <= PEM_LABEL_MAX_CHARS && LABEL_WORDS.test(label)) return true;
  }
  // … or a word of the label still being written.
  return rest.length + 1 <= PEM_LABEL_MAX_CHARS && LABEL_WORDS_AND_PART.test(rest);
}

/** Where, from `from`, the end of `text` may still become a PEM header; -1 when it cannot. */
function pemBeginOpenAt(text: string, from: number): number {
  for (let i = Math.max(from, text.length - PEM_OPEN_MAX); i < text.length; i += 1) {
    if (text.charCodeAt(i) === DASH && isPemBeginStart(text.slice(i))) return i;
  }
  return -1;
}

/** The same question on bytes, without making a string of more than the last few of them. */
function pemBeginOpen(data: Buffer): boolean {
  const from = Math.max(0, data.length - PEM_OPEN_MAX);
  if (data.lastIndexOf(DASH) < from) return false;
  return pemBeginOpenAt(data.toString('latin1', from, data.length), 0) >= 0;
}

/** Whether the end of `data` may still become an AWS key id. */
function awsOpen(data: Buffer): boolean {
  if (data.length === 0 || !isUpperOrDigit(data[data.length - 1]!)) return false;
  AWS_OPEN.lastIndex = 0;
  return AWS_OPEN.test(data.toString('latin1', Math.max(0, data.length - AWS_OPEN_MAX), data.length));
}

/** Where a keyword secret that is still open at the end of `text` can start, at the earliest. */
function keywordWindowStart(text: string): number {
  let p = text.length;
  for (let n = 0; n < 6 && p > 0 && !isSpace(text.charCodeAt(p - 1)); n += 1) p -= 1;
  while (p > 0 && isSpace(text.charCodeAt(p - 1))) p -= 1;
  if (p > 0 && (text.charCodeAt(p - 1) === COLON || text.charCodeAt(p - 1) === EQUALS)) p -= 1;
  while (p > 0 && isSpace(text.charCodeAt(p - 1))) p -= 1;
  return Math.max(0, p - 16);
}

/**
 * Keyword secrets and AWS key ids over a stream of text (the text outside PEM blocks). Holds
 * back only an undecided value (up to 5 bytes) or the start of a key id (up to 19); keeps as
 * context, without holding it back, an open keyword and its separator (spaces as one).
 */
class Redactor {
  /** Released text an open keyword secret starts in, to match it with what comes next. */
  private context = '';
  private contextHasSeparator = false;
  /** Bytes not released yet. */
  private held: Buffer = EMPTY;
  /** Inside a value already replaced: its further non-space bytes are dropped. */
  private inValue = false;
  /** Something was replaced or dropped since the flag was last read. */
  redacted = false;

  push(data: Buffer, out: Buffer[]): void {
    if (data.length === 0) return;
    // The fast path: nothing held, no value open, and no ':', '=' or 'AKIA' here, so no
    // secret can end in this data; it is released whole and only its end is looked at.
    if (
      !this.inValue &&
      this.held.length === 0 &&
      !this.contextHasSeparator &&
      !data.includes(COLON) &&
      !data.includes(EQUALS) &&
      !data.includes('AKIA') &&
      !awsOpen(data)
    ) {
      out.push(data);
      this.context = this.openKeyword(data);
      return;
    }
    this.judge(data, out);
  }

  /** The text ended (end of stream, or a PEM block begins): what is held is released. */
  end(out: Buffer[]): void {
    if (this.held.length > 0) out.push(this.held);
    this.held = EMPTY;
    this.context = '';
    this.contextHasSeparator = false;
    this.inValue = false;
  }

  /** The open keyword (no separator yet) at the end of the context and `data`, spaces as one. */
  private openKeyword(data: Buffer): string {
    let end = data.length;
    while (end > 0 && isSpace(data[end - 1]!)) end -= 1;
    const from = Math.max(0, end - 16);
    let tail = data.toString('latin1', from, end) + (end < data.length ? ' ' : '');
    if (from === 0) tail = this.context + tail;
    tail = tail.replace(SPACES, ' ');
    KEYWORD_OPEN.lastIndex = 0;
    const open = KEYWORD_OPEN.exec(tail);
    return open ? tail.slice(open.index) : '';
  }

  private judge(input: Buffer, out: Buffer[]): void {
    let data = input;
    if (this.inValue) {
      let k = 0;
      while (k < data.length && !isSpace(data[k]!)) k += 1;
      if (k > 0) this.redacted = true;
      if (k === data.length) return;
      this.inValue = false;
      data = data.subarray(k);
    }
    const contextLength = this.context.length;
    const heldBefore = this.held.length;
    const text = this.context + this.held.toString('latin1') + data.toString('latin1');
    let lastEnd = 0;
    let valueOpen = false;
    let replaced = false;
    const keywordsDone = text.replace(SENSITIVE_TOKEN, (match: string, word: string, separator: string, _value: string, offset: number) => {
      replaced = true;
      lastEnd = offset + match.length;
      valueOpen = lastEnd === text.length;
      return `${word}${separator}${REDACTED}`;
    });
    const done = keywordsDone.replace(AWS_KEY_ID, () => {
      replaced = true;
      return REDACTED;
    });
    if (replaced) this.redacted = true;

    let held = 0;
    this.context = '';
    this.contextHasSeparator = false;
    if (valueOpen) {
      // The value runs to the end: it may go on in the next chunk.
      this.inValue = true;
    } else {
      AWS_OPEN.lastIndex = Math.max(0, done.length - AWS_OPEN_MAX);
      const aws = AWS_OPEN.exec(done);
      if (aws) held = done.length - aws.index;
      KEYWORD_OPEN.lastIndex = Math.max(lastEnd, keywordWindowStart(text));
      const keyword = KEYWORD_OPEN.exec(text);
      if (keyword) {
        const value = keyword[1];
        held = Math.max(held, value?.length ?? 0);
        if (text.length - keyword.index > held) {
          this.context = text.slice(keyword.index, text.length - held).replace(SPACES, ' ');
          this.contextHasSeparator = value !== undefined;
        }
      }
    }
    // The context was released before; what is held is the end of the text, unchanged.
    if (!replaced && heldBefore === 0) {
      // Nothing replaced and nothing held before: what is released is the data itself.
      if (data.length > held) out.push(data.subarray(0, data.length - held));
    } else {
      const released = done.slice(contextLength, done.length - held);
      if (released.length > 0) out.push(Buffer.from(released, 'latin1'));
    }
    this.held = held > 0 ? Buffer.from(done.slice(done.length - held), 'latin1') : EMPTY;
  }
}

/** The guard over one stream: PEM blocks first, then the redactor over the text between them. */
class StreamFilter {
  private readonly redactor = new Redactor();
  /** Bytes that may begin a PEM header (or a '\r' after an END line), not released yet. */
  private held: Buffer = EMPTY;
  private inBlock = false;
  /** The end of the blocked text, to find an END line cut by a chunk's end. */
  private blockTail = '';
  /** An END line just ended: a line break right after it belongs to the block. */
  private afterEnd = false;
  /** Bytes were dropped as part of a PEM block since the flag was last read. */
  blocked = false;

  get redacted(): boolean {
    return this.redactor.redacted;
  }

  clearFlags(): void {
    this.blocked = false;
    this.redactor.redacted = false;
  }

  push(chunk: Buffer, out: Buffer[]): void {
    if (!this.inBlock && !this.afterEnd && this.held.length === 0 && !chunk.includes(PEM_BEGIN_HEAD) && !pemBeginOpen(chunk)) {
      this.redactor.push(chunk, out);
      return;
    }
    const data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = EMPTY;
    const text = data.toString('latin1');
    let pos = 0;
    while (pos < text.length) {
      if (this.afterEnd) {
        const start = pos;
        if (text.startsWith('\r\n', pos)) pos += 2;
        else if (text.startsWith('\n', pos)) pos += 1;
        else if (text.startsWith('\r', pos) && pos + 1 === text.length) {
          this.held = Buffer.from(data.subarray(pos));
          return;
        }
        if (pos > start) this.blocked = true;
        this.afterEnd = false;
        continue;
      }
      if (this.inBlock) {
        this.blocked = true;
        const search = this.blockTail + text.slice(pos);
        PEM_END.lastIndex = 0;
        const end = PEM_END.exec(search);
        if (!end) {
          this.blockTail = search.slice(-PEM_END_MAX);
          return;
        }
        pos += end.index + end[0].length - this.blockTail.length;
        this.blockTail = '';
        this.inBlock = false;
        this.afterEnd = true;
        continue;
      }
      PEM_BEGIN.lastIndex = pos;
      const begin = PEM_BEGIN.exec(text);
      if (begin) {
        this.redactor.push(data.subarray(pos, begin.index), out);
        this.redactor.end(out);
        this.inBlock = true;
        this.blocked = true;
        pos = begin.index + begin[0].length;
        continue;
      }
      const open = pemBeginOpenAt(text, pos);
      const cut = open < 0 ? text.length : open;
      this.redactor.push(data.subarray(pos, cut), out);
      if (cut < text.length) this.held = Buffer.from(data.subarray(cut));
      return;
    }
  }

  /** The stream ended: what is held is released (nothing of an open PEM block). */
  end(out: Buffer[]): void {
    if (!this.inBlock && this.held.length > 0) this.redactor.push(this.held, out);
    this.held = EMPTY;
    this.redactor.end(out);
    this.inBlock = false;
    this.blockTail = '';
    this.afterEnd = false;
  }
}

export type GuardOutcome = Classification & {
  reason: string;
  /** What may be persisted: the chunk (shadow), what the guard released of it (enforce), or null (nothing). */
  persisted: Buffer | null;
};

/**
 * The guard on one stream (a stage's stdout or stderr). `push` judges each chunk in order;
 * `end` releases what was held back, once the stream is over. Shadow mode runs the same guard
 * for its decisions and persists every chunk as it came.
 */
export class StreamGuard {
  private readonly filter = new StreamFilter();

  constructor(readonly mode: PrivacyMode) {}

  push(data: Uint8Array): GuardOutcome {
    const chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const out: Buffer[] = [];
    this.filter.push(chunk, out);
    return this.outcome(out, chunk);
  }

  /** The stream is over: what was held back (null when nothing was). Also in shadow mode, where it only ends the guard. */
  end(): GuardOutcome | null {
    const out: Buffer[] = [];
    this.filter.end(out);
    if (this.mode === 'shadow' || out.every((piece) => piece.length === 0)) return null;
    return this.outcome(out, null);
  }

  private outcome(out: Buffer[], chunk: Buffer | null): GuardOutcome {
    const { action, rule } = this.classification();
    this.filter.clearFlags();
    if (this.mode === 'shadow') return { action, rule, reason: 'shadow-mode', persisted: chunk };
    const released = out.length === 1 ? out[0]! : Buffer.concat(out);
    return { action, rule, reason: action === 'allow' ? 'no-match' : 'enforced', persisted: released.length > 0 ? released : null };
  }

  private classification(): Classification {
    if (this.filter.blocked) return { action: 'block', rule: 'private-key' };
    if (this.filter.redacted) return { action: 'redact', rule: 'sensitive-token' };
    return { action: 'allow', rule: null };
  }
}

export type GuardedText = Classification & { reason: string; text: string };

/**
 * A text that is not a stream (a command, a summary, an error message, a line the CLI
 * prints): the same guard over it as one chunk, then its end. Shadow mode: the text as is.
 */
export function guardText(mode: PrivacyMode, text: string): GuardedText {
  const guard = new StreamGuard('enforce');
  const first = guard.push(Buffer.from(text, 'utf8'));
  const rest = guard.end();
  const { action, rule } = first;
  if (mode === 'shadow') return { action, rule, reason: 'shadow-mode', text };
  const pieces = [first.persisted, rest?.persisted].filter((piece): piece is Buffer => piece !== null && piece !== undefined);
  return { action, rule, reason: first.reason, text: action === 'allow' ? text : Buffer.concat(pieces).toString('utf8') };
}

/** One chunk judged as a whole text, alone (what the guard does with a stream of one chunk). */
export function classifyChunk(data: Uint8Array): Classification {
  const { action, rule } = guardChunk('enforce', data);
  return { action, rule };
}

/** One chunk as a whole stream: what may be persisted of it, in `mode`. */
export function guardChunk(mode: PrivacyMode, data: Uint8Array): GuardOutcome {
  const guard = new StreamGuard(mode);
  const first = guard.push(data);
  const rest = guard.end();
  if (!rest) return first;
  const persisted = first.persisted ? Buffer.concat([first.persisted, rest.persisted!]) : rest.persisted;
  return { ...first, persisted };
}
