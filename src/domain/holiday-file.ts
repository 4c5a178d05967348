/**
 * Years of the State Council's holiday arrangement (放假安排) that an operator adds or corrects with a file
 * (`HOLIDAYS_FILE`), for working-day deadlines: the `chinese-days` package only knows the years published before
 * its release, and a service inside a government network cannot wait for an upgrade. The file, one entry per year:
 *
 *   {"2027": {"holidays": {"2027-01-01": "元旦", "2027-02-06": "春节", …}, "workdays": {"2027-02-20": "春节"}}}
 *
 * `holidays` lists every day off (weekend days of a holiday included), `workdays` the 调休 make-up working days
 * (weekend days worked). A year in the file replaces that year of the package's data entirely. Pure: no I/O here.
 */
import { type HolidayTable, type HolidayYear, withHolidayYears } from './holidays.js';
import { isLocalDate, weekdayOf } from './local-time.js';

export interface HolidayFileError {
  /** Where in the file, e.g. `2027.workdays.2027-02-17`. */
  path: string;
  reason: string;
}

export type HolidayFileResult =
  | { ok: true; table: HolidayTable; years: number[] }
  | { ok: false; errors: HolidayFileError[] };

const MAX_NAME_LENGTH = 20;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks the file's text against `base` (the package's table) and answers `base` with its years put in. */
export function parseHolidayFile(text: string, base: HolidayTable): HolidayFileResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, errors: [{ path: '', reason: `不是合法的 JSON：${(error as Error).message}` }] };
  }
  const errors: HolidayFileError[] = [];
  if (!isRecord(value) || Object.keys(value).length === 0) {
    return {
      ok: false,
      errors: [
        {
          path: '',
          reason: '应为每年一项的对象，如 {"2027": {"holidays": {…}, "workdays": {…}}}',
        },
      ],
    };
  }
  const years: Record<number, HolidayYear> = {};
  for (const [key, entry] of Object.entries(value)) {
    const year = Number(key);
    if (!/^\d{4}$/.test(key)) {
      errors.push({ path: key, reason: '键应为年份，如 2027' });
      continue;
    }
    if (year < base.years.first) {
      errors.push({ path: key, reason: `${base.years.first} 年以前的年份不参与工作日计算` });
      continue;
    }
    if (!isRecord(entry)) {
      errors.push({ path: key, reason: '应为 {"holidays": {日期: 名称}, "workdays": {日期: 名称}}' });
      continue;
    }
    for (const field of Object.keys(entry)) {
      if (field !== 'holidays' && field !== 'workdays') {
        errors.push({ path: `${key}.${field}`, reason: '未知字段：只读取 "holidays" 和 "workdays"' });
      }
    }
    const holidays = readDays(key, 'holidays', entry.holidays, errors);
    const workdays = readDays(key, 'workdays', entry.workdays, errors);
    if (Object.keys(holidays).length === 0 && !errors.some((e) => e.path.startsWith(`${key}.holidays`))) {
      errors.push({ path: `${key}.holidays`, reason: '每年都要有放假日（至少元旦和春节）' });
    }
    for (const date of Object.keys(workdays)) {
      const weekday = weekdayOf(date);
      if (weekday >= 1 && weekday <= 5) {
        errors.push({
          path: `${key}.workdays.${date}`,
          reason: `${date} 是工作日：调休上班日只能是周六或周日`,
        });
      }
      if (date in holidays) {
        errors.push({
          path: `${key}.workdays.${date}`,
          reason: `${date} 既列为放假日又列为上班日`,
        });
      }
    }
    years[year] = { holidays, workdays };
  }
  // The table has no gaps: a year after the package's last needs every year between.
  const added = Object.keys(years).map(Number);
  for (const year of added) {
    if (year > base.years.last + 1 && !added.includes(year - 1)) {
      errors.push({
        path: String(year),
        reason: `缺少 ${year - 1} 年：已有数据到 ${base.years.last} 年，年份必须连续`,
      });
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, table: withHolidayYears(base, years), years: added.sort((a, b) => a - b) };
}

function readDays(year: string, field: string, value: unknown, errors: HolidayFileError[]): Record<string, string> {
  const days: Record<string, string> = {};
  if (value === undefined) return days;
  if (!isRecord(value)) {
    errors.push({
      path: `${year}.${field}`,
      reason: '应为“日期 → 节日名称”的对象，如 {"2027-10-01": "国庆节"}',
    });
    return days;
  }
  for (const [date, name] of Object.entries(value)) {
    const path = `${year}.${field}.${date}`;
    // The date and the name are checked apart: an entry wrong in both is reported with both problems.
    const dateOk = isLocalDate(date) && date.startsWith(`${year}-`);
    const nameOk = typeof name === 'string' && name.trim() !== '' && name.trim().length <= MAX_NAME_LENGTH;
    if (!dateOk) errors.push({ path, reason: `应为 ${year} 年内的日期，写成 YYYY-MM-DD` });
    if (!nameOk) {
      errors.push({ path, reason: `应为节日名称（1–${MAX_NAME_LENGTH} 个字），如 "春节"` });
    }
    if (dateOk && nameOk) days[date] = (name as string).trim();
  }
  return days;
}
