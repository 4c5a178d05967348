/**
 * The periods of the statutory statistics (统计分析表, 总局令第16号 第十四条) and the statistics duty's calendar: a
 * quarterly table is due by the 15th of the first month of the next quarter, the annual one by 31 January. The bot
 * sends each unit's table to its principal on a fixed day before the due date (the 5th of the due month; 20 January
 * for the year) at 09:00 local, and reminds the principals who have not confirmed 3 days before the due date.
 *
 * Pure: dates are local dates (YYYY-MM-DD in the deployment's time zone); the caller turns instants into them.
 */
import { addCalendarDays } from './local-time.js';
import type { LocalDate } from './vocabulary.js';

export interface StatutoryPeriod {
  /** `2026Q3` or `2026` */
  key: string;
  kind: 'quarter' | 'year';
  /** First and last local day of the period. */
  from: LocalDate;
  to: LocalDate;
  /** The last day to hand the table in. */
  due: LocalDate;
  /** 2026年第三季度 / 2026年度 */
  label: string;
}

const QUARTER_NAMES = ['一', '二', '三', '四'];

/** `2026Q3` (also `2026-Q3`, lower case) or `2026`; null when it is neither. */
export function parsePeriod(text: string): StatutoryPeriod | null {
  const match = /^(\d{4})(?:-?[Qq]([1-4]))?$/.exec(text.trim());
  if (!match) return null;
  const year = Number(match[1]);
  if (year < 2000 || year > 2999) return null;
  if (!match[2]) {
    return {
      key: String(year),
      kind: 'year',
      from: `${year}-01-01`,
      to: `${year}-12-31`,
      due: `${year + 1}-01-31`,
      label: `${year}年度`,
    };
  }
  const q = Number(match[2]);
  const firstMonth = (q - 1) * 3 + 1;
  const from = `${year}-${String(firstMonth).padStart(2, '0')}-01`;
  const nextQuarter = q === 4 ? `${year + 1}-01-01` : `${year}-${String(firstMonth + 3).padStart(2, '0')}-01`;
  return {
    key: `${year}Q${q}`,
    kind: 'quarter',
    from,
    to: addCalendarDays(nextQuarter, -1),
    due: `${nextQuarter.slice(0, 8)}15`,
    label: `${year}年第${QUARTER_NAMES[q - 1]}季度`,
  };
}

/** The local time of day the duty's cards and reminders go out. */
export const DUTY_SEND_AT = '09:00';
/** Days before the due date the unconfirmed principals are reminded. */
export const DUTY_REMIND_DAYS_BEFORE = 3;

export interface DutySchedule {
  /** The day the tables go to the principals (the 5th of the due month; 20 January for the year). */
  send: LocalDate;
  /** The day the unconfirmed are reminded (3 days before the due date). */
  remind: LocalDate;
  due: LocalDate;
}

export function dutySchedule(period: StatutoryPeriod): DutySchedule {
  const send = period.kind === 'year' ? `${period.due.slice(0, 8)}20` : `${period.due.slice(0, 8)}05`;
  return { send, remind: addCalendarDays(period.due, -DUTY_REMIND_DAYS_BEFORE), due: period.due };
}

/** The periods that could be in their duty window around `today`: last year's Q4 and annual, this year's Q1–Q3. */
function candidates(today: LocalDate): StatutoryPeriod[] {
  const year = Number(today.slice(0, 4));
  return [
    parsePeriod(String(year - 1))!,
    parsePeriod(`${year - 1}Q4`)!,
    ...[1, 2, 3].map((q) => parsePeriod(`${year}Q${q}`)!),
  ];
}

export interface DutyToday {
  period: StatutoryPeriod;
  schedule: DutySchedule;
  /** The reminder day has come (the unconfirmed get one reminder). */
  remind: boolean;
}

/**
 * The periods whose duty runs on `today`: from the send day to the due date, both included. A send missed on its
 * day (the service was down) goes out on the next day of the window; the reminder from its day to the due date.
 */
export function dutyPeriodsOn(today: LocalDate): DutyToday[] {
  return candidates(today)
    .map((period) => ({ period, schedule: dutySchedule(period) }))
    .filter(({ schedule }) => schedule.send <= today && today <= schedule.due)
    .map(({ period, schedule }) => ({ period, schedule, remind: today >= schedule.remind }));
}

/**
 * The quarter whose table townships and departments follow on `today` (本季度统计分析表): the latest quarter whose
 * tables have been sent (its send day has come).
 */
export function currentDutyQuarter(today: LocalDate): StatutoryPeriod {
  const year = Number(today.slice(0, 4));
  const quarters = [`${year - 1}Q4`, `${year}Q1`, `${year}Q2`, `${year}Q3`].map((k) => parsePeriod(k)!);
  let current = parsePeriod(`${year - 1}Q3`)!;
  for (const q of quarters) if (dutySchedule(q).send <= today) current = q;
  return current;
}
