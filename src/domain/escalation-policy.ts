/**
 * The reminder and escalation policy as data (product.md "Reminders and escalation"), and the pure question the
 * sweep asks of it: which steps are due for this hazard now?
 *
 * A step names who is told (roles, resolved through the directory by the sweep), when (relative to the report,
 * the assignment or the deadline), on which channel (card < mention < urgent; each includes the ones before),
 * for which grades, with which side effects, and whether it may go out in quiet hours (major-only steps).
 *
 * Each due step carries a `key`: the sweep stores one row per (hazard, key) so a step is sent once however many
 * times or replicas sweep. Keys of deadline-relative steps include the deadline, so an approved extension yields
 * fresh keys and the reminders run again against the new deadline; keys of assignment-relative steps include the
 * assignment instant, so a re-assignment re-arms the "not acknowledged" reminder.
 */
import { z } from 'zod';
import { addCalendarDays, type Calendar, isLocalTime } from './calendar.js';
import type { Hazard } from './hazard.js';
import { HAZARD_GRADES, hazardGradeSchema } from './vocabulary.js';

/** Whom a step tells. The sweep resolves each through the hazard and the directory. */
export const RECIPIENTS = [
  /** 整改责任人 named on the hazard. */
  'responsible',
  /** The inspector who reported it. */
  'reporter',
  /** Inspectors of the unit's township (region scope) and of its supervising department. */
  'inspectors',
  'enterprise_principal',
  'enterprise_safety_officer',
  /** 乡镇分管领导 of the unit's township (直接责任). */
  'township_leader_in_charge',
  /** 乡镇主要领导 of the unit's township (第一责任人). */
  'township_main_leader',
  /** 行业主管部门负责人 of the supervising department (监管责任). */
  'department_leader',
  /** 县领导 (county scope). */
  'county_leader',
] as const;
export type Recipient = (typeof RECIPIENTS)[number];

/** card < mention (card + @ in the township's group) < urgent (card + 加急). */
export const CHANNELS = ['card', 'mention', 'urgent'] as const;
export type Channel = (typeof CHANNELS)[number];

// ---------------------------------------------------------------------------------------------------------------
// Schema

const hhmm = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required (a time HH:MM such as 09:00)' : undefined) })
  .refine(isLocalTime, { message: 'must be a time HH:MM such as 09:00' });
const wholeDays = z.number().int('must be a whole number of days').min(0, 'must be 0 or more days').max(366);
const positiveHours = z
  .number()
  .positive('must be more than 0 hours')
  .max(24 * 366);

const whenOnReported = z.strictObject({ on: z.literal('reported') });
const whenAfterEvent = z.strictObject({
  after: z.enum(['reported', 'assigned']),
  hours: positiveHours,
  unless: z.literal('acknowledged', { message: 'the only condition is "acknowledged"' }).optional(),
});
const whenBeforeDeadline = z.strictObject({ before: z.literal('deadline'), days: wholeDays, at: hhmm });
const whenAfterDeadline = z.strictObject({ after: z.literal('deadline'), days: wholeDays, at: hhmm.optional() });

export type StepWhen =
  | z.output<typeof whenOnReported>
  | z.output<typeof whenAfterEvent>
  | z.output<typeof whenBeforeDeadline>
  | z.output<typeof whenAfterDeadline>;

/**
 * `when` is one of:
 * - `{on: 'reported'}` — as soon as the hazard is reported;
 * - `{after: 'reported' | 'assigned', hours, unless?: 'acknowledged'}` — elapsed hours after the event;
 * - `{before: 'deadline', days, at: 'HH:MM'}` — at local time `at`, `days` days before the deadline date;
 * - `{after: 'deadline', days, at?}` — `days` days overdue: the end of day (deadline + days), or, with `at`, that
 *   local time on the following morning.
 * Days count as the calendar's `dayCounting` says (calendar or working days).
 * The variant is chosen by its anchor key so that errors speak about that variant, not a union.
 */
