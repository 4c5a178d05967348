/**
 * Hazard clocks: a duty with a due date that runs beside a hazard's own deadline — the major hazard's 治理方案 due
 * after registration, the 复产验收 due after a resumption application (and next, the answer to a public tip). Each
 * clock of a hazard is a row (kind, started_at, due, stopped_at: src/hazards/clocks.ts writes them); the escalation
 * policy's steps hang on a clock's due date with `{before: '<kind>_due', …}` / `{after: '<kind>_due', …}`, and the
 * sweep reads open clocks by due date.
 *
 * The kinds are listed HERE, once: adding a kind is one entry below, plus the code that starts and stops its clock.
 */
import type { Calendar, DayCounting } from './calendar.js';
import type { HazardGrade, LocalDate } from './vocabulary.js';

export interface HazardClockKindSpec {
  /** What the clock waits for, in Chinese (cards, logs). */
  label: string;
  /** The grades whose hazards run this clock. */
  grades: readonly HazardGrade[];
  /** Default days from the start to the due date (the policy file's `clocks.<kind>.days` overrides it). */
  days: number;
  /** How those days count (the policy file's `clocks.<kind>.counting` overrides it). */
  counting: DayCounting;
  /** Said on cards about the due date (e.g. that a return does not move it). */
  note: string;
  /** The due date's name on cards: 治理方案提交期限, 复产验收期限. */
  dueName: string;
  /** What is still undone when the clock runs: 尚未审核通过, 尚未复产验收. */
  undone: string;
  /** What the cards ask, and of whom. */
  ask: string;
}

export const HAZARD_CLOCK_KINDS = {
  /** 治理方案: the unit's report and governance plan of a major hazard, due after registration; stops on 通过. */
  plan: {
    label: '治理方案',
    grades: ['major'],
    days: 5,
    counting: 'working',
    note: '退回修改不停止计时，提交期限不变',
    dueName: '治理方案提交期限',
    undone: '尚未审核通过',
    ask: '请整改责任人尽快提交（每一部分均须填写）',
  },
  /**
   * 复产验收 (第十八条): on site within 10 days of the unit's application to resume; started by 申请复产, stopped by the
   * department's decision (通过 or 不通过) or the hazard's closing.
   */
  resumption: {
    label: '复产验收',
    grades: ['major'],
    days: 10,
    counting: 'calendar',
    note: '自单位申请复产之日起 10 日内到现场验收',
    dueName: '复产验收期限',
    undone: '尚未复产验收',
    ask: '请行业主管部门尽快到现场复产验收',
  },
} as const satisfies Record<string, HazardClockKindSpec>;

export type HazardClockKind = keyof typeof HAZARD_CLOCK_KINDS;
export const HAZARD_CLOCK_KIND_NAMES = Object.keys(HAZARD_CLOCK_KINDS) as [HazardClockKind, ...HazardClockKind[]];

/** A policy anchor on a clock's due date: `plan_due`, … */
export type ClockAnchor = `${HazardClockKind}_due`;
export const CLOCK_ANCHORS = HAZARD_CLOCK_KIND_NAMES.map((kind) => `${kind}_due` as ClockAnchor) as [
  ClockAnchor,
  ...ClockAnchor[],
];

export function clockKindOfAnchor(anchor: unknown): HazardClockKind | null {
  if (typeof anchor !== 'string' || !anchor.endsWith('_due')) return null;
  const kind = anchor.slice(0, -'_due'.length);
  return kind in HAZARD_CLOCK_KINDS ? (kind as HazardClockKind) : null;
}

/** A running clock as the policy reads it. */
export interface OpenClock {
  kind: HazardClockKind;
  startedAt: Date;
  /** The last local day of the duty: overdue from the end of that day. */
  due: LocalDate;
}

/** How long a clock of `kind` runs: the kind's defaults, as the policy file may override them. */
export interface ClockLength {
  days: number;
  counting: DayCounting;
}

export function clockLength(kind: HazardClockKind, override?: Partial<ClockLength>): ClockLength {
  const spec: HazardClockKindSpec = HAZARD_CLOCK_KINDS[kind];
  return { days: override?.days ?? spec.days, counting: override?.counting ?? spec.counting };
}

/**
 * The due date of a clock started at `startedAt`: `days` days (working or calendar) after its local date. A clock
 * started on a holiday or weekend counts from that day, as a deadline does (the first working day after it is day 1).
 * `calendar` must count as `length.counting` says (see stepCalendar / calendarCounting).
 */
export function clockDueDate(calendar: Calendar, startedAt: Date, length: ClockLength): LocalDate {
  if (calendar.settings.dayCounting !== length.counting) {
    throw new Error(
      `clockDueDate: the calendar counts ${calendar.settings.dayCounting} days, the clock ${length.counting}`,
    );
  }
  return calendar.addDays(calendar.localDate(startedAt), length.days).date;
}

/** True when hazards of `grade` run a clock of `kind`. */
export function clockApplies(kind: HazardClockKind, grade: HazardGrade): boolean {
  return (HAZARD_CLOCK_KINDS[kind].grades as readonly HazardGrade[]).includes(grade);
}
