/**
 * The reminder settings of one deployment: the escalation policy (the default ladder, or a validated file) and the
 * calendar (time zone, calendar/working days, quiet hours), both from the environment. A broken policy file stops
 * the start with every problem listed (path + reason).
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import {
  type Calendar,
  createCalendar,
  DEFAULT_POLICY,
  type EscalationPolicy,
  HOLIDAY_DATA_YEARS,
  parsePolicy,
} from '../domain/index.js';

export interface ReminderSettings {
  policy: EscalationPolicy;
  calendar: Calendar;
  /** Where the policy came from, for the start-up log. */
  policySource: string;
}

export class PolicyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyFileError';
  }
}

export function loadReminderSettings(
  config: Pick<Config, 'ESCALATION_POLICY_FILE' | 'BOT_TIMEZONE' | 'DEADLINE_DAY_COUNTING' | 'QUIET_HOURS'>,
): ReminderSettings {
  const calendar = createCalendar({
    timeZone: config.BOT_TIMEZONE,
    dayCounting: config.DEADLINE_DAY_COUNTING,
    quietHours: config.QUIET_HOURS,
  });
  const file = config.ESCALATION_POLICY_FILE;
  if (!file) return { policy: DEFAULT_POLICY, calendar, policySource: 'default' };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyFileError(
      `ESCALATION_POLICY_FILE ${file} cannot be read: ${(error as Error).message}. Fix the path or unset it to use the default ladder.`,
    );
  }
  const parsed = parsePolicy(text);
  if (!parsed.ok) {
    const lines = parsed.errors.map((e) => `  - ${e.path || '(file)'}: ${e.reason}`);
    throw new PolicyFileError(
      `ESCALATION_POLICY_FILE ${file} is invalid (${parsed.errors.length} problem${parsed.errors.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
  }
  return { policy: parsed.policy, calendar, policySource: file };
}

/**
 * With working-day deadlines, a warning for the start-up log when deadlines that may be set now reach past the years
 * the holiday data covers: those days are counted Monday–Friday, with no holidays or make-up days, until the
 * `chinese-days` package is upgraded. Null when nothing is affected.
 */
export function holidayCoverageWarning(calendar: Calendar, now: Date): string | null {
  if (calendar.settings.dayCounting !== 'working') return null;
  const latest = calendar.latestDeadline(now);
  if (Number(latest.slice(0, 4)) <= HOLIDAY_DATA_YEARS.last) return null;
  return (
    `working-day deadlines: the holiday data (chinese-days) covers ${HOLIDAY_DATA_YEARS.first}–${HOLIDAY_DATA_YEARS.last}; ` +
    `days after ${HOLIDAY_DATA_YEARS.last}-12-31 (deadlines may be set up to ${latest}) count Monday–Friday with no ` +
    'holidays or make-up days. Upgrade chinese-days once the State Council publishes the next arrangement.'
  );
}
