/**
 * 检查计划的周期、覆盖状态与双随机抽取 — the rules of plans (product.md "查 — inspections"), pure: no I/O, no clock.
 *
 * A plan's periods are calendar months, quarters or years clipped to the plan's `from`..`to` (`once`: the whole plan
 * is one period). A unit of a plan is, at a date:
 * - `done`: a government inspection (any kind but `self`, submitted) is dated in the current period;
 * - `overdue`: not done, and the previous period ended without one too (for `once`, or any plan that has ended: the
 *   last period ended without one);
 * - `due`: otherwise — due by the current period's end.
 * `neverInspected` flags a unit with no government inspection since the plan's `from`. Coverage (SQL, set-based) and
 * these functions apply the same rule; the tests hold them to each other.
 */
import { createHash } from 'node:crypto';
import type { PlanFrequency } from './inspection.js';
import { addCalendarDays, isLocalDate } from './local-time.js';
import type { LocalDate } from './vocabulary.js';

export interface PlanSchedule {
  from: LocalDate;
  to: LocalDate;
  every: PlanFrequency;
}

/** A period of a plan, both ends included. */
export interface Period {
  start: LocalDate;
  end: LocalDate;
}

const pad2 = (n: number) => String(n).padStart(2, '0');
// `YYYY-MM-DD` strings compare as the dates they name.
const earlier = (a: LocalDate, b: LocalDate) => (a <= b ? a : b);
const later = (a: LocalDate, b: LocalDate) => (a >= b ? a : b);
const lastDayOfMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** The calendar month / quarter / year containing `date`, not clipped to any plan. */
export function calendarPeriod(every: Exclude<PlanFrequency, 'once'>, date: LocalDate): Period {
  if (!isLocalDate(date)) throw new RangeError(`not a date in YYYY-MM-DD form: ${JSON.stringify(date)}`);
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const [first, last] = every === 'month' ? [month, month] : every === 'quarter' ? quarterOf(month) : [1, 12];
  return {
    start: `${year}-${pad2(first)}-01`,
    end: `${year}-${pad2(last)}-${pad2(lastDayOfMonth(year, last))}`,
  };
}

function quarterOf(month: number): [number, number] {
  const first = Math.floor((month - 1) / 3) * 3 + 1;
  return [first, first + 2];
}

/** The period of `plan` that contains `date`, clipped to the plan; null when the date lies outside from..to. */
export function periodContaining(plan: PlanSchedule, date: LocalDate): Period | null {
  if (date < plan.from || date > plan.to) return null;
  if (plan.every === 'once') return { start: plan.from, end: plan.to };
  const period = calendarPeriod(plan.every, date);
  return {
    start: later(period.start, plan.from),
    end: earlier(period.end, plan.to),
  };
}

/** The period before `period` in `plan`; null for the plan's first period. */
export function previousPeriod(plan: PlanSchedule, period: Period): Period | null {
  if (period.start <= plan.from) return null;
  return periodContaining(plan, addCalendarDays(period.start, -1));
}

/** Where a plan stands at a date: the period that counts now, the one before it, and whether the plan has ended. */
export interface PlanPosition {
  /** The period containing the date; once the plan has ended, its last period. */
  period: Period;
  previous: Period | null;
  /** The date is after the plan's `to`: the last period is over and can no longer be done. */
  ended: boolean;
}

/** Null before the plan's `from` (nothing is due yet). */
export function planPosition(plan: PlanSchedule, date: LocalDate): PlanPosition | null {
  if (date < plan.from) return null;
  const ended = date > plan.to;
  const period = periodContaining(plan, ended ? plan.to : date)!;
  return { period, previous: previousPeriod(plan, period), ended };
}

/**
 * The last day whose inspections count for a plan at `date`: the date itself, or the plan's `to` once it has ended
 * (an inspection after a plan has ended does not do its last period).
 */
export function countedUntil(plan: PlanSchedule, date: LocalDate): LocalDate {
  return earlier(date, plan.to);
}

