import { describe, expect, it } from 'vitest';
import { createCalendar } from '../../../src/domain/calendar.js';
import {
  applyAction,
  describeFlags,
  type Hazard,
  type HazardAction,
  type HazardResult,
  hazardActionSchema,
  isExtensionRequested,
  isOverdue,
  reportHazard,
  trafficLight,
} from '../../../src/domain/index.js';
import { type Actor, SYSTEM_ACTOR } from '../../../src/domain/permissions.js';
import { calendar, local, people, reported, unit } from './fixtures.js';

/** Applies an action that must succeed; returns the next hazard. */
function must(hazard: Hazard, action: HazardAction, actor: Actor, at: string): Hazard {
  const result = applyAction(hazard, action, actor, local(at), calendar);
  if (!result.ok) throw new Error(`${action.type} failed: ${result.error.code} ${result.error.message}`);
  return result.hazard;
}

function failure(result: HazardResult) {
  if (result.ok) throw new Error('expected the action to fail');
  return result.error;
}

const eventTypes = (result: HazardResult) => (result.ok ? result.events.map((e) => e.type) : []);

describe('reportHazard', () => {
  it('registers a general hazard assigned to the unit principal with the default 7-day deadline', () => {
    const result = reportHazard({ unit, grade: 'general' }, people.townInspector, local('2026-05-11 10:00'), calendar);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.hazard).toMatchObject({
      status: 'rectifying',
      grade: 'general',
      reporter: 'insp-town',
      responsible: 'boss',
      deadline: '2026-05-18',
      supervision: 'none',
      suspended: false,
      acknowledgedAt: null,
      extensionRequest: null,
    });
    expect(result.hazard.assignedAt).toEqual(local('2026-05-11 10:00'));
    expect(result.events).toEqual([
      { type: 'reported', at: local('2026-05-11 10:00'), by: 'insp-town', grade: 'general', deadline: '2026-05-18' },
      { type: 'assigned', at: local('2026-05-11 10:00'), by: 'insp-town', responsible: 'boss', previous: null },
    ]);
  });

  it('puts a major hazard under county supervision (督办) at once, suspended when the department orders it', () => {
    const result = reportHazard(
      { unit, grade: 'major', suspended: true, responsible: 'safety', deadline: '2026-06-30' },
      people.deptInspector,
      local('2026-05-11 10:00'),
      calendar,
    );
    expect(eventTypes(result)).toEqual(['reported', 'supervision_raised', 'suspended', 'assigned']);
    if (!result.ok) return;
    expect(result.hazard).toMatchObject({
      supervision: 'county',
      suspended: true,
      suspensionProposal: null,
      listing: null,
      responsible: 'safety',
      deadline: '2026-06-30',
    });
  });

  it('uses working days for the default deadline when the calendar counts them', () => {
    const working = createCalendar({ dayCounting: 'working' });
    const result = reportHazard({ unit, grade: 'general' }, people.townInspector, local('2026-09-29 10:00'), working);
    expect(result.ok && result.hazard.deadline).toBe('2026-10-14');
  });

  it('stays reported when nobody can be named responsible, until an inspector assigns someone', () => {
    const orphan = { ...unit, principal: null };
    const result = reportHazard({ unit: orphan, grade: 'general' }, people.townInspector, local('2026-05-11 10:00'));
    expect(eventTypes(result)).toEqual(['reported']);
    if (!result.ok) return;
    expect(result.hazard.status).toBe('reported');
    expect(
      failure(applyAction(result.hazard, { type: 'acknowledge' }, people.safety, local('2026-05-11 11:00'))),
    ).toEqual({ code: 'wrong_state', message: '该隐患尚未指定整改责任人' });
    const assigned = must(
      result.hazard,
      { type: 'assign', responsible: 'worker' },
      people.townInspector,
      '2026-05-11 11:00',
    );
    expect(assigned).toMatchObject({ status: 'rectifying', responsible: 'worker' });
  });

  it('refuses suspension for a general hazard, and past or too distant deadlines, naming the field', () => {
    const now = local('2026-05-11 10:00');
    expect(failure(reportHazard({ unit, grade: 'general', suspended: true }, people.townInspector, now))).toEqual({
      code: 'invalid_input',
      message: '只有重大隐患可以责令停产停业整改',
      field: 'suspend',
    });
    expect(
      failure(reportHazard({ unit, grade: 'general', deadline: '2026-05-10' }, people.townInspector, now)),
    ).toEqual({ code: 'invalid_input', message: '整改期限不能早于今天（2026-05-11）', field: 'deadline' });
    expect(
      failure(reportHazard({ unit, grade: 'general', deadline: '2030-01-01' }, people.townInspector, now)),
    ).toMatchObject({ code: 'invalid_input', field: 'deadline' });
  });

  it('refuses reporters without the right', () => {
    const now = local('2026-05-11 10:00');
    expect(failure(reportHazard({ unit, grade: 'general' }, people.stranger, now)).code).toBe('forbidden');
    expect(failure(reportHazard({ unit, grade: 'general' }, people.otherTownInspector, now)).code).toBe('forbidden');
    expect(failure(reportHazard({ unit, grade: 'general' }, SYSTEM_ACTOR, now)).code).toBe('forbidden');
  });
});

