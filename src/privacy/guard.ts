// The privacy guard (docs/contracts.md §9): looks at every output chunk and decides allow,
// redact or block. Shadow mode records what it would do and changes nothing; enforce mode
// replaces sensitive values with [REDACTED] and drops blocked chunks before anything is
// persisted.
import { ENV_VARIABLES } from '../config/env-settings.js';
import type { PrivacyAction } from '../manifest/schema.js';

export type PrivacyMode = 'shadow' | 'enforce';

export const REDACTED = '[REDACTED]';

const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
// Keyword, optional spaces, ':' or '=', optional spaces, then the value (6+ non-space chars).
const SENSITIVE_TOKEN = /(secret|password|api_key|api-key|apikey|token)(\s*[:=]\s*)(\S{6,})/gi;
const AWS_KEY_ID = /AKIA[0-9A-Z]{16}/g;

export function privacyModeFrom(env: Record<string, string | undefined>): PrivacyMode {
  return env[ENV_VARIABLES.privacyMode.name]?.trim().toLowerCase() === 'enforce' ? 'enforce' : 'shadow';
}

export type Classification = { action: PrivacyAction; rule: string | null };

/** Rules in order: a PEM private-key header blocks; a keyword secret or AWS key id redacts. */
export function classifyChunk(data: Uint8Array): Classification {
  // latin1 maps bytes one to one, so matching works on any output and replacement keeps the other bytes exact.
  // A view, not a copy: this runs on every chunk of output.
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // Exact shortcut, without making a string of the chunk: a token needs ':' or '=', a key
  // header 'PRIVATE KEY-----', an AWS key id 'AKIA'; a chunk with none of them is allowed.
  if (!bytes.includes(0x3a) && !bytes.includes(0x3d) && !bytes.includes('AKIA') && !bytes.includes('PRIVATE KEY-----')) {
    return { action: 'allow', rule: null };
  }
  const text = bytes.toString('latin1');
  if (PRIVATE_KEY.test(text)) return { action: 'block', rule: 'private-key' };
  SENSITIVE_TOKEN.lastIndex = 0;
  AWS_KEY_ID.lastIndex = 0;
  if (SENSITIVE_TOKEN.test(text) || AWS_KEY_ID.test(text)) return { action: 'redact', rule: 'sensitive-token' };
  return { action: 'allow', rule: null };
}

export function redact(data: Uint8Array): Buffer {
  const text = Buffer.from(data)
    .toString('latin1')
    .replace(SENSITIVE_TOKEN, (_match, word: string, separator: string) => `${word}${separator}${REDACTED}`)
    .replace(AWS_KEY_ID, REDACTED);
  return Buffer.from(text, 'latin1');
}

export type GuardOutcome = Classification & {
  reason: string;
  /** What may be persisted: the chunk (shadow / allow), its redacted form, or null (blocked). */
  persisted: Buffer | null;
};

export function guardChunk(mode: PrivacyMode, data: Uint8Array): GuardOutcome {
  const { action, rule } = classifyChunk(data);
  const original = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (mode === 'shadow') return { action, rule, reason: 'shadow-mode', persisted: original };
  if (action === 'block') return { action, rule, reason: 'enforced', persisted: null };
  if (action === 'redact') return { action, rule, reason: 'enforced', persisted: redact(data) };
  return { action, rule, reason: 'no-match', persisted: original };
}
