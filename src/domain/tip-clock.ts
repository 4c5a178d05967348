/**
 * The tips' answer clock (product.md "群众举报": the tipster is answered within 10 working days of the tip) as policy
 * data: the `tips` section of the escalation policy file, its default steps, and when each step falls due. Pure.
 *
 * Days always count as the calendar's working days (法定工作日, holidays and make-up days included), whatever
 * DEADLINE_DAY_COUNTING says for units' deadlines: the answer duty is the government's.
 */
import { z } from 'zod';
import { type Calendar, createCalendar } from './calendar.js';
import { isLocalTime } from './local-time.js';

// The calendar counting working days, made once per calendar (its memos are then shared by every tip).
const workingCalendars = new WeakMap<Calendar, Calendar>();
function workingOf(calendar: Calendar): Calendar {
  if (calendar.settings.dayCounting === 'working') return calendar;
  let working = workingCalendars.get(calendar);
  if (!working) {
    working = createCalendar({ ...calendar.settings, dayCounting: 'working' });
    workingCalendars.set(calendar, working);
  }
  return working;
}

/**
 * Whom a tip step tells: `handlers` (those the tip's card went to: the department's or township's inspectors, else
 * the county safety office), `leader` (the supervising department's leader when the tip names a unit that has one,
 * else the township's leader in charge), or a role of the chain of responsibility.
 */
export const TIP_STEP_RECIPIENTS = [
  'handlers',
  'leader',
  'township_leader_in_charge',
  'township_main_leader',
  'department_leader',
  'county_safety_office',
  'county_leader',
] as const;
export type TipStepRecipient = (typeof TIP_STEP_RECIPIENTS)[number];

/** A tip card never goes to a group (the tip is not for the unit's eyes): a card, or a card with 加急. */
export const TIP_STEP_CHANNELS = ['card', 'urgent'] as const;

const hhmm = z.string().refine(isLocalTime, { message: '应为时刻 HH:MM，如 09:00' });
const days = z.number().int('应为整数个工作日').min(0, '应为 0 或更多个工作日').max(60);

const whenBefore = z.strictObject({ before: z.literal('answer_due'), days, at: hhmm });
const whenAfter = z.strictObject({ after: z.literal('answer_due'), days, at: hhmm.optional() });
export type TipStepWhen = z.output<typeof whenBefore> | z.output<typeof whenAfter>;

const tipStepSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, '应为 1–64 个字符：小写字母、数字、"-" 或 "_"'),
  label: z.string().max(100).optional(),
  who: z.array(z.enum(TIP_STEP_RECIPIENTS)).min(1, '至少写一个接收人'),
  when: z.union([whenBefore, whenAfter], {
    error: '应为 {"before": "answer_due", "days": n, "at": "HH:MM"} 或 {"after": "answer_due", "days": n}',
  }),
  channel: z.enum(TIP_STEP_CHANNELS, { message: '只能是 "card" 或 "urgent"（举报不在群内提醒）' }),
});
export type TipStep = z.output<typeof tipStepSchema>;

/** The default steps, as a policy file would write them. */
export const DEFAULT_TIP_CLOCK_JSON = {
  answerDays: 10,
  steps: [
    {
      id: 'tip-answer-due-in-3d',
      label: '举报答复期限前 3 个工作日',
      who: ['handlers'],
      when: { before: 'answer_due', days: 3, at: '09:00' },
      channel: 'card',
    },
    {
      id: 'tip-answer-due-today',
      label: '举报今日到答复期限',
      who: ['leader'],
      when: { before: 'answer_due', days: 0, at: '09:00' },
      channel: 'card',
    },
    {
      id: 'tip-answer-overdue',
      label: '举报逾期未答复',
      who: ['county_safety_office'],
      when: { after: 'answer_due', days: 0, at: '09:00' },
      channel: 'urgent',
    },
  ],
} as const;

export const tipClockSchema = z
  .strictObject({
    /** The answer duty, in working days from the tip's local date. */
    answerDays: z.number().int().min(1, '应为 1 个工作日或更多').max(60).default(10),
    steps: z
      .array(tipStepSchema)
      .default(() => DEFAULT_TIP_CLOCK_JSON.steps.map((s) => structuredClone(s) as unknown as TipStep)),
  })
  .superRefine((value, ctx) => {
    const seen = new Set<string>();
    value.steps.forEach((step, index) => {
      if (seen.has(step.id))
        ctx.addIssue({ code: 'custom', path: ['steps', index, 'id'], message: `步骤 id "${step.id}" 重复` });
      seen.add(step.id);
    });
  });
export type TipClockPolicy = z.output<typeof tipClockSchema>;

/** The local date by which the tip must be answered. */
export function tipAnswerDue(receivedAt: Date, calendar: Calendar, answerDays: number): string {
  const working = workingOf(calendar);
  return working.addDays(working.localDate(receivedAt), answerDays).date;
}

/**
 * When a step falls due for a tip due on `due`: `before` at `at` on the working day `days` before; `after` at the
 * end of the working day `days` after, or with `at`, at that time on the next working day.
 */
export function tipStepInstant(step: TipStep, due: string, calendar: Calendar): Date {
  const working = workingOf(calendar);
  const when = step.when;
  if ('before' in when) return working.atLocalTime(working.addDays(due, -when.days).date, when.at);
  const day = working.addDays(due, when.days).date;
  if (!when.at) return working.endOfLocalDay(day);
  return working.atLocalTime(working.addDays(day, 1).date, when.at);
}

/** Working days from the tip's local date to `at`'s (0 on the day it came). */
export function tipWaitedDays(receivedAt: Date, at: Date, calendar: Calendar): number {
  const working = workingOf(calendar);
  return Math.max(0, working.countDays(working.localDate(receivedAt), working.localDate(at)));
}

/**
 * The fewest calendar days between a tip and its first step (working days are at least as long): the sweep reads
 * only tips older than that.
 */
export function tipFirstStepAfterDays(policy: TipClockPolicy): number {
  const offsets = policy.steps.map((s) =>
    'before' in s.when ? policy.answerDays - s.when.days : policy.answerDays + s.when.days,
  );
  return Math.max(0, Math.min(...offsets) - 1);
}

/** The tip's steps due at `at` and not yet sent. */
export function dueTipSteps(
  tip: { receivedAt: Date; sent: ReadonlySet<string> },
  policy: TipClockPolicy,
  at: Date,
  calendar: Calendar,
): { step: TipStep; due: string; instant: Date }[] {
  const due = tipAnswerDue(tip.receivedAt, calendar, policy.answerDays);
  return policy.steps
    .filter((step) => !tip.sent.has(step.id))
    .map((step) => ({ step, due, instant: tipStepInstant(step, due, calendar) }))
    .filter((s) => s.instant.getTime() <= at.getTime());
}

/** Working days from one local date to another (0 for the same day). */
export function workingDaysBetween(from: string, to: string, calendar: Calendar): number {
  return Math.max(0, workingOf(calendar).countDays(from, to));
}
