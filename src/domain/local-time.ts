/**
 * Local dates (`YYYY-MM-DD`) and times (`HH:MM`) and their arithmetic, calendar and working days, and the instants
 * they name in a time zone. Pure: nothing reads the system clock.
 */
import { type HolidayTable, PACKAGE_HOLIDAYS } from './holidays.js';
import type { LocalDate, LocalTime } from './vocabulary.js';

const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_MS = 86_400_000;

// Date arithmetic on plain numbers (Hinnant's civil-day algorithms): a sweep asks these questions for many
// hazards, and building Date objects or strings for each was the bulk of its cost.
const digitAt = (text: string, index: number): number => {
  const code = text.charCodeAt(index) - 48;
  return code >= 0 && code <= 9 ? code : Number.NaN;
};

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** {year, month, day} of a `YYYY-MM-DD` string, or null when it is not a real date. */
function readLocalDate(value: string): { year: number; month: number; day: number } | null {
  if (typeof value !== 'string' || value.length !== 10 || value[4] !== '-' || value[7] !== '-') return null;
  const year = digitAt(value, 0) * 1000 + digitAt(value, 1) * 100 + digitAt(value, 2) * 10 + digitAt(value, 3);
  const month = digitAt(value, 5) * 10 + digitAt(value, 6);
  const day = digitAt(value, 8) * 10 + digitAt(value, 9);
  if (Number.isNaN(year + month + day) || month < 1 || month > 12 || day < 1) return null;
  const monthDays = month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1]!;
  return day <= monthDays ? { year, month, day } : null;
}

/** True for a real calendar date written `YYYY-MM-DD` (rejects 2026-02-30). */
export function isLocalDate(value: string): boolean {
  return readLocalDate(value) !== null;
}

/** True for `HH:MM`, 00:00–23:59. */
export function isLocalTime(value: string): boolean {
  return LOCAL_TIME.test(value);
}

function parseLocalDate(date: LocalDate): { year: number; month: number; day: number } {
  const parsed = readLocalDate(date);
  if (!parsed) throw new RangeError(`not a date in YYYY-MM-DD form: ${JSON.stringify(date)}`);
  return parsed;
}

export function parseLocalTime(time: LocalTime): { hour: number; minute: number } {
  const match = LOCAL_TIME.exec(time);
  if (!match) throw new RangeError(`not a time in HH:MM form: ${JSON.stringify(time)}`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

function formatDayNumber(days: number): LocalDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

function dayNumber(date: LocalDate): number {
  const { year, month, day } = parseLocalDate(date);
  return daysFromCivil(year, month, day);
}

function fromDayNumber(days: number): LocalDate {
  return formatDayNumber(days);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: LocalDate): number {
  // Day 0 (1970-01-01) was a Thursday.
  return (((dayNumber(date) + 4) % 7) + 7) % 7;
}

/** `date` plus `days` calendar days (negative goes back). */
export function addCalendarDays(date: LocalDate, days: number): LocalDate {
  return fromDayNumber(dayNumber(date) + days);
}

/** Whole calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return dayNumber(to) - dayNumber(from);
}

export interface DayShift {
  date: LocalDate;
  /** True when some day counted lay outside the holiday table's years and was judged by Monday–Friday alone. */
  usedWeekdayFallback: boolean;
}

/**
 * The `days`-th working day after `date` (before it when negative); `date` itself when 0.
 * E.g. 2026-09-30 + 1 working day = 2026-10-08 (National Day holiday 10-01…10-07).
 */
export function addWorkingDays(date: LocalDate, days: number, table: HolidayTable = PACKAGE_HOLIDAYS): DayShift {
  if (!Number.isInteger(days)) throw new RangeError(`working days must be a whole number, got ${days}`);
  let current = date;
  let remaining = Math.abs(days);
  const step = days < 0 ? -1 : 1;
  let usedWeekdayFallback = false;
  while (remaining > 0) {
    current = addCalendarDays(current, step);
    const info = workingDayInfo(current, table);
    usedWeekdayFallback ||= info.usedWeekdayFallback;
    if (info.working) remaining -= 1;
  }
  return { date: current, usedWeekdayFallback };
}

/**
 * Working days from `from` to `to`: how many lie in (from, to], so that `addWorkingDays(from, n)` lands on `to` when
 * `to` is a working day; negative (the count in (to, from]) when `to` is earlier. E.g. 2026-09-30 → 2026-10-08 is 1.
 */
export function countWorkingDays(from: LocalDate, to: LocalDate, table: HolidayTable = PACKAGE_HOLIDAYS): number {
  const span = daysBetween(from, to);
  if (span < 0) return -countWorkingDays(to, from, table);
  let count = 0;
  for (let offset = 1; offset <= span; offset++) {
    if (workingDayInfo(addCalendarDays(from, offset), table).working) count += 1;
  }
  return count;
}

// ---------------------------------------------------------------------------------------------------------------
// Time zones

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when `timeZone` is an IANA zone this runtime knows (e.g. Asia/Shanghai). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalDateTime {
  date: LocalDate;
  time: LocalTime;
  /** Minutes since local midnight, 0–1439. */
  minuteOfDay: number;
}

/** The wall-clock date and time of an instant in a time zone. */
export function toLocal(instant: Date, timeZone: string): LocalDateTime {
  const wall = instant.getTime() + zoneOffsetMs(instant.getTime(), timeZone);
  const days = Math.floor(wall / DAY_MS);
  const minuteOfDay = Math.floor((wall - days * DAY_MS) / 60_000);
  const hour = Math.floor(minuteOfDay / 60);
  return { date: formatDayNumber(days), time: `${pad2(hour)}:${pad2(minuteOfDay % 60)}`, minuteOfDay };
}

// Offsets change only at transitions, which real zones place on quarter hours: one Intl call per quarter hour
// and zone instead of one per question keeps a sweep over many hazards cheap (Intl is slow).
const QUARTER_HOUR_MS = 900_000;
const offsetCache = new Map<string, Map<number, number>>();

/** Offset of the zone from UTC at an instant, in ms (Asia/Shanghai: +8 h). */
function zoneOffsetMs(instant: number, timeZone: string): number {
  let cache = offsetCache.get(timeZone);
  if (!cache) {
    cache = new Map();
    offsetCache.set(timeZone, cache);
  }
  const bucket = Math.floor(instant / QUARTER_HOUR_MS);
  const cached = cache.get(bucket);
  if (cached !== undefined) return cached;
  const start = bucket * QUARTER_HOUR_MS;
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(start))) parts[part.type] = part.value;
  const asUtc = Date.UTC(
    Number(parts['year']),
    Number(parts['month']) - 1,
    Number(parts['day']),
    Number(parts['hour']),
    Number(parts['minute']),
    Number(parts['second']),
  );
  const offset = asUtc - start;
  if (cache.size >= 100_000) cache.clear();
  cache.set(bucket, offset);
  return offset;
}