describe('the closed loop', () => {
  it('goes reported → rectifying → pending_verification → closed and records each step', () => {
    const start = reported();
    const ack = applyAction(start, { type: 'acknowledge' }, people.boss, local('2026-05-11 11:00'));
    expect(eventTypes(ack)).toEqual(['acknowledged']);
    const acknowledged = must(start, { type: 'acknowledge' }, people.boss, '2026-05-11 11:00');
    expect(acknowledged.acknowledgedAt).toEqual(local('2026-05-11 11:00'));

    const submit = applyAction(
      acknowledged,
      { type: 'submitRectification', description: '  已更换破损防护罩  ' },
      people.safety,
      local('2026-05-14 15:00'),
    );
    expect(submit.ok && submit.events).toEqual([
      {
        type: 'rectification_submitted',
        at: local('2026-05-14 15:00'),
        by: 'safety',
        description: '已更换破损防护罩',
      },
    ]);
    if (!submit.ok) return;
    expect(submit.hazard).toMatchObject({ status: 'pending_verification', rectifiedBy: 'safety' });

    const accept = applyAction(submit.hazard, { type: 'accept' }, people.townInspector, local('2026-05-15 09:00'));
    expect(eventTypes(accept)).toEqual(['accepted', 'closed']);
    if (!accept.ok) return;
    expect(accept.hazard).toMatchObject({ status: 'closed', closedBy: 'insp-town', supervision: 'none' });
    expect(accept.hazard.closedAt).toEqual(local('2026-05-15 09:00'));
  });

  it('does not change the hazard it was given', () => {
    const start = reported();
    const snapshot = structuredClone(start);
    must(start, { type: 'submitRectification', description: '已整改' }, people.boss, '2026-05-12 10:00');
    expect(start).toEqual(snapshot);
  });

  it('treats a submission without acknowledgement as acknowledging too', () => {
    const result = applyAction(
      reported(),
      { type: 'submitRectification', description: '已整改' },
      people.boss,
      local('2026-05-12 10:00'),
    );
    expect(eventTypes(result)).toEqual(['acknowledged', 'rectification_submitted']);
    expect(result.ok && result.hazard.acknowledgedAt).toEqual(local('2026-05-12 10:00'));
  });

  it('sends a rejected rectification back with its reason, and accepts the second submission', () => {
    const submitted = must(
      reported(),
      { type: 'submitRectification', description: '已整改' },
      people.boss,
      '2026-05-12 10:00',
    );
    expect(
      failure(
        applyAction(submitted, { type: 'reject', reason: '   ' }, people.townInspector, local('2026-05-12 11:00')),
      ),
    ).toEqual({ code: 'invalid_input', message: '请填写驳回理由', field: 'reason' });
    const tooLong = applyAction(
      submitted,
      { type: 'reject', reason: '长'.repeat(501) },
      people.townInspector,
      local('2026-05-12 11:00'),
    );
    expect(failure(tooLong)).toMatchObject({ code: 'invalid_input', field: 'reason' });

    const reject = applyAction(
      submitted,
      { type: 'reject', reason: '防护罩未固定' },
      people.townInspector,
      local('2026-05-12 11:00'),
    );
    // Submitted on 05-12 with the deadline 05-18: 6 days left, given back from the rejection.
    expect(reject.ok && reject.events).toEqual([
      {
        type: 'rejected',
        at: local('2026-05-12 11:00'),
        by: 'insp-town',
        reason: '防护罩未固定',
        deadline: '2026-05-18',
        previousDeadline: '2026-05-18',
      },
    ]);
    if (!reject.ok) return;
    expect(reject.hazard.status).toBe('rectifying');

    // A second inspector clicking 验收通过 on the old card learns it was already handled.
    expect(
      failure(applyAction(reject.hazard, { type: 'accept' }, people.deptInspector, local('2026-05-12 11:01'))),
    ).toEqual({
      code: 'already_done',
      message: '该次整改已被驳回，正在重新整改',
    });

    const again = must(
      reject.hazard,
      { type: 'submitRectification', description: '已加固' },
      people.boss,
      '2026-05-13 10:00',
    );
    const closed = must(again, { type: 'accept' }, people.deptInspector, '2026-05-13 11:00');
    expect(closed.status).toBe('closed');
  });

  it('closes a major hazard on acceptance, ending its 督办', () => {
    const major = reported({ grade: 'major', deadline: '2026-06-30' });
    const submitted = must(
      major,
      { type: 'submitRectification', description: '已完成治理' },
      people.boss,
      '2026-06-01 10:00',
    );
    const accept = applyAction(
      submitted,
      { type: 'accept', note: '验收合格' },
      people.countyInspector,
      local('2026-06-02 10:00'),
    );
    expect(accept.ok && accept.events.map((e) => e.type)).toEqual(['accepted', 'supervision_lifted', 'closed']);
    expect(accept.ok && accept.events[1]).toMatchObject({ from: 'county' });
    expect(accept.ok && accept.hazard).toMatchObject({ status: 'closed', suspended: false, supervision: 'none' });
  });
});

