import { describe, expect, it } from 'vitest';
import { registerFixedOnSiteHazard } from '../../../src/domain/fixed-on-site.js';
import { INSPECTION_KINDS } from '../../../src/domain/inspection.js';
import {
  canInspect,
  checkAnswers,
  checkCompanions,
  checkFindings,
  checkInspectionDate,
  countResults,
  describeCounts,
  GOVERNMENT_KINDS,
  hazardSourceOf,
  inspectionKindsFor,
  MAX_FINDINGS_LENGTH,
} from '../../../src/domain/inspection-rules.js';
import { SYSTEM_ACTOR } from '../../../src/domain/permissions.js';
import { local, people, unit } from './fixtures.js';

describe('who may inspect which unit (canInspect)', () => {
  it('an inspector whose scope covers the unit runs every kind but self', () => {
    for (const actor of [
      people.townInspector,
      people.countyInspector,
      people.deptInspector,
      people.enterpriseInspector,
    ]) {
      for (const kind of GOVERNMENT_KINDS)
        expect(canInspect(actor, unit, kind), `${actor.person} ${kind}`).toEqual({ allowed: true });
      const self = canInspect(actor, unit, 'self');
      expect(self.allowed).toBe(false);
      expect(!self.allowed && self.reason).toContain('检查员请选择其他检查类型');
    }
  });

  it('an inspector outside the unit is told it is not in their scope', () => {
    for (const actor of [people.otherTownInspector, people.otherDeptInspector]) {
      const decision = canInspect(actor, unit, 'routine');
      expect(decision.allowed).toBe(false);
      expect(!decision.allowed && decision.reason).toContain('不在您的检查范围内');
    }
  });

  it("the unit's principal and safety officer run only self, and only on their own unit", () => {
    for (const officer of [people.boss, people.safety]) {
      expect(canInspect(officer, unit, 'self')).toEqual({ allowed: true });
      for (const kind of GOVERNMENT_KINDS) {
        const decision = canInspect(officer, unit, kind);
        expect(decision.allowed).toBe(false);
        expect(!decision.allowed && decision.reason).toContain('企业自查');
      }
      const elsewhere = { ...unit, enterpriseCode: 'e002', principal: 'other', safetyOfficer: null };
      expect(canInspect(officer, elsewhere, 'self').allowed).toBe(false);
    }
  });

  it('leaders, strangers and the service may not inspect', () => {
    for (const actor of [people.townLeader, people.countyLeader, people.worker, people.stranger]) {
      for (const kind of INSPECTION_KINDS) expect(canInspect(actor, unit, kind).allowed).toBe(false);
    }
    expect(canInspect(SYSTEM_ACTOR, unit, 'routine').allowed).toBe(false);
  });

  it('the form offers an inspector the four government kinds, a unit officer only self', () => {
    expect(inspectionKindsFor(people.townInspector.roles, false)).toEqual([
      'routine',
      'campaign',
      'unannounced',
      'reinspection',
    ]);
    expect(inspectionKindsFor(people.boss.roles, true)).toEqual(['self']);
    expect(inspectionKindsFor(people.townInspector.roles, true)).toEqual([...INSPECTION_KINDS]);
    expect(inspectionKindsFor(people.townLeader.roles, false)).toEqual([]);
  });
});

describe('the day of the visit', () => {
  it('is today or up to 30 days back, never in the future', () => {
    expect(checkInspectionDate('2026-05-11', '2026-05-11')).toBeNull();
    expect(checkInspectionDate('2026-04-11', '2026-05-11')).toBeNull();
    expect(checkInspectionDate('2026-04-10', '2026-05-11')).toContain('不能早于 2026-04-11');
    expect(checkInspectionDate('2026-05-12', '2026-05-11')).toContain('不能晚于今天');
    expect(checkInspectionDate('2026-02-30', '2026-05-11')).toBe('请选择检查日期');
    expect(checkInspectionDate('', '2026-05-11')).toBe('请选择检查日期');
  });
});

