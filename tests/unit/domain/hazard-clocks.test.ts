/**
 * Hazard clocks (domain/hazard-clocks.ts) and the policy steps anchored on their due dates (`plan_due`): the due
 * date in working days, when each default step falls (working days, `at`, quiet hours), its key, where the sweep
 * finds it, and the policy file's checks. Also the 治理方案's own rules (every part required, limits, who may).
 */
import { describe, expect, it } from 'vitest';
import { createCalendar } from '../../../src/domain/calendar.js';
import { DEFAULT_POLICY, parsePolicy } from '../../../src/domain/escalation-policy.js';
import {
  canReviewPlan,
  canSubmitPlan,
  checkPlan,
  clockApplies,
  clockDueDate,
  clockKindOfAnchor,
  clockLength,
  type OpenClock,
  PLAN_FIELDS,
  personActor,
} from '../../../src/domain/index.js';
import { calendarCounting, evaluateSteps, stepAnchorRange } from '../../../src/domain/policy-schedule.js';
import { calendar, local, people, reported, unit } from './fixtures.js';

const working = calendarCounting(calendar, 'working');
const text = (instant: Date) => `${calendar.toLocal(instant).date} ${calendar.toLocal(instant).time}`;

/** A sweep every 5 minutes from `from` to `until`: the plan steps sent, as `[key, sent at, who]`. */
function planSteps(clocks: OpenClock[], grade: 'major' | 'general', from: string, until: string): string[][] {
  const hazard = { ...reported({ grade, at: from }), clocks };
  const sent = new Set<string>();
  const out: string[][] = [];
  for (let t = local(from).getTime(); t <= local(until).getTime(); t += 5 * 60_000) {
    for (const step of evaluateSteps(hazard, DEFAULT_POLICY, new Date(t), calendar, sent)) {
      sent.add(step.key);
      if (step.stepId.startsWith('plan-')) out.push([step.key, text(new Date(t)), step.who.join(',')]);
    }
  }
  return out;
}

describe('hazard clocks', () => {
  it('lists its kinds once, and names them in the policy anchors', () => {
    expect(clockKindOfAnchor('plan_due')).toBe('plan');
    expect(clockKindOfAnchor('plan')).toBeNull();
    expect(clockKindOfAnchor('deadline')).toBeNull();
    expect(clockApplies('plan', 'major')).toBe(true);
    expect(clockApplies('plan', 'general')).toBe(false);
    expect(clockLength('plan')).toEqual({ days: 5, counting: 'working' });
    expect(clockLength('plan', { days: 7 })).toEqual({ days: 7, counting: 'working' });
  });

  it('is due N working days after its start: weekends and holidays do not count', () => {
    const length = clockLength('plan');
    // Thursday → Fri, Mon, Tue, Wed, Thu.
    expect(clockDueDate(working, local('2026-05-14 10:00'), length)).toBe('2026-05-21');
    // Saturday: Monday is the first day.
    expect(clockDueDate(working, local('2026-05-16 10:00'), length)).toBe('2026-05-22');
    // Late on Thursday night is still Thursday (local date).
    expect(clockDueDate(working, local('2026-05-14 23:59'), length)).toBe('2026-05-21');
    // Across 国庆 (2026-10-01…07 off): started Wednesday 30 September.
    expect(clockDueDate(working, local('2026-09-30 10:00'), length)).toBe(working.addDays('2026-09-30', 5).date);
    expect(working.addDays('2026-09-30', 5).date > '2026-10-07').toBe(true);
    expect(clockDueDate(createCalendar(), local('2026-05-14 10:00'), { days: 5, counting: 'calendar' })).toBe(
      '2026-05-19',
    );
    expect(() => clockDueDate(createCalendar(), local('2026-05-14 10:00'), length)).toThrow(/counts calendar/);
  });

  it('sends the default plan steps once each: 1 working day before at 09:00, at due+0 and due+3 working days', () => {
    const startedAt = local('2026-05-14 10:00');
    const key = (id: string) => `${id}@plan:${startedAt.toISOString()}`;
    const clocks: OpenClock[] = [{ kind: 'plan', startedAt, due: '2026-05-21' }];
    expect(planSteps(clocks, 'major', '2026-05-14 10:00', '2026-05-29 12:00')).toEqual([
      [key('plan-due-in-1d'), '2026-05-20 09:00', 'responsible'],
      // The end of Thursday 21 is in quiet hours: the morning after.
      [key('plan-overdue-0d'), '2026-05-22 07:30', 'responsible,department_leader,township_leader_in_charge'],
      // Fri 22, Mon 25, Tue 26.
      [
        key('plan-overdue-3d'),
        '2026-05-27 07:30',
        'responsible,department_leader,township_leader_in_charge,county_leader',
      ],
    ]);
    // No clock (stopped, or never started): nothing; a general hazard never runs the plan's steps.
    expect(planSteps([], 'major', '2026-05-14 10:00', '2026-05-29 12:00')).toEqual([]);
    expect(planSteps(clocks, 'general', '2026-05-14 10:00', '2026-05-29 12:00')).toEqual([]);
    // Started again (a new start instant): fresh keys.
    const again = local('2026-05-15 10:00');
    const restarted = planSteps(
      [{ kind: 'plan', startedAt: again, due: '2026-05-22' }],
      'major',
      '2026-05-15 10:00',
      '2026-05-22 12:00',
    );
    expect(restarted.map(([k]) => k)).toEqual([`plan-due-in-1d@plan:${again.toISOString()}`]);
  });

  it('tells the sweep which due dates a stretch of time reaches', () => {
    const step = DEFAULT_POLICY.steps.find((s) => s.id === 'plan-overdue-3d')!;
    // Swept on Wednesday 27 at 07:30 after Tuesday 26 at 07:30: clocks due on Thursday 21 (3 working days: 26).
    expect(stepAnchorRange(step, calendar, local('2026-05-26 07:30'), local('2026-05-27 07:30'))).toEqual({
      anchor: 'clock_due',
      kind: 'plan',
      from: '2026-05-21',
      to: '2026-05-21',
    });
    const before = DEFAULT_POLICY.steps.find((s) => s.id === 'plan-due-in-1d')!;
    expect(stepAnchorRange(before, calendar, local('2026-05-20 08:00'), local('2026-05-20 09:00'))).toEqual({
      anchor: 'clock_due',
      kind: 'plan',
      from: '2026-05-21',
      to: '2026-05-21',
    });
  });

  it('checks clock anchors and lengths in the policy file', () => {
    const policy = (when: unknown, clocks?: unknown) =>
      parsePolicy({
        version: 1,
        steps: [{ id: 's', who: ['responsible'], when, channel: 'card', grades: ['major'] }],
        ...(clocks ? { clocks } : {}),
      });
    const ok = policy({ before: 'plan_due', days: 1, at: '09:00', counting: 'working' }, { plan: { days: 7 } });
    expect(ok.ok && ok.policy.clocks).toEqual({ plan: { days: 7 } });
    expect(policy({ after: 'plan_due', days: 0 }).ok).toBe(true);
    expect(policy({ before: 'plan_due', days: 1 })).toMatchObject({
      ok: false,
      errors: [{ path: 'steps[0].when.at' }],
    });
    expect(policy({ after: 'plan_due', days: 1, counting: 'lunar' })).toMatchObject({
      ok: false,
      errors: [{ path: 'steps[0].when.counting' }],
    });
    expect(policy({ after: 'plan_due', days: 1 }, { plan: { days: 0 } })).toMatchObject({
      ok: false,
      errors: [{ path: 'clocks.plan.days' }],
    });
    expect(policy({ after: 'plan_due', days: 1 }, { tip: { days: 10 } }).ok).toBe(false);
  });
});