describe('double clicks and wrong states', () => {
  const submitted = () =>
    must(reported(), { type: 'submitRectification', description: '已整改' }, people.boss, '2026-05-12 10:00');
  const closed = () => must(submitted(), { type: 'accept' }, people.townInspector, '2026-05-12 11:00');

  it('tells a second 确认接收 it was already done', () => {
    const once = must(reported(), { type: 'acknowledge' }, people.boss, '2026-05-11 11:00');
    expect(failure(applyAction(once, { type: 'acknowledge' }, people.boss, local('2026-05-11 11:00')))).toEqual({
      code: 'already_done',
      message: '已确认接收',
    });
  });

  it('tells a second 提交整改 it is waiting for verification', () => {
    const result = applyAction(
      submitted(),
      { type: 'submitRectification', description: 'x' },
      people.boss,
      local('2026-05-12 10:01'),
    );
    expect(failure(result)).toEqual({ code: 'already_done', message: '整改已提交，正在等待验收' });
  });

  it('tells a second 验收通过 or a late 驳回 the hazard is closed', () => {
    const done = closed();
    expect(failure(applyAction(done, { type: 'accept' }, people.townInspector, local('2026-05-12 11:00')))).toEqual({
      code: 'already_done',
      message: '该隐患已验收销号',
    });
    expect(
      failure(applyAction(done, { type: 'reject', reason: '不合格' }, people.deptInspector, local('2026-05-12 11:00')))
        .code,
    ).toBe('already_done');
  });

  it('answers every action on a closed hazard with already_done, but a stranger with forbidden', () => {
    const done = closed();
    const actions: [HazardAction, Actor][] = [
      [{ type: 'acknowledge' }, people.boss],
      [{ type: 'submitRectification', description: 'x' }, people.boss],
      [{ type: 'requestExtension', newDeadline: '2026-06-01', reason: 'x' }, people.boss],
      [{ type: 'approveExtension' }, people.townInspector],
      [{ type: 'refuseExtension' }, people.townInspector],
      [{ type: 'assign', responsible: 'worker' }, people.townInspector],
      [{ type: 'escalateSupervision', level: 'county' }, SYSTEM_ACTOR],
    ];
    for (const [action, actor] of actions) {
      expect(failure(applyAction(done, action, actor, local('2026-05-13 09:00'))).code, action.type).toBe(
        'already_done',
      );
    }
    for (const [action] of actions) {
      expect(failure(applyAction(done, action, people.stranger, local('2026-05-13 09:00'))).code, action.type).toBe(
        'forbidden',
      );
    }
  });

  it('refuses verification before anything was submitted', () => {
    expect(
      failure(applyAction(reported(), { type: 'accept' }, people.townInspector, local('2026-05-12 09:00'))),
    ).toEqual({
      code: 'wrong_state',
      message: '整改尚未提交，暂不能验收',
    });
    expect(
      failure(applyAction(reported(), { type: 'reject', reason: 'x' }, people.townInspector, local('2026-05-12 09:00')))
        .code,
    ).toBe('wrong_state');
  });

  it('refuses to re-assign while waiting for verification, and re-assigning the same person', () => {
    expect(
      failure(
        applyAction(
          submitted(),
          { type: 'assign', responsible: 'worker' },
          people.townInspector,
          local('2026-05-12 11:00'),
        ),
      ).code,
    ).toBe('wrong_state');
    expect(
      failure(
        applyAction(
          reported(),
          { type: 'assign', responsible: 'boss' },
          people.townInspector,
          local('2026-05-12 11:00'),
        ),
      ),
    ).toEqual({ code: 'already_done', message: '已指定该责任人' });
  });

  it('re-assignment names the new person and clears the acknowledgement', () => {
    const acknowledged = must(reported(), { type: 'acknowledge' }, people.boss, '2026-05-11 11:00');
    const result = applyAction(
      acknowledged,
      { type: 'assign', responsible: 'worker' },
      people.townInspector,
      local('2026-05-11 12:00'),
    );
    expect(result.ok && result.events[0]).toMatchObject({ type: 'assigned', responsible: 'worker', previous: 'boss' });
    expect(result.ok && result.hazard).toMatchObject({ responsible: 'worker', acknowledgedAt: null });
    expect(result.ok && result.hazard.assignedAt).toEqual(local('2026-05-11 12:00'));
  });
});