describe('companions', () => {
  it('must be inspectors; those who are not are named', () => {
    expect(checkCompanions([{ name: '甲', roles: people.countyInspector.roles }])).toBeNull();
    expect(
      checkCompanions([
        { name: '甲', roles: people.countyInspector.roles },
        { name: '乙', roles: people.townLeader.roles },
        { name: '丙', roles: [] },
      ]),
    ).toBe('同行检查人须为检查员：乙、丙 不是检查员');
  });
});

describe('a submitted checklist', () => {
  const items = [{ code: '1' }, { code: '2' }, { code: '2.1' }, { code: '3' }];

  it('is complete when every item has pass, fail, fixed_on_site or na', () => {
    const check = checkAnswers(items, { '1': 'pass', '2': 'fail', '2.1': 'fixed_on_site', '3': 'na' });
    expect(check).toEqual({
      complete: true,
      results: { '1': 'pass', '2': 'fail', '2.1': 'fixed_on_site', '3': 'na' },
      missing: [],
    });
    expect(countResults(Object.values(check.results))).toEqual({ pass: 1, fail: 1, fixed_on_site: 1, na: 1 });
    expect(describeCounts({ pass: 12, fail: 1, fixed_on_site: 2, na: 3 })).toBe(
      '合格 12 · 不合格 1 · 立查立改 2 · 不适用 3',
    );
  });

  it('names the missing items in order, keeping the valid answers (an unknown value counts as missing)', () => {
    const check = checkAnswers(items, { '1': 'pass', '2': 'pending', '3': 'ok' });
    expect(check.complete).toBe(false);
    expect(check.missing).toEqual(['2', '2.1', '3']);
    expect(check.results).toEqual({ '1': 'pass' });
  });

  it('takes findings up to 2000 characters, trimmed', () => {
    expect(checkFindings('  现场整洁  ')).toEqual({ ok: true, text: '现场整洁' });
    expect(checkFindings(undefined)).toEqual({ ok: true, text: '' });
    expect(checkFindings('字'.repeat(MAX_FINDINGS_LENGTH))).toEqual({
      ok: true,
      text: '字'.repeat(MAX_FINDINGS_LENGTH),
    });
    const long = checkFindings('字'.repeat(MAX_FINDINGS_LENGTH + 1));
    expect(long).toEqual({ ok: false, message: '检查情况最多 2000 个字，当前 2001 个字' });
  });

  it('counts what a self-inspection finds apart from what the government finds', () => {
    expect(hazardSourceOf('self')).toBe('self_inspection');
    for (const kind of GOVERNMENT_KINDS) expect(hazardSourceOf(kind)).toBe('inspection');
  });
});

describe('立查立改 (registerFixedOnSiteHazard)', () => {
  it('is registered and closed at once, its deadline the day of the visit, no one to remind', () => {
    const now = local('2026-05-11 10:00');
    const result = registerFixedOnSiteHazard(
      { unit, grade: 'major', date: '2026-05-11', inspection: 'JC-2026-000001' },
      people.townInspector,
      now,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.hazard).toMatchObject({
      status: 'closed',
      grade: 'major',
      deadline: '2026-05-11',
      closedAt: now,
      closedBy: 'insp-town',
      reporter: 'insp-town',
      responsible: null,
      supervision: 'none',
      suspended: false,
    });
    expect(result.events.map((e) => e.type)).toEqual(['reported', 'closed']);
    expect(result.events[0]).toMatchObject({ fixedOnSite: true, inspection: 'JC-2026-000001' });
    expect(result.events[1]).toMatchObject({ note: expect.stringContaining('立查立改') });
  });

  it('needs the right to report on the unit', () => {
    const result = registerFixedOnSiteHazard(
      { unit, grade: 'general', date: '2026-05-11', inspection: 'JC-2026-000001' },
      people.otherTownInspector,
      local('2026-05-11 10:00'),
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('forbidden');
  });
});
