/**
 * The campaign's own measures (治本攻坚三年行动, product.md "The campaign's own measures"): the rules, no I/O.
 * src/ledger/campaign/ turns them into SQL over a scope; the unit tests pin them here.
 *
 * A period is two local days, `from` to `to`, both inclusive. Its campaign year is the year of `to`: the national
 * campaign counts 存量 and 增量 per calendar year, and a review at `to` speaks of that year.
 * - 存量 (stock): a major hazard found before 1 January of the campaign year and not yet 销号 (closed) at the start of
 *   that day — what the year inherited.
 * - 增量 (increment): a major hazard found from 1 January of the campaign year to the end of `to`.
 * - For each, "closed" counts those 销号 within the period [from, to]; "open" those not 销号 by the end of the day the
 *   period ends. A 存量 hazard closed between 1 January and `from` is neither.
 * - 动态清零: the scope is at it when, at the end of `to`, no major hazard is open (found by then, not 销号 by then)
 *   with its deadline before `to` — every major hazard closed within its deadline, none left open past it. A hazard
 *   waiting for 验收 or 摘牌 past its deadline is still open here (it is not 销号): stricter than 超期 in 统计, which
 *   counts only hazards still with the responsible side. The deadline is the current one (an approved extension
 *   moves it).
 * - `to` never lies ahead of today (parseCampaignPeriod holds it to today): a figure about days that have not come
 *   would count deadlines that have not passed.
 */
import { addCalendarDays, isLocalDate } from './local-time.js';
import type { LocalDate } from './vocabulary.js';

export interface CampaignPeriod {
  from: LocalDate;
  to: LocalDate;
}

/** The campaign year of a period: the year of its last day. */
export function campaignYearOf(period: Pick<CampaignPeriod, 'to'>): number {
  return Number(period.to.slice(0, 4));
}

/** 1 January of the period's campaign year. */
export function campaignYearStart(period: Pick<CampaignPeriod, 'to'>): LocalDate {
  return `${campaignYearOf(period)}-01-01`;
}

/** The default period: 1 January of this year to today. */
export function defaultCampaignPeriod(today: LocalDate): CampaignPeriod {
  return { from: `${today.slice(0, 4)}-01-01`, to: today };
}

export class CampaignPeriodError extends Error {
  constructor(
    readonly parameter: 'from' | 'to',
    message: string,
  ) {
    super(message);
    this.name = 'CampaignPeriodError';
  }
}

/** The longest period asked for at once (a review looks back a year or the whole campaign, not decades). */
export const MAX_PERIOD_DAYS = 3 * 366 + 31;

/**
 * `from` / `to` as given (each optional) → a period; the default is the campaign year to today, a missing `from`
 * is 1 January of `to`'s year, a missing `to` (or one after today) is today. Throws CampaignPeriodError naming the
 * parameter to fix.
 */
export function parseCampaignPeriod(
  input: { from?: string | undefined; to?: string | undefined },
  today: LocalDate,
): CampaignPeriod {
  for (const name of ['from', 'to'] as const) {
    const value = input[name];
    if (value !== undefined && !isLocalDate(value)) {
      throw new CampaignPeriodError(name, `${name} 应为日期 YYYY-MM-DD，收到“${value}”`);
    }
  }
  const to = input.to === undefined || input.to > today ? today : input.to;
  const from = input.from ?? `${to.slice(0, 4)}-01-01`;
  if (from > to) {
    throw new CampaignPeriodError('from', `开始日期 ${from} 晚于结束日期 ${to}${to === today ? '（今天）' : ''}`);
  }
  if (addCalendarDays(from, MAX_PERIOD_DAYS) < to) {
    throw new CampaignPeriodError('from', `统计期间最长 ${MAX_PERIOD_DAYS} 天（${from} 至 ${to} 太长）`);
  }
  return { from, to };
}

/** A major hazard as the rules see it: the local days it was found and 销号 (null while not). */
export interface MajorHazardDays {
  foundOn: LocalDate;
  closedOn: LocalDate | null;
  deadline: LocalDate;
}

export type CampaignClass = 'stock' | 'increment';

