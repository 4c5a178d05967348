/**
 * The reminder settings of one deployment: the escalation policy (the default ladder, or a validated file) and the
 * calendar (time zone, calendar/working days with the holiday years of HOLIDAYS_FILE, quiet hours), both from the
 * environment. A broken policy or holiday file stops the start with every problem listed (path + reason).
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import {
  type Calendar,
  createCalendar,
  DEFAULT_POLICY,
  describeQuietWindow,
  type EscalationPolicy,
  HOLIDAY_DATA_YEARS,
  type HolidayTable,
  PACKAGE_HOLIDAYS,
  parseHolidayFile,
  parsePolicy,
  workingHoursCovered,
} from '../domain/index.js';

export interface ReminderSettings {
  policy: EscalationPolicy;
  calendar: Calendar;
  /** Where the policy came from, for the start-up log. */
  policySource: string;
  /** The years HOLIDAYS_FILE added or replaced (empty without one), for the start-up log. */
  holidayYearsFromFile: number[];
}

export class PolicyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyFileError';
  }
}

export function loadReminderSettings(
  config: Pick<
    Config,
    'ESCALATION_POLICY_FILE' | 'HOLIDAYS_FILE' | 'BOT_TIMEZONE' | 'DEADLINE_DAY_COUNTING' | 'QUIET_HOURS'
  >,
): ReminderSettings {
  // Both files are read before either is refused, so that one start names the problems of both.
  const holidays = loadHolidays(config.HOLIDAYS_FILE);
  const policy = loadPolicy(config.ESCALATION_POLICY_FILE);
  if (!holidays.ok || !policy.ok) {
    const problems = [holidays, policy].flatMap((loaded) => (loaded.ok ? [] : [loaded.problem]));
    throw new PolicyFileError(problems.join('\n'));
  }
  const calendar = createCalendar({
    timeZone: config.BOT_TIMEZONE,
    dayCounting: config.DEADLINE_DAY_COUNTING,
    quietHours: config.QUIET_HOURS,
    holidays: holidays.value.table,
  });
  return {
    policy: policy.value.policy,
    calendar,
    policySource: policy.value.source,
    holidayYearsFromFile: holidays.value.years,
  };
}

/** A settings file's content, or the message listing every problem of the file. */
type Loaded<T> = { ok: true; value: T } | { ok: false; problem: string };

function loadPolicy(file: string | undefined): Loaded<{ policy: EscalationPolicy; source: string }> {
  if (!file) return { ok: true, value: { policy: DEFAULT_POLICY, source: 'default' } };
  const text = readSettingsFile('ESCALATION_POLICY_FILE', file, '不设此变量以使用默认策略');
  if (!text.ok) return text;
  const parsed = parsePolicy(text.value);
  if (!parsed.ok) return { ok: false, problem: invalidFile('ESCALATION_POLICY_FILE', file, parsed.errors) };
  return { ok: true, value: { policy: parsed.policy, source: file } };
}

/** The holiday table: the package's, with HOLIDAYS_FILE's years put in when it is set. */
function loadHolidays(file: string | undefined): Loaded<{ table: HolidayTable; years: number[] }> {
  if (!file) return { ok: true, value: { table: PACKAGE_HOLIDAYS, years: [] } };
  const text = readSettingsFile('HOLIDAYS_FILE', file, '不设此变量，只用 chinese-days 包自带的年份');
  if (!text.ok) return text;
  const parsed = parseHolidayFile(text.value, PACKAGE_HOLIDAYS);
  if (!parsed.ok) return { ok: false, problem: invalidFile('HOLIDAYS_FILE', file, parsed.errors) };
  return { ok: true, value: { table: parsed.table, years: parsed.years } };
}

function readSettingsFile(variable: string, file: string, otherwise: string): Loaded<string> {
  try {
    return { ok: true, value: readFileSync(file, 'utf8') };
  } catch (error) {
    return {
      ok: false,
      problem: `${variable} ${file} 无法读取（cannot be read）：${(error as Error).message}。请改正路径，或${otherwise}。`,
    };
  }
}

function invalidFile(variable: string, file: string, errors: { path: string; reason: string }[]): string {
  const lines = errors.map((e) => `  - ${e.path || '（整个文件）'}：${e.reason}`);
  return `${variable} ${file} 有 ${errors.length} 处问题（is invalid）：\n${lines.join('\n')}`;
}

/**
 * With working-day deadlines, a warning for the start-up log when deadlines that may be set now reach past the years
 * the holiday data covers: those days are counted Monday–Friday, with no holidays or make-up days, until the
 * `chinese-days` package is upgraded. Null when nothing is affected.
 */
export function holidayCoverageWarning(calendar: Calendar, now: Date): string | null {
  if (calendar.settings.dayCounting !== 'working') return null;
  const latest = calendar.latestDeadline(now);
  const { first, last } = calendar.settings.holidays.years;
  if (Number(latest.slice(0, 4)) <= last) return null;
  const source =
    last > HOLIDAY_DATA_YEARS.last
      ? 'chinese-days and HOLIDAYS_FILE'
      : 'chinese-days, and no HOLIDAYS_FILE year after it';
  return (
    `working-day deadlines: the holiday data (${source}) covers ${first}–${last}; ` +
    `days after ${last}-12-31 (deadlines may be set up to ${latest}) count Monday–Friday with no ` +
    'holidays or make-up days. Add the next year to HOLIDAYS_FILE once the State Council publishes its arrangement ' +
    '(or upgrade chinese-days).'
  );
}

/**
 * The start-up log's line about quiet hours, in words (e.g. `免打扰时段：每天 22:00 至次日 07:30，其间只发送重大隐患消息`):
 * a window written the wrong way round is seen at a glance. A window over the working day (the configuration lets it
 * through only with QUIET_HOURS_COVER_WORKDAY=yes) is a warning.
 */
export function quietHoursNotice(calendar: Calendar): { level: 'info' | 'warn'; message: string } {
  const window = calendar.settings.quietHours;
  const covered = window ? workingHoursCovered(window) : [];
  const message = window
    ? `免打扰时段：${describeQuietWindow(window)}，其间只发送重大隐患消息`
    : '免打扰时段：未设置（QUIET_HOURS=off），提醒随时发送';
  if (covered.length === 0) return { level: 'info', message };
  return {
    level: 'warn',
    message: `${message}；这覆盖了工作时间中的 ${covered.join('、')}（QUIET_HOURS_COVER_WORKDAY=yes 已确认）`,
  };
}
