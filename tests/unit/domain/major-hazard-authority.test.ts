/**
 * 治 (product.md "Major hazards: what the law asks"): listing (挂牌督办) and 摘牌 by the authority that listed,
 * suspension ordered only by the supervising department (others propose), and 复产 only on the unit's application,
 * through the department's 复产验收.
 */
import { describe, expect, it } from 'vitest';
import {
  applyAction,
  type Hazard,
  type HazardAction,
  type HazardResult,
  reportHazard,
} from '../../../src/domain/index.js';
import { type Actor, personActor } from '../../../src/domain/permissions.js';
import { calendar, local, people, reported, unit } from './fixtures.js';

function must(hazard: Hazard, action: HazardAction, actor: Actor, at: string): HazardResult & { ok: true } {
  const result = applyAction(hazard, action, actor, local(at), calendar);
  if (!result.ok) throw new Error(`${action.type} failed: ${result.error.code} ${result.error.message}`);
  return result;
}

function failure(result: HazardResult) {
  if (result.ok) throw new Error('expected the action to fail');
  return result.error;
}

const types = (result: HazardResult) => (result.ok ? result.events.map((e) => e.type) : []);
/** A leader of another department: leads, but not this unit's department. */
const otherDeptLeader = personActor('lead-scj', [
  { role: 'department_leader', scope: { kind: 'department', code: 'scj' } },
]);

describe('挂牌督办 and 摘牌', () => {
  const major = () => reported({ grade: 'major', deadline: '2026-06-30' });

  it('lists a major hazard by 安委办 or the supervising department leader, and nobody else', () => {
    const byOffice = must(major(), { type: 'list' }, people.safetyOffice, '2026-05-11 11:00');
    expect(byOffice.hazard.listing).toEqual({
      authority: { kind: 'county_safety_office' },
      by: 'aqw',
      at: local('2026-05-11 11:00'),
    });
    expect(byOffice.events).toEqual([
      { type: 'listed', at: local('2026-05-11 11:00'), by: 'aqw', authority: 'county_safety_office', note: null },
    ]);
    const byDept = must(major(), { type: 'list' }, people.deptLeader, '2026-05-11 11:00');
    expect(byDept.hazard.listing?.authority).toEqual({ kind: 'department', code: 'yjj' });

    for (const actor of [people.countyLeader, people.countyInspector, people.deptInspector, otherDeptLeader]) {
      expect(failure(applyAction(major(), { type: 'list' }, actor, local('2026-05-11 11:00')))).toEqual({
        code: 'forbidden',
        message: '只有县安委办或该单位的行业主管部门负责人可以挂牌督办',
      });
    }
    expect(
      failure(applyAction(byOffice.hazard, { type: 'list' }, people.deptLeader, local('2026-05-12 09:00'))),
    ).toEqual({ code: 'already_done', message: '该隐患已挂牌督办' });
  });

  it('never lists a general hazard: overdue general hazards are 督办, not 挂牌', () => {
    expect(failure(applyAction(reported(), { type: 'list' }, people.safetyOffice, local('2026-05-11 11:00')))).toEqual({
      code: 'invalid_input',
      message: '只有重大事故隐患可以挂牌督办；一般隐患超期由督办提醒和逐级升级处理',
      field: 'level',
    });
  });

  it('closes a listed hazard only when accepted and then delisted by the authority that listed it', () => {
    const listed = must(major(), { type: 'list' }, people.deptLeader, '2026-05-11 11:00').hazard;
    expect(
      failure(applyAction(listed, { type: 'delist' }, people.deptLeader, local('2026-05-12 09:00'))),
    ).toMatchObject({ code: 'wrong_state' });
    const submitted = must(
      listed,
      { type: 'submitRectification', description: '已治理' },
      people.boss,
      '2026-06-01 10:00',
    );
    const accepted = must(submitted.hazard, { type: 'accept' }, people.townInspector, '2026-06-02 10:00');
    expect(accepted.hazard.status).toBe('pending_delisting');
    expect(accepted.events.map((e) => e.type)).toEqual(['accepted']);
    expect(accepted.hazard.supervision).toBe('county');

    // 安委办 did not list it: the department did, and only its leader removes the listing.
    expect(
      failure(applyAction(accepted.hazard, { type: 'delist' }, people.safetyOffice, local('2026-06-03 09:00'))),
    ).toEqual({ code: 'forbidden', message: '该隐患由行业主管部门挂牌督办，只有该部门负责人可以摘牌' });
    expect(
      failure(applyAction(accepted.hazard, { type: 'accept' }, people.countyInspector, local('2026-06-03 09:00'))),
    ).toMatchObject({ code: 'already_done' });
    const delisted = must(accepted.hazard, { type: 'delist', note: '治理完成' }, people.deptLeader, '2026-06-03 09:00');
    expect(types(delisted)).toEqual(['delisted', 'supervision_lifted', 'closed']);
    expect(delisted.hazard).toMatchObject({ status: 'closed', supervision: 'none', closedBy: 'lead-yjj' });
    expect(delisted.hazard.listing?.by).toBe('lead-yjj');
    expect(
      failure(applyAction(delisted.hazard, { type: 'delist' }, people.deptLeader, local('2026-06-03 10:00'))),
    ).toEqual({ code: 'already_done', message: '该隐患已摘牌销号' });
  });

  it('lets only 安委办 delist what 安委办 listed', () => {
    const listed = must(major(), { type: 'list' }, people.safetyOffice, '2026-05-11 11:00').hazard;
    const submitted = must(
      listed,
      { type: 'submitRectification', description: '已治理' },
      people.boss,
      '2026-06-01 10:00',
    );
    const accepted = must(submitted.hazard, { type: 'accept' }, people.townInspector, '2026-06-02 10:00').hazard;
    expect(failure(applyAction(accepted, { type: 'delist' }, people.deptLeader, local('2026-06-03 09:00')))).toEqual({
      code: 'forbidden',
      message: '该隐患由县安委办挂牌督办，只有县安委办可以摘牌',
    });
    expect(must(accepted, { type: 'delist' }, people.safetyOffice, '2026-06-03 09:00').hazard.status).toBe('closed');
  });
});

