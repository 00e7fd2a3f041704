import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyChunk, guardChunk, privacyModeFrom, redact } from '../../src/privacy/guard.js';

const b = (s: string) => Buffer.from(s, 'utf8');

describe('privacy guard', () => {
  it.each([
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE', 'block', 'private-key'],
    ['-----BEGIN PRIVATE KEY-----', 'block', 'private-key'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----', 'block', 'private-key'],
    ['password=hunter22', 'redact', 'sensitive-token'],
    ['API_KEY: abcdef123', 'redact', 'sensitive-token'],
    ['client_secret = s3cr3tvalue', 'redact', 'sensitive-token'],
    ['apikey=123456', 'redact', 'sensitive-token'],
    ['api-key:qwerty', 'redact', 'sensitive-token'],
    ['GITHUB_TOKEN=ghp_abcdef', 'redact', 'sensitive-token'],
    ['key AKIAABCDEFGHIJKLMNOP here', 'redact', 'sensitive-token'],
    ['password=short', 'allow', null],
    ['tokens: 12345678', 'allow', null],
    ['the password is strong', 'allow', null],
    ['AKIAabcdefghijklmnop', 'allow', null],
    ['-----BEGIN PUBLIC KEY-----', 'allow', null],
  ])('%j → %s', (text, action, rule) => {
    expect(classifyChunk(b(text))).toEqual({ action, rule });
  });

  it('a private key wins over a token in the same chunk', () => {
    expect(classifyChunk(b('password=hunter22\n-----BEGIN EC PRIVATE KEY-----')).action).toBe('block');
  });

  it('shadow mode records the would-be action and persists the chunk unchanged', () => {
    const data = b('password=hunter22\n');
    expect(guardChunk('shadow', data)).toEqual({ action: 'redact', rule: 'sensitive-token', reason: 'shadow-mode', persisted: data });
    expect(guardChunk('shadow', b('-----BEGIN PRIVATE KEY-----')).persisted?.toString()).toBe('-----BEGIN PRIVATE KEY-----');
  });

  it('enforce mode redacts values, drops blocked chunks, allows the rest', () => {
    expect(guardChunk('enforce', b('password=hunter22 and token: abcdefgh\n')).persisted?.toString()).toBe(
      'password=[REDACTED] and token: [REDACTED]\n',
    );
    expect(guardChunk('enforce', b('id AKIAABCDEFGHIJKLMNOP.')).persisted?.toString()).toBe('id [REDACTED].');
    expect(guardChunk('enforce', b('-----BEGIN PRIVATE KEY-----'))).toMatchObject({ action: 'block', persisted: null });
    expect(guardChunk('enforce', b('hello\n'))).toMatchObject({ action: 'allow', reason: 'no-match' });
  });

  it('redaction keeps every other byte exact, even in non-UTF-8 output (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (before, after) => {
        const secretless = (x: Uint8Array) => !/(secret|password|api_key|api-key|apikey|token|AKIA)/i.test(Buffer.from(x).toString('latin1'));
        fc.pre(secretless(before) && secretless(after));
        const chunk = Buffer.concat([before, b(' password=hunter22 '), after]);
        const out = redact(chunk);
        expect(out).toEqual(Buffer.concat([before, b(' password=[REDACTED] '), after]));
      }),
    );
  });

  it('reads the mode from the environment it is given', () => {
    expect(privacyModeFrom({})).toBe('shadow');
    expect(privacyModeFrom({ CODEX_PRIVACY_GUARD_MODE: 'enforce' })).toBe('enforce');
    expect(privacyModeFrom({ CODEX_PRIVACY_GUARD_MODE: ' Enforce ' })).toBe('enforce');
    expect(privacyModeFrom({ CODEX_PRIVACY_GUARD_MODE: 'off' })).toBe('shadow');
  });
});
