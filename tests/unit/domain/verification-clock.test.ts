/**
 * The 复查 clock (product.md "Major hazards: what the law asks"): a submitted rectification waiting for verification
 * is a policy step `{after: 'rectified', days, at?, counting?}` — when it falls, under which key, and where the sweep
 * finds it (stepAnchorRange over `rectified_at`).
 */
import { describe, expect, it } from 'vitest';
import { type Calendar, createCalendar } from '../../../src/domain/calendar.js';
import {
  DEFAULT_POLICY,
  type EscalationPolicy,
  type PolicyStep,
  parsePolicy,
  parsePolicyOrThrow,
} from '../../../src/domain/escalation-policy.js';
import { applyAction, type Hazard, type HazardAction } from '../../../src/domain/index.js';
import type { Actor } from '../../../src/domain/permissions.js';
import {
  evaluateSteps,
  type StepSubject,
  stepAnchorRange,
  verificationWait,
} from '../../../src/domain/policy-schedule.js';
import { calendar, local, people, reported } from './fixtures.js';

const working = createCalendar({ dayCounting: 'working' });
const text = (instant: Date) => `${calendar.toLocal(instant).date} ${calendar.toLocal(instant).time}`;

const act = (action: HazardAction, actor: Actor, at: string) => (hazard: Hazard) => {
  const result = applyAction(hazard, action, actor, local(at), calendar);
  if (!result.ok) throw new Error(`${action.type}: ${result.error.message}`);
  return result.hazard;
};
const submit = (at: string) => act({ type: 'submitRectification', description: '已整改' }, people.boss, at);

/**
 * A sweep every 5 minutes from `from` to `until` (changes applied at their instant), sending what `evaluateSteps`
 * returns: the 复查 steps sent, as `[key, sent at, scheduled at, who]`.
 */
function verifySteps(
  start: Hazard,
  from: string,
  until: string,
  changes: [string, (h: Hazard) => Hazard][] = [],
  options: { cal?: Calendar; policy?: EscalationPolicy } = {},
): string[][] {
  const queue = changes.map(([at, change]) => ({ at: local(at).getTime(), change }));
  const sent = new Set<string>();
  const out: string[][] = [];
  let hazard = start;
  for (let t = local(from).getTime(); t <= local(until).getTime(); t += 5 * 60_000) {
    while (queue[0] && queue[0].at <= t) hazard = queue.shift()!.change(hazard);
    const now = new Date(t);
    for (const step of evaluateSteps(hazard, options.policy ?? DEFAULT_POLICY, now, options.cal ?? calendar, sent)) {
      sent.add(step.key);
      if (step.stepId.startsWith('verify')) out.push([step.key, text(now), text(step.scheduledAt), step.who.join(',')]);
    }
  }
  return out;
}