describe('停产停业: ordered by the department, proposed by others', () => {
  it('turns a township inspector’s 停产 on the report into a proposal the department confirms', () => {
    const result = reportHazard(
      { unit, grade: 'major', suspended: true, deadline: '2026-06-30' },
      people.townInspector,
      local('2026-05-11 10:00'),
      calendar,
    );
    expect(types(result)).toEqual(['reported', 'supervision_raised', 'suspension_proposed', 'assigned']);
    if (!result.ok) return;
    expect(result.hazard).toMatchObject({ suspended: false, suspensionProposal: { by: 'insp-town' } });

    expect(
      failure(applyAction(result.hazard, { type: 'orderSuspension' }, people.townInspector, local('2026-05-11 11:00'))),
    ).toEqual({
      code: 'forbidden',
      message: '只有该单位行业主管部门的检查员或负责人可以责令停产停业；其他检查员可以建议停产停业，由主管部门确认',
    });
    expect(
      failure(
        applyAction(result.hazard, { type: 'orderSuspension' }, people.otherDeptInspector, local('2026-05-11 11:00')),
      ),
    ).toMatchObject({ code: 'forbidden' });
    const ordered = must(
      result.hazard,
      { type: 'orderSuspension', reason: '立即停产' },
      people.deptLeader,
      '2026-05-11 11:00',
    );
    expect(ordered.hazard).toMatchObject({ suspended: true, suspensionProposal: null });
    expect(ordered.events).toEqual([
      { type: 'suspended', at: local('2026-05-11 11:00'), by: 'lead-yjj', reason: '立即停产', proposedBy: 'insp-town' },
    ]);
    expect(
      failure(
        applyAction(ordered.hazard, { type: 'declineSuspension' }, people.deptInspector, local('2026-05-11 12:00')),
      ),
    ).toEqual({ code: 'already_done', message: '该停产停业建议已处理' });
  });

  it('lets the department decline a proposal, and refuses suspension for a general hazard', () => {
    const proposed = must(
      reported({ grade: 'major' }),
      { type: 'proposeSuspension' },
      people.townInspector,
      '2026-05-11 11:00',
    );
    expect(proposed.hazard.suspensionProposal).toEqual({ by: 'insp-town', at: local('2026-05-11 11:00') });
    const declined = must(
      proposed.hazard,
      { type: 'declineSuspension', reason: '可边生产边整改' },
      people.deptInspector,
      '2026-05-11 12:00',
    );
    expect(declined.hazard).toMatchObject({ suspended: false, suspensionProposal: null });
    expect(declined.events[0]).toMatchObject({
      type: 'suspension_declined',
      proposedBy: 'insp-town',
      reason: '可边生产边整改',
    });
    expect(
      failure(applyAction(reported(), { type: 'orderSuspension' }, people.deptInspector, local('2026-05-11 12:00'))),
    ).toMatchObject({ code: 'invalid_input', field: 'suspend' });
  });
});

