/**
 * Decisions that must never wrong the unit (issue #18): a rejection gives back the time the unit had, an approval
 * never sets a deadline in the past, asking for time acknowledges the notice, and nobody who rectified verifies.
 */
import { describe, expect, it } from 'vitest';
import { createCalendar } from '../../../src/domain/calendar.js';
import { DEFAULT_POLICY } from '../../../src/domain/escalation-policy.js';
import {
  applyAction,
  canVerify,
  canView,
  extensionDeadline,
  extensionNeedsNewDate,
  type Hazard,
  type HazardAction,
  type HazardResult,
  rejectionDeadline,
} from '../../../src/domain/index.js';
import type { Actor } from '../../../src/domain/permissions.js';
import { evaluateSteps } from '../../../src/domain/policy-schedule.js';
import { calendar, local, people, reported } from './fixtures.js';

const working = createCalendar({ dayCounting: 'working' });

function must(
  hazard: Hazard,
  action: HazardAction,
  actor: Actor,
  at: string,
  cal = calendar,
): HazardResult & { ok: true } {
  const result = applyAction(hazard, action, actor, local(at), cal);
  if (!result.ok) throw new Error(`${action.type} failed: ${result.error.code} ${result.error.message}`);
  return result;
}

function failure(result: HazardResult) {
  if (result.ok) throw new Error('expected the action to fail');
  return result.error;
}

/** The fixture hazard (reported 05-11, deadline 05-18) with a rectification submitted at `at`. */
const submittedAt = (at: string, cal = calendar) =>
  must(reported(), { type: 'submitRectification', description: '已整改' }, people.boss, at, cal).hazard;

describe('驳回 sets a new deadline', () => {
  it('after the deadline: the days the unit had left when it submitted, counted from the rejection', () => {
    // Submitted two days before the deadline (05-18), rejected five days after it.
    const submitted = submittedAt('2026-05-16 10:00');
    const result = must(
      submitted,
      { type: 'reject', reason: '接地电阻仍超标' },
      people.townInspector,
      '2026-05-23 10:00',
    );
    expect(result.hazard).toMatchObject({
      status: 'rectifying',
      deadline: '2026-05-25',
      deadlineSetAt: local('2026-05-23 10:00'),
    });
    expect(result.events).toEqual([
      {
        type: 'rejected',
        at: local('2026-05-23 10:00'),
        by: 'insp-town',
        reason: '接地电阻仍超标',
        deadline: '2026-05-25',
        previousDeadline: '2026-05-18',
      },
    ]);
    // Nothing of the old deadline's ladder is due at the rejection; the new deadline's steps come in their time.
    expect(evaluateSteps(result.hazard, DEFAULT_POLICY, local('2026-05-23 10:00'), calendar)).toEqual([]);
    expect(evaluateSteps(result.hazard, DEFAULT_POLICY, local('2026-05-24 09:00'), calendar).map((s) => s.key)).toEqual(
      ['due-in-1d@2026-05-25'],
    );
  });

  it('before the deadline: keeps what the unit had left, so the verifier’s days are not taken from it', () => {
    const submitted = submittedAt('2026-05-16 10:00');
    const early = must(submitted, { type: 'reject', reason: '不合格' }, people.townInspector, '2026-05-17 15:00');
    expect(early.hazard.deadline).toBe('2026-05-19');
    expect(rejectionDeadline(submitted, local('2026-05-17 15:00'), calendar)).toBe('2026-05-19');
  });

  it('gives at least one day: a submission on the last day, or after it, still has a day to redo the work', () => {
    expect(rejectionDeadline(submittedAt('2026-05-18 20:00'), local('2026-05-20 10:00'), calendar)).toBe('2026-05-21');
    const late = must(
      reported(),
      { type: 'submitRectification', description: '迟交' },
      people.boss,
      '2026-05-21 10:00',
    );
    expect(rejectionDeadline(late.hazard, local('2026-05-22 10:00'), calendar)).toBe('2026-05-23');
  });

  it('counts working days when the calendar does (法定工作日)', () => {
    // Friday 05-15 → Monday 05-18 is one working day; rejected Wednesday 05-20 → Thursday 05-21.
    const submitted = submittedAt('2026-05-15 10:00', working);
    const result = must(
      submitted,
      { type: 'reject', reason: '不合格' },
      people.townInspector,
      '2026-05-20 10:00',
      working,
    );
    expect(result.hazard.deadline).toBe('2026-05-21');
    // In calendar days the same hazard had three days left.
    expect(rejectionDeadline(submittedAt('2026-05-15 10:00'), local('2026-05-20 10:00'), calendar)).toBe('2026-05-23');
  });

  it('takes the date the inspector picked; refuses a past, impossible or too distant one, naming the field', () => {
    const submitted = submittedAt('2026-05-16 10:00');
    const reject = (deadline: string) =>
      applyAction(
        submitted,
        { type: 'reject', reason: '不合格', deadline },
        people.townInspector,
        local('2026-05-23 10:00'),
      );
    const picked = reject('2026-06-05');
    expect(picked.ok && picked.hazard.deadline).toBe('2026-06-05');
    expect(reject('2026-05-23').ok).toBe(true);
    expect(failure(reject('2026-05-22'))).toEqual({
      code: 'invalid_input',
      message: '整改期限不能早于今天（2026-05-23）',
      field: 'deadline',
    });
    expect(failure(reject('2026-02-30'))).toMatchObject({ code: 'invalid_input', field: 'deadline' });
    expect(failure(reject('2027-06-01'))).toMatchObject({ code: 'invalid_input', field: 'deadline' });
    // A blank reason is still the first thing to fix.
    expect(
      failure(
        applyAction(
          submitted,
          { type: 'reject', reason: ' ', deadline: '2026-05-01' },
          people.townInspector,
          local('2026-05-23 10:00'),
        ),
      ),
    ).toMatchObject({ field: 'reason' });
  });
});