export const COVERAGE_STATUSES = ['done', 'due', 'overdue'] as const;
export type CoverageStatus = (typeof COVERAGE_STATUSES)[number];
export const COVERAGE_STATUS_LABELS: Readonly<Record<CoverageStatus, string>> = {
  done: '已检',
  due: '待检',
  overdue: '逾期未检',
};

export interface UnitCoverage {
  status: CoverageStatus;
  /** The day it must be (or had to be) inspected by: the current period's end; for `overdue`, the missed end. Null when done. */
  dueBy: LocalDate | null;
  /** No government inspection since the plan's `from`. */
  neverInspected: boolean;
}

export interface UnitCoverageOptions {
  /**
   * Whether the unit had to be inspected in the previous period (default true). A sampled plan (双随机) asks only
   * the units drawn for a period, so a unit not drawn last period cannot have missed it.
   */
  requiredInPrevious?: boolean;
}

/**
 * A unit's coverage in a plan at `date`, from its last government inspection on or before `countedUntil(plan, date)`
 * (null: none). Null before the plan starts.
 */
export function unitCoverage(
  plan: PlanSchedule,
  date: LocalDate,
  lastInspected: LocalDate | null,
  options: UnitCoverageOptions = {},
): UnitCoverage | null {
  const position = planPosition(plan, date);
  if (!position) return null;
  const { period, previous, ended } = position;
  const neverInspected = lastInspected === null || lastInspected < plan.from;
  if (lastInspected !== null && lastInspected >= period.start && lastInspected <= period.end) {
    return { status: 'done', dueBy: null, neverInspected };
  }
  if (ended) return { status: 'overdue', dueBy: period.end, neverInspected };
  const missedPrevious =
    previous !== null &&
    (options.requiredInPrevious ?? true) &&
    (lastInspected === null || lastInspected < previous.start);
  if (missedPrevious) return { status: 'overdue', dueBy: previous.end, neverInspected };
  return { status: 'due', dueBy: period.end, neverInspected };
}

// ---------------------------------------------------------------------------------------------------------------
// 双随机: the draw

/** 双随机: a share of the candidates (rounded up) or a number of them. */
export interface SampleRule {
  share?: number;
  count?: number;
}

/** How many of `candidates` units a sample takes: ⌈share × n⌉ or min(count, n). */
export function sampleSize(sample: SampleRule, candidates: number): number {
  if (candidates <= 0) return 0;
  if (sample.count !== undefined) return Math.min(sample.count, candidates);
  if (sample.share !== undefined) return Math.min(candidates, Math.ceil(roundShare(sample.share * candidates)));
  return candidates;
}

// 0.1 × 30 is 3.0000000000000004 in floating point: without this it would round up to 4.
const roundShare = (x: number) => Math.round(x * 1e9) / 1e9;

/**
 * A unit's draw key for a seed: SHA-256 of `<seed>:<unit code>`, hex. No PRNG package (pure-rand, seedrandom …): a
 * draw must be checkable years later by anyone with the seed and the candidates, with any SHA-256 tool
 * (`printf '%s' "<seed>:<code>" | sha256sum`), whatever became of a library's algorithm or version.
 */
export function drawKey(seed: string, unitCode: string): string {
  return createHash('sha256').update(`${seed}:${unitCode}`, 'utf8').digest('hex');
}

/**
 * The units a sample picks: the candidates (ordered by unit code) with the smallest draw keys, as many as the sample
 * takes; answered in unit-code order. The same seed and candidates always give the same pick, in any input order.
 */
export function drawSample<T extends { code: string }>(
  seed: string,
  candidates: readonly T[],
  sample: SampleRule,
): T[] {
  const byCode = [...candidates].sort((a, b) => compareCodes(a.code, b.code));
  const size = sampleSize(sample, byCode.length);
  const keyed = byCode.map((unit, index) => ({ unit, index, key: drawKey(seed, unit.code) }));
  // Ties (equal SHA-256 keys) do not happen in practice; the code order settles them all the same.
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.index - b.index));
  return keyed
    .slice(0, size)
    .sort((a, b) => a.index - b.index)
    .map((k) => k.unit);
}

/** Code order by UTF-16 code units: the same everywhere (no locale), like `ORDER BY code COLLATE "C"` for ASCII codes. */
export function compareCodes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
