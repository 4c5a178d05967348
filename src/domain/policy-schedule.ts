/**
 * When the escalation policy's steps fall due for a hazard: the pure question the sweep asks (which steps are due
 * for this hazard now?), and where in the index of hazards a stretch of time's occurrences lie.
 *
 * Each due step carries a `key`: the sweep stores one row per (hazard, key) so a step is sent once however many
 * times or replicas sweep. Keys of deadline-relative steps include the deadline, so an approved extension yields
 * fresh keys and the reminders run again against the new deadline; keys of assignment-relative steps include the
 * assignment instant, so a re-assignment re-arms the "not acknowledged" reminder; keys of rectification-relative
 * steps (the 复查 clock) include the submission instant, so a rejection and a new submission re-arm them; keys of
 * clock-relative steps (`plan_due`, …) include the clock's kind and start, so a clock started again re-arms them.
 */
import { type Calendar, createCalendar, type DayCounting } from './calendar.js';
import type { Channel, EscalationPolicy, PolicyStep, Recipient, StepEffect, StepWhen } from './escalation-policy.js';
import type { Hazard } from './hazard.js';
import { clockKindOfAnchor, type HazardClockKind, type OpenClock } from './hazard-clocks.js';
import { addCalendarDays } from './local-time.js';
import type { LocalDate } from './vocabulary.js';

/** What the policy reads of a hazard: its grade, where it stands in the loop, and the instants steps hang on. */
export type StepSubject = Pick<
  Hazard,
  'grade' | 'status' | 'reportedAt' | 'assignedAt' | 'acknowledgedAt' | 'deadline' | 'deadlineSetAt' | 'rectifiedAt'
> & {
  /** The hazard's running clocks (domain/hazard-clocks.ts); none when absent. */
  clocks?: readonly OpenClock[];
};

export interface DueStep {
  /** Unique per (hazard, step occurrence): store (hazard, key) once to send once. */
  key: string;
  stepId: string;
  step: PolicyStep;
  who: readonly Recipient[];
  channel: Channel;
  effects: readonly StepEffect[];
  /** When the policy schedules it. */
  scheduledAt: Date;
  /** When it may go out: scheduledAt, or the end of quiet hours for steps that may not break them. */
  sendAt: Date;
}

interface Occurrence extends DueStep {
  /** Not sent from this instant on (before-deadline reminders are pointless once the deadline has passed). */
  expiresAt: Date | null;
  breaksQuietHours: boolean;
}

const HOUR_MS = 3_600_000;

type DayWhen = Extract<StepWhen, { days: number }>;
type RectifiedWhen = Extract<StepWhen, { after: 'rectified' }>;

const isRectifiedWhen = (when: StepWhen): when is RectifiedWhen => 'after' in when && when.after === 'rectified';
type ClockWhen = Extract<StepWhen, { days: number }> & { counting?: DayCounting };

/** The clock a step hangs on (`{before|after: '<kind>_due'}`), or null for any other step. */
export function clockOfStep(when: StepWhen): HazardClockKind | null {
  if ('before' in when) return clockKindOfAnchor(when.before);
  if ('after' in when) return clockKindOfAnchor(when.after);
  return null;
}

const recountedCalendars = new WeakMap<Calendar, Map<DayCounting, Calendar>>();

/**
 * The calendar a day-relative step counts its days with: the deployment's, or — for a step whose `counting` differs
 * from it — the same calendar counting the other way (one per calendar, so that its memos are shared).
 */
export function stepCalendar(step: PolicyStep, calendar: Calendar): Calendar {
  const when = step.when;
  const counting = isRectifiedWhen(when) || clockOfStep(when) ? (when as ClockWhen).counting : undefined;
  return calendarCounting(calendar, counting);
}

/** `calendar`, or the same calendar counting days the other way (shared, so that its memos are). */
export function calendarCounting(calendar: Calendar, counting: DayCounting | undefined): Calendar {
  if (!counting || counting === calendar.settings.dayCounting) return calendar;
  let byCounting = recountedCalendars.get(calendar);
  if (!byCounting) {
    byCounting = new Map();
    recountedCalendars.set(calendar, byCounting);
  }
  let recounted = byCounting.get(counting);
  if (!recounted) {
    recounted = createCalendar({ ...calendar.settings, dayCounting: counting });
    byCounting.set(counting, recounted);
  }
  return recounted;
}

