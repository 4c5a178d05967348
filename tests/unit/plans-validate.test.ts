import { describe, expect, it } from 'vitest';
import { checkPlanReferences, type PlanDirectory, parsePlans } from '../../src/inspections/plans/validate.js';

const good = {
  code: 'wh-monthly',
  name: '危化企业每月检查',
  owner: 'department:yjj',
  from: '2026-01-01',
  to: '2026-12-31',
  every: 'month',
  units: { sectors: ['危险化学品'] },
};

// county(1) → town-01(2) → town-01-a(3); county → town-02(4)
const directory: PlanDirectory = {
  regions: new Map([
    ['county', { id: 1, name: '某县', parentId: null }],
    ['town-01', { id: 2, name: '城关镇', parentId: 1 }],
    ['town-01-a', { id: 3, name: '城关社区', parentId: 2 }],
    ['town-02', { id: 4, name: '白鹤镇', parentId: 1 }],
  ]),
  departments: new Map([
    ['yjj', { id: 1, name: '县应急管理局', sectors: ['工贸', '危险化学品'] }],
    ['scjgj', { id: 2, name: '县市场监督管理局', sectors: ['特种设备'] }],
  ]),
  enterprises: new Map([
    ['e001', { id: 1, name: '城关化工有限公司', regionId: 2, departmentId: 1, sectors: ['危险化学品'] }],
    ['e002', { id: 2, name: '白鹤电梯维保站', regionId: 4, departmentId: 2, sectors: ['特种设备'] }],
    ['e003', { id: 3, name: '社区机械加工厂', regionId: 3, departmentId: 1, sectors: ['工贸', '特种设备'] }],
  ]),
};

const check = (plans: unknown[]) => {
  const parsed = parsePlans({ plans });
  return [...parsed.issues, ...checkPlanReferences(parsed.drafts, directory)];
};

describe('parsePlans', () => {
  it('reads a well-formed plan, lists as written, and no sample as null', () => {
    const { plans, issues } = parsePlans({
      plans: [{ ...good, units: { sectors: ['危险化学品', '工贸', '危险化学品'] } }],
    });
    expect(issues).toEqual([]);
    expect(plans[0]).toMatchObject({
      code: 'wh-monthly',
      owner: { kind: 'department', code: 'yjj' },
      every: 'month',
      units: { sectors: ['危险化学品', '工贸', '危险化学品'], regions: [], enterprises: [] },
      sample: null,
    });
  });

  it('refuses a body without a plans array', () => {
    expect(parsePlans([]).issues).toEqual([{ path: 'plans', reason: expect.stringContaining('{"plans"') }]);
    expect(parsePlans({ plan: [] }).issues[0]!.path).toBe('plans');
  });

  it('lists every problem of every plan with its path, naming the known fields for an unknown one', () => {
    const issues = check([
      { ...good, colour: 'red', units: { sector: ['工贸'] } },
      { ...good, code: 'bad code!', from: '2026-02-30', to: '2026-01-01', every: 'weekly', owner: 'county' },
      { ...good, code: 'wh-monthly' },
      { ...good, code: 's1', sample: { share: 0 } },
      { ...good, code: 's2', sample: { share: 0.2, count: 3 } },
      { ...good, code: 's3', sample: { count: 2.5 } },
      { ...good, code: 's4', sample: {} },
      { ...good, code: 's5', name: '', units: { sectors: ['化工'] } },
      { code: 'bare' },
    ]);
    const at = (path: string) => issues.filter((i) => i.path === path).map((i) => i.reason);
    expect(at('plans[0].colour')[0]).toMatch(/不认识的字段“colour”.*code、name、owner、from、to、every、units、sample/);
    expect(at('plans[0].units.sector')[0]).toMatch(/sectors、regions、enterprises/);
    expect(at('plans[1].code')[0]).toMatch(/字母、数字/);
    expect(at('plans[1].from')[0]).toMatch(/真实存在的日期/);
    expect(at('plans[1].every')[0]).toMatch(/"month"/);
    expect(at('plans[1].owner')[0]).toMatch(/department:<部门编码>/);
    expect(at('plans[2].code')[0]).toMatch(/重复（plans\[0\] 已有）/);
    expect(at('plans[3].sample.share')[0]).toMatch(/大于 0 且不超过 1/);
    expect(at('plans[4].sample')[0]).toMatch(/只能写一个/);
    expect(at('plans[5].sample.count')[0]).toMatch(/不小于 1 的整数/);
    expect(at('plans[6].sample')[0]).toMatch(/share（比例）或 count（数量）之一/);
    expect(at('plans[7].name')[0]).toMatch(/缺少计划名称/);
    expect(at('plans[7].units.sectors[0]')[0]).toMatch(/未知行业“化工”/);
    expect(at('plans[8].name')).toHaveLength(1);
    expect(at('plans[8].owner')).toHaveLength(1);
    expect(at('plans[8].every')).toHaveLength(1);
  });

  it('checks from ≤ to', () => {
    expect(check([{ ...good, from: '2026-05-01', to: '2026-04-30' }])).toEqual([
      { path: 'plans[0].to', reason: '结束日期 2026-04-30 早于开始日期 2026-05-01' },
    ]);
    expect(check([{ ...good, from: '2026-05-01', to: '2026-05-01', every: 'once' }])).toEqual([]);
  });
});

describe('checkPlanReferences', () => {
  it('names the code to use when a name was written', () => {
    const issues = check([
      {
        ...good,
        owner: 'department:县应急管理局',
        units: { regions: ['城关镇'], enterprises: ['城关化工有限公司', 'e999'] },
      },
    ]);
    expect(issues).toEqual([
      { path: 'plans[0].owner', reason: expect.stringMatching(/未知部门 县应急管理局.*请填写它的编码 yjj/) },
      { path: 'plans[0].units.regions[0]', reason: expect.stringMatching(/未知区域 城关镇.*请填写它的编码 town-01/) },
      {
        path: 'plans[0].units.enterprises[0]',
        reason: expect.stringMatching(/未知企业 城关化工有限公司.*请填写它的编码 e001/),
      },
      { path: 'plans[0].units.enterprises[1]', reason: expect.stringMatching(/未知企业 e999/) },
    ]);
  });

  it('keeps a plan within its owner: a township reaches its own regions, a department its units and sectors', () => {
    expect(
      check([{ ...good, owner: 'region:town-01', units: { regions: ['town-01-a'], enterprises: ['e001', 'e003'] } }]),
    ).toEqual([]);
    const township = check([
      { ...good, owner: 'region:town-01', units: { regions: ['town-02'], enterprises: ['e002'] } },
    ]);
    expect(township.map((i) => i.reason)).toEqual([
      '区域 town-02（白鹤镇）不在负责单位 town-01 的范围内',
      '企业 e002（白鹤电梯维保站）不在负责区域 town-01 内',
    ]);
    // e003 is the emergency bureau's, but its boilers (特种设备) are the market regulator's.
    expect(check([{ ...good, owner: 'department:scjgj', units: { enterprises: ['e002', 'e003'] } }])).toEqual([]);
    expect(check([{ ...good, owner: 'department:scjgj', units: { enterprises: ['e001'] } }])[0]!.reason).toMatch(
      /e001（城关化工有限公司）既不归 scjgj/,
    );
  });
});