describe('the 治理方案', () => {
  const full = Object.fromEntries(PLAN_FIELDS.map((f) => [f, `${f} 内容`]));

  it('needs every part, names each one missing or too long, and keeps what was typed', () => {
    expect(checkPlan(full)).toEqual({ ok: true, parts: full });
    const check = checkPlan({ ...full, goals: '  ', funding: '', methods: 'x'.repeat(1001) });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.missing).toEqual(['治理的目标和任务', '经费和物资的落实']);
    expect(check.tooLong).toEqual(['采取的方法和措施']);
    expect(Object.keys(check.errors).sort()).toEqual(['funding', 'goals', 'methods']);
    expect(check.errors.methods).toBe('「采取的方法和措施」最多 1000 字，现为 1001 字，请精简');
  });

  it('is submitted by the unit and decided by the supervising department', () => {
    const hazard = {
      ...reported({ grade: 'major' }),
      responsible: people.boss.kind === 'person' ? people.boss.person : null,
    };
    expect(canSubmitPlan(people.boss, hazard).allowed).toBe(true);
    expect(canSubmitPlan(people.townInspector, hazard)).toMatchObject({ allowed: false });
    const deptLeader = personActor('dl', [
      { role: 'department_leader', scope: { kind: 'department', code: unit.departmentCode! } },
    ]);
    const deptInspector = personActor('di', [
      { role: 'inspector', scope: { kind: 'department', code: unit.departmentCode! } },
    ]);
    const countyLeader = personActor('cl', [{ role: 'county_leader', scope: { kind: 'county' } }]);
    expect(canReviewPlan(deptLeader, hazard, '应急局').allowed).toBe(true);
    expect(canReviewPlan(deptInspector, hazard, '应急局').allowed).toBe(true);
    expect(canReviewPlan(people.townInspector, hazard, '应急局')).toEqual({
      allowed: false,
      reason: '只有行业主管部门（应急局）的负责人或该部门的检查员可以审核治理方案',
    });
    expect(canReviewPlan(countyLeader, hazard, '应急局').allowed).toBe(false);
  });
});
