import { describe, expect, it } from 'vitest';
import {
  canAssign,
  canComment,
  canDecideExtension,
  canEscalateSupervision,
  canRectify,
  canReport,
  canVerify,
  canView,
  formatScope,
  type HazardContext,
  parseScope,
  personActor,
  roleAssignmentSchema,
  SYSTEM_ACTOR,
  scopeCovers,
  type UnitContext,
} from '../../../src/domain/permissions.js';
import { people, unit } from './fixtures.js';

const hazard: HazardContext = {
  ...unit,
  reporter: 'insp-town',
  responsible: 'worker',
  rectifiedBy: null,
  rectifiers: [],
};
const allowed = { allowed: true };

describe('scopes', () => {
  it('parse and format the four forms of interface.md', () => {
    expect(parseScope('county')).toEqual({ kind: 'county' });
    expect(parseScope('region:town-01')).toEqual({ kind: 'region', code: 'town-01' });
    expect(parseScope(' department:yjj ')).toEqual({ kind: 'department', code: 'yjj' });
    expect(parseScope('enterprise:e001')).toEqual({ kind: 'enterprise', code: 'e001' });
    expect(formatScope({ kind: 'region', code: 'town-01' })).toBe('region:town-01');
    expect(formatScope({ kind: 'county' })).toBe('county');
  });

  it('refuse anything else, with a message saying what to write', () => {
    for (const bad of ['', 'province', 'region:', 'town:01', 'region: x', 'County']) expect(parseScope(bad)).toBeNull();
    const result = roleAssignmentSchema.safeParse({ role: 'inspector', scope: 'town-01' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('county, region:<code>, department:<code> or enterprise:<code>');
    expect(roleAssignmentSchema.safeParse({ role: 'boss', scope: 'county' }).success).toBe(false);
    expect(roleAssignmentSchema.parse({ role: 'inspector', scope: 'region:town-01' })).toEqual({
      role: 'inspector',
      scope: { kind: 'region', code: 'town-01' },
    });
  });

  it('cover a unit by region at any level of its path, by department, by enterprise, or everywhere', () => {
    expect(scopeCovers({ kind: 'county' }, unit)).toBe(true);
    expect(scopeCovers({ kind: 'region', code: 'town-01' }, unit)).toBe(true);
    expect(scopeCovers({ kind: 'region', code: 'county-x' }, unit)).toBe(true);
    expect(scopeCovers({ kind: 'region', code: 'town-02' }, unit)).toBe(false);
    expect(scopeCovers({ kind: 'department', code: 'yjj' }, unit)).toBe(true);
    expect(scopeCovers({ kind: 'department', code: 'scj' }, unit)).toBe(false);
    expect(scopeCovers({ kind: 'enterprise', code: 'e001' }, unit)).toBe(true);
    expect(scopeCovers({ kind: 'enterprise', code: 'e002' }, unit)).toBe(false);
  });
});

describe('canReport', () => {
  it('lets inspectors report units in their scope (township, county, department, higher region)', () => {
    expect(canReport(people.townInspector, unit)).toEqual(allowed);
    expect(canReport(people.countyInspector, unit)).toEqual(allowed);
    expect(canReport(people.deptInspector, unit)).toEqual(allowed);
    const regionUp = personActor('insp-up', [{ role: 'inspector', scope: { kind: 'region', code: 'county-x' } }]);
    expect(canReport(regionUp, unit)).toEqual(allowed);
  });

  it('lets the unit report itself through its principal or safety officer (自查自报)', () => {
    expect(canReport(people.boss, unit)).toEqual(allowed);
    expect(canReport(people.safety, unit)).toEqual(allowed);
    const byRoleOnly = personActor('deputy', [
      { role: 'enterprise_safety_officer', scope: { kind: 'enterprise', code: 'e001' } },
    ]);
    expect(canReport(byRoleOnly, unit)).toEqual(allowed);
  });

  it('tells an inspector of another township that the unit is outside their scope', () => {
    expect(canReport(people.otherTownInspector, unit)).toEqual({
      allowed: false,
      reason: '该单位不在您的检查范围内，请联系所属乡镇或主管部门的检查员上报',
    });
    expect(canReport(people.otherDeptInspector, unit).allowed).toBe(false);
  });

  it('tells leaders and strangers who can report and how to get the role', () => {
    for (const actor of [people.stranger, people.townLeader, people.countyLeader, people.worker]) {
      const decision = canReport(actor, unit);
      expect(decision.allowed).toBe(false);
      if (!decision.allowed) expect(decision.reason).toContain('请联系管理员分配角色');
    }
    expect(canReport(SYSTEM_ACTOR, unit).allowed).toBe(false);
  });

  it('reaches an unregistered unit through its township only', () => {
    const unverified: UnitContext = {
      enterpriseCode: null,
      regionPath: ['county-x', 'town-01'],
      departmentCode: null,
      principal: null,
      safetyOfficer: null,
    };
    expect(canReport(people.townInspector, unverified)).toEqual(allowed);
    expect(canReport(people.deptInspector, unverified).allowed).toBe(false);
    expect(canReport(people.enterpriseInspector, unverified).allowed).toBe(false);
  });
});

describe('canRectify', () => {
  it('allows the responsible person and the unit principal or safety officer', () => {
    expect(canRectify(people.worker, hazard)).toEqual(allowed);
    expect(canRectify(people.boss, hazard)).toEqual(allowed);
    expect(canRectify(people.safety, hazard)).toEqual(allowed);
  });

  it('refuses inspectors, leaders, strangers and the system', () => {
    for (const actor of [people.townInspector, people.townLeader, people.countyLeader, people.stranger, SYSTEM_ACTOR]) {
      expect(canRectify(actor, hazard).allowed).toBe(false);
    }
    expect(canRectify(people.stranger, hazard)).toEqual({
      allowed: false,
      reason: '只有该隐患的整改责任人或单位主要负责人、安全管理员可以操作整改',
    });
  });
});

describe('canVerify', () => {
  it('allows any inspector whose scope reaches the unit', () => {
    expect(canVerify(people.townInspector, hazard)).toEqual(allowed);
    expect(canVerify(people.countyInspector, hazard)).toEqual(allowed);
    expect(canVerify(people.deptInspector, hazard)).toEqual(allowed);
  });

  it('never lets the person who rectified verify, even an inspector', () => {
    const rectifiedByInspector = { ...hazard, rectifiedBy: 'insp-town' };
    expect(canVerify(people.townInspector, rectifiedByInspector)).toEqual({
      allowed: false,
      reason: '整改人不能验收自己的整改，请由其他检查员验收',
    });
    expect(canVerify(people.countyInspector, rectifiedByInspector)).toEqual(allowed);
  });

  it('refuses inspectors elsewhere, leaders, the unit and strangers', () => {
    for (const actor of [
      people.otherTownInspector,
      people.otherDeptInspector,
      people.townLeader,
      people.countyLeader,
      people.boss,
      people.worker,
      people.stranger,
      SYSTEM_ACTOR,
    ]) {
      expect(canVerify(actor, hazard).allowed).toBe(false);
    }
  });
});

describe('canDecideExtension', () => {
  it('allows inspectors of the township, the supervising department or the county', () => {
    expect(canDecideExtension(people.townInspector, hazard, 'worker')).toEqual(allowed);
    expect(canDecideExtension(people.deptInspector, hazard, 'worker')).toEqual(allowed);
    expect(canDecideExtension(people.countyInspector, hazard, 'worker')).toEqual(allowed);
  });

  it('refuses an enterprise-scoped inspector, inspectors elsewhere, leaders and the unit', () => {
    for (const actor of [
      people.enterpriseInspector,
      people.otherTownInspector,
      people.otherDeptInspector,
      people.townLeader,
      people.boss,
      people.stranger,
      SYSTEM_ACTOR,
    ]) {
      expect(canDecideExtension(actor, hazard, 'worker').allowed).toBe(false);
    }
  });

  it('refuses the person who asked for the extension', () => {
    expect(canDecideExtension(people.townInspector, hazard, 'insp-town')).toEqual({
      allowed: false,
      reason: '不能审批自己提出的延期申请',
    });
  });
});

describe('canAssign and canEscalateSupervision', () => {
  it('let inspectors in scope and the service assign; nobody else', () => {
    expect(canAssign(people.townInspector, hazard)).toEqual(allowed);
    expect(canAssign(SYSTEM_ACTOR, hazard)).toEqual(allowed);
    expect(canAssign(people.boss, hazard).allowed).toBe(false);
    expect(canAssign(people.countyLeader, hazard).allowed).toBe(false);
    expect(canAssign(people.otherTownInspector, hazard).allowed).toBe(false);
  });

  it('let the service, county leaders and township/department/county inspectors list a hazard for supervision', () => {
    expect(canEscalateSupervision(SYSTEM_ACTOR, hazard)).toEqual(allowed);
    expect(canEscalateSupervision(people.countyLeader, hazard)).toEqual(allowed);
    expect(canEscalateSupervision(people.townInspector, hazard)).toEqual(allowed);
    expect(canEscalateSupervision(people.deptInspector, hazard)).toEqual(allowed);
    expect(canEscalateSupervision(people.enterpriseInspector, hazard).allowed).toBe(false);
    expect(canEscalateSupervision(people.townLeader, hazard).allowed).toBe(false);
    expect(canEscalateSupervision(people.boss, hazard).allowed).toBe(false);
  });
});

describe('canView and canComment', () => {
  it('let anyone whose role scope reaches the unit view and comment: leaders, inspectors, admins, the unit', () => {
    for (const actor of [
      people.townLeader,
      people.townMainLeader,
      people.deptLeader,
      people.countyLeader,
      people.townInspector,
      people.admin,
      people.boss,
    ]) {
      expect(canView(actor, hazard)).toEqual(allowed);
      expect(canComment(actor, hazard)).toEqual(allowed);
    }
  });

  it('let the people named on the hazard view it without any role', () => {
    expect(canView(people.worker, hazard)).toEqual(allowed);
    expect(canView(people.safety, hazard)).toEqual(allowed);
    const reporterElsewhere = { ...hazard, reporter: 'insp-town2' };
    expect(canView(people.otherTownInspector, reporterElsewhere)).toEqual(allowed);
  });

  it('refuse leaders of other townships and strangers', () => {
    expect(canView(people.otherTownLeader, hazard)).toEqual({
      allowed: false,
      reason: '您无权查看该隐患（不在您的管辖范围内）',
    });
    expect(canView(people.stranger, hazard).allowed).toBe(false);
    expect(canComment(people.stranger, hazard).allowed).toBe(false);
    expect(canComment(SYSTEM_ACTOR, hazard).allowed).toBe(false);
  });
});
