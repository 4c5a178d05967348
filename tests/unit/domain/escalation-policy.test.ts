import { describe, expect, it } from 'vitest';
import { type Calendar, createCalendar } from '../../../src/domain/calendar.js';
import {
  DEFAULT_POLICY,
  DEFAULT_POLICY_JSON,
  type EscalationPolicy,
  parsePolicy,
  parsePolicyOrThrow,
} from '../../../src/domain/escalation-policy.js';
import { applyAction, type Hazard, type HazardAction } from '../../../src/domain/index.js';
import type { Actor } from '../../../src/domain/permissions.js';
import { evaluateSteps, stepAnchorRange } from '../../../src/domain/policy-schedule.js';
import { calendar, local, people, reported } from './fixtures.js';

interface Sent {
  key: string;
  at: string;
  scheduled: string;
  channel: string;
  who: string;
  effects: string;
}

const shanghaiText = (instant: Date) => calendar.toLocal(instant).date + ' ' + calendar.toLocal(instant).time;

/**
 * A sweep every minute from `from` to `until`, sending what `evaluateSteps` returns: each step must go out at the
 * minute it is due. `changes` are applied to the hazard at their instant (before the sweep at that instant).
 */
function sweepEveryMinute(
  start: Hazard,
  from: string,
  until: string,
  options: { cal?: Calendar; policy?: EscalationPolicy; changes?: [string, (h: Hazard) => Hazard][] } = {},
): Sent[] {
  const cal = options.cal ?? calendar;
  const policy = options.policy ?? DEFAULT_POLICY;
  const changes = [...(options.changes ?? [])].map(([at, change]) => ({ at: local(at), change }));
  const end = local(until).getTime();
  const sentKeys = new Set<string>();
  const sent: Sent[] = [];
  let hazard = start;
  for (let t = local(from).getTime(); t <= end; t += 60_000) {
    const now = new Date(t);
    while (changes[0] && changes[0].at.getTime() <= t) hazard = changes.shift()!.change(hazard);
    for (const step of evaluateSteps(hazard, policy, now, cal, sentKeys)) {
      sentKeys.add(step.key);
      sent.push({
        key: step.key,
        at: shanghaiText(now),
        scheduled: shanghaiText(step.scheduledAt),
        channel: step.channel,
        who: step.who.join(','),
        effects: step.effects.map((e) => `${e.type}:${e.level}`).join(','),
      });
    }
  }
  return sent;
}

/** A sweep every 15 minutes, as a cron would run it: must send the same steps at the same times. */
function sweepEvery15Minutes(start: Hazard, from: string, until: string, cal: Calendar = calendar): Sent[] {
  const sentKeys = new Set<string>();
  const sent: Sent[] = [];
  for (let t = local(from).getTime(); t <= local(until).getTime(); t += 15 * 60_000) {
    const now = new Date(t);
    for (const step of evaluateSteps(start, DEFAULT_POLICY, now, cal, sentKeys)) {
      sentKeys.add(step.key);
      sent.push({
        key: step.key,
        at: shanghaiText(now),
        scheduled: shanghaiText(step.scheduledAt),
        channel: step.channel,
        who: step.who.join(','),
        effects: step.effects.map((e) => `${e.type}:${e.level}`).join(','),
      });
    }
  }
  return sent;
}

const act = (action: HazardAction, actor: Actor, at: string) => (hazard: Hazard) => {
  const result = applyAction(hazard, action, actor, local(at), calendar);
  if (!result.ok) throw new Error(`${action.type}: ${result.error.message}`);
  return result.hazard;
};

