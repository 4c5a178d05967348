/**
 * Wall-clock and calendar rules: local dates in `BOT_TIMEZONE`, calendar vs. statutory working days
 * (法定工作日 with 调休 make-up days), default and maximum deadlines, quiet hours.
 *
 * Everything here is pure: instants come in as arguments, nothing reads the system clock.
 * Local dates are `YYYY-MM-DD` strings; local times are `HH:MM`.
 */
// The package's own date helpers parse in the process's time zone; its raw data is exact, so we read that.
import holidayData from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import type { HazardGrade, LocalDate, LocalTime } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------------------------
// Holiday data (chinese-days, plus years an operator adds)

/**
 * The State Council's holiday arrangement (放假安排) for some years: statutory holidays and 调休 make-up working days
 * (weekend days that are working days), each with its holiday's name. Years the table does not cover fall back to
 * Monday–Friday, and every working-day answer says so (`usedWeekdayFallback`).
 */
export interface HolidayTable {
  holidays: Readonly<Record<LocalDate, string>>;
  workdays: Readonly<Record<LocalDate, string>>;
  /** The years covered, first to last (a table has no gaps: added years must follow on). */
  years: Readonly<{ first: number; last: number }>;
}

function yearsIn(record: Readonly<Record<string, string>>): number[] {
  return Object.keys(record).map((date) => Number(date.slice(0, 4)));
}

/**
 * The `chinese-days` package's table. With chinese-days 1.5.7 it covers 2004–2026. Upgrade the package each
 * winter, when the next year's arrangement is published (usually November), or add the year with HOLIDAYS_FILE.
 */
export const PACKAGE_HOLIDAYS: HolidayTable = Object.freeze({
  holidays: holidayData.holidays,
  workdays: holidayData.workdays,
  years: Object.freeze({
    first: Math.min(...yearsIn(holidayData.holidays)),
    last: Math.max(...yearsIn(holidayData.holidays)),
  }),
});

/** The years the `chinese-days` package covers (inclusive). */
export const HOLIDAY_DATA_YEARS = PACKAGE_HOLIDAYS.years;

/** One year's arrangement as an operator writes it (see parseHolidayFile in holiday-file.ts). */
export interface HolidayYear {
  holidays: Record<LocalDate, string>;
  workdays: Record<LocalDate, string>;
}