describe('复产: the unit applies, the department accepts on site', () => {
  const suspended = () => reported({ grade: 'major', suspended: true, deadline: '2026-06-30' });

  it('refuses 复产验收 without an application, and an ordinary acceptance of a suspended unit', () => {
    const submitted = must(
      suspended(),
      { type: 'submitRectification', description: '已治理' },
      people.boss,
      '2026-06-01 10:00',
    );
    expect(
      failure(
        applyAction(submitted.hazard, { type: 'acceptResumption' }, people.deptLeader, local('2026-06-02 10:00')),
      ),
    ).toEqual({
      code: 'wrong_state',
      message:
        '单位尚未申请复产：复产须先由整改责任人或单位主要负责人、安全管理员在整改卡片上「申请复产」，再由行业主管部门到现场复产验收',
    });
    expect(
      failure(applyAction(submitted.hazard, { type: 'accept' }, people.townInspector, local('2026-06-02 10:00'))),
    ).toMatchObject({ code: 'wrong_state' });
  });

  it('takes the application only after the rectification is submitted, from the unit side', () => {
    const hazard = suspended();
    expect(failure(applyAction(hazard, { type: 'requestResumption' }, people.boss, local('2026-05-20 10:00')))).toEqual(
      { code: 'wrong_state', message: '请先完成整改并「提交整改」，再申请复产' },
    );
    const submitted = must(
      hazard,
      { type: 'submitRectification', description: '已治理' },
      people.boss,
      '2026-06-01 10:00',
    );
    expect(
      failure(
        applyAction(submitted.hazard, { type: 'requestResumption' }, people.townInspector, local('2026-06-01 11:00')),
      ),
    ).toMatchObject({ code: 'forbidden' });
    const applied = must(submitted.hazard, { type: 'requestResumption' }, people.safety, '2026-06-01 11:00');
    expect(applied.hazard.resumptionRequest).toEqual({ by: 'safety', at: local('2026-06-01 11:00') });
    expect(
      failure(applyAction(applied.hazard, { type: 'requestResumption' }, people.boss, local('2026-06-01 12:00'))),
    ).toEqual({ code: 'already_done', message: '已申请复产，等待行业主管部门复产验收' });
  });

  it('accepts on the department’s 复产验收 (核销 and resumption together), never by a township inspector', () => {
    const submitted = must(
      suspended(),
      { type: 'submitRectification', description: '已治理' },
      people.boss,
      '2026-06-01 10:00',
    );
    const applied = must(submitted.hazard, { type: 'requestResumption' }, people.boss, '2026-06-01 11:00').hazard;
    expect(
      failure(applyAction(applied, { type: 'acceptResumption' }, people.townInspector, local('2026-06-02 10:00'))),
    ).toEqual({ code: 'forbidden', message: '复产验收由该单位的行业主管部门（其检查员或负责人）到现场进行' });
    const resumed = must(
      applied,
      { type: 'acceptResumption', note: '现场核查合格' },
      people.deptInspector,
      '2026-06-02 10:00',
    );
    expect(types(resumed)).toEqual([
      'resumption_accepted',
      'suspension_lifted',
      'accepted',
      'supervision_lifted',
      'closed',
    ]);
    expect(resumed.hazard).toMatchObject({ status: 'closed', suspended: false, resumptionRequest: null });
  });

  it('sends a failed 复产验收 back to rectifying, the application spent', () => {
    const submitted = must(
      suspended(),
      { type: 'submitRectification', description: '已治理' },
      people.boss,
      '2026-06-01 10:00',
    );
    const applied = must(submitted.hazard, { type: 'requestResumption' }, people.boss, '2026-06-01 11:00').hazard;
    expect(
      failure(
        applyAction(applied, { type: 'rejectResumption', reason: ' ' }, people.deptLeader, local('2026-06-02 10:00')),
      ),
    ).toMatchObject({ code: 'invalid_input', field: 'reason' });
    const failed = must(
      applied,
      { type: 'rejectResumption', reason: '通风未改造' },
      people.deptLeader,
      '2026-06-02 10:00',
    );
    expect(failed.hazard).toMatchObject({ status: 'rectifying', suspended: true, resumptionRequest: null });
    expect(failed.events[0]).toMatchObject({ type: 'rejected', reason: '通风未改造', resumption: true });
  });

  it('waits for 摘牌 after the 复产验收 of a listed hazard', () => {
    const listed = must(suspended(), { type: 'list' }, people.safetyOffice, '2026-05-12 09:00').hazard;
    const submitted = must(
      listed,
      { type: 'submitRectification', description: '已治理' },
      people.boss,
      '2026-06-01 10:00',
    );
    const applied = must(submitted.hazard, { type: 'requestResumption' }, people.boss, '2026-06-01 11:00').hazard;
    const resumed = must(applied, { type: 'acceptResumption' }, people.deptInspector, '2026-06-02 10:00');
    expect(types(resumed)).toEqual(['resumption_accepted', 'suspension_lifted', 'accepted']);
    expect(resumed.hazard).toMatchObject({ status: 'pending_delisting', suspended: false });
  });
});