describe('the default policy', () => {
  it('is the table of product.md, written as a policy file', () => {
    expect(parsePolicy(DEFAULT_POLICY_JSON)).toEqual({ ok: true, policy: DEFAULT_POLICY });
    expect(parsePolicy(JSON.stringify(DEFAULT_POLICY_JSON))).toEqual({ ok: true, policy: DEFAULT_POLICY });
    const summary = DEFAULT_POLICY.steps.map((s) => [s.id, s.who.join('+'), s.channel, s.grades.join('/')]);
    expect(summary).toEqual([
      ['unacknowledged-24h', 'responsible', 'card', 'general/major'],
      ['due-in-3d', 'responsible', 'card', 'general/major'],
      ['due-in-1d', 'responsible', 'card', 'general/major'],
      ['overdue-0d', 'responsible+township_leader_in_charge', 'mention', 'general/major'],
      [
        'overdue-3d',
        'responsible+township_leader_in_charge+township_main_leader+department_leader',
        'urgent',
        'general/major',
      ],
      [
        'overdue-7d',
        'responsible+township_leader_in_charge+township_main_leader+department_leader+county_leader',
        'urgent',
        'general/major',
      ],
      ['major-reported', 'county_leader+department_leader+township_main_leader', 'urgent', 'major'],
      ['major-overdue', 'county_leader', 'urgent', 'major'],
      ['verify-reminder', 'reporter', 'card', 'general/major'],
      ['verify-overdue', 'township_leader_in_charge+department_leader', 'mention', 'general/major'],
      // The major hazard's 治理方案 clock (plan_due: 5 working days after registration).
      ['plan-due-in-1d', 'responsible', 'card', 'major'],
      ['plan-overdue-0d', 'responsible+department_leader+township_leader_in_charge', 'mention', 'major'],
      ['plan-overdue-3d', 'responsible+department_leader+township_leader_in_charge+county_leader', 'urgent', 'major'],
      ['resumption-due-in-3d', 'department_leader', 'card', 'major'],
      ['resumption-overdue-0d', 'department_leader+township_main_leader', 'mention', 'major'],
      ['resumption-overdue-3d', 'department_leader+township_main_leader+county_leader', 'urgent', 'major'],
    ]);
    // The 复查 clock counts working days even where deadlines count calendar days (the verifier's time).
    expect(DEFAULT_POLICY.steps.filter((s) => s.id.startsWith('verify-')).map((s) => s.when)).toEqual([
      { after: 'rectified', days: 3, counting: 'working' },
      { after: 'rectified', days: 5, counting: 'working' },
    ]);
    expect(DEFAULT_POLICY.digest).toEqual({
      at: '08:30',
      who: ['township_leader_in_charge', 'township_main_leader', 'department_leader', 'county_leader'],
      dueSoonDays: 3,
    });
  });
});

