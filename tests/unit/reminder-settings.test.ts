import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_POLICY } from '../../src/domain/index.js';
import {
  holidayCoverageWarning,
  loadReminderSettings,
  PolicyFileError,
  quietHoursNotice,
} from '../../src/reminders/settings.js';

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
      /DEADLINE_DAY_COUNTING：应为 calendar（自然日）或 working（工作日）/,
    );
    expect(() => loadConfig({ QUIET_HOURS: '22-7' })).toThrow(/QUIET_HOURS：应为 HH:MM-HH:MM/);
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
    expect(attempt).toThrow(/steps\[0\]\.when\.days：应为 0 或更多天/);
    expect(attempt).toThrow(/steps\[0\]\.when\.at：应为时刻 HH:MM/);
    const general = file(
      'quiet.json',
      JSON.stringify({
        version: 1,
        steps: [{ id: 'b', who: ['responsible'], when: { on: 'reported' }, channel: 'card', breaksQuietHours: true }],
      }),
    );
    expect(() => loadReminderSettings(loadConfig({ ESCALATION_POLICY_FILE: general }))).toThrow(
      /steps\[0\]\.breaksQuietHours：只有限于重大隐患的步骤/,
    );
    expect(() => loadReminderSettings(loadConfig({ ESCALATION_POLICY_FILE: file('x.json', '{') }))).toThrow(
      /（整个文件）：不是合法的 JSON/,
    );
    expect(() => loadReminderSettings(loadConfig({ ESCALATION_POLICY_FILE: path.join(dir, 'missing.json') }))).toThrow(
      /无法读取/,
    );
  });
});