describe('permissions inside transitions', () => {
  it('refuses a stranger clicking a forwarded rectification card', () => {
    expect(
      failure(applyAction(reported(), { type: 'acknowledge' }, people.stranger, local('2026-05-11 11:00'))),
    ).toEqual({
      code: 'forbidden',
      message: '只有该隐患的整改责任人或单位主要负责人、安全管理员可以操作整改',
    });
  });

  it('refuses a leader, who may only view and comment', () => {
    const submitted = must(
      reported(),
      { type: 'submitRectification', description: '已整改' },
      people.boss,
      '2026-05-12 10:00',
    );
    for (const leader of [people.townLeader, people.countyLeader, people.deptLeader]) {
      expect(failure(applyAction(submitted, { type: 'accept' }, leader, local('2026-05-12 11:00'))).code).toBe(
        'forbidden',
      );
      expect(failure(applyAction(reported(), { type: 'acknowledge' }, leader, local('2026-05-12 11:00'))).code).toBe(
        'forbidden',
      );
    }
  });

  it('never lets the person who rectified verify it', () => {
    const inspectorResponsible = must(
      reported(),
      { type: 'assign', responsible: 'insp-town' },
      people.countyInspector,
      '2026-05-11 11:00',
    );
    const submitted = must(
      inspectorResponsible,
      { type: 'submitRectification', description: '已整改' },
      people.townInspector,
      '2026-05-12 10:00',
    );
    expect(
      failure(applyAction(submitted, { type: 'accept' }, people.townInspector, local('2026-05-12 11:00'))),
    ).toEqual({
      code: 'forbidden',
      message: '整改人不能验收自己的整改，请由其他检查员验收',
    });
    expect(must(submitted, { type: 'accept' }, people.countyInspector, '2026-05-12 11:00').status).toBe('closed');
  });

  it('refuses an inspector of another township', () => {
    const submitted = must(
      reported(),
      { type: 'submitRectification', description: '已整改' },
      people.boss,
      '2026-05-12 10:00',
    );
    expect(
      failure(applyAction(submitted, { type: 'accept' }, people.otherTownInspector, local('2026-05-12 11:00'))).code,
    ).toBe('forbidden');
  });
});