describe('the ladder for a general hazard', () => {
  // Reported and assigned Monday 2026-05-11 10:00, deadline Monday 2026-05-18; nobody ever acts.
  const expected: Sent[] = [
    {
      key: 'unacknowledged-24h@2026-05-11T02:00:00.000Z',
      at: '2026-05-12 10:00',
      scheduled: '2026-05-12 10:00',
      channel: 'card',
      who: 'responsible',
      effects: '',
    },
    {
      key: 'due-in-3d@2026-05-18',
      at: '2026-05-15 09:00',
      scheduled: '2026-05-15 09:00',
      channel: 'card',
      who: 'responsible',
      effects: '',
    },
    {
      key: 'due-in-1d@2026-05-18',
      at: '2026-05-17 09:00',
      scheduled: '2026-05-17 09:00',
      channel: 'card',
      who: 'responsible',
      effects: '',
    },
    {
      // Overdue from midnight, but a general hazard waits for the end of quiet hours.
      key: 'overdue-0d@2026-05-18',
      at: '2026-05-19 07:30',
      scheduled: '2026-05-19 00:00',
      channel: 'mention',
      who: 'responsible,township_leader_in_charge',
      effects: '',
    },
    {
      key: 'overdue-3d@2026-05-18',
      at: '2026-05-22 07:30',
      scheduled: '2026-05-22 00:00',
      channel: 'urgent',
      who: 'responsible,township_leader_in_charge,township_main_leader,department_leader',
      effects: '',
    },
    {
      key: 'overdue-7d@2026-05-18',
      at: '2026-05-26 07:30',
      scheduled: '2026-05-26 00:00',
      channel: 'urgent',
      who: 'responsible,township_leader_in_charge,township_main_leader,department_leader,county_leader',
      effects: 'raise_supervision:county',
    },
  ];

  it('reminds 24 h after assignment, 3 and 1 days before at 09:00, escalates at 0/3/7 days overdue', () => {
    expect(sweepEveryMinute(reported(), '2026-05-11 10:00', '2026-07-01 00:00')).toEqual(expected);
  });

  it('sends the same with a plain 15-minute sweep', () => {
    expect(sweepEvery15Minutes(reported(), '2026-05-11 10:00', '2026-05-28 00:00')).toEqual(expected);
  });

  it('is not due a minute early', () => {
    const hazard = reported();
    expect(
      evaluateSteps(
        hazard,
        DEFAULT_POLICY,
        local('2026-05-15 08:59'),
        calendar,
        new Set(['unacknowledged-24h@2026-05-11T02:00:00.000Z']),
      ),
    ).toEqual([]);
    const at9 = evaluateSteps(
      hazard,
      DEFAULT_POLICY,
      local('2026-05-15 09:00'),
      calendar,
      new Set(['unacknowledged-24h@2026-05-11T02:00:00.000Z']),
    );
    expect(at9.map((s) => s.stepId)).toEqual(['due-in-3d']);
  });

  it('catches up after the service was down, without stale before-deadline reminders', () => {
    // Down from Monday 10:00 until Friday 2026-05-22 08:00: the deadline has passed.
    const due = evaluateSteps(reported(), DEFAULT_POLICY, local('2026-05-22 08:00'), calendar);
    expect(due.map((s) => [s.stepId, shanghaiText(s.sendAt)])).toEqual([
      ['unacknowledged-24h', '2026-05-12 10:00'],
      ['overdue-0d', '2026-05-19 07:30'],
      ['overdue-3d', '2026-05-22 07:30'],
    ]);
  });

  it('holds catch-up back during quiet hours for general hazards', () => {
    expect(evaluateSteps(reported(), DEFAULT_POLICY, local('2026-05-21 23:00'), calendar)).toEqual([]);
    expect(evaluateSteps(reported(), DEFAULT_POLICY, local('2026-05-22 07:29'), calendar)).toEqual([]);
    expect(evaluateSteps(reported(), DEFAULT_POLICY, local('2026-05-22 07:30'), calendar)).not.toEqual([]);
  });
});

describe('a major hazard', () => {
  it('tells county leaders at once with 加急 even at night, and again the moment it is overdue', () => {
    const major = reported({ grade: 'major', at: '2026-05-11 23:00', deadline: '2026-05-20' });
    const sent = sweepEveryMinute(major, '2026-05-11 23:00', '2026-07-01 00:00');
    expect(sent.map((s) => [s.key.split('@')[0], s.at, s.channel, s.who])).toEqual([
      ['major-reported', '2026-05-11 23:00', 'urgent', 'county_leader,department_leader,township_main_leader'],
      // 24 h after 23:00 falls in quiet hours: only major-only steps break them.
      ['unacknowledged-24h', '2026-05-13 07:30', 'card', 'responsible'],
      ['due-in-3d', '2026-05-17 09:00', 'card', 'responsible'],
      ['due-in-1d', '2026-05-19 09:00', 'card', 'responsible'],
      ['major-overdue', '2026-05-21 00:00', 'urgent', 'county_leader'],
      ['overdue-0d', '2026-05-21 07:30', 'mention', 'responsible,township_leader_in_charge'],
      [
        'overdue-3d',
        '2026-05-24 07:30',
        'urgent',
        'responsible,township_leader_in_charge,township_main_leader,department_leader',
      ],
      [
        'overdue-7d',
        '2026-05-28 07:30',
        'urgent',
        'responsible,township_leader_in_charge,township_main_leader,department_leader,county_leader',
      ],
    ]);
  });

  it('general hazards get no major-only steps', () => {
    const sent = sweepEveryMinute(reported(), '2026-05-11 10:00', '2026-07-01 00:00');
    expect(sent.some((s) => s.key.startsWith('major-'))).toBe(false);
  });
});