/** `base` with whole years replaced or added (a year given here replaces that year of `base` entirely). */
export function withHolidayYears(base: HolidayTable, years: Readonly<Record<number, HolidayYear>>): HolidayTable {
  const replaced = new Set(Object.keys(years).map(Number));
  const keep = (record: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(record).filter(([date]) => !replaced.has(Number(date.slice(0, 4)))));
  const holidays = keep(base.holidays);
  const workdays = keep(base.workdays);
  for (const year of Object.values(years)) {
    Object.assign(holidays, year.holidays);
    Object.assign(workdays, year.workdays);
  }
  const all = [base.years.first, base.years.last, ...replaced];
  return Object.freeze({
    holidays: Object.freeze(holidays),
    workdays: Object.freeze(workdays),
    years: Object.freeze({ first: Math.min(...all), last: Math.max(...all) }),
  });
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

// ---------------------------------------------------------------------------------------------------------------
// Local dates and times (no time zone involved)

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

function parseLocalTime(time: LocalTime): { hour: number; minute: number } {
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

// ---------------------------------------------------------------------------------------------------------------
// The configured calendar

export type DayCounting = 'calendar' | 'working';

export interface QuietHours {
  /** Start of the quiet period, local `HH:MM` (inclusive). */
  start: LocalTime;
  /** End of the quiet period, local `HH:MM` (exclusive); may be earlier than start (crosses midnight). */
  end: LocalTime;
}

export interface CalendarSettings {
  /** IANA zone of deadlines, reminders and quiet hours (`BOT_TIMEZONE`). */
  timeZone: string;
  /** How deadline days and policy day offsets are counted. */
  dayCounting: DayCounting;
  /** Only major-hazard messages go out in this window; null turns quiet hours off. */
  quietHours: QuietHours | null;
  /** Default rectification period by grade, in `dayCounting` days from the report's local date. */
  defaultDeadlineDays: Readonly<Record<HazardGrade, number>>;
  /** The latest allowed deadline (report or extension), in calendar days from today. */
  maxDeadlineDays: number;
  /** Statutory holidays and make-up days for working-day counting. */
  holidays: HolidayTable;
}

export const DEFAULT_CALENDAR_SETTINGS: Readonly<CalendarSettings> = Object.freeze({
  timeZone: 'Asia/Shanghai',
  dayCounting: 'calendar',
  quietHours: Object.freeze({ start: '22:00', end: '07:30' }),
  defaultDeadlineDays: Object.freeze({ general: 7, major: 30 }),
  maxDeadlineDays: 365,
  holidays: PACKAGE_HOLIDAYS,
});

export interface DeadlineProblem {
  code: 'invalid_date' | 'deadline_in_past' | 'deadline_too_far';
  /** What to fix, in Chinese, for the form. */
  message: string;
}

/** A calendar bound to one deployment's settings. Build it once with `createCalendar`. */
export interface Calendar {
  readonly settings: Readonly<CalendarSettings>;
  readonly timeZone: string;
  /** The local date of an instant. */
  localDate(instant: Date): LocalDate;
  /** The local date and time of an instant. */
  toLocal(instant: Date): LocalDateTime;
  /** "09:00 local on date D" as an instant. */
  atLocalTime(date: LocalDate, time: LocalTime): Date;
  /** The first instant of a local day (00:00). */
  startOfLocalDay(date: LocalDate): Date;
  /** The end of a local day: the first instant of the next day (exclusive bound). */
  endOfLocalDay(date: LocalDate): Date;
  /** `date` + `days` counted as `settings.dayCounting` says (negative goes back). */
  addDays(date: LocalDate, days: number): DayShift;
  /** The default deadline for a hazard of `grade` reported at `reportedAt`. */
  defaultDeadline(grade: HazardGrade, reportedAt: Date): DayShift;
  /** The latest deadline allowed when setting one at `now`. */
  latestDeadline(now: Date): LocalDate;
  /** null when `deadline` may be set at `now`: a real date, not before today, not past latestDeadline. */
  checkDeadline(deadline: string, now: Date): DeadlineProblem | null;
  /** The instant from which a hazard with this deadline is overdue (end of the deadline's local day). */
  deadlineInstant(deadline: LocalDate): Date;
  /** True inside quiet hours. */
  isQuietHour(instant: Date): boolean;
  /** `instant` itself outside quiet hours; otherwise the end of the quiet period. */
  nextSendTime(instant: Date): Date;
}

/**
 * Builds a calendar; missing settings take DEFAULT_CALENDAR_SETTINGS.
 * Throws RangeError naming the bad setting (unknown time zone, malformed quiet hours, non-positive days).
 */
export function createCalendar(overrides: Partial<CalendarSettings> = {}): Calendar {
  const settings: CalendarSettings = { ...DEFAULT_CALENDAR_SETTINGS, ...overrides };
  validateSettings(settings);
  const { timeZone } = settings;
  const quiet = settings.quietHours
    ? { start: minutesOf(settings.quietHours.start), end: minutesOf(settings.quietHours.end) }
    : null;

  // A sweep asks the same few questions of hundreds of thousands of hazards (their deadlines fall on a few
  // hundred dates): the answers are pure, so each is computed once. Quiet hours start and end on whole minutes.
  const quietByMinute = new BoundedMemo<number, boolean>();
  const isQuietHour = (instant: Date): boolean => {
    if (!quiet || quiet.start === quiet.end) return false;
    return quietByMinute.get(Math.floor(instant.getTime() / 60_000), () => {
      const minute = toLocal(instant, timeZone).minuteOfDay;
      return quiet.start < quiet.end
        ? minute >= quiet.start && minute < quiet.end
        : minute >= quiet.start || minute < quiet.end;
    });
  };

  const shifts = new BoundedMemo<string, DayShift>();
  const addDays = (date: LocalDate, days: number): DayShift =>
    shifts.get(`${date}|${days}`, () =>
      Object.freeze(
        settings.dayCounting === 'working'
          ? addWorkingDays(date, days, settings.holidays)
          : { date: addCalendarDays(date, days), usedWeekdayFallback: false },
      ),
    );
  const instants = new BoundedMemo<string, number>();
  const localInstant = (date: LocalDate, time: LocalTime): Date =>
    new Date(instants.get(`${date}|${time}`, () => atLocalTime(date, time, timeZone).getTime()));

  const calendar: Calendar = {
    settings: Object.freeze(settings),
    timeZone,
    localDate: (instant) => toLocal(instant, timeZone).date,
    toLocal: (instant) => toLocal(instant, timeZone),
    atLocalTime: localInstant,
    startOfLocalDay: (date) => localInstant(date, '00:00'),
    endOfLocalDay: (date) => localInstant(addCalendarDays(date, 1), '00:00'),
    addDays,
    defaultDeadline: (grade, reportedAt) =>
      addDays(toLocal(reportedAt, timeZone).date, settings.defaultDeadlineDays[grade]),
    latestDeadline: (now) => addCalendarDays(toLocal(now, timeZone).date, settings.maxDeadlineDays),
    checkDeadline(deadline, now) {
      if (!isLocalDate(deadline)) {
        return { code: 'invalid_date', message: `整改期限“${deadline}”不是有效日期，请选择日期（年-月-日）` };
      }
      const today = toLocal(now, timeZone).date;
      if (deadline < today) return { code: 'deadline_in_past', message: `整改期限不能早于今天（${today}）` };
      const latest = calendar.latestDeadline(now);
      if (deadline > latest) {
        return {
          code: 'deadline_too_far',
          message: `整改期限不能晚于 ${latest}（最长 ${settings.maxDeadlineDays} 天）`,
        };
      }
      return null;
    },
    deadlineInstant: (deadline) => calendar.endOfLocalDay(deadline),
    isQuietHour,
    nextSendTime(instant) {
      if (!quiet || !isQuietHour(instant)) return instant;
      const local = toLocal(instant, timeZone);
      // Past the start on the evening side of midnight: the quiet period ends tomorrow morning.
      const endsTomorrow = quiet.start > quiet.end && local.minuteOfDay >= quiet.start;
      const endDate = endsTomorrow ? addCalendarDays(local.date, 1) : local.date;
      return localInstant(endDate, settings.quietHours!.end);
    },
  };
  return Object.freeze(calendar);
}

/** Answers of a pure function by key; forgets everything when full (a sweep's working set is small). */
class BoundedMemo<K, V> {
  private readonly answers = new Map<K, V>();
  constructor(private readonly capacity = 50_000) {}

  get(key: K, compute: () => V): V {
    const known = this.answers.get(key);
    if (known !== undefined) return known;
    const value = compute();
    if (this.answers.size >= this.capacity) this.answers.clear();
    this.answers.set(key, value);
    return value;
  }
}

function minutesOf(time: LocalTime): number {
  const { hour, minute } = parseLocalTime(time);
  return hour * 60 + minute;
}

function validateSettings(settings: CalendarSettings): void {
  if (!isTimeZone(settings.timeZone)) {
    throw new RangeError(`timeZone: "${settings.timeZone}" is not an IANA time zone such as Asia/Shanghai`);
  }
  if (settings.dayCounting !== 'calendar' && settings.dayCounting !== 'working') {
    throw new RangeError(`dayCounting: must be "calendar" or "working", got "${settings.dayCounting}"`);
  }
  if (settings.quietHours) {
    for (const key of ['start', 'end'] as const) {
      if (!isLocalTime(settings.quietHours[key])) {
        throw new RangeError(`quietHours.${key}: must be HH:MM, got "${settings.quietHours[key]}"`);
      }
    }
  }
  for (const grade of ['general', 'major'] as const) {
    const days = settings.defaultDeadlineDays[grade];
    if (!Number.isInteger(days) || days < 1) {
      throw new RangeError(`defaultDeadlineDays.${grade}: must be a whole number of days ≥ 1, got ${days}`);
    }
    if (days > settings.maxDeadlineDays) {
      throw new RangeError(`defaultDeadlineDays.${grade}: ${days} exceeds maxDeadlineDays ${settings.maxDeadlineDays}`);
    }
  }
  if (!Number.isInteger(settings.maxDeadlineDays) || settings.maxDeadlineDays < 1) {
    throw new RangeError(`maxDeadlineDays: must be a whole number of days ≥ 1, got ${settings.maxDeadlineDays}`);
  }
}
