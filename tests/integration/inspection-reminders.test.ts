/**
 * 查 in the reminders (#20 point 6): the township leader's daily digest gains a coverage line (done / due / overdue
 * for inspection, never inspected), and on Mondays each inspector with units due gets one to-inspect card — once per
 * week however often the digest slot runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { checklists, enterprises, inspections, people } from '../../src/db/schema/index.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const ADMIN = 'inspection-reminders-admin-token-0123456789';
/** Monday 2026-06-01, 08:30 in Asia/Shanghai: the digest slot. */
const MONDAY = new Date('2026-06-01T08:30:00+08:00');
const TUESDAY = new Date('2026-06-02T08:30:00+08:00');

const DIRECTORY = {
  regions: [
    { code: 'town-01', name: '城关镇', parent: null },
    { code: 'town-02', name: '白鹤镇', parent: null },
  ],
  departments: [{ code: 'yjj', name: '县应急管理局', sectors: ['工贸', '危险化学品'] }],
  people: [
    {
      code: 'p001',
      name: '城关分管',
      openId: 'ou_leader',
      roles: [{ role: 'township_leader_in_charge', scope: 'region:town-01' }],
    },
    { code: 'p002', name: '城关检查员', openId: 'ou_insp', roles: [{ role: 'inspector', scope: 'region:town-01' }] },
    { code: 'p003', name: '白鹤检查员', openId: 'ou_insp2', roles: [{ role: 'inspector', scope: 'region:town-02' }] },
    { code: 'p004', name: '负责人', openId: 'ou_boss', roles: [] },
  ],
  enterprises: [
    { code: 'e01', name: '城关化工', region: 'town-01', sectors: ['危险化学品'], department: 'yjj', principal: 'p004' },
    {
      code: 'e02',
      name: '城关油漆仓库',
      region: 'town-01',
      sectors: ['危险化学品'],
      department: 'yjj',
      principal: 'p004',
    },
    { code: 'e03', name: '城关机械厂', region: 'town-01', sectors: ['工贸'], department: 'yjj', principal: 'p004' },
    { code: 'e04', name: '白鹤纺织厂', region: 'town-02', sectors: ['工贸'], department: 'yjj', principal: 'p004' },
  ],
};

const PLANS = {
  plans: [
    {
      code: 'town1-monthly',
      name: '城关镇每月全覆盖',
      owner: 'region:town-01',
      from: '2026-01-01',
      to: '2026-12-31',
      every: 'month',
    },
  ],
};

describe('coverage in the digest and the weekly to-inspect card', () => {
  let service: TestService;
  const cardsTo = (openId: string, text: string) =>
    service.sim
      .messages({ to: openId })
      .filter((m) => m.senderType === 'app' && JSON.stringify(m.content).includes(text));

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: ADMIN }, { clock: new ManualClock(MONDAY) });
    for (const p of DIRECTORY.people) service.sim.addUser({ openId: p.openId, name: p.name });
    for (const [path, body] of [
      ['/api/admin/directory', DIRECTORY],
      ['/api/admin/plans', PLANS],
    ] as const) {
      const response = await fetch(`${service.url}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status, await response.text()).toBe(200);
    }
    // e01 inspected in May (due again in June), e02 never (overdue: May was missed), e03 today (done).
    const db = service.deps.database.db;
    const [list] = await db
      .insert(checklists)
      .values({ code: 'test-01', name: '测试检查表', sector: '危险化学品' })
      .returning({ id: checklists.id });
    const units = new Map((await db.select().from(enterprises)).map((e) => [e.code, e]));
    const [inspector] = await db.select({ id: people.id }).from(people).limit(1);
    for (const [code, date] of [
      ['e01', '2026-05-10'],
      ['e03', '2026-06-01'],
    ] as const) {
      const unit = units.get(code)!;
      await db.insert(inspections).values({
        status: 'submitted',
        code: `JC-2026-00000${code.slice(-1)}`,
        year: 2026,
        sequence: Number(code.slice(-1)),
        enterpriseId: unit.id,
        regionId: unit.regionId,
        departmentId: unit.departmentId,
        sector: unit.sectors[0]!,
        kind: 'routine',
        checklistId: list!.id,
        checklistCode: 'test-01',
        checklistName: '测试检查表',
        checklistVersion: 1,
        inspectorId: inspector!.id,
        date,
        startedAt: new Date(`${date}T00:00:00Z`),
        submittedAt: new Date(`${date}T01:00:00Z`),
      });
    }
  });
  afterAll(async () => service?.stop());

  it("puts the township's coverage in its leader's digest", async () => {
    await service.deps.reminders.digest({ at: MONDAY });
    const [digest] = await eventually(
      () => {
        const found = cardsTo('ou_leader', '每日隐患督办简报');
        return found.length ? found : null;
      },
      10_000,
      'the digest',
    );
    const text = JSON.stringify(digest!.content);
    expect(text).toContain('检查覆盖');
    expect(text).toContain('应检 3 家，已检 **1**，待检 1，🔴 逾期未检 **1**，其中从未检查 **1** 家');
  });

  it('sends each inspector with units due one card on Monday, and no second one', async () => {
    const [card] = await eventually(
      () => {
        const found = cardsTo('ou_insp', '本周待检单位');
        return found.length ? found : null;
      },
      10_000,
      'the weekly card',
    );
    const text = JSON.stringify(card!.content);
    // Overdue first, then due; the unit done this period is not listed.
    expect(text.indexOf('城关油漆仓库')).toBeGreaterThan(-1);
    expect(text.indexOf('城关油漆仓库')).toBeLessThan(text.indexOf('城关化工'));
    expect(text).toContain('从未检查');
    expect(text).not.toContain('城关机械厂');
    // 白鹤镇 has no plan: its inspector gets nothing.
    expect(cardsTo('ou_insp2', '待检')).toEqual([]);

    // The digest slot taken over and run again, and Tuesday's digest: still one weekly card.
    await service.deps.reminders.digest({ at: MONDAY });
    await service.deps.reminders.digest({ at: TUESDAY });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(cardsTo('ou_insp', '本周待检单位')).toHaveLength(1);
  });

  it("answers 待检 with the asker's to-inspect list and coverage, and the menu key coverage alike", async () => {
    await service.sim.sendText('ou_insp', '待检');
    const [card] = await eventually(
      () => {
        const found = cardsTo('ou_insp', '"待检单位"');
        return found.length ? found : null;
      },
      10_000,
      'the 待检 answer',
    );
    const text = JSON.stringify(card!.content);
    expect(text).toContain('应检 3 家，已检 **1**（33.3%），待检 1，🔴 逾期未检 **1**');
    expect(text.indexOf('城关油漆仓库')).toBeLessThan(text.indexOf('城关化工'));
    // 白鹤镇's inspector: no plan covers it, and the card says how plans are set.
    await service.sim.clickMenu('ou_insp2', 'coverage');
    const [none] = await eventually(
      () => {
        const found = cardsTo('ou_insp2', '待检单位');
        return found.length ? found : null;
      },
      10_000,
      'the menu answer',
    );
    expect(JSON.stringify(none!.content)).toContain('没有检查计划要求检查的单位');
  });
});