describe('acknowledgement', () => {
  it('stops the not-acknowledged reminder, and nothing else', () => {
    const sent = sweepEveryMinute(reported(), '2026-05-11 10:00', '2026-07-01 00:00', {
      changes: [['2026-05-11 18:00', act({ type: 'acknowledge' }, people.boss, '2026-05-11 18:00')]],
    });
    expect(sent.map((s) => s.key.split('@')[0])).toEqual([
      'due-in-3d',
      'due-in-1d',
      'overdue-0d',
      'overdue-3d',
      'overdue-7d',
    ]);
  });

  it('stops it even when the sweep had missed its time', () => {
    const acknowledged = act({ type: 'acknowledge' }, people.boss, '2026-05-12 12:00')(reported());
    expect(evaluateSteps(acknowledged, DEFAULT_POLICY, local('2026-05-13 09:00'), calendar)).toEqual([]);
  });

  it('re-arms for a newly assigned responsible person', () => {
    const reassigned = act(
      { type: 'assign', responsible: 'worker' },
      people.townInspector,
      '2026-05-11 15:00',
    )(act({ type: 'acknowledge' }, people.boss, '2026-05-11 11:00')(reported()));
    const due = evaluateSteps(reassigned, DEFAULT_POLICY, local('2026-05-12 15:00'), calendar);
    expect(due.map((s) => s.key)).toEqual(['unacknowledged-24h@2026-05-11T07:00:00.000Z']);
  });
});

describe('an approved extension', () => {
  it('moves every future deadline step to the new deadline, under new keys', () => {
    // 3-day reminder for 05-18 goes out on 05-15; the extension to 05-29 is approved on 05-16.
    const sent = sweepEveryMinute(reported(), '2026-05-11 10:00', '2026-07-01 00:00', {
      changes: [
        ['2026-05-11 11:00', act({ type: 'acknowledge' }, people.boss, '2026-05-11 11:00')],
        [
          '2026-05-15 10:00',
          act(
            { type: 'requestExtension', newDeadline: '2026-05-29', reason: '设备到货延迟' },
            people.boss,
            '2026-05-15 10:00',
          ),
        ],
        ['2026-05-16 10:00', act({ type: 'approveExtension' }, people.townInspector, '2026-05-16 10:00')],
      ],
    });
    expect(sent.map((s) => [s.key, s.at])).toEqual([
      ['due-in-3d@2026-05-18', '2026-05-15 09:00'],
      ['due-in-3d@2026-05-29', '2026-05-26 09:00'],
      ['due-in-1d@2026-05-29', '2026-05-28 09:00'],
      ['overdue-0d@2026-05-29', '2026-05-30 07:30'],
      ['overdue-3d@2026-05-29', '2026-06-02 07:30'],
      ['overdue-7d@2026-05-29', '2026-06-06 07:30'],
    ]);
  });

  it('voids reminders that would have fallen before the approval', () => {
    // Approved on 05-27 for 05-29: "3 days before" (05-26 09:00) is already past and is not sent late.
    const extended = act(
      { type: 'approveExtension' },
      people.townInspector,
      '2026-05-27 10:00',
    )(
      act(
        { type: 'requestExtension', newDeadline: '2026-05-29', reason: '设备到货延迟' },
        people.boss,
        '2026-05-15 10:00',
      )(act({ type: 'acknowledge' }, people.boss, '2026-05-11 11:00')(reported())),
    );
    expect(evaluateSteps(extended, DEFAULT_POLICY, local('2026-05-27 10:00'), calendar)).toEqual([]);
    expect(evaluateSteps(extended, DEFAULT_POLICY, local('2026-05-28 08:59'), calendar)).toEqual([]);
    expect(evaluateSteps(extended, DEFAULT_POLICY, local('2026-05-28 09:00'), calendar).map((s) => s.key)).toEqual([
      'due-in-1d@2026-05-29',
    ]);
  });
});