/** 存量, 增量, or null (found after `to`, or closed before the campaign year began). */
export function classifyMajor(hazard: MajorHazardDays, period: CampaignPeriod): CampaignClass | null {
  const yearStart = campaignYearStart(period);
  if (hazard.foundOn < yearStart) {
    return hazard.closedOn === null || hazard.closedOn >= yearStart ? 'stock' : null;
  }
  return hazard.foundOn <= period.to ? 'increment' : null;
}

/** 销号 within the period. */
export function closedInPeriod(hazard: MajorHazardDays, period: CampaignPeriod): boolean {
  return hazard.closedOn !== null && hazard.closedOn >= period.from && hazard.closedOn <= period.to;
}

/** Found by the end of `asOf` and not 销号 by then. */
export function openAt(hazard: MajorHazardDays, asOf: LocalDate): boolean {
  return hazard.foundOn <= asOf && (hazard.closedOn === null || hazard.closedOn > asOf);
}

/** Open at the end of `asOf` with its deadline before `asOf`: what keeps a scope from 动态清零. */
export function openPastDeadline(hazard: MajorHazardDays, asOf: LocalDate): boolean {
  return openAt(hazard, asOf) && hazard.deadline < asOf;
}

/**
 * The median of a multiset given as value → count (a histogram: days to close → how many hazards); null when empty.
 * With an even count, the mean of the two middle values (as PostgreSQL's percentile_cont(0.5)).
 */
export function medianOfCounts(histogram: Iterable<readonly [number, number]>): number | null {
  const bins = [...histogram].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = bins.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  // The values at 0-based positions lo and hi of the sorted list (equal when the count is odd).
  const lo = Math.floor((total - 1) / 2);
  const hi = Math.floor(total / 2);
  let seen = 0;
  let low: number | undefined;
  for (const [value, n] of bins) {
    if (low === undefined && lo < seen + n) low = value;
    if (hi < seen + n) return ((low ?? value) + value) / 2;
    seen += n;
  }
  return null;
}

/** One township's or department's figures for 通报晾晒. */
export interface RankedCounts {
  code: string;
  name: string;
  /** Not 销号 (as 统计 counts 未闭环). */
  open: number;
  /** 超期 as 统计 counts it: with the responsible side, past the deadline, today. */
  overdue: number;
  /** overdue ÷ open, 0 when nothing is open. */
  overdueRate: number;
  /** 销号 within the period. */
  closed: number;
  /** Median calendar days from found to 销号 of those closed in the period; null when none was. */
  medianDaysToClose: number | null;
}

/**
 * Worst first by overdue rate: the higher rate, then more overdue, then more open; ties by code. A township with
 * nothing open (rate 0) ranks after every one with something overdue.
 */
export function rankByOverdueRate<T extends RankedCounts>(rows: readonly T[]): T[] {
  return [...rows].sort(
    (a, b) => b.overdueRate - a.overdueRate || b.overdue - a.overdue || b.open - a.open || a.code.localeCompare(b.code),
  );
}

/**
 * Worst first by median days to close: the slower median first, then more closed; ties by code. Those that closed
 * nothing in the period have no median and come last (they are ranked by the overdue rate instead).
 */
export function rankByMedianDays<T extends RankedCounts>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => {
    if (a.medianDaysToClose === null || b.medianDaysToClose === null) {
      if (a.medianDaysToClose !== b.medianDaysToClose) return a.medianDaysToClose === null ? 1 : -1;
      return b.open - a.open || a.code.localeCompare(b.code);
    }
    return b.medianDaysToClose - a.medianDaysToClose || b.closed - a.closed || a.code.localeCompare(b.code);
  });
}

/** overdue ÷ open, rounded to four places as 统计 does; 0 when nothing is open. */
export function overdueRateOf(overdue: number, open: number): number {
  return open ? Math.round((overdue / open) * 10_000) / 10_000 : 0;
}

/** Inspection quality thresholds: a unit visited this often with nothing found, an inspector this active. */
export const QUALITY_THRESHOLDS = Object.freeze({
  /** Units inspected (by government inspections) at least this many times in the period, nothing ever found. */
  unitVisits: 3,
  /** Inspectors leading at least this many government inspections in the period who never found anything. */
  inspectorInspections: 5,
});
