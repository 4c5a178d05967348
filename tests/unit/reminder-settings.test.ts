import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_POLICY } from '../../src/domain/index.js';
import { holidayCoverageWarning, loadReminderSettings, PolicyFileError } from '../../src/reminders/settings.js';

const dir = mkdtempSync(path.join(tmpdir(), 'policy-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('reminder settings from the environment', () => {
  it('uses the default ladder, calendar days and 22:00–07:30 quiet hours when nothing is set', () => {
    const settings = loadReminderSettings(loadConfig({}));
    expect(settings.policy).toBe(DEFAULT_POLICY);
    expect(settings.calendar.settings.dayCounting).toBe('calendar');
    expect(settings.calendar.isQuietHour(new Date('2026-03-02T23:00:00+08:00'))).toBe(true);
    expect(settings.calendar.isQuietHour(new Date('2026-03-02T07:30:00+08:00'))).toBe(false);
  });

  it('reads working days, other quiet hours or none', () => {
    const working = loadReminderSettings(loadConfig({ DEADLINE_DAY_COUNTING: 'working', QUIET_HOURS: 'off' }));
    expect(working.calendar.settings.dayCounting).toBe('working');
    expect(working.calendar.isQuietHour(new Date('2026-03-02T23:00:00+08:00'))).toBe(false);
    expect(() => loadConfig({ DEADLINE_DAY_COUNTING: 'lunar' })).toThrow(
      /DEADLINE_DAY_COUNTING: must be "calendar" or "working"/,
    );
    expect(() => loadConfig({ QUIET_HOURS: '22-7' })).toThrow(/QUIET_HOURS: must be HH:MM-HH:MM/);
  });

  it('loads a valid policy file', () => {
    const p = file(
      'ok.json',
      JSON.stringify({
        version: 1,
        steps: [{ id: 'overdue-0d', who: ['responsible'], when: { after: 'deadline', days: 0 }, channel: 'card' }],
        digest: { at: '08:00' },
      }),
    );
    const settings = loadReminderSettings(loadConfig({ ESCALATION_POLICY_FILE: p }));
    expect(settings.policy.steps.map((s) => s.id)).toEqual(['overdue-0d']);
    expect(settings.policy.digest.at).toBe('08:00');
  });

  it('stops on a broken policy file, listing every problem by path', () => {
    const p = file(
      'bad.json',
      JSON.stringify({
        version: 1,
        steps: [
          { id: 'a', who: ['mayor'], when: { before: 'deadline', days: -1, at: '9am' }, channel: 'card' },
          { id: 'b', who: ['responsible'], when: { on: 'reported' }, channel: 'card', breaksQuietHours: true },
        ],
      }),
    );
    const attempt = () => loadReminderSettings(loadConfig({ ESCALATION_POLICY_FILE: p }));
    expect(attempt).toThrow(PolicyFileError);
    expect(attempt).toThrow(/steps\[0\]\.who\[0\]/);
    expect(attempt).toThrow(/steps\[0\]\.when\.days: must be 0 or more days/);
    expect(attempt).toThrow(/steps\[0\]\.when\.at: must be a time HH:MM/);
    const general = file(
      'quiet.json',
      JSON.stringify({
        version: 1,
        steps: [{ id: 'b', who: ['responsible'], when: { on: 'reported' }, channel: 'card', breaksQuietHours: true }],
      }),
    );
    expect(() => loadReminderSettings(loadConfig({ ESCALATION_POLICY_FILE: general }))).toThrow(
      /steps\[0\]\.breaksQuietHours: only steps limited to major hazards/,
    );
    expect(() => loadReminderSettings(loadConfig({ ESCALATION_POLICY_FILE: file('x.json', '{') }))).toThrow(
      /\(file\): not valid JSON/,
    );
    expect(() => loadReminderSettings(loadConfig({ ESCALATION_POLICY_FILE: path.join(dir, 'missing.json') }))).toThrow(
      /cannot be read/,
    );
  });
});

describe('the holiday data warning at start-up', () => {
  const working = loadReminderSettings(loadConfig({ DEADLINE_DAY_COUNTING: 'working' })).calendar;
  const calendarDays = loadReminderSettings(loadConfig({})).calendar;

  it('says which years are covered once deadlines can reach past them, with working days only', () => {
    // Deadlines may be set up to 365 days ahead: from 2026-11-28 that is 2027-11-28, past the data (2004–2026).
    const warning = holidayCoverageWarning(working, new Date('2026-11-28T09:00:00+08:00'));
    expect(warning).toContain('covers 2004–2026');
    expect(warning).toContain('up to 2027-11-28');
    expect(warning).toContain('Monday–Friday');
    expect(holidayCoverageWarning(calendarDays, new Date('2026-11-28T09:00:00+08:00'))).toBeNull();
  });

  it('stays quiet while every deadline that can be set lies in covered years', () => {
    expect(holidayCoverageWarning(working, new Date('2025-12-01T09:00:00+08:00'))).toBeNull();
  });
});