describe('the 复查 clock of the default policy', () => {
  it('reminds the reporter after 3 working days and tells the leaders after 5, across National Day 2026', () => {
    // Submitted Tuesday 09-29. Working days: 09-30, (holiday 10-01…10-07), 10-08, 10-09 → 3; Saturday 10-10 (a
    // make-up working day), Monday 10-12 → 5. Each at the end of its day, held by quiet hours until 07:30. The
    // deployment counts deadlines in calendar days; the 复查 clock counts working days all the same.
    const hazard = submit('2026-09-29 15:00')(reported({ at: '2026-09-21 10:00', deadline: '2026-10-30' }));
    const key = (id: string) => `${id}@${local('2026-09-29 15:00').toISOString()}`;
    expect(verifySteps(hazard, '2026-09-29 15:00', '2026-11-30 00:00')).toEqual([
      [key('verify-reminder'), '2026-10-10 07:30', '2026-10-10 00:00', 'reporter'],
      [key('verify-overdue'), '2026-10-13 07:30', '2026-10-13 00:00', 'township_leader_in_charge,department_leader'],
    ]);
  });

  it('skips the weekend: submitted on a Friday, the reminder falls at the end of Wednesday, not of Monday', () => {
    const hazard = submit('2026-05-15 16:00')(reported());
    expect(
      verifySteps(hazard, '2026-05-15 16:00', '2026-06-30 00:00').map(([k, at]) => [k!.split('@')[0], at]),
    ).toEqual([
      ['verify-reminder', '2026-05-21 07:30'],
      ['verify-overdue', '2026-05-23 07:30'],
    ]);
  });

  it('re-arms for a new submission after a rejection, under a new key; acceptance ends it', () => {
    // Submitted Monday 05-11 (reminded Friday 05-15), rejected on that Friday, submitted again Monday 05-18:
    // reminded again on Friday 05-22, the leaders told on Tuesday 05-26; accepted on 05-27, nothing more.
    const first = local('2026-05-11 11:00').toISOString();
    const second = local('2026-05-18 10:00').toISOString();
    const sent = verifySteps(reported(), '2026-05-11 10:00', '2026-07-31 00:00', [
      ['2026-05-11 11:00', submit('2026-05-11 11:00')],
      ['2026-05-15 10:00', act({ type: 'reject', reason: '不合格' }, people.townInspector, '2026-05-15 10:00')],
      ['2026-05-18 10:00', submit('2026-05-18 10:00')],
      ['2026-05-27 10:00', act({ type: 'accept' }, people.townInspector, '2026-05-27 10:00')],
    ]);
    expect(sent.map(([k, at]) => [k, at])).toEqual([
      [`verify-reminder@${first}`, '2026-05-15 07:30'],
      [`verify-reminder@${second}`, '2026-05-22 07:30'],
      [`verify-overdue@${second}`, '2026-05-26 07:30'],
    ]);
  });

  it('has no occurrence unless the rectification waits for verification', () => {
    const far = local('2026-12-01 12:00');
    const ids = (hazard: StepSubject) =>
      evaluateSteps(hazard, DEFAULT_POLICY, far, calendar)
        .map((s) => s.stepId)
        .filter((id) => id.startsWith('verify'));
    const submitted = submit('2026-05-12 10:00')(reported());
    expect(ids(submitted)).toEqual(['verify-reminder', 'verify-overdue']);
    // Rejected: rectifying again, its rectification still on record.
    const rejected = act({ type: 'reject', reason: '不合格' }, people.townInspector, '2026-05-13 10:00')(submitted);
    expect(rejected.rectifiedAt).not.toBeNull();
    expect(ids(rejected)).toEqual([]);
    expect(ids(act({ type: 'accept' }, people.townInspector, '2026-05-13 10:00')(submitted))).toEqual([]);
    expect(ids(reported())).toEqual([]);
    // A row that claims to wait without a rectification instant (never written so) has no clock either.
    expect(ids({ ...submitted, rectifiedAt: null })).toEqual([]);
  });

  it('says how long the rectification has waited, in the days the step counts', () => {
    const reminder = DEFAULT_POLICY.steps.find((s) => s.id === 'verify-reminder')!;
    expect(verificationWait(reminder, calendar, local('2026-05-15 16:00'), local('2026-05-21 07:30'))).toEqual({
      submittedOn: '2026-05-15',
      days: 3,
      workingDays: true,
    });
    expect(verificationWait(reminder, calendar, local('2026-05-15 16:00'), local('2026-05-15 18:00'))?.days).toBe(0);
    const due = DEFAULT_POLICY.steps.find((s) => s.id === 'due-in-3d')!;
    expect(verificationWait(due, calendar, local('2026-05-15 16:00'), local('2026-05-21 07:30'))).toBeNull();
  });
});