describe('同意延期 never sets a deadline in the past', () => {
  /** Asked on 05-15 for 05-29: fourteen days. */
  const asked = () =>
    must(
      reported(),
      { type: 'requestExtension', newDeadline: '2026-05-29', reason: '设备到货延迟' },
      people.boss,
      '2026-05-15 10:00',
    ).hazard;

  it('approves the date asked while it lies ahead (the day itself included)', () => {
    const onTheDay = must(asked(), { type: 'approveExtension' }, people.townInspector, '2026-05-29 18:00');
    expect(onTheDay.hazard).toMatchObject({ deadline: '2026-05-29', extensionRequest: null });
    expect(onTheDay.events).toEqual([
      {
        type: 'extension_approved',
        at: local('2026-05-29 18:00'),
        by: 'insp-town',
        from: '2026-05-18',
        to: '2026-05-29',
      },
    ]);
  });

  it('asks for a date once the date asked has passed, offering the days asked counted from today', () => {
    const hazard = asked();
    expect(
      failure(applyAction(hazard, { type: 'approveExtension' }, people.townInspector, local('2026-06-02 10:00'))),
    ).toEqual({
      code: 'invalid_input',
      message: '申请延期至 2026-05-29，该日期已过，请选择新的整改期限后再点「同意延期」',
      field: 'deadline',
    });
    expect(extensionNeedsNewDate(hazard, local('2026-06-02 10:00'), calendar)).toBe(
      '申请延期至 2026-05-29，该日期已过',
    );
    expect(extensionNeedsNewDate(hazard, local('2026-05-29 23:59'), calendar)).toBeNull();
    expect(
      extensionDeadline({ ...hazard, extensionRequest: hazard.extensionRequest! }, local('2026-06-02 10:00'), calendar),
    ).toBe('2026-06-16');

    const approved = must(
      hazard,
      { type: 'approveExtension', deadline: '2026-06-16' },
      people.townInspector,
      '2026-06-02 10:00',
    );
    expect(approved.hazard).toMatchObject({
      deadline: '2026-06-16',
      deadlineSetAt: local('2026-06-02 10:00'),
      extensionRequest: null,
    });
    expect(approved.events).toEqual([
      {
        type: 'extension_approved',
        at: local('2026-06-02 10:00'),
        by: 'insp-town',
        from: '2026-05-18',
        to: '2026-06-16',
        requested: '2026-05-29',
      },
    ]);
    expect(evaluateSteps(approved.hazard, DEFAULT_POLICY, local('2026-06-02 10:00'), calendar)).toEqual([]);
  });

  it('refuses a picked date in the past or not later than the current deadline', () => {
    const hazard = asked();
    const approve = (deadline: string) =>
      applyAction(hazard, { type: 'approveExtension', deadline }, people.townInspector, local('2026-06-02 10:00'));
    expect(failure(approve('2026-06-01'))).toEqual({
      code: 'invalid_input',
      message: '整改期限不能早于今天（2026-06-02）',
      field: 'deadline',
    });
    const early = applyAction(
      hazard,
      { type: 'approveExtension', deadline: '2026-05-17' },
      people.townInspector,
      local('2026-05-16 10:00'),
    );
    expect(failure(early)).toEqual({
      code: 'invalid_input',
      message: '新的整改期限须晚于当前期限 2026-05-18',
      field: 'deadline',
    });
  });

  it('counts the days asked in working days when the calendar does', () => {
    // Asked Friday 05-15 for Friday 05-29: ten working days; from Tuesday 06-02 that is Tuesday 06-16.
    const hazard = must(
      reported(),
      { type: 'requestExtension', newDeadline: '2026-05-29', reason: '设备到货延迟' },
      people.boss,
      '2026-05-15 10:00',
      working,
    ).hazard;
    expect(
      extensionDeadline({ ...hazard, extensionRequest: hazard.extensionRequest! }, local('2026-06-02 10:00'), working),
    ).toBe('2026-06-16');
  });
});