/**
 * When a day-relative step falls for one anchor date (a deadline, or the local date of a submitted rectification):
 * the same for every hazard with that date, and a sweep meets the same few hundred dates in hundreds of thousands of
 * hazards, so it is worked out once per (calendar, step, date). The Dates are shared: nothing may change them.
 */
interface DayTiming {
  key: string;
  scheduledAt: Date;
  /** scheduledAt moved out of quiet hours (for steps that may not break them). */
  quietSendAt: Date;
  expiresAt: Date | null;
}

const TIMINGS_PER_STEP = 10_000;
const dayTimings = new WeakMap<Calendar, WeakMap<PolicyStep, Map<string, DayTiming>>>();

/** `calendar` is the step's own (stepCalendar). `key` is the deadline step's; a rectification's is per instant. */
function dayTiming(calendar: Calendar, step: PolicyStep, when: DayWhen, date: string): DayTiming {
  let byStep = dayTimings.get(calendar);
  if (!byStep) {
    byStep = new WeakMap();
    dayTimings.set(calendar, byStep);
  }
  let byDate = byStep.get(step);
  if (!byDate) {
    byDate = new Map();
    byStep.set(step, byDate);
  }
  const known = byDate.get(date);
  if (known) return known;
  let scheduledAt: Date;
  let expiresAt: Date | null = null;
  if ('before' in when) {
    const day = calendar.addDays(date, -when.days).date;
    scheduledAt = calendar.atLocalTime(day, when.at);
    expiresAt = calendar.deadlineInstant(date);
  } else {
    const day = calendar.addDays(date, when.days).date;
    scheduledAt = when.at ? calendar.atLocalTime(addCalendarDays(day, 1), when.at) : calendar.endOfLocalDay(day);
  }
  const timing = {
    key: `${step.id}@${date}`,
    scheduledAt,
    quietSendAt: calendar.nextSendTime(scheduledAt),
    expiresAt,
  };
  if (byDate.size >= TIMINGS_PER_STEP) byDate.clear();
  byDate.set(date, timing);
  return timing;
}

/** The step's occurrence for this hazard as it stands, or null when the step does not apply. */
function occurrenceOf(hazard: StepSubject, step: PolicyStep, calendar: Calendar): Occurrence | null {
  if (hazard.status === 'closed' || !step.grades.includes(hazard.grade)) return null;
  const awaitingRectification = hazard.status === 'reported' || hazard.status === 'rectifying';
  const when = step.when;
  const breaksQuietHours = step.breaksQuietHours && hazard.grade === 'major';
  let key: string;
  let scheduledAt: Date;
  let sendAt: Date;
  let expiresAt: Date | null = null;

  if ('on' in when) {
    key = `${step.id}@reported`;
    scheduledAt = hazard.reportedAt;
    sendAt = breaksQuietHours ? scheduledAt : calendar.nextSendTime(scheduledAt);
  } else if ('hours' in when) {
    if (when.after === 'reported') {
      key = `${step.id}@reported`;
      scheduledAt = new Date(hazard.reportedAt.getTime() + when.hours * HOUR_MS);
    } else {
      if (hazard.status !== 'rectifying' || !hazard.assignedAt) return null;
      if (when.unless === 'acknowledged' && hazard.acknowledgedAt) return null;
      key = `${step.id}@${hazard.assignedAt.toISOString()}`;
      scheduledAt = new Date(hazard.assignedAt.getTime() + when.hours * HOUR_MS);
    }
    sendAt = breaksQuietHours ? scheduledAt : calendar.nextSendTime(scheduledAt);
  } else if (clockOfStep(when)) {
    // A clock's steps run while it does (stopped clocks are not read), whatever the hazard's own state.
    const kind = clockOfStep(when);
    const clock = hazard.clocks?.find((c) => c.kind === kind);
    if (!clock) return null;
    const timing = dayTiming(stepCalendar(step, calendar), step, when as DayWhen, clock.due);
    key = `${step.id}@${kind}:${clock.startedAt.toISOString()}`;
    scheduledAt = timing.scheduledAt;
    sendAt = breaksQuietHours ? scheduledAt : timing.quietSendAt;
    expiresAt = timing.expiresAt;
  } else if (isRectifiedWhen(when)) {
    // The 复查 clock runs only while the latest rectification waits for verification.
    if (hazard.status !== 'pending_verification' || !hazard.rectifiedAt) return null;
    const dayCalendar = stepCalendar(step, calendar);
    const timing = dayTiming(dayCalendar, step, when, dayCalendar.localDate(hazard.rectifiedAt));
    key = `${step.id}@${hazard.rectifiedAt.toISOString()}`;
    scheduledAt = timing.scheduledAt;
    sendAt = breaksQuietHours ? scheduledAt : timing.quietSendAt;
  } else {
    // Deadline-relative: the clock runs only while the hazard waits on the responsible side.
    if (!awaitingRectification) return null;
    const timing = dayTiming(calendar, step, when, hazard.deadline);
    // A reminder that would have fallen before this deadline was set (late report, extension) is void.
    if (timing.scheduledAt.getTime() < hazard.deadlineSetAt.getTime()) return null;
    key = timing.key;
    scheduledAt = timing.scheduledAt;
    sendAt = breaksQuietHours ? scheduledAt : timing.quietSendAt;
    expiresAt = timing.expiresAt;
  }

  if (expiresAt && sendAt.getTime() >= expiresAt.getTime()) return null;
  return {
    key,
    stepId: step.id,
    step,
    who: step.who,
    channel: step.channel,
    effects: step.effects,
    scheduledAt,
    sendAt,
    expiresAt,
    breaksQuietHours,
  };
}

