/**
 * The reminder settings of one deployment: the escalation policy (the default ladder, or a validated file) and the
 * calendar (time zone, calendar/working days, quiet hours), both from the environment. A broken policy file stops
 * the start with every problem listed (path + reason).
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { type Calendar, createCalendar, DEFAULT_POLICY, type EscalationPolicy, parsePolicy } from '../domain/index.js';

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