describe('申请延期 acknowledges the notice', () => {
  it('sets acknowledged_at with its trail event, so the 24-hour step is cancelled', () => {
    const hazard = reported();
    expect(evaluateSteps(hazard, DEFAULT_POLICY, local('2026-05-12 11:00'), calendar).map((s) => s.stepId)).toEqual([
      'unacknowledged-24h',
    ]);
    const asked = must(
      hazard,
      { type: 'requestExtension', newDeadline: '2026-05-29', reason: '设备到货延迟' },
      people.boss,
      '2026-05-11 15:00',
    );
    expect(asked.events.map((e) => e.type)).toEqual(['acknowledged', 'extension_requested']);
    expect(asked.hazard.acknowledgedAt).toEqual(local('2026-05-11 15:00'));
    expect(evaluateSteps(asked.hazard, DEFAULT_POLICY, local('2026-05-12 11:00'), calendar)).toEqual([]);
  });

  it('keeps an earlier acknowledgement as it was', () => {
    const acknowledged = must(reported(), { type: 'acknowledge' }, people.boss, '2026-05-11 12:00').hazard;
    const asked = must(
      acknowledged,
      { type: 'requestExtension', newDeadline: '2026-05-29', reason: '设备到货延迟' },
      people.boss,
      '2026-05-13 15:00',
    );
    expect(asked.events.map((e) => e.type)).toEqual(['extension_requested']);
    expect(asked.hazard.acknowledgedAt).toEqual(local('2026-05-11 12:00'));
  });
});

describe('nobody who rectified, in any round, verifies', () => {
  it('refuses the first round’s rectifier on the second round, naming why; another inspector verifies', () => {
    // The township inspector is named responsible and rectifies first; the principal rectifies the second time.
    const assigned = must(
      reported(),
      { type: 'assign', responsible: 'insp-town' },
      people.countyInspector,
      '2026-05-11 11:00',
    ).hazard;
    const first = must(
      assigned,
      { type: 'submitRectification', description: '第一次' },
      people.townInspector,
      '2026-05-12 10:00',
    );
    expect(first.hazard.rectifiers).toEqual(['insp-town']);
    const rejected = must(
      first.hazard,
      { type: 'reject', reason: '不合格' },
      people.countyInspector,
      '2026-05-12 15:00',
    );
    const second = must(
      rejected.hazard,
      { type: 'submitRectification', description: '第二次' },
      people.boss,
      '2026-05-13 10:00',
    ).hazard;
    expect(second).toMatchObject({ rectifiedBy: 'boss', rectifiers: ['insp-town', 'boss'] });

    const refusal = {
      code: 'forbidden',
      message: '您提交过该隐患此前一轮的整改，整改人不能验收该隐患，请由其他检查员验收',
    };
    expect(failure(applyAction(second, { type: 'accept' }, people.townInspector, local('2026-05-13 11:00')))).toEqual(
      refusal,
    );
    expect(
      failure(
        applyAction(second, { type: 'reject', reason: '还不行' }, people.townInspector, local('2026-05-13 11:00')),
      ),
    ).toEqual(refusal);
    expect(canVerify(people.townInspector, second)).toEqual({ allowed: false, reason: refusal.message });
    expect(canView(people.townInspector, second).allowed).toBe(true);
    expect(must(second, { type: 'accept' }, people.deptInspector, '2026-05-13 11:00').hazard.status).toBe('closed');
  });

  it('lists a person who rectified twice once', () => {
    const first = submittedAt('2026-05-12 10:00');
    const rejected = must(first, { type: 'reject', reason: '不合格' }, people.townInspector, '2026-05-12 15:00');
    const again = must(
      rejected.hazard,
      { type: 'submitRectification', description: '再次' },
      people.boss,
      '2026-05-13 10:00',
    );
    expect(again.hazard.rectifiers).toEqual(['boss']);
  });
});