describe('extensions (申请延期)', () => {
  const request = (hazard: Hazard, newDeadline = '2026-05-29', reason = '设备到货延迟') =>
    applyAction(hazard, { type: 'requestExtension', newDeadline, reason }, people.boss, local('2026-05-15 10:00'));

  it('an approved extension moves the deadline', () => {
    const asked = request(reported());
    expect(asked.ok && asked.events).toEqual([
      // Asking for time answers the notice (确认接收) too.
      { type: 'acknowledged', at: local('2026-05-15 10:00'), by: 'boss' },
      {
        type: 'extension_requested',
        at: local('2026-05-15 10:00'),
        by: 'boss',
        newDeadline: '2026-05-29',
        reason: '设备到货延迟',
      },
    ]);
    if (!asked.ok) return;
    expect(isExtensionRequested(asked.hazard)).toBe(true);

    const approve = applyAction(
      asked.hazard,
      { type: 'approveExtension' },
      people.deptInspector,
      local('2026-05-16 10:00'),
    );
    expect(approve.ok && approve.events).toEqual([
      {
        type: 'extension_approved',
        at: local('2026-05-16 10:00'),
        by: 'insp-yjj',
        from: '2026-05-18',
        to: '2026-05-29',
      },
    ]);
    if (!approve.ok) return;
    expect(approve.hazard).toMatchObject({ deadline: '2026-05-29', extensionRequest: null });
    expect(approve.hazard.deadlineSetAt).toEqual(local('2026-05-16 10:00'));

    expect(
      failure(
        applyAction(approve.hazard, { type: 'approveExtension' }, people.deptInspector, local('2026-05-16 10:00')),
      ),
    ).toEqual({ code: 'already_done', message: '该延期申请已处理（或没有待审批的延期申请）' });
  });

  it('a refused extension keeps the deadline', () => {
    const asked = request(reported());
    if (!asked.ok) throw new Error('request failed');
    const refuse = applyAction(
      asked.hazard,
      { type: 'refuseExtension', reason: '期限内可完成' },
      people.townInspector,
      local('2026-05-16 10:00'),
    );
    expect(refuse.ok && refuse.events[0]).toMatchObject({
      type: 'extension_refused',
      requested: '2026-05-29',
      reason: '期限内可完成',
    });
    expect(refuse.ok && refuse.hazard).toMatchObject({ deadline: '2026-05-18', extensionRequest: null });
    if (!refuse.ok) return;
    expect(
      failure(applyAction(refuse.hazard, { type: 'approveExtension' }, people.townInspector, local('2026-05-16 10:01')))
        .code,
    ).toBe('already_done');
  });

  it('a second request while one is pending is told it is waiting', () => {
    const asked = request(reported());
    if (!asked.ok) throw new Error('request failed');
    expect(failure(request(asked.hazard, '2026-06-05'))).toEqual({
      code: 'already_done',
      message: '已申请延期至 2026-05-29，正在等待审批',
    });
  });

  it('checks the new date and the reason', () => {
    expect(failure(request(reported(), '2026-05-18'))).toEqual({
      code: 'invalid_input',
      message: '新的整改期限须晚于当前期限 2026-05-18',
      field: 'newDeadline',
    });
    expect(failure(request(reported(), '2026-13-01'))).toMatchObject({ field: 'newDeadline' });
    expect(failure(request(reported(), '2028-01-01'))).toMatchObject({ code: 'invalid_input', field: 'newDeadline' });
    expect(failure(request(reported(), '2026-05-29', ''))).toEqual({
      code: 'invalid_input',
      message: '请填写延期理由',
      field: 'reason',
    });
  });

  it('is not needed once the rectification is submitted', () => {
    const submitted = must(
      reported(),
      { type: 'submitRectification', description: '已整改' },
      people.boss,
      '2026-05-12 10:00',
    );
    expect(failure(request(submitted)).code).toBe('wrong_state');
  });

  it('is decided only by inspectors of the township, department or county — never the unit or a leader', () => {
    const asked = request(reported());
    if (!asked.ok) throw new Error('request failed');
    for (const actor of [people.boss, people.townLeader, people.enterpriseInspector, people.otherTownInspector]) {
      expect(
        failure(applyAction(asked.hazard, { type: 'approveExtension' }, actor, local('2026-05-16 10:00'))).code,
      ).toBe('forbidden');
    }
    const byStranger = applyAction(
      reported(),
      { type: 'requestExtension', newDeadline: '2026-05-29', reason: 'x' },
      people.stranger,
      local('2026-05-15 10:00'),
    );
    expect(failure(byStranger).code).toBe('forbidden');
  });
});

