import { describe, expect, it } from 'vitest';
import {
  EventTooDeepError,
  MAX_EVENT_DEPTH,
  makeStorable,
  nestsDeeperThan,
  storableText,
} from '../../src/feishu/event-json.js';

describe('nestsDeeperThan', () => {
  const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  it('measures nesting of objects and arrays alike', () => {
    expect(nestsDeeperThan(deep(3), 3)).toBe(false);
    expect(nestsDeeperThan(deep(4), 3)).toBe(true);
    expect(nestsDeeperThan(`${'['.repeat(4)}${']'.repeat(4)}`, 3)).toBe(true);
    expect(nestsDeeperThan(`[{"a":[{"b":1}]}]`, 3)).toBe(true);
  });
  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(JSON.stringify({ text: '{{{{[[[[' }), 2)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify({ text: 'say \\"{{{{\\" and "[[[["' }), 2)).toBe(false);
    expect(nestsDeeperThan(`{"t":"\\\\","a":{"b":{"c":1}}}`, 2)).toBe(true);
  });
  it('sees many siblings as shallow', () => {
    expect(nestsDeeperThan(JSON.stringify(Array.from({ length: 500 }, () => ({ a: [1] }))), 3)).toBe(false);
  });
});

describe('storableText and makeStorable', () => {
  it('replaces NUL and lone surrogates, keeps pairs (emoji)', () => {
    expect(storableText('a\u0000b')).toBe('a\ufffdb');
    expect(storableText('x\ud800')).toBe('x\ufffd');
    expect(storableText('\udc00y')).toBe('\ufffdy');
    expect(storableText('ok 😀')).toBe('ok 😀');
    expect(storableText('\ud83d\ude00\ud83d')).toBe('😀\ufffd');
  });
  it('rewrites strings and keys in place and counts them', () => {
    const value = { a: 'x\u0000', list: ['ok', '\ud800'], ['k\u0000']: { deep: 'fine' } };
    expect(makeStorable(value)).toBe(3);
    expect(value).toEqual({ a: 'x\ufffd', list: ['ok', '\ufffd'], ['k\ufffd']: { deep: 'fine' } });
  });
  it('refuses nesting past the limit', () => {
    let value: unknown = 1;
    for (let i = 0; i <= MAX_EVENT_DEPTH + 1; i++) value = [value];
    expect(() => makeStorable(value)).toThrow(EventTooDeepError);
  });
});
