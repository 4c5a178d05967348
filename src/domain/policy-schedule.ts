/**
 * When the escalation policy's steps fall due for a hazard: the pure question the sweep asks (which steps are due
 * for this hazard now?), and where in the index of hazards a stretch of time's occurrences lie.
 *
 * Each due step carries a `key`: the sweep stores one row per (hazard, key) so a step is sent once however many
 * times or replicas sweep. Keys of deadline-relative steps include the deadline, so an approved extension yields
 * fresh keys and the reminders run again against the new deadline; keys of assignment-relative steps include the
 * assignment instant, so a re-assignment re-arms the "not acknowledged" reminder.
 */
import type { Calendar } from './calendar.js';
import type { Channel, EscalationPolicy, PolicyStep, Recipient, StepEffect, StepWhen } from './escalation-policy.js';
import type { Hazard } from './hazard.js';
import { addCalendarDays } from './local-time.js';

/** What the policy reads of a hazard: its grade, where it stands in the loop, and the instants steps hang on. */
export type StepSubject = Pick<
  Hazard,
  'grade' | 'status' | 'reportedAt' | 'assignedAt' | 'acknowledgedAt' | 'deadline' | 'deadlineSetAt'
>;

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

/**
 * When a deadline-relative step falls for one deadline date: the same for every hazard with that deadline, and a
 * sweep meets the same few hundred dates in hundreds of thousands of hazards, so it is worked out once per
 * (calendar, step, date). The Dates are shared: nothing may change them.
 */
interface DeadlineTiming {
  key: string;
  scheduledAt: Date;
  /** scheduledAt moved out of quiet hours (for steps that may not break them). */
  quietSendAt: Date;
  expiresAt: Date | null;
}

const TIMINGS_PER_STEP = 10_000;
const deadlineTimings = new WeakMap<Calendar, WeakMap<PolicyStep, Map<string, DeadlineTiming>>>();

function deadlineTiming(
  calendar: Calendar,
  step: PolicyStep,
  when: Extract<StepWhen, { days: number }>,
  deadline: string,
): DeadlineTiming {
  let byStep = deadlineTimings.get(calendar);
  if (!byStep) {
    byStep = new WeakMap();
    deadlineTimings.set(calendar, byStep);
  }
  let byDate = byStep.get(step);
  if (!byDate) {
    byDate = new Map();
    byStep.set(step, byDate);
  }
  const known = byDate.get(deadline);
  if (known) return known;
  let scheduledAt: Date;
  let expiresAt: Date | null = null;
  if ('before' in when) {
    const date = calendar.addDays(deadline, -when.days).date;
    scheduledAt = calendar.atLocalTime(date, when.at);
    expiresAt = calendar.deadlineInstant(deadline);
  } else {
    const date = calendar.addDays(deadline, when.days).date;
    scheduledAt = when.at ? calendar.atLocalTime(addCalendarDays(date, 1), when.at) : calendar.endOfLocalDay(date);
  }
  const timing = {
    key: `${step.id}@${deadline}`,
    scheduledAt,
    quietSendAt: calendar.nextSendTime(scheduledAt),
    expiresAt,
  };
  if (byDate.size >= TIMINGS_PER_STEP) byDate.clear();
  byDate.set(deadline, timing);
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
  } else {
    // Deadline-relative: the clock runs only while the hazard waits on the responsible side.
    if (!awaitingRectification) return null;
    const timing = deadlineTiming(calendar, step, when, hazard.deadline);
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
 * lower bound for a null `after`), or an inclusive range of deadline dates. The sweep reads these ranges by index
 * as time passes, instead of storing a next-due instant per hazard.
 *
 * The answer is a superset: whether each hazard's occurrence applies (grade, status, acknowledgement, a reminder
 * void before its deadline was set, quiet hours) is still `evaluateSteps`'s question. Quiet hours need no care
 * here as long as `after` and `upTo` lie outside them for steps that may not break them — the sweep does not
 * advance such a step's stretch while quiet hours last — because an occurrence held back by quiet hours is then
 * scheduled inside the stretch exactly when it may be sent at its end.
 */
export type StepAnchorRange =
  | { anchor: 'reported_at' | 'assigned_at'; after: Date | null; upTo: Date }
  | { anchor: 'deadline'; from: string | null; to: string };

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
  const to = lastDeadlineScheduledBy(calendar, step, when, upTo);
  const from = after ? addCalendarDays(lastDeadlineScheduledBy(calendar, step, when, after), 1) : null;
  if (from !== null && from > to) return null;
  return { anchor: 'deadline', from, to };
}

/**
 * The latest deadline date whose occurrence of a deadline-relative step is scheduled at or before `instant`. The
 * occurrence moves with the deadline (never back), so a binary search over a window of dates around the instant's
 * own date finds it; the window widens until it brackets the answer (working days across long holidays).
 */
function lastDeadlineScheduledBy(
  calendar: Calendar,
  step: PolicyStep,
  when: Extract<StepWhen, { days: number }>,
  instant: Date,
): string {
  const t = instant.getTime();
  const base = calendar.localDate(instant);
  const scheduledBy = (offset: number) =>
    deadlineTiming(calendar, step, when, addCalendarDays(base, offset)).scheduledAt.getTime() <= t;
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