function toDueStep(occurrence: Occurrence): DueStep {
  const { expiresAt: _expires, breaksQuietHours: _breaks, ...due } = occurrence;
  return due;
}

/**
 * The steps due for this hazard at `now`: every applicable step whose send time has come (however long ago, so a
 * sweep that missed its time catches up), except those already sent, expired before-deadline reminders, and —
 * while `now` is in quiet hours — steps that may not break them. Ordered by send time, then policy order.
 * Closed hazards have none; acknowledgement cancels `unless: 'acknowledged'` steps.
 */
export function evaluateSteps(
  hazard: StepSubject,
  policy: EscalationPolicy,
  now: Date,
  calendar: Calendar,
  alreadySent?: ReadonlySet<string>,
): DueStep[] {
  const t = now.getTime();
  const quietNow = calendar.isQuietHour(now);
  const due: DueStep[] = [];
  for (const step of policy.steps) {
    const occurrence = occurrenceOf(hazard, step, calendar);
    if (!occurrence || alreadySent?.has(occurrence.key)) continue;
    const expiresAt = occurrence.expiresAt?.getTime() ?? null;
    const held = quietNow && !occurrence.breaksQuietHours;
    if (occurrence.sendAt.getTime() <= t && (expiresAt === null || t < expiresAt) && !held) {
      due.push(toDueStep(occurrence));
    }
  }
  due.sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime());
  return due;
}

/** The steps of `policy` that fire the moment a hazard is reported (`{on: 'reported'}`). */
export function stepsOnReport(policy: EscalationPolicy): PolicyStep[] {
  return policy.steps.filter((step) => 'on' in step.when);
}

// ---------------------------------------------------------------------------------------------------------------
// Where a stretch of time's occurrences lie

/**
 * The hazards whose occurrence of `step` is scheduled in the stretch (after, upTo], named by the column the step
 * is anchored to: an instant range of `reported_at` / `assigned_at` (lower bound exclusive, upper inclusive; no
 * lower bound for a null `after`), an inclusive range of deadline dates, or the instants of an inclusive range of
 * local dates of `rectified_at` (a rectification-relative step's occurrence depends only on that date). The sweep
 * reads these ranges by index as time passes, instead of storing a next-due instant per hazard.
 *
 * The answer is a superset: whether each hazard's occurrence applies (grade, status, acknowledgement, a reminder
 * void before its deadline was set, quiet hours) is still `evaluateSteps`'s question. Quiet hours need no care
 * here as long as `after` and `upTo` lie outside them for steps that may not break them — the sweep does not
 * advance such a step's stretch while quiet hours last — because an occurrence held back by quiet hours is then
 * scheduled inside the stretch exactly when it may be sent at its end.
 */
