import { describe, expect, it } from 'vitest';
import {
  addCalendarDays,
  addWorkingDays,
  atLocalTime,
  countWorkingDays,
  createCalendar,
  daysBetween,
  HOLIDAY_DATA_YEARS,
  isLocalDate,
  workingDayInfo,
} from '../../../src/domain/index.js';
import { local } from './fixtures.js';

const shanghai = createCalendar();

describe('holiday data (chinese-days)', () => {
  it('covers the State Council arrangements from 2004 to 2026', () => {
    expect(HOLIDAY_DATA_YEARS).toEqual({ first: 2004, last: 2026 });
  });

  it('knows 2026 National Day: holidays 10-01…10-07, make-up working days 09-20 (Sun) and 10-10 (Sat)', () => {
    expect(workingDayInfo('2026-10-01')).toEqual({ working: false, usedWeekdayFallback: false, holiday: '国庆节' });
    expect(workingDayInfo('2026-10-07')).toMatchObject({ working: false, holiday: '国庆节' });
    expect(workingDayInfo('2026-09-20')).toEqual({ working: true, usedWeekdayFallback: false, holiday: '国庆节' });
    expect(workingDayInfo('2026-10-10')).toMatchObject({ working: true, holiday: '国庆节' });
    expect(workingDayInfo('2026-10-11')).toEqual({ working: false, usedWeekdayFallback: false });
    expect(workingDayInfo('2026-10-12')).toEqual({ working: true, usedWeekdayFallback: false });
  });

  it('knows 2026 Spring Festival: 02-15…02-23 off, Saturdays 02-14 and 02-28 worked', () => {
    expect(workingDayInfo('2026-02-14').working).toBe(true);
    expect(workingDayInfo('2026-02-16').working).toBe(false);
    expect(workingDayInfo('2026-02-23').working).toBe(false);
    expect(workingDayInfo('2026-02-28').working).toBe(true);
  });

  it('falls back to Monday–Friday past the data, and says so', () => {
    // 2027-01-01 will surely be 元旦, but the package does not know 2027 yet.
    expect(workingDayInfo('2027-01-01')).toEqual({ working: true, usedWeekdayFallback: true });
    expect(workingDayInfo('2027-01-02')).toEqual({ working: false, usedWeekdayFallback: true });
    expect(workingDayInfo('2003-05-01')).toEqual({ working: true, usedWeekdayFallback: true });
  });
});

describe('working-day arithmetic', () => {
  it('jumps the National Day holiday and counts the make-up Saturday', () => {
    expect(addWorkingDays('2026-09-30', 1)).toEqual({ date: '2026-10-08', usedWeekdayFallback: false });
    // 09-30, 10-08, 10-09, 10-10 (make-up Saturday), 10-12
    expect(addWorkingDays('2026-09-29', 5).date).toBe('2026-10-12');
    expect(addWorkingDays('2026-10-08', -1).date).toBe('2026-09-30');
    expect(addWorkingDays('2026-10-12', -2).date).toBe('2026-10-09');
    expect(addWorkingDays('2026-10-12', 0).date).toBe('2026-10-12');
  });

  it('jumps the Spring Festival, counting Saturday 02-14 as a working day', () => {
    expect(addWorkingDays('2026-02-13', 1).date).toBe('2026-02-14');
    // 02-14 (make-up), 02-24, 02-25, 02-26, 02-27
    expect(addWorkingDays('2026-02-13', 5).date).toBe('2026-02-27');
    expect(addCalendarDays('2026-02-13', 5)).toBe('2026-02-18');
  });

  it('reports the weekday fallback when the count runs past the data', () => {
    expect(addWorkingDays('2026-12-30', 1)).toEqual({ date: '2026-12-31', usedWeekdayFallback: false });
    expect(addWorkingDays('2026-12-30', 3)).toEqual({ date: '2027-01-04', usedWeekdayFallback: true });
  });

  it('counts the working days between two dates, the inverse of adding them', () => {
    expect(countWorkingDays('2026-09-30', '2026-10-08')).toBe(1);
    expect(countWorkingDays('2026-09-29', '2026-10-12')).toBe(5);
    expect(countWorkingDays('2026-10-12', '2026-09-29')).toBe(-5);
    expect(countWorkingDays('2026-10-01', '2026-10-07')).toBe(0);
    expect(countWorkingDays('2026-05-15', '2026-05-15')).toBe(0);
    for (const [from, days] of [
      ['2026-02-13', 5],
      ['2026-09-18', 9],
      ['2026-12-30', 3],
    ] as const) {
      expect(countWorkingDays(from, addWorkingDays(from, days).date)).toBe(days);
    }
    const working = createCalendar({ dayCounting: 'working' });
    expect(working.countDays('2026-05-15', '2026-05-18')).toBe(1);
    expect(shanghai.countDays('2026-05-15', '2026-05-18')).toBe(3);
    expect(shanghai.countDays('2026-05-18', '2026-05-15')).toBe(-3);
  });

  it('refuses fractional working days', () => {
    expect(() => addWorkingDays('2026-10-08', 1.5)).toThrow(/whole number/);
  });
});

