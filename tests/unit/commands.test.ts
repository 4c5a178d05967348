import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/chat/commands.js';

describe('parseCommand', () => {
  it.each([
    ['帮助', 'help', ''],
    ['help', 'help', ''],
    ['HELP', 'help', ''],
    ['@_user_1 上报', 'report', ''],
    ['  我的 ', 'mine', ''],
    ['查询 YH-2026-000123', 'show', 'YH-2026-000123'],
    ['查询YH-2026-000123', 'show', 'YH-2026-000123'],
    ['查询：YH-2026-000123', 'show', 'YH-2026-000123'],
    ['show yh-2026-000001', 'show', 'yh-2026-000001'],
    ['/stats', 'stats', ''],
    ['台账\u3000', 'ledger', ''],
    ['@_user_1 绑定 城关镇', 'bind', '城关镇'],
    ['@_user_1 绑定城关镇', 'bind', '城关镇'],
    ['bind town-01', 'bind', 'town-01'],
    ['检查', 'inspect', ''],
    ['@_user_1 检查', 'inspect', ''],
    ['inspect', 'inspect', ''],
    ['待检', 'coverage', ''],
    ['coverage', 'coverage', ''],
  ])('reads %j as %s', (text, name, argument) => {
    expect(parseCommand(text)).toEqual({ name, argument });
  });

  it.each(['你好', '', '   ', '@_user_1', 'reporting is fun'])('ignores %j', (text) => {
    expect(parseCommand(text)).toBeNull();
  });
});