describe('closing and verification', () => {
  it('closing stops every step, however overdue', () => {
    const closed = act(
      { type: 'accept' },
      people.townInspector,
      '2026-05-20 10:00',
    )(
      act(
        { type: 'submitRectification', description: '已整改' },
        people.boss,
        '2026-05-20 09:00',
      )(reported({ grade: 'major', deadline: '2026-05-18' })),
    );
    expect(evaluateSteps(closed, DEFAULT_POLICY, local('2026-06-30 10:00'), calendar)).toEqual([]);
  });

  it('waiting for verification pauses the deadline ladder; a rejection restarts it from the deadline it sets', () => {
    const submitted = act(
      { type: 'submitRectification', description: '已整改' },
      people.boss,
      '2026-05-16 09:00',
    )(reported());
    expect(evaluateSteps(submitted, DEFAULT_POLICY, local('2026-05-20 10:00'), calendar)).toEqual([]);
    // Submitted two days before the deadline (05-18): the rejection gives two days again, so nothing is due at once.
    const rejected = act({ type: 'reject', reason: '不合格' }, people.townInspector, '2026-05-20 10:00')(submitted);
    expect(rejected).toMatchObject({ deadline: '2026-05-22', deadlineSetAt: local('2026-05-20 10:00') });
    expect(evaluateSteps(rejected, DEFAULT_POLICY, local('2026-05-20 10:00'), calendar)).toEqual([]);
    const keysAt = (at: string) => evaluateSteps(rejected, DEFAULT_POLICY, local(at), calendar).map((s) => s.key);
    expect(keysAt('2026-05-21 09:00')).toEqual(['due-in-1d@2026-05-22']);
    expect(keysAt('2026-05-23 07:30')).toEqual(['overdue-0d@2026-05-22']);
  });

  it('a rejection after the deadline never escalates the unit for the time the verifier took; the new steps go once', () => {
    // Reported 05-11 with the deadline 05-18; submitted 05-16 (2 days left); held by the inspector, rejected on 05-23,
    // five days after the deadline.
    const sent = sweepEveryMinute(reported(), '2026-05-11 10:00', '2026-06-05 00:00', {
      changes: [
        ['2026-05-11 11:00', act({ type: 'acknowledge' }, people.boss, '2026-05-11 11:00')],
        [
          '2026-05-16 10:00',
          act({ type: 'submitRectification', description: '已整改' }, people.boss, '2026-05-16 10:00'),
        ],
        [
          '2026-05-23 10:00',
          act({ type: 'reject', reason: '接地电阻仍超标' }, people.townInspector, '2026-05-23 10:00'),
        ],
      ],
    });
    // Before the submission: the 3-day reminder of the first deadline. While the inspector holds it: the 复查 clock
    // (Saturday's submission waited Mon–Wed, then Mon–Fri: 3 and 5 working days). At the rejection: nothing (no
    // overdue-0d, -3d, -7d, no county supervision). Then the new deadline, 05-25: its 3-day reminder fell before the
    // rejection (void), the rest go out once each.
    expect(sent.map((s) => [s.key, s.at, s.effects])).toEqual([
      ['due-in-3d@2026-05-18', '2026-05-15 09:00', ''],
      ['verify-reminder@2026-05-16T02:00:00.000Z', '2026-05-21 07:30', ''],
      ['verify-overdue@2026-05-16T02:00:00.000Z', '2026-05-23 07:30', ''],
      ['due-in-1d@2026-05-25', '2026-05-24 09:00', ''],
      ['overdue-0d@2026-05-25', '2026-05-26 07:30', ''],
      ['overdue-3d@2026-05-25', '2026-05-29 07:30', ''],
      ['overdue-7d@2026-05-25', '2026-06-02 07:30', 'raise_supervision:county'],
    ]);
  });
});

describe('quiet hours', () => {
  const lateReminder = parsePolicyOrThrow({
    version: 1,
    steps: [
      { id: 'late', who: ['responsible'], when: { before: 'deadline', days: 2, at: '23:00' }, channel: 'card' },
      {
        id: 'late-major',
        who: ['county_leader'],
        when: { before: 'deadline', days: 2, at: '23:00' },
        channel: 'urgent',
        grades: ['major'],
        breaksQuietHours: true,
      },
    ],
  });

  it('defer a non-major step to 07:30, keeping its scheduled time', () => {
    const hazard = reported();
    expect(evaluateSteps(hazard, lateReminder, local('2026-05-16 23:00'), calendar)).toEqual([]);
    expect(evaluateSteps(hazard, lateReminder, local('2026-05-17 07:29'), calendar)).toEqual([]);
    const [step] = evaluateSteps(hazard, lateReminder, local('2026-05-17 07:30'), calendar);
    expect(step).toMatchObject({
      stepId: 'late',
      scheduledAt: local('2026-05-16 23:00'),
      sendAt: local('2026-05-17 07:30'),
    });
  });

  it('let a major-only step go out in the night, but still defer the shared ladder for major hazards', () => {
    const major = reported({ grade: 'major', deadline: '2026-05-18' });
    const due = evaluateSteps(major, lateReminder, local('2026-05-16 23:00'), calendar);
    expect(due.map((s) => [s.stepId, shanghaiText(s.sendAt)])).toEqual([['late-major', '2026-05-16 23:00']]);
  });
});

