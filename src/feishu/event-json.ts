/**
 * What an event may hold to be stored. PostgreSQL's jsonb (and text) cannot hold a NUL character or half of a
 * surrogate pair, and it parses nesting recursively: one such event failed the whole group-commit INSERT it shared
 * with its neighbours. So absurd nesting is refused before anything parses it deeply, and characters PostgreSQL
 * cannot hold are replaced by U+FFFD (the Unicode replacement character) — the rest of the event is kept as sent.
 */

/** Far deeper than any event or card callback Feishu sends (about 8 levels), far shallower than a stack limit. */
export const MAX_EVENT_DEPTH = 64;

export class EventTooDeepError extends Error {
  constructor() {
    super(`请求体嵌套超过 ${MAX_EVENT_DEPTH} 层，已拒收（the body is nested more than ${MAX_EVENT_DEPTH} deep）`);
    this.name = 'EventTooDeepError';
  }
}

/**
 * Whether JSON text nests deeper than `max`, found by counting brackets outside strings — linear, no recursion, so it
 * is safe on any input and runs before JSON.parse. Text with fewer opening brackets than `max` is passed at once.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let opening = 0;
  for (let i = text.indexOf('{'); i >= 0 && opening <= max; i = text.indexOf('{', i + 1)) opening++;
  for (let i = text.indexOf('['); i >= 0 && opening <= max; i = text.indexOf('[', i + 1)) opening++;
  if (opening <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is the point.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The text with every character PostgreSQL cannot store replaced by U+FFFD. */
export function storableText(text: string): string {
  UNSTORABLE.lastIndex = 0;
  return UNSTORABLE.test(text) ? text.replace(UNSTORABLE, '\ufffd') : text;
}

/**
 * Makes a parsed event storable in place: strings (values and keys) that PostgreSQL cannot hold are rewritten with
 * U+FFFD. Throws EventTooDeepError past MAX_EVENT_DEPTH (the long connection hands us objects the SDK parsed).
 * Answers how many strings were rewritten.
 */
export function makeStorable(value: unknown, depth = 0): number {
  if (depth > MAX_EVENT_DEPTH) throw new EventTooDeepError();
  if (value === null || typeof value !== 'object') return 0;
  let rewritten = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === 'string') {
        const fixed = storableText(item);
        if (fixed !== item) {
          value[i] = fixed;
          rewritten++;
        }
      } else rewritten += makeStorable(item, depth + 1);
    }
    return rewritten;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    let fixedKey = key;
    if (storableText(key) !== key) {
      fixedKey = storableText(key);
      delete record[key];
      rewritten++;
    }
    if (typeof item === 'string') {
      const fixed = storableText(item);
      if (fixed !== item) rewritten++;
      record[fixedKey] = fixed;
    } else {
      rewritten += makeStorable(item, depth + 1);
      if (fixedKey !== key) record[fixedKey] = item;
    }
  }
  return rewritten;
}