const whenSchema = z.unknown().transform((value, ctx): StepWhen => {
  const pick = (): z.ZodType<StepWhen> | string => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object';
    const when = value as Record<string, unknown>;
    if ('on' in when) return whenOnReported;
    if ('before' in when) return whenBeforeDeadline;
    if (when['after'] === 'deadline') return whenAfterDeadline;
    if ('after' in when) return whenAfterEvent;
    return 'must name its anchor: {"on": "reported"}, {"after": "assigned"|"reported", "hours": n}, {"before": "deadline", "days": n, "at": "HH:MM"} or {"after": "deadline", "days": n}';
  };
  const schema = pick();
  if (typeof schema === 'string') {
    ctx.addIssue({ code: 'custom', message: schema });
    return z.NEVER;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message });
    return z.NEVER;
  }
  return parsed.data;
});

const effectSchema = z.strictObject({
  type: z.literal('raise_supervision'),
  level: z.enum(['township', 'county']),
});
/** A side effect the sweep applies with the step (through the hazard state machine, as the system). */
export type StepEffect = z.output<typeof effectSchema>;

const stepSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1–64 characters: lower-case letters, digits, "-" or "_"'),
  /** A short Chinese label for logs and the admin sweep answer. */
  label: z.string().max(100).optional(),
  who: z.array(z.enum(RECIPIENTS)).min(1, 'must name at least one recipient'),
  when: whenSchema,
  channel: z.enum(CHANNELS),
  grades: z
    .array(hazardGradeSchema)
    .min(1, 'must name at least one grade')
    .default([...HAZARD_GRADES]),
  effects: z.array(effectSchema).default([]),
  /** May go out in quiet hours. Only for steps limited to major hazards. */
  breaksQuietHours: z.boolean().default(false),
});
export type PolicyStep = z.output<typeof stepSchema>;

const digestSchema = z.strictObject({
  /** Local time of the daily digest. */
  at: hhmm.default('08:30'),
  who: z
    .array(z.enum(['township_leader_in_charge', 'township_main_leader', 'department_leader', 'county_leader']))
    .default(['township_leader_in_charge', 'township_main_leader', 'department_leader', 'county_leader']),
  /** Yellow: due within this many days. */
  dueSoonDays: wholeDays.default(3),
});

export const escalationPolicySchema = z.strictObject({
  version: z.literal(1, { message: 'must be 1' }),
  steps: z.array(stepSchema).min(1, 'must list at least one step'),
  digest: digestSchema.prefault({}),
});

/**
 * The rules across steps (ids unique; only major-only steps break quiet hours), checked on the file as written so
 * that they are reported together with every field's own problems, not only once the fields are right.
 */
function crossStepProblems(value: unknown): PolicyError[] {
  const steps = (value as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return [];
  const problems: PolicyError[] = [];
  const seen = new Set<string>();
  steps.forEach((step: unknown, index) => {
    if (typeof step !== 'object' || step === null) return;
    const { id, breaksQuietHours, grades } = step as Record<string, unknown>;
    if (typeof id === 'string') {
      if (seen.has(id)) problems.push({ path: `steps[${index}].id`, reason: `duplicate step id "${id}"` });
      seen.add(id);
    }
    const majorOnly = Array.isArray(grades) && grades.length > 0 && grades.every((grade) => grade === 'major');
    if (breaksQuietHours === true && !majorOnly) {
      problems.push({
        path: `steps[${index}].breaksQuietHours`,
        reason: 'only steps limited to major hazards ("grades": ["major"]) may break quiet hours',
      });
    }
  });
  return problems;
}

export type EscalationPolicy = z.output<typeof escalationPolicySchema>;
export type DigestSettings = EscalationPolicy['digest'];

export interface PolicyError {
  /** Where in the file, e.g. `steps[2].when.days`; empty for the whole file. */
  path: string;
  reason: string;
}

export type PolicyParseResult = { ok: true; policy: EscalationPolicy } | { ok: false; errors: PolicyError[] };

/** Validates a policy: JSON text or an already-parsed value. Lists every problem with its path. */
export function parsePolicy(input: unknown): PolicyParseResult {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      return { ok: false, errors: [{ path: '', reason: `not valid JSON: ${(error as Error).message}` }] };
    }
  }
  const parsed = escalationPolicySchema.safeParse(value);
  const errors = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => ({ path: formatPath(i.path), reason: i.message }))),
    ...crossStepProblems(value),
  ];
  if (parsed.success && errors.length === 0) return { ok: true, policy: parsed.data };
  return { ok: false, errors: errors.sort(byPlaceInFile) };
}