describe('supervision (督办)', () => {
  it('rises township → county, and a repeat is already done', () => {
    const township = applyAction(
      reported(),
      { type: 'escalateSupervision', level: 'township', reason: '屡改屡犯' },
      people.townInspector,
      local('2026-05-12 10:00'),
    );
    expect(township.ok && township.events[0]).toMatchObject({
      type: 'supervision_raised',
      from: 'none',
      to: 'township',
      reason: '屡改屡犯',
      by: 'insp-town',
    });
    if (!township.ok) return;
    const county = applyAction(
      township.hazard,
      { type: 'escalateSupervision', level: 'county' },
      SYSTEM_ACTOR,
      local('2026-05-26 07:30'),
    );
    expect(county.ok && county.events[0]).toMatchObject({ from: 'township', to: 'county', by: 'system', reason: null });
    if (!county.ok) return;
    expect(
      failure(
        applyAction(
          county.hazard,
          { type: 'escalateSupervision', level: 'county' },
          SYSTEM_ACTOR,
          local('2026-05-27 07:30'),
        ),
      ),
    ).toEqual({
      code: 'already_done',
      message: '该隐患已是县级督办',
    });
    expect(
      failure(
        applyAction(
          county.hazard,
          { type: 'escalateSupervision', level: 'township' },
          people.townInspector,
          local('2026-05-27 07:30'),
        ),
      ).code,
    ).toBe('already_done');
  });

  it('a major hazard starts under county supervision', () => {
    const major = reported({ grade: 'major', deadline: '2026-06-30' });
    expect(major.supervision).toBe('county');
    expect(
      failure(
        applyAction(major, { type: 'escalateSupervision', level: 'county' }, SYSTEM_ACTOR, local('2026-05-12 10:00')),
      ).code,
    ).toBe('already_done');
  });
});

