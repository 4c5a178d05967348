/**
 * Wall-clock and calendar rules: local dates in `BOT_TIMEZONE`, calendar vs. statutory working days
 * (法定工作日 with 调休 make-up days), default and maximum deadlines, quiet hours.
 *
 * Everything here is pure: instants come in as arguments, nothing reads the system clock.
 * Local dates are `YYYY-MM-DD` strings; local times are `HH:MM`.
 */
import { type HolidayTable, PACKAGE_HOLIDAYS } from './holidays.js';
import {
  addCalendarDays,
  addWorkingDays,
  atLocalTime,
  countWorkingDays,
  type DayShift,
  daysBetween,
  isLocalDate,
  isLocalTime,
  isTimeZone,
  type LocalDateTime,
  parseLocalTime,
  toLocal,
} from './local-time.js';
import type { HazardGrade, LocalDate, LocalTime } from './vocabulary.js';

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
  /** How many days `addDays` counts from `from` to `to` (working days in (from, to], or calendar days); negative when earlier. */
  countDays(from: LocalDate, to: LocalDate): number;
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
    if (!quiet) return false;
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
    countDays: (from, to) =>
      settings.dayCounting === 'working' ? countWorkingDays(from, to, settings.holidays) : daysBetween(from, to),
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
    // Once read as "off" without a word: an operator who wants none says so (null, QUIET_HOURS=off).
    if (settings.quietHours.start === settings.quietHours.end) {
      throw new RangeError(
        `quietHours: starts where it ends (${settings.quietHours.start}), an empty window; use null to turn quiet hours off`,
      );
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