/** Problems in the order of the file: `steps[2]…` before `steps[10]…` (a stable sort keeps a place's own order). */
function byPlaceInFile(a: PolicyError, b: PolicyError): number {
  const parts = (path: string) => path.split(/[.[\]]+/).filter(Boolean);
  const [x, y] = [parts(a.path), parts(b.path)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    const [m, n] = [Number(x[i]), Number(y[i])];
    return Number.isInteger(m) && Number.isInteger(n) ? m - n : 0;
  }
  return 0;
}

/** Throws an Error listing every problem, for start-up ("a broken file stops the start with a clear message"). */
export function parsePolicyOrThrow(input: unknown, source = 'escalation policy'): EscalationPolicy {
  const result = parsePolicy(input);
  if (result.ok) return result.policy;
  const lines = result.errors.map((e) => `  - ${e.path || '(file)'}: ${e.reason}`);
  throw new Error(`${source} is invalid:\n${lines.join('\n')}`);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

// ---------------------------------------------------------------------------------------------------------------
// The default policy: product.md's table, step by step.

/** The default policy as it would be written in a policy file. */
export const DEFAULT_POLICY_JSON = {
  version: 1,
  steps: [
    {
      id: 'unacknowledged-24h',
      label: '指派 24 小时未确认接收',
      who: ['responsible'],
      when: { after: 'assigned', hours: 24, unless: 'acknowledged' },
      channel: 'card',
    },
    {
      id: 'due-in-3d',
      label: '距整改期限 3 天',
      who: ['responsible'],
      when: { before: 'deadline', days: 3, at: '09:00' },
      channel: 'card',
    },
    {
      id: 'due-in-1d',
      label: '距整改期限 1 天',
      who: ['responsible'],
      when: { before: 'deadline', days: 1, at: '09:00' },
      channel: 'card',
    },
    {
      id: 'overdue-0d',
      label: '已超期',
      who: ['responsible', 'township_leader_in_charge'],
      when: { after: 'deadline', days: 0 },
      channel: 'mention',
    },
    {
      id: 'overdue-3d',
      label: '超期 3 天',
      who: ['responsible', 'township_leader_in_charge', 'township_main_leader', 'department_leader'],
      when: { after: 'deadline', days: 3 },
      channel: 'urgent',
    },
    {
      id: 'overdue-7d',
      label: '超期 7 天，县级挂牌督办',
      who: ['responsible', 'township_leader_in_charge', 'township_main_leader', 'department_leader', 'county_leader'],
      when: { after: 'deadline', days: 7 },
      channel: 'urgent',
      effects: [{ type: 'raise_supervision', level: 'county' }],
    },
    {
      id: 'major-reported',
      label: '重大隐患挂牌督办',
      who: ['county_leader', 'department_leader', 'township_main_leader'],
      when: { on: 'reported' },
      channel: 'urgent',
      grades: ['major'],
      breaksQuietHours: true,
    },
    {
      id: 'major-overdue',
      label: '重大隐患超期',
      who: ['county_leader'],
      when: { after: 'deadline', days: 0 },
      channel: 'urgent',
      grades: ['major'],
      breaksQuietHours: true,
    },
  ],
  digest: {
    at: '08:30',
    who: ['township_leader_in_charge', 'township_main_leader', 'department_leader', 'county_leader'],
    dueSoonDays: 3,
  },
} as const;

export const DEFAULT_POLICY: EscalationPolicy = parsePolicyOrThrow(DEFAULT_POLICY_JSON, 'default escalation policy');

// ---------------------------------------------------------------------------------------------------------------
// Due steps

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