describe('working-day deadlines across National Day 2026', () => {
  // Holidays 10-01…10-07; Saturday 10-10 is a make-up working day. Deadline Monday 10-12.
  const working = createCalendar({ dayCounting: 'working' });

  it('count reminder and overdue days in working days, including the make-up Saturday', () => {
    const hazard = reported({ at: '2026-09-29 10:00', deadline: '2026-10-12' });
    const sent = sweepEveryMinute(hazard, '2026-09-29 10:00', '2026-12-01 00:00', { cal: working });
    expect(sent.map((s) => [s.key.split('@')[0], s.scheduled, s.at])).toEqual([
      ['unacknowledged-24h', '2026-09-30 10:00', '2026-09-30 10:00'],
      // 3 working days before 10-12: 10-10 (Sat, make-up), 10-09, 10-08.
      ['due-in-3d', '2026-10-08 09:00', '2026-10-08 09:00'],
      ['due-in-1d', '2026-10-10 09:00', '2026-10-10 09:00'],
      ['overdue-0d', '2026-10-13 00:00', '2026-10-13 07:30'],
      // 3 working days overdue: 10-13, 10-14, 10-15.
      ['overdue-3d', '2026-10-16 00:00', '2026-10-16 07:30'],
      // 7: 10-13…10-16, 10-19, 10-20, 10-21.
      ['overdue-7d', '2026-10-22 00:00', '2026-10-22 07:30'],
    ]);
  });

  it('differ from calendar days', () => {
    const hazard = reported({ at: '2026-09-29 10:00', deadline: '2026-10-12' });
    const sent = sweepEveryMinute(hazard, '2026-09-29 10:00', '2026-12-01 00:00');
    expect(sent.map((s) => [s.key.split('@')[0], s.at])).toEqual([
      ['unacknowledged-24h', '2026-09-30 10:00'],
      ['due-in-3d', '2026-10-09 09:00'],
      ['due-in-1d', '2026-10-11 09:00'],
      ['overdue-0d', '2026-10-13 07:30'],
      ['overdue-3d', '2026-10-16 07:30'],
      ['overdue-7d', '2026-10-20 07:30'],
    ]);
  });
});

describe('custom steps', () => {
  it('support "after reported" in hours and "after deadline" at a morning time', () => {
    const policy = parsePolicyOrThrow({
      version: 1,
      steps: [
        { id: 'check-in', who: ['reporter'], when: { after: 'reported', hours: 48 }, channel: 'card' },
        {
          id: 'morning-after',
          who: ['inspectors'],
          when: { after: 'deadline', days: 0, at: '09:00' },
          channel: 'card',
        },
      ],
    });
    const sent = sweepEveryMinute(reported(), '2026-05-11 10:00', '2026-07-01 00:00', { policy });
    expect(sent.map((s) => [s.key, s.at])).toEqual([
      ['check-in@reported', '2026-05-13 10:00'],
      ['morning-after@2026-05-18', '2026-05-19 09:00'],
    ]);
  });
});