describe('local dates', () => {
  it('validates real dates only', () => {
    expect(isLocalDate('2026-02-28')).toBe(true);
    expect(isLocalDate('2026-02-29')).toBe(false);
    expect(isLocalDate('2026-2-3')).toBe(false);
    expect(isLocalDate('tomorrow')).toBe(false);
  });

  it('adds and counts calendar days across months and years', () => {
    expect(addCalendarDays('2026-12-30', 3)).toBe('2027-01-02');
    expect(addCalendarDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysBetween('2026-05-11', '2026-05-18')).toBe(7);
  });
});

describe('wall clock in Asia/Shanghai', () => {
  it('turns "09:00 local on D" into the instant 01:00 UTC', () => {
    expect(shanghai.atLocalTime('2026-05-11', '09:00').toISOString()).toBe('2026-05-11T01:00:00.000Z');
  });

  it('gives the local date of an instant, which differs from UTC after 16:00 UTC', () => {
    expect(shanghai.localDate(new Date('2026-05-10T16:30:00Z'))).toBe('2026-05-11');
    expect(shanghai.localDate(new Date('2026-05-10T15:59:00Z'))).toBe('2026-05-10');
    expect(shanghai.toLocal(new Date('2026-05-10T16:30:00Z'))).toEqual({
      date: '2026-05-11',
      time: '00:30',
      minuteOfDay: 30,
    });
  });

  it('ends a local day at the next local midnight', () => {
    expect(shanghai.startOfLocalDay('2026-05-18').toISOString()).toBe('2026-05-17T16:00:00.000Z');
    expect(shanghai.endOfLocalDay('2026-05-18').toISOString()).toBe('2026-05-18T16:00:00.000Z');
    expect(shanghai.deadlineInstant('2026-05-18')).toEqual(local('2026-05-19 00:00'));
  });

  it('handles zones with daylight saving', () => {
    // 2026-03-08 02:30 does not exist in New York: the clock jumps from 02:00 EST to 03:00 EDT.
    expect(atLocalTime('2026-03-08', '02:30', 'America/New_York').toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(atLocalTime('2026-07-01', '09:00', 'America/New_York').toISOString()).toBe('2026-07-01T13:00:00.000Z');
    expect(atLocalTime('2026-12-01', '09:00', 'America/New_York').toISOString()).toBe('2026-12-01T14:00:00.000Z');
  });
});

describe('deadlines', () => {
  it('defaults to 7 calendar days for general and 30 for major hazards', () => {
    expect(shanghai.defaultDeadline('general', local('2026-09-29 10:00')).date).toBe('2026-10-06');
    expect(shanghai.defaultDeadline('major', local('2026-09-29 10:00')).date).toBe('2026-10-29');
  });

  it('counts working days across National Day when configured so', () => {
    const working = createCalendar({ dayCounting: 'working' });
    // 09-30, 10-08, 10-09, 10-10 (make-up), 10-12, 10-13, 10-14
    expect(working.defaultDeadline('general', local('2026-09-29 10:00'))).toEqual({
      date: '2026-10-14',
      usedWeekdayFallback: false,
    });
    // The local date decides: 23:30 on 09-29 in Shanghai is still 09-29.
    expect(working.defaultDeadline('general', new Date('2026-09-29T15:30:00Z')).date).toBe('2026-10-14');
  });

  it('takes configured default periods', () => {
    const custom = createCalendar({ defaultDeadlineDays: { general: 10, major: 60 } });
    expect(custom.defaultDeadline('general', local('2026-05-11 10:00')).date).toBe('2026-05-21');
    expect(custom.defaultDeadline('major', local('2026-05-11 10:00')).date).toBe('2026-07-10');
  });

  it('accepts today up to the maximum, refuses the past, beyond the maximum and impossible dates', () => {
    const now = local('2026-05-11 23:50');
    expect(shanghai.checkDeadline('2026-05-11', now)).toBeNull();
    expect(shanghai.latestDeadline(now)).toBe('2027-05-11');
    expect(shanghai.checkDeadline('2027-05-11', now)).toBeNull();
    expect(shanghai.checkDeadline('2026-05-10', now)).toEqual({
      code: 'deadline_in_past',
      message: '整改期限不能早于今天（2026-05-11）',
    });
    expect(shanghai.checkDeadline('2027-05-12', now)).toMatchObject({ code: 'deadline_too_far' });
    expect(shanghai.checkDeadline('2027-05-12', now)?.message).toContain('2027-05-11');
    expect(shanghai.checkDeadline('2026-02-30', now)).toMatchObject({ code: 'invalid_date' });
  });
});

describe('quiet hours (22:00–07:30 by default)', () => {
  it('are quiet from 22:00 inclusive to 07:30 exclusive', () => {
    expect(shanghai.isQuietHour(local('2026-05-11 21:59'))).toBe(false);
    expect(shanghai.isQuietHour(local('2026-05-11 22:00'))).toBe(true);
    expect(shanghai.isQuietHour(local('2026-05-12 03:00'))).toBe(true);
    expect(shanghai.isQuietHour(local('2026-05-12 07:29'))).toBe(true);
    expect(shanghai.isQuietHour(local('2026-05-12 07:30'))).toBe(false);
  });

  it('send at once outside quiet hours and at 07:30 the next morning inside them', () => {
    expect(shanghai.nextSendTime(local('2026-05-11 12:00'))).toEqual(local('2026-05-11 12:00'));
    expect(shanghai.nextSendTime(local('2026-05-11 23:15'))).toEqual(local('2026-05-12 07:30'));
    expect(shanghai.nextSendTime(local('2026-05-12 00:00'))).toEqual(local('2026-05-12 07:30'));
    expect(shanghai.nextSendTime(local('2026-12-31 22:00'))).toEqual(local('2027-01-01 07:30'));
  });

  it('can be configured within a day, or turned off', () => {
    const lunch = createCalendar({ quietHours: { start: '12:00', end: '13:30' } });
    expect(lunch.isQuietHour(local('2026-05-11 12:30'))).toBe(true);
    expect(lunch.isQuietHour(local('2026-05-11 23:30'))).toBe(false);
    expect(lunch.nextSendTime(local('2026-05-11 12:30'))).toEqual(local('2026-05-11 13:30'));
    const never = createCalendar({ quietHours: null });
    expect(never.isQuietHour(local('2026-05-11 23:30'))).toBe(false);
    expect(never.nextSendTime(local('2026-05-11 23:30'))).toEqual(local('2026-05-11 23:30'));
  });
});

describe('createCalendar', () => {
  it('names the bad setting', () => {
    expect(() => createCalendar({ timeZone: 'Asia/Beijing' })).toThrow(/timeZone: "Asia\/Beijing"/);
    expect(() => createCalendar({ quietHours: { start: '22:00', end: '7:30' } })).toThrow(/quietHours\.end/);
    // An empty window is not a way to say "off" (that is null): it is refused rather than read as nothing.
    expect(() => createCalendar({ quietHours: { start: '00:00', end: '00:00' } })).toThrow(/empty window/);
    expect(() => createCalendar({ defaultDeadlineDays: { general: 0, major: 30 } })).toThrow(
      /defaultDeadlineDays\.general/,
    );
    expect(() => createCalendar({ maxDeadlineDays: 10 })).toThrow(/exceeds maxDeadlineDays/);
  });

  it('works in another zone', () => {
    const utc = createCalendar({ timeZone: 'UTC' });
    expect(utc.localDate(new Date('2026-05-10T16:30:00Z'))).toBe('2026-05-10');
    expect(utc.atLocalTime('2026-05-11', '09:00').toISOString()).toBe('2026-05-11T09:00:00.000Z');
  });
});

describe('date arithmetic agrees with the platform', () => {
  it('adds days like Date does, every day from 1999 to 2101', () => {
    let date = '1999-01-01';
    for (let t = Date.UTC(1999, 0, 1); t < Date.UTC(2101, 0, 1); t += 86_400_000) {
      expect(date).toBe(new Date(t).toISOString().slice(0, 10));
      expect(isLocalDate(date)).toBe(true);
      date = addCalendarDays(date, 1);
    }
  });

  it('reads local time like Intl does, in zones with and without daylight saving', () => {
    const zones = ['Asia/Shanghai', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'UTC'];
    for (const timeZone of zones) {
      const calendarInZone = createCalendar({ timeZone });
      const intl = new Intl.DateTimeFormat('sv-SE', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
      });
      // Every 7 h 13 min across two years hits all hours and both sides of every transition.
      for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2027, 0, 1); t += 26_000_000) {
        const instant = new Date(t);
        const local = calendarInZone.toLocal(instant);
        expect(`${local.date} ${local.time}`, `${timeZone} ${instant.toISOString()}`).toBe(intl.format(instant));
        expect(calendarInZone.atLocalTime(local.date, local.time).getTime()).toBeLessThanOrEqual(t);
      }
    }
  });
});

describe('daylight-saving edge cases', () => {
  it('maps a repeated autumn time to its first occurrence', () => {
    expect(atLocalTime('2026-11-01', '01:30', 'America/New_York').toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(atLocalTime('2026-10-25', '02:30', 'Europe/Berlin').toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('maps times next to the spring jump exactly', () => {
    expect(atLocalTime('2025-03-09', '05:46', 'America/New_York').toISOString()).toBe('2025-03-09T09:46:00.000Z');
    expect(atLocalTime('2025-03-09', '01:59', 'America/New_York').toISOString()).toBe('2025-03-09T06:59:00.000Z');
    expect(atLocalTime('2025-03-09', '03:00', 'America/New_York').toISOString()).toBe('2025-03-09T07:00:00.000Z');
  });
});