describe('the quiet hours line of the start-up log', () => {
  const notice = (env: Record<string, string>) => quietHoursNotice(loadReminderSettings(loadConfig(env)).calendar);

  it('says the window in words, with "the next day" when it crosses midnight', () => {
    expect(notice({})).toEqual({
      level: 'info',
      message: '免打扰时段：每天 22:00 至次日 07:30，其间只发送重大隐患消息',
    });
    expect(notice({ QUIET_HOURS: '00:00-06:30' })).toEqual({
      level: 'info',
      message: '免打扰时段：每天 00:00 至 06:30，其间只发送重大隐患消息',
    });
    expect(notice({ QUIET_HOURS: 'off' })).toEqual({
      level: 'info',
      message: '免打扰时段：未设置（QUIET_HOURS=off），提醒随时发送',
    });
  });

  it('warns of a window over the working day that QUIET_HOURS_COVER_WORKDAY let through', () => {
    expect(notice({ QUIET_HOURS: '12:00-13:30', QUIET_HOURS_COVER_WORKDAY: 'yes' })).toEqual({
      level: 'warn',
      message:
        '免打扰时段：每天 12:00 至 13:30，其间只发送重大隐患消息；这覆盖了工作时间中的 12:00–13:30' +
        '（QUIET_HOURS_COVER_WORKDAY=yes 已确认）',
    });
  });

  it('holds general reminders back inside the window and lets them go at its end', () => {
    const { calendar } = loadReminderSettings(loadConfig({ QUIET_HOURS: '23:00-06:00' }));
    expect(calendar.isQuietHour(new Date('2026-03-02T22:59:00+08:00'))).toBe(false);
    expect(calendar.isQuietHour(new Date('2026-03-02T23:00:00+08:00'))).toBe(true);
    expect(calendar.nextSendTime(new Date('2026-03-02T23:30:00+08:00'))).toEqual(new Date('2026-03-03T06:00:00+08:00'));
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

describe('holiday years from HOLIDAYS_FILE', () => {
  // An illustrative 2027 arrangement (the real one is the State Council's, published late in 2026): 春节 from
  // Saturday 02-06 to Sunday 02-14, worked back on Saturday 02-20.
  const year2027 = {
    holidays: {
      '2027-01-01': '元旦',
      ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`2027-02-${String(6 + i).padStart(2, '0')}`, '春节'])),
    },
    workdays: { '2027-02-20': '春节' },
  };
  const load = (content: unknown, extra: Record<string, string> = {}) =>
    loadReminderSettings(
      loadConfig({
        DEADLINE_DAY_COUNTING: 'working',
        HOLIDAYS_FILE: file(`holidays-${Math.random()}.json`, JSON.stringify(content)),
        ...extra,
      }),
    );

  it('counts working days across a year the package does not know, and the start-up warning moves on', () => {
    const settings = load({ 2027: year2027 });
    expect(settings.holidayYearsFromFile).toEqual([2027]);
    const calendar = settings.calendar;
    expect(calendar.addDays('2027-02-05', 1)).toEqual({ date: '2027-02-15', usedWeekdayFallback: false });
    expect(calendar.addDays('2027-02-19', 1)).toEqual({ date: '2027-02-20', usedWeekdayFallback: false });
    expect(calendar.addDays('2026-12-31', 1)).toEqual({ date: '2027-01-04', usedWeekdayFallback: false });
    // Without the file the same count falls back to Monday–Friday and says so.
    const plain = loadReminderSettings(loadConfig({ DEADLINE_DAY_COUNTING: 'working' })).calendar;
    expect(plain.addDays('2027-02-05', 1)).toEqual({ date: '2027-02-08', usedWeekdayFallback: true });
    // Deadlines set from 2026-11-28 reach 2027-11-28, which the file covers; a year later they would not.
    expect(holidayCoverageWarning(calendar, new Date('2026-11-28T09:00:00+08:00'))).toBeNull();
    const later = holidayCoverageWarning(calendar, new Date('2027-03-01T09:00:00+08:00'));
    expect(later).toContain('covers 2004–2027');
    expect(later).toContain('HOLIDAYS_FILE');
  });

  it('replaces a year the package knows, whole', () => {
    const calendar = load({ 2026: { holidays: { '2026-01-01': '元旦' } } }).calendar;
    // 2026-10-01 was 国庆节 in the package; the file's 2026 has no National Day, so it is a Thursday like any other.
    expect(calendar.addDays('2026-09-30', 1).date).toBe('2026-10-01');
  });

  it('stops the start on a broken file, listing every problem by path', () => {
    const attempt = () =>
      load({
        2027: {
          holidays: { '2027-02-30': '春节', '2027-10-01': '', '2026-10-01': '国庆节' },
          workdays: { '2027-02-17': '春节' },
          extra: {},
        },
        2029: { holidays: { '2027-01-01': '元旦' } },
        next: {},
      });
    expect(attempt).toThrow(PolicyFileError);
    expect(attempt).toThrow(/HOLIDAYS_FILE .* 有 8 处问题/);
    expect(attempt).toThrow(/2027\.extra：未知字段/);
    expect(attempt).toThrow(/2027\.holidays\.2027-02-30：应为 2027 年内的日期/);
    expect(attempt).toThrow(/2027\.holidays\.2027-10-01：应为节日名称/);
    expect(attempt).toThrow(/2027\.holidays\.2026-10-01：应为 2027 年内的日期/);
    expect(attempt).toThrow(/2027\.workdays\.2027-02-17：2027-02-17 是工作日/);
    expect(attempt).toThrow(/2029\.holidays\.2027-01-01：应为 2029 年内的日期/);
    expect(attempt).toThrow(/next：键应为年份/);
    expect(attempt).toThrow(/2029：缺少 2028 年/);
    expect(() => load({ 2028: { holidays: { '2028-01-01': '元旦' } } })).toThrow(/缺少 2027 年/);
    expect(() => load({ 2027: { workdays: {} } })).toThrow(/2027\.holidays：每年都要有放假日/);
    expect(() => load([])).toThrow(/应为每年一项的对象/);
    expect(() => loadReminderSettings(loadConfig({ HOLIDAYS_FILE: file('broken-holidays.json', '{"2027":') }))).toThrow(
      /HOLIDAYS_FILE .*\n {2}- （整个文件）：不是合法的 JSON/,
    );
  });
});