describe('parsePolicy', () => {
  it('lists every problem with its path', () => {
    const result = parsePolicy({
      version: 1,
      steps: [
        { id: 'Bad Id', who: [], when: { before: 'deadline', days: -1 }, channel: 'sms' },
        { id: 'b', who: ['mayor'], when: { at: '09:00' }, channel: 'card', extra: true },
        { id: 'c', who: ['responsible'], when: { after: 'assigned', hours: 0, unless: 'closed' }, channel: 'card' },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byPath = Object.fromEntries(result.errors.map((e) => [e.path, e.reason]));
    expect(byPath).toMatchObject({
      'steps[0].id': '应为 1–64 个字符：小写字母、数字、"-" 或 "_"',
      'steps[0].who': '至少写一个接收人',
      'steps[0].when.days': '应为 0 或更多天',
      'steps[0].when.at': '必须填写（时刻 HH:MM，如 09:00）',
      'steps[1].when': expect.stringContaining('应写明锚点'),
      'steps[2].when.hours': '应大于 0 小时',
      'steps[2].when.unless': '只能是 "acknowledged"（已确认接收）',
    });
    expect(Object.keys(byPath)).toEqual(expect.arrayContaining(['steps[0].channel', 'steps[1].who[0]', 'steps[1]']));
  });

  it('refuses duplicate ids and quiet-hour breaking by steps that also cover general hazards', () => {
    const result = parsePolicy({
      version: 1,
      steps: [
        { id: 'a', who: ['responsible'], when: { on: 'reported' }, channel: 'card', breaksQuietHours: true },
        { id: 'a', who: ['responsible'], when: { on: 'reported' }, channel: 'card' },
      ],
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          path: 'steps[0].breaksQuietHours',
          reason: '只有限于重大隐患的步骤（"grades": ["major"]）才能在免打扰时段发送',
        },
        { path: 'steps[1].id', reason: '步骤 id "a" 重复' },
      ],
    });
  });

  it('refuses broken JSON, a wrong version and an empty ladder', () => {
    expect(parsePolicy('{"version": 1,')).toMatchObject({ ok: false, errors: [{ path: '' }] });
    const wrong = parsePolicy({ version: 2, steps: [] });
    expect(wrong.ok === false && wrong.errors).toEqual([
      { path: 'version', reason: '应为 1' },
      { path: 'steps', reason: '至少列出一个步骤' },
    ]);
  });

  it('throws one readable message for start-up', () => {
    expect(() => parsePolicyOrThrow({ version: 1, steps: [] }, 'policy.json')).toThrow(
      'policy.json 有问题（is invalid）：\n  - steps：至少列出一个步骤',
    );
  });
});

describe('deadline timings shared between hazards', () => {
  it('voids a reminder for the hazard whose deadline was set after it, not for another with the same deadline', () => {
    // Both hazards are due on 2026-05-20; one was reported a week earlier, the other after the 3-day reminder.
    const early = reported({ at: '2026-05-11 10:00', deadline: '2026-05-20' });
    const late = reported({ at: '2026-05-18 10:00', deadline: '2026-05-20' });
    const at = local('2026-05-19 09:00');
    // The deadline ladder alone (both are also waiting for an acknowledgement).
    const ids = (hazard: Hazard) =>
      evaluateSteps(hazard, DEFAULT_POLICY, at, calendar)
        .map((d) => d.stepId)
        .filter((id) => id.startsWith('due-in'));
    expect(ids(early)).toEqual(['due-in-3d', 'due-in-1d']);
    expect(ids(late)).toEqual(['due-in-1d']);
    // The same answers again, in the other order (the first question must not decide the second's).
    expect(ids(late)).toEqual(['due-in-1d']);
    expect(ids(early)).toEqual(['due-in-3d', 'due-in-1d']);
  });

  it('keeps calendars apart: a working-day calendar moves the same step on the same deadline elsewhere', () => {
    const working = createCalendar({ dayCounting: 'working' });
    const hazard = reported({ at: '2026-09-21 10:00', deadline: '2026-10-09' });
    const at = local('2026-10-06 09:00');
    const ids = (cal: Calendar, when = at) =>
      evaluateSteps(hazard, DEFAULT_POLICY, when, cal)
        .map((d) => d.stepId)
        .filter((id) => id.startsWith('due-in'));
    // Calendar days: 3 days before 10-09 is 10-06, due at 09:00. Working days: 3 working days before 10-09 fall
    // before the National Day holiday, in September (and the reminder stays due until the deadline).
    expect(ids(calendar)).toEqual(['due-in-3d']);
    expect(ids(working)).toEqual(['due-in-3d']);
    expect(ids(working, local('2026-09-29 09:00'))).toEqual(['due-in-3d']);
    expect(ids(calendar, local('2026-09-29 09:00'))).toEqual([]);
  });
});

describe('stepAnchorRange: where a stretch of time’s occurrences lie', () => {
  const working = createCalendar({ dayCounting: 'working' });
  const step = (id: string) => DEFAULT_POLICY.steps.find((s) => s.id === id)!;
  const addDays = (date: string, n: number) => {
    const d = new Date(`${date}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  };
  /** The oracle: the step's instant for one deadline date, worked out from the policy's wording. */
  const scheduled = (cal: Calendar, id: string, deadline: string): number => {
    const when = step(id).when as { before?: 'deadline'; days: number; at?: string };
    if (when.before) return cal.atLocalTime(cal.addDays(deadline, -when.days).date, when.at!).getTime();
    return cal.endOfLocalDay(cal.addDays(deadline, when.days).date).getTime();
  };

  it('names exactly the deadline dates whose occurrence falls in the stretch, across holidays and make-up days', () => {
    // Stretches of a few minutes to several weeks, around the 2026 Spring Festival and National Day.
    const stretches: [Date, Date][] = [
      [local('2026-02-13 08:55'), local('2026-02-13 09:05')],
      [local('2026-02-14 00:00'), local('2026-02-24 07:30')],
      [local('2026-09-30 21:00'), local('2026-10-12 00:00')],
      [local('2026-10-09 09:00'), new Date(local('2026-10-09 09:00').getTime() + 1000)],
      [new Date(local('2026-10-09 09:00').getTime() - 1), local('2026-10-09 09:00')],
      [local('2026-09-01 07:30'), local('2026-11-01 07:30')],
    ];
    for (const cal of [calendar, working]) {
      for (const id of ['due-in-3d', 'due-in-1d', 'overdue-0d', 'overdue-3d', 'overdue-7d']) {
        for (const [after, upTo] of stretches) {
          const range = stepAnchorRange(step(id), cal, after, upTo);
          const expected: string[] = [];
          for (let d = '2025-12-01'; d <= '2027-01-31'; d = addDays(d, 1)) {
            const t = scheduled(cal, id, d);
            if (t > after.getTime() && t <= upTo.getTime()) expected.push(d);
          }
          const got: string[] = [];
          if (range) {
            expect(range.anchor).toBe('deadline');
            if (range.anchor !== 'deadline') continue;
            for (let d = range.from!; d <= range.to; d = addDays(d, 1)) got.push(d);
          }
          expect(got, `${cal.settings.dayCounting} ${id} (${after.toISOString()}, ${upTo.toISOString()}]`).toEqual(
            expected,
          );
        }
      }
    }
  });

  it('shifts instant anchors by the step’s hours, and has no lower bound before the first sweep', () => {
    const upTo = local('2026-05-12 10:00');
    expect(stepAnchorRange(step('unacknowledged-24h'), calendar, local('2026-05-12 09:55'), upTo)).toEqual({
      anchor: 'assigned_at',
      after: local('2026-05-11 09:55'),
      upTo: local('2026-05-11 10:00'),
    });
    expect(stepAnchorRange(step('major-reported'), calendar, null, upTo)).toEqual({
      anchor: 'reported_at',
      after: null,
      upTo,
    });
    const deadline = stepAnchorRange(step('overdue-0d'), calendar, null, upTo);
    // 2026-05-11's deadline ended at midnight; 05-12's is still running.
    expect(deadline).toEqual({ anchor: 'deadline', from: null, to: '2026-05-11' });
  });

  it('is empty when no time passed, or the clock went back', () => {
    const at = local('2026-05-12 10:00');
    expect(stepAnchorRange(step('overdue-0d'), calendar, at, at)).toBeNull();
    expect(stepAnchorRange(step('overdue-0d'), calendar, at, local('2026-05-11 10:00'))).toBeNull();
    // Minutes that no deadline's occurrence falls in.
    expect(stepAnchorRange(step('overdue-0d'), calendar, local('2026-05-12 09:00'), at)).toBeNull();
  });
});
