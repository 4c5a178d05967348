import { describe, expect, it } from 'vitest';
import { taskGroupName } from '../../src/hazards/task-group/store.js';

describe('专班群 names', () => {
  it('names the hazard and its unit, and says 已销号 once closed', () => {
    expect(taskGroupName('YH-2026-000123', '某某公司')).toBe('【重大隐患】YH-2026-000123 某某公司');
    expect(taskGroupName('YH-2026-000123', '某某公司', true)).toBe('【重大隐患·已销号】YH-2026-000123 某某公司');
  });

  it('shortens a long unit name to keep the name within Feishu’s 60 characters', () => {
    const long = '某'.repeat(80);
    for (const closed of [false, true]) {
      const name = taskGroupName('YH-2026-000123', long, closed);
      expect([...name]).toHaveLength(60);
      expect(name.endsWith('…')).toBe(true);
      expect(name).toContain('YH-2026-000123');
    }
  });
});
