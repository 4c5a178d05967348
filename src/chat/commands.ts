/**
 * The chat commands of interface.md, in Chinese and English, with their menu event keys; plus 绑定 (bind), which
 * makes a group chat a township's escalation group (src/chat/bind-group.ts).
 */
export type CommandName = 'report' | 'inspect' | 'coverage' | 'mine' | 'show' | 'ledger' | 'stats' | 'help' | 'bind';

export interface Command {
  name: CommandName;
  /** Whatever follows the command word, e.g. the hazard code of `查询 YH-2026-000123`. */
  argument: string;
}

const WORDS: Record<string, CommandName> = {
  上报: 'report',
  report: 'report',
  检查: 'inspect',
  inspect: 'inspect',
  待检: 'coverage',
  coverage: 'coverage',
  我的: 'mine',
  mine: 'mine',
  查询: 'show',
  show: 'show',
  台账: 'ledger',
  ledger: 'ledger',
  统计: 'stats',
  stats: 'stats',
  帮助: 'help',
  help: 'help',
  绑定: 'bind',
  bind: 'bind',
};

export const MENU_KEYS: ReadonlySet<string> = new Set([
  'report',
  'inspect',
  'coverage',
  'mine',
  'ledger',
  'stats',
  'help',
]);

/**
 * Reads a command from a text message. Mentions arrive as `@_user_1` placeholders and are removed; full-width
 * spaces and a leading slash (a habit from other bots) are tolerated. Returns null for anything else.
 */
export function parseCommand(text: string): Command | null {
  const cleaned = text
    .replace(/@_user_\d+/g, ' ')
    .replace(/\u3000/g, ' ')
    .trim()
    .replace(/^\//, '');
  const match = /^(\S+?)(?:[\s:：]+(.*))?$/s.exec(cleaned);
  if (!match) return null;
  const word = match[1]!;
  const exact = WORDS[word.toLowerCase()];
  if (exact) return { name: exact, argument: (match[2] ?? '').trim() };
  // `查询YH-2026-000123` typed without a space on a phone keyboard; only Chinese words, so `reporting` is no command.
  const key = Object.keys(WORDS).find((k) => /^\p{Script=Han}/u.test(k) && word.startsWith(k));
  if (!key) return null;
  return { name: WORDS[key]!, argument: `${word.slice(key.length)} ${match[2] ?? ''}`.trim() };
}