describe('督办意见 (comment)', () => {
  it('records a leader remark in the trail and leaves the state alone', () => {
    const hazard = reported();
    const result = applyAction(
      hazard,
      { type: 'comment', text: '  请三日内完成接地整改  ' },
      people.townMainLeader,
      local('2026-05-12 10:00'),
    );
    expect(result.ok && result.hazard).toEqual(hazard);
    expect(result.ok && result.events).toEqual([
      { type: 'commented', text: '请三日内完成接地整改', by: 'main-town', at: local('2026-05-12 10:00') },
    ]);
  });

  it('is for whoever may view: others, the system, an empty or overlong remark and a closed hazard are refused', () => {
    const at = local('2026-05-12 10:00');
    const comment = (text: string) => ({ type: 'comment', text }) as const;
    expect(failure(applyAction(reported(), comment('x'), people.otherTownLeader, at)).code).toBe('forbidden');
    expect(failure(applyAction(reported(), comment('x'), people.stranger, at)).code).toBe('forbidden');
    expect(failure(applyAction(reported(), comment('x'), SYSTEM_ACTOR, at)).code).toBe('forbidden');
    expect(failure(applyAction(reported(), comment('   '), people.countyLeader, at))).toEqual({
      code: 'invalid_input',
      message: '请填写督办意见',
      field: 'comment',
    });
    expect(failure(applyAction(reported(), comment('长'.repeat(501)), people.deptLeader, at)).message).toBe(
      '督办意见最多 500 个字，当前 501 个字',
    );
    // The responsible person and the inspector may remark too.
    expect(applyAction(reported(), comment('已联系电工'), people.boss, at).ok).toBe(true);
    expect(applyAction(reported(), comment('下周复查'), people.townInspector, at).ok).toBe(true);
    const submitted = must(
      reported(),
      { type: 'submitRectification', description: '已整改' },
      people.boss,
      '2026-05-12 11:00',
    );
    const closed = must(submitted, { type: 'accept' }, people.countyInspector, '2026-05-12 12:00');
    expect(failure(applyAction(closed, comment('好'), people.countyLeader, at)).code).toBe('already_done');
  });

  it('parses from a card or API body', () => {
    expect(hazardActionSchema.parse({ type: 'comment', text: '请尽快' })).toEqual({ type: 'comment', text: '请尽快' });
    expect(hazardActionSchema.safeParse({ type: 'comment' }).success).toBe(false);
  });
});

describe('derived flags', () => {
  it('is overdue from the end of the deadline day while waiting on the responsible side', () => {
    const hazard = reported(); // deadline 2026-05-18
    expect(isOverdue(hazard, local('2026-05-18 23:59'), calendar)).toBe(false);
    expect(isOverdue(hazard, local('2026-05-19 00:00'), calendar)).toBe(true);
    const submitted = must(
      hazard,
      { type: 'submitRectification', description: '已整改' },
      people.boss,
      '2026-05-18 20:00',
    );
    expect(isOverdue(submitted, local('2026-05-20 00:00'), calendar)).toBe(false);
  });

  it('colours the digest: red overdue, yellow within 3 days, green otherwise', () => {
    const hazard = reported(); // deadline 2026-05-18
    expect(trafficLight(hazard, local('2026-05-14 10:00'), calendar)).toBe('green');
    expect(trafficLight(hazard, local('2026-05-15 10:00'), calendar)).toBe('yellow');
    expect(trafficLight(hazard, local('2026-05-18 23:00'), calendar)).toBe('yellow');
    expect(trafficLight(hazard, local('2026-05-19 00:00'), calendar)).toBe('red');
  });

  it('summarises grade and flags in Chinese', () => {
    const major = reported({ grade: 'major', suspended: true, deadline: '2026-05-20' });
    expect(describeFlags(major, local('2026-05-21 09:00'), calendar)).toBe(
      '重大隐患 · 县级督办 · 停产停业整改 · 已超期',
    );
    expect(describeFlags(reported(), local('2026-05-12 09:00'), calendar)).toBe('一般隐患');
  });
});

describe('hazardActionSchema', () => {
  it('reads actions from card callbacks and refuses unknown ones', () => {
    expect(hazardActionSchema.parse({ type: 'reject', reason: '不合格' })).toEqual({
      type: 'reject',
      reason: '不合格',
    });
    expect(hazardActionSchema.safeParse({ type: 'delete' }).success).toBe(false);
    expect(hazardActionSchema.safeParse({ type: 'reject' }).success).toBe(false);
    expect(hazardActionSchema.safeParse({ type: 'escalateSupervision', level: 'none' }).success).toBe(false);
  });
});