/**
 * The instant at which the wall clock in `timeZone` shows `time` on `date`.
 * In zones with daylight saving, a time skipped by the spring jump maps to the instant after the jump, and a
 * time repeated in autumn maps to its first occurrence.
 */
export function atLocalTime(date: LocalDate, time: LocalTime, timeZone: string): Date {
  const { hour, minute } = parseLocalTime(time);
  const wall = dayNumber(date) * DAY_MS + (hour * 60 + minute) * 60_000;
  // The offsets a day either side bracket any one transition; a candidate is right when its own offset agrees.
  const before = zoneOffsetMs(wall - DAY_MS, timeZone);
  const after = zoneOffsetMs(wall + DAY_MS, timeZone);
  if (before === after && zoneOffsetMs(wall - before, timeZone) === before) return new Date(wall - before);
  const candidates = [wall - before, wall - after];
  const valid = candidates.filter((instant) => zoneOffsetMs(instant, timeZone) === wall - instant);
  return new Date(valid.length > 0 ? Math.min(...valid) : Math.max(...candidates));
}

export interface WorkingDayAnswer {
  working: boolean;
  /** True when the date lies outside the table's years and the answer is plain Monday–Friday. */
  usedWeekdayFallback: boolean;
  /** The holiday's Chinese name (e.g. 国庆节) when the date is a statutory holiday or a make-up working day. */
  holiday?: string;
}

/** Whether a local date is a statutory working day (法定工作日), including 调休 make-up days. */
export function workingDayInfo(date: LocalDate, table: HolidayTable = PACKAGE_HOLIDAYS): WorkingDayAnswer {
  const { year } = parseLocalDate(date);
  const weekday = weekdayOf(date);
  const isWeekday = weekday >= 1 && weekday <= 5;
  if (year < table.years.first || year > table.years.last) {
    return { working: isWeekday, usedWeekdayFallback: true };
  }
  const makeUp = table.workdays[date];
  if (makeUp) return { working: true, usedWeekdayFallback: false, holiday: holidayName(makeUp) };
  const holiday = table.holidays[date];
  if (holiday) return { working: false, usedWeekdayFallback: false, holiday: holidayName(holiday) };
  return { working: isWeekday, usedWeekdayFallback: false };
}

export function isWorkingDay(date: LocalDate, table: HolidayTable = PACKAGE_HOLIDAYS): boolean {
  return workingDayInfo(date, table).working;
}

/** The package stores "English,中文,n" (an operator's file, just the name); we show the Chinese name. */
function holidayName(entry: string): string {
  return entry.split(',')[1] ?? entry;
}
