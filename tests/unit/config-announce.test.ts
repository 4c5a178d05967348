import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('TASK_GROUPS and NOTIFY_UNIT_CHAT', () => {
  it('are on unless set to off, and refuse anything else saying what to write', () => {
    expect(loadConfig({})).toMatchObject({ TASK_GROUPS: true, NOTIFY_UNIT_CHAT: true });
    expect(loadConfig({ TASK_GROUPS: '', NOTIFY_UNIT_CHAT: '' })).toMatchObject({
      TASK_GROUPS: true,
      NOTIFY_UNIT_CHAT: true,
    });
    expect(loadConfig({ TASK_GROUPS: 'off', NOTIFY_UNIT_CHAT: 'off' })).toMatchObject({
      TASK_GROUPS: false,
      NOTIFY_UNIT_CHAT: false,
    });
    expect(() => loadConfig({ TASK_GROUPS: 'yes' })).toThrow(/TASK_GROUPS：应为 on（重大隐患建专班群）或 off/);
    expect(() => loadConfig({ NOTIFY_UNIT_CHAT: 'false' })).toThrow(/NOTIFY_UNIT_CHAT：应为 on/);
  });
});
