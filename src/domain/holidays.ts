/**
 * China's statutory holidays and make-up working days (法定节假日与调休): the chinese-days package's data, plus years
 * an operator adds from a file (holiday-file.ts), and whether a local date is a working day.
 */
// The package's own date helpers parse in the process's time zone; its raw data is exact, so we read that.
import holidayData from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import type { LocalDate } from './vocabulary.js';

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