describe('a policy file’s rectification steps', () => {
  const policy = parsePolicyOrThrow({
    version: 1,
    steps: [
      { id: 'follows', who: ['reporter'], when: { after: 'rectified', days: 3 }, channel: 'card' },
      {
        id: 'morning',
        who: ['inspectors'],
        when: { after: 'rectified', days: 0, at: '09:00', counting: 'calendar' },
        channel: 'card',
      },
    ],
  });
  const hazard = submit('2026-09-29 15:00')(reported({ at: '2026-09-21 10:00', deadline: '2026-10-30' }));
  const at = (cal: Calendar) =>
    verifySteps(hazard, '2026-09-29 15:00', '2026-11-30 00:00', [], { cal, policy: withVerifyIds(policy) }).map(
      ([k, sentAt]) => [k!.split('@')[0], sentAt],
    );

  it('count days as DEADLINE_DAY_COUNTING says unless `counting` says otherwise; `at` is the next morning', () => {
    expect(at(calendar)).toEqual([
      ['verify-morning', '2026-09-30 09:00'],
      ['verify-follows', '2026-10-03 07:30'],
    ]);
    expect(at(working)).toEqual([
      ['verify-morning', '2026-09-30 09:00'],
      ['verify-follows', '2026-10-10 07:30'],
    ]);
  });

  it('are checked like every step, in Chinese', () => {
    const result = parsePolicy({
      version: 1,
      steps: [
        { id: 'a', who: ['reporter'], when: { after: 'rectified' }, channel: 'card' },
        { id: 'b', who: ['reporter'], when: { after: 'rectified', days: 2, counting: 'weekdays' }, channel: 'card' },
        { id: 'c', who: ['reporter'], when: { after: 'rectified', days: 2, unless: 'acknowledged' }, channel: 'card' },
        { id: 'd', who: ['reporter'], when: { after: 'verified', hours: 2 }, channel: 'card' },
        { id: 'e', who: ['reporter'], when: { after: 'rectified', days: 2, at: '9点' }, channel: 'card' },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byPath = Object.fromEntries(result.errors.map((e) => [e.path, e.reason]));
    expect(byPath).toMatchObject({
      'steps[0].when.days': expect.stringMatching(/[\u4e00-\u9fff]/),
      'steps[1].when.counting': '只能是 "working"（法定工作日）或 "calendar"（自然日）',
      'steps[2].when': expect.stringMatching(/unless/),
      'steps[3].when.after': '应为 "reported"、"assigned"、"deadline" 或 "rectified"（提交整改）',
      'steps[4].when.at': '应为时刻 HH:MM，如 09:00',
    });
  });
});

/** The policy with its step ids prefixed `verify-`, so that verifySteps lists them. */
function withVerifyIds(policy: EscalationPolicy): EscalationPolicy {
  return { ...policy, steps: policy.steps.map((s) => ({ ...s, id: `verify-${s.id}` })) };
}

describe('stepAnchorRange over rectified_at', () => {
  const custom = parsePolicyOrThrow({
    version: 1,
    steps: [
      { id: 'zero', who: ['reporter'], when: { after: 'rectified', days: 0 }, channel: 'card' },
      { id: 'morning', who: ['reporter'], when: { after: 'rectified', days: 2, at: '09:00' }, channel: 'card' },
    ],
  }).steps;
  const steps: PolicyStep[] = [...DEFAULT_POLICY.steps.filter((s) => s.id.startsWith('verify-')), ...custom];

  /** Where the step's occurrence falls for a hazard whose rectification was submitted at `rectifiedAt`. */
  function scheduledFor(step: PolicyStep, cal: Calendar, rectifiedAt: Date): number {
    const subject: StepSubject = {
      grade: 'general',
      status: 'pending_verification',
      reportedAt: new Date(rectifiedAt.getTime() - 86_400_000),
      assignedAt: new Date(rectifiedAt.getTime() - 86_400_000),
      acknowledgedAt: null,
      deadline: '2027-06-30',
      deadlineSetAt: new Date(rectifiedAt.getTime() - 86_400_000),
      rectifiedAt,
    };
    const [due] = evaluateSteps(subject, { ...DEFAULT_POLICY, steps: [step] }, local('2027-03-01 12:00'), cal);
    return due!.scheduledAt.getTime();
  }

  // Rectifications every 7 hours and 13 minutes from September to mid-November 2026 (every time of day, National
  // Day, weekends, the make-up Saturday), against stretches of a few minutes to weeks.
  const submissions: Date[] = [];
  for (
    let t = local('2026-09-01 00:07').getTime();
    t < local('2026-11-15 00:00').getTime();
    t += (7 * 60 + 13) * 60_000
  ) {
    submissions.push(new Date(t));
  }
  const stretches: [Date | null, Date][] = [
    [local('2026-10-10 07:25'), local('2026-10-10 07:35')],
    [local('2026-10-09 23:55'), local('2026-10-10 00:00')],
    [local('2026-10-10 00:00'), local('2026-10-10 00:05')],
    [local('2026-09-30 21:00'), local('2026-10-12 00:00')],
    [local('2026-10-01 09:00'), local('2026-10-02 09:00')],
    [local('2026-09-14 07:30'), local('2026-11-01 07:30')],
    [null, local('2026-10-15 12:00')],
  ];

  it('holds exactly the hazards whose occurrence is scheduled in the stretch, on both calendars', () => {
    for (const cal of [calendar, working]) {
      for (const step of steps) {
        for (const [after, upTo] of stretches) {
          const range = stepAnchorRange(step, cal, after, upTo);
          const label = `${cal.settings.dayCounting} ${step.id} (${after?.toISOString()}, ${upTo.toISOString()}]`;
          if (range) expect(range.anchor, label).toBe('rectified_at');
          const inRange = (r: Date) =>
            range?.anchor === 'rectified_at' &&
            (range.from === null || r.getTime() >= range.from.getTime()) &&
            r.getTime() < range.before.getTime();
          const expected: string[] = [];
          const got: string[] = [];
          for (const r of submissions) {
            const t = scheduledFor(step, cal, r);
            if ((after === null || t > after.getTime()) && t <= upTo.getTime()) expected.push(r.toISOString());
            if (inRange(r)) got.push(r.toISOString());
          }
          expect(got, label).toEqual(expected);
        }
      }
    }
  });

  it('is a whole number of local days, and empty when no occurrence falls in the stretch', () => {
    const reminder = steps[0]!;
    // Submitted on Thursday 10-08: its 3 working days (10-09, the make-up Saturday 10-10, 10-12) end at midnight
    // on the 13th, and no other day's do.
    expect(stepAnchorRange(reminder, calendar, local('2026-10-12 23:00'), local('2026-10-13 08:00'))).toEqual({
      anchor: 'rectified_at',
      from: local('2026-10-08 00:00'),
      before: local('2026-10-09 00:00'),
    });
    expect(stepAnchorRange(reminder, calendar, local('2026-10-13 09:00'), local('2026-10-13 10:00'))).toBeNull();
    // During the holiday no working day ends: nothing is scheduled at all.
    expect(stepAnchorRange(reminder, calendar, local('2026-10-02 01:00'), local('2026-10-07 01:00'))).toBeNull();
  });
});