export type StepAnchorRange =
  | { anchor: 'reported_at' | 'assigned_at'; after: Date | null; upTo: Date }
  | { anchor: 'deadline'; from: string | null; to: string }
  /** Whole local days of `rectified_at`: `from` inclusive (none before the first sweep), `before` exclusive. */
  | { anchor: 'rectified_at'; from: Date | null; before: Date }
  /** An inclusive range of the due dates of running clocks of `kind`. */
  | { anchor: 'clock_due'; kind: HazardClockKind; from: string | null; to: string };

export function stepAnchorRange(
  step: PolicyStep,
  calendar: Calendar,
  after: Date | null,
  upTo: Date,
): StepAnchorRange | null {
  if (after && after.getTime() >= upTo.getTime()) return null;
  const when = step.when;
  if ('on' in when) return { anchor: 'reported_at', after, upTo };
  if ('hours' in when) {
    const shift = (d: Date) => new Date(d.getTime() - when.hours * HOUR_MS);
    return {
      anchor: when.after === 'reported' ? 'reported_at' : 'assigned_at',
      after: after ? shift(after) : null,
      upTo: shift(upTo),
    };
  }
  const dayCalendar = stepCalendar(step, calendar);
  const to = lastDateScheduledBy(dayCalendar, step, when, upTo);
  const from = after ? addCalendarDays(lastDateScheduledBy(dayCalendar, step, when, after), 1) : null;
  if (from !== null && from > to) return null;
  const kind = clockOfStep(when);
  if (kind) return { anchor: 'clock_due', kind, from, to };
  if (isRectifiedWhen(when)) {
    return {
      anchor: 'rectified_at',
      from: from === null ? null : dayCalendar.startOfLocalDay(from),
      before: dayCalendar.endOfLocalDay(to),
    };
  }
  return { anchor: 'deadline', from, to };
}

/**
 * The latest anchor date (a deadline, the day of a rectification) whose occurrence of a day-relative step is
 * scheduled at or before `instant`. The occurrence moves with the date (never back), so a binary search over a
 * window of dates around the instant's own date finds it; the window widens until it brackets the answer (working
 * days across long holidays).
 */
function lastDateScheduledBy(calendar: Calendar, step: PolicyStep, when: DayWhen, instant: Date): string {
  const t = instant.getTime();
  const base = calendar.localDate(instant);
  const scheduledBy = (offset: number) =>
    dayTiming(calendar, step, when, addCalendarDays(base, offset)).scheduledAt.getTime() <= t;
  let reach = 2 * when.days + 40;
  let lo = -reach;
  let hi = reach;
  while (!scheduledBy(lo)) lo -= reach *= 2;
  while (scheduledBy(hi)) hi += reach *= 2;
  // scheduledBy(lo) holds, scheduledBy(hi) does not.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (scheduledBy(mid)) lo = mid;
    else hi = mid;
  }
  return addCalendarDays(base, lo);
}

/**
 * How long a rectification has waited for verification at `at`, as the 复查 cards say it: the local date it was
 * submitted, and the whole days (counted as the step counts them) from the end of that day to the start of today.
 * Null for a step that is not rectification-relative.
 */
export function verificationWait(
  step: PolicyStep,
  calendar: Calendar,
  rectifiedAt: Date | null,
  at: Date,
): { submittedOn: LocalDate; days: number; workingDays: boolean } | null {
  if (!isRectifiedWhen(step.when) || !rectifiedAt) return null;
  const dayCalendar = stepCalendar(step, calendar);
  const submittedOn = dayCalendar.localDate(rectifiedAt);
  const yesterday = addCalendarDays(dayCalendar.localDate(at), -1);
  return {
    submittedOn,
    days: Math.max(0, dayCalendar.countDays(submittedOn, yesterday)),
    workingDays: dayCalendar.settings.dayCounting === 'working',
  };
}
