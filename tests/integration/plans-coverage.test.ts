/**
 * 检查计划, 双随机 and coverage over HTTP (#20 points 5 and 6): the plan import (all problems listed, nothing
 * applied), a draw made once per period even when two first uses race, an admin's redraw logged and superseding,
 * coverage counts on a small county with inspections written by the test, and a read token's scoping.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { checklists, enterprises, inspectionDraws, inspections, people, regions } from '../../src/db/schema/index.js';
import { countedUntil, drawSample, unitCoverage } from '../../src/domain/inspection-periods.js';
import { toInspectFor } from '../../src/inspections/coverage.js';
import { currentDraw, findPlan } from '../../src/inspections/plans/store.js';
import { planCandidates, planSchedule } from '../../src/inspections/plans/units.js';
import { resolveNamedScope } from '../../src/ledger/scope.js';
import { startTestService, type TestService } from '../support/service.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the API's JSON answers as a user would, field by field.
type Json = any;

const ADMIN = 'plans-test-admin-token-0123456789';
const READER = 'plans-test-reader-token-0123456789';
const TOWN_READER = 'plans-town01-reader-token-0123456789';
/** 2026-05-20 10:00 in Asia/Shanghai. */
const NOW = new Date('2026-05-20T02:00:00Z');
const TODAY = '2026-05-20';

const DIRECTORY = {
  regions: [
    { code: 'town-01', name: '城关镇', parent: null },
    { code: 'town-01-a', name: '城关社区', parent: 'town-01' },
    { code: 'town-02', name: '白鹤镇', parent: null },
  ],
  departments: [
    { code: 'yjj', name: '县应急管理局', sectors: ['工贸', '危险化学品'] },
    { code: 'scjgj', name: '县市场监督管理局', sectors: ['特种设备'] },
  ],
  people: [
    { code: 'p001', name: '县检查员', openId: 'ou_insp', roles: [{ role: 'inspector', scope: 'county' }] },
    { code: 'p002', name: '白鹤检查员', openId: 'ou_insp2', roles: [{ role: 'inspector', scope: 'region:town-02' }] },
    { code: 'p003', name: '企业负责人', openId: 'ou_boss', roles: [] },
  ],
  enterprises: [
    { code: 'e01', name: '城关化工', region: 'town-01', sectors: ['危险化学品'], department: 'yjj', principal: 'p003' },
    {
      code: 'e02',
      name: '社区油漆仓库',
      region: 'town-01-a',
      sectors: ['危险化学品'],
      department: 'yjj',
      principal: 'p003',
    },
    { code: 'e03', name: '白鹤化工', region: 'town-02', sectors: ['危险化学品'], department: 'yjj', principal: 'p003' },
    { code: 'e04', name: '城关机械厂', region: 'town-01', sectors: ['工贸'], department: 'yjj', principal: 'p003' },
    {
      code: 'e05',
      name: '白鹤锅炉厂',
      region: 'town-02',
      sectors: ['工贸', '特种设备'],
      department: 'yjj',
      principal: 'p003',
    },
    {
      code: 'e06',
      name: '白鹤电梯站',
      region: 'town-02',
      sectors: ['特种设备'],
      department: 'scjgj',
      principal: 'p003',
    },
    { code: 'e07', name: '城关纺织厂', region: 'town-01', sectors: ['工贸'], department: 'yjj', principal: 'p003' },
    {
      code: 'e08',
      name: '白鹤气体站',
      region: 'town-02',
      sectors: ['危险化学品'],
      department: 'yjj',
      principal: 'p003',
    },
  ],
};

const PLANS = [
  {
    code: 'wh-monthly',
    name: '危化企业每月检查',
    owner: 'department:yjj',
    from: '2026-01-01',
    to: '2026-12-31',
    every: 'month',
    units: { sectors: ['危险化学品'] },
  },
  {
    code: 'town1-quarterly',
    name: '城关镇每季度全覆盖',
    owner: 'region:town-01',
    from: '2026-01-01',
    to: '2026-12-31',
    every: 'quarter',
  },
  {
    code: 'gm-sample',
    name: '工贸双随机',
    owner: 'department:yjj',
    from: '2026-01-01',
    to: '2026-12-31',
    every: 'month',
    units: { sectors: ['工贸'] },
    sample: { count: 2 },
  },
  {
    code: 'bh-spring',
    name: '白鹤镇春季专项',
    owner: 'region:town-02',
    from: '2026-03-01',
    to: '2026-04-30',
    every: 'once',
  },
  {
    code: 'tz-yearly',
    name: '特种设备年度检查',
    owner: 'department:scjgj',
    from: '2026-01-01',
    to: '2026-12-31',
    every: 'year',
  },
];

/** The inspections the test writes: unit, date, kind, status. */
const INSPECTIONS: [string, string, string, string][] = [
  ['e01', '2026-05-10', 'routine', 'submitted'],
  ['e02', '2026-04-15', 'campaign', 'submitted'],
  ['e03', '2026-03-10', 'unannounced', 'submitted'],
  ['e04', '2026-03-20', 'campaign', 'submitted'],
  ['e05', '2026-05-01', 'self', 'submitted'], // self-inspection: counted apart, never for plans
  ['e06', '2026-05-02', 'routine', 'submitted'], // after bh-spring ended: does not do it
  ['e07', '2026-05-05', 'routine', 'open'], // not submitted
  ['e08', '2025-12-01', 'routine', 'submitted'], // before every plan began
];

describe('inspection plans, 双随机 and coverage', () => {
  let service: TestService;
  const request = (method: string, path: string, token: string | null, body?: unknown) =>
    fetch(`${service.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const admin = (method: string, path: string, body?: unknown) => request(method, path, ADMIN, body);
  const read = async (path: string, token = READER): Promise<Json> => {
    const response = await request('GET', path, token);
    const body = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(200);
    return body;
  };
  const db = () => service.deps.database.db;
  const drawRows = (planCode: string) =>
    db().execute(sql`select d.* from inspection_draws d join inspection_plans p on p.id = d.plan_id
      where p.code = ${planCode} order by d.id`);

  beforeAll(async () => {
    service = await startTestService(
      {
        ADMIN_TOKEN: ADMIN,
        API_TOKENS: `dashboard:${READER},town01:${TOWN_READER}`,
        API_TOKEN_SCOPES: 'town01=region:town-01',
      },
      { clock: new ManualClock(NOW) },
    );
    const imported = await admin('PUT', '/api/admin/directory', DIRECTORY);
    expect(imported.status, await imported.text()).toBe(200);

    // Inspections are written by the inspection flow; here, directly (the test only reads coverage).
    const [checklist] = await db()
      .insert(checklists)
      .values({ code: 't-01', name: '测试检查表', sector: '危险化学品' })
      .returning();
    const [inspector] = await db().select().from(people).where(eq(people.code, 'p001'));
    const units = await db().select().from(enterprises);
    let sequence = 0;
    for (const [code, date, kind, status] of INSPECTIONS) {
      const unit = units.find((u) => u.code === code)!;
      sequence += 1;
      const submitted = status === 'submitted';
      await db()
        .insert(inspections)
        .values({
          code: submitted ? `JC-2026-${String(sequence).padStart(6, '0')}` : null,
          year: submitted ? 2026 : null,
          sequence: submitted ? sequence : null,
          status,
          enterpriseId: unit.id,
          regionId: unit.regionId,
          departmentId: unit.departmentId,
          sector: unit.sectors[0]!,
          kind,
          checklistId: checklist!.id,
          checklistCode: checklist!.code,
          checklistName: checklist!.name,
          checklistVersion: 1,
          inspectorId: inspector!.id,
          date,
          startedAt: new Date(`${date}T01:00:00Z`),
          submittedAt: submitted ? new Date(`${date}T02:00:00Z`) : null,
        });
    }
  });
  afterAll(async () => {
    await service?.stop();
  });

  describe('PUT /api/admin/plans', () => {
    it('lists every problem with its path and applies nothing', async () => {
      const response = await admin('PUT', '/api/admin/plans', {
        plans: [
          PLANS[0],
          { ...PLANS[1], owner: 'region:城关镇', every: 'weekly' },
          { ...PLANS[2], sample: { share: 0.2, count: 2 }, units: { sectors: ['工贸'], enterprises: ['e06'] } },
          { ...PLANS[3], from: '2026-05-01', extra: 1 },
        ],
      });
      const body: Json = await response.json();
      expect(response.status).toBe(400);
      expect(body.error.code).toBe('invalid_plans');
      expect(body.error.message).toMatch(/6 处问题，未导入任何内容/);
      expect(body.error.details).toEqual([
        { path: 'plans[1].every', reason: expect.stringMatching(/every 应为/) },
        { path: 'plans[1].owner', reason: expect.stringMatching(/“城关镇”是名称，请填写它的编码 town-01/) },
        { path: 'plans[2].sample', reason: expect.stringMatching(/只能写一个/) },
        { path: 'plans[2].units.enterprises[0]', reason: expect.stringMatching(/e06（白鹤电梯站）既不归 yjj/) },
        { path: 'plans[3].extra', reason: expect.stringMatching(/不认识的字段“extra”/) },
        { path: 'plans[3].to', reason: '结束日期 2026-04-30 早于开始日期 2026-05-01' },
      ]);
      expect((await read('/api/admin/plans', ADMIN)).plans).toEqual([]);
    });

    it('refuses anything but JSON, a bad mode, and a stranger', async () => {
      const text = await fetch(`${service.url}/api/admin/plans`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'text/plain' },
        body: 'plans',
      });
      expect(text.status).toBe(415);
      expect(((await text.json()) as Json).error.code).toBe('unsupported_media_type');
      expect((await admin('PUT', '/api/admin/plans?mode=upsert', { plans: [] })).status).toBe(400);
      expect((await request('PUT', '/api/admin/plans', READER, { plans: [] })).status).toBe(401);
      expect((await request('GET', '/api/admin/plans', null)).status).toBe(401);
    });

    it('imports, answers the plans back in the same format, and changes nothing when the same file comes again', async () => {
      const first = await admin('PUT', '/api/admin/plans', { plans: PLANS });
      expect(await first.json()).toEqual({
        mode: 'replace',
        created: 5,
        updated: 0,
        unchanged: 0,
        deactivated: 0,
        changed: true,
      });
      const listed: Json = await read('/api/admin/plans', ADMIN);
      expect(listed.plans.map((p: Json) => p.code)).toEqual([
        'bh-spring',
        'gm-sample',
        'town1-quarterly',
        'tz-yearly',
        'wh-monthly',
      ]);
      expect(listed.plans.find((p: Json) => p.code === 'gm-sample')).toEqual({ ...PLANS[2] });
      expect(listed.plans.find((p: Json) => p.code === 'town1-quarterly')).toEqual({ ...PLANS[1], units: {} });
      // What GET answers can be PUT back as it is.
      const again = await admin('PUT', '/api/admin/plans', listed);
      expect(await again.json()).toMatchObject({ unchanged: 5, created: 0, updated: 0, changed: false });
      expect(listed.versions['wh-monthly']).toBe(1);
    });

    it('merges, bumping the version of a changed plan; replace deactivates the plans it leaves out', async () => {
      const merged = await admin('PUT', '/api/admin/plans?mode=merge', {
        plans: [{ ...PLANS[0], name: '危化企业每月检查（修订）' }],
      });
      expect(await merged.json()).toMatchObject({ mode: 'merge', updated: 1, unchanged: 0, deactivated: 0 });
      const replaced = await admin('PUT', '/api/admin/plans', { plans: PLANS.slice(1) });
      expect(await replaced.json()).toMatchObject({ mode: 'replace', updated: 0, unchanged: 4, deactivated: 1 });
      let listed: Json = await read('/api/admin/plans', ADMIN);
      expect(listed.inactive.map((p: Json) => p.code)).toEqual(['wh-monthly']);
      expect(listed.versions['wh-monthly']).toBe(3);
      const restored = await admin('PUT', '/api/admin/plans', { plans: PLANS });
      expect(await restored.json()).toMatchObject({ updated: 1, unchanged: 4 });
      listed = await read('/api/admin/plans', ADMIN);
      expect(listed.inactive).toEqual([]);
      expect(listed.versions).toMatchObject({ 'wh-monthly': 4, 'gm-sample': 1 });
    });
  });

  describe('双随机 draws', () => {
    it('are made once per period, even when two first uses come at once', async () => {
      const [a, b] = await Promise.all([read('/api/coverage?plan=gm-sample'), read('/api/coverage?plan=gm-sample')]);
      expect(a.plans[0].draw).toEqual(b.plans[0].draw);
      const rows = (await drawRows('gm-sample')) as unknown as { rows: Json[] };
      expect(rows.rows).toHaveLength(1);
      const draw = rows.rows[0];
      expect(draw).toMatchObject({ period_start: expect.anything(), drawn_by: 'auto', superseded_at: null });
      expect(a.plans[0].draw).toMatchObject({ seed: draw.seed, candidateCount: 3, picked: 2 });

      // The function itself, raced directly for the next period: still one row.
      const plan = (await findPlan(db(), 'gm-sample'))!;
      const june = { start: '2026-06-01', end: '2026-06-30' };
      const [x, y] = await Promise.all([currentDraw(db(), plan, june, NOW), currentDraw(db(), plan, june, NOW)]);
      expect(x.id).toBe(y.id);
      const current = await db()
        .select()
        .from(inspectionDraws)
        .where(and(eq(inspectionDraws.planId, plan.id), isNull(inspectionDraws.supersededAt)));
      expect(current.map((d) => d.periodStart).sort()).toEqual(['2026-05-01', '2026-06-01']);
    });

    it('record a seed that reproduces the pick', async () => {
      const plan = (await findPlan(db(), 'gm-sample'))!;
      const candidates = await planCandidates(db(), plan);
      expect(candidates.map((c) => c.code)).toEqual(['e04', 'e05', 'e07']);
      const { draws }: Json = await read('/api/admin/plans/gm-sample/draws', ADMIN);
      const may = draws.find((d: Json) => d.period.start === '2026-05-01');
      expect(may).toMatchObject({ candidateCount: 3, drawnBy: 'auto', reason: null, supersededAt: null });
      expect(may.units).toEqual(drawSample(may.seed, candidates, { count: 2 }).map((u) => u.code));
    });

    it('are not redrawn when the plan is edited', async () => {
      const before: Json = await read('/api/coverage?plan=gm-sample');
      const edited = await admin('PUT', '/api/admin/plans?mode=merge', {
        plans: [{ ...PLANS[2], sample: { count: 3 } }],
      });
      expect(await edited.json()).toMatchObject({ updated: 1 });
      const after: Json = await read('/api/coverage?plan=gm-sample');
      expect(after.plans[0].draw).toEqual(before.plans[0].draw);
      expect(after.plans[0].counts.units).toBe(2);
      await admin('PUT', '/api/admin/plans?mode=merge', { plans: [PLANS[2]] });
    });

    it('are redrawn by an admin only with a reason, logged, the old one kept as superseded', async () => {
      const noReason = await admin('POST', '/api/admin/plans/gm-sample/redraw', {});
      expect(noReason.status).toBe(400);
      expect(((await noReason.json()) as Json).error.code).toBe('invalid_reason');
      expect((await admin('POST', '/api/admin/plans/nope/redraw', { reason: '测试' })).status).toBe(404);
      const notSampled = await admin('POST', '/api/admin/plans/wh-monthly/redraw', { reason: '测试' });
      expect(notSampled.status).toBe(400);
      expect(((await notSampled.json()) as Json).error.code).toBe('not_sampled');
      const future = await admin('POST', '/api/admin/plans/gm-sample/redraw', { reason: '测试', period: '2026-08-01' });
      expect(future.status).toBe(400);
      expect((await request('POST', '/api/admin/plans/gm-sample/redraw', READER, { reason: 'x' })).status).toBe(401);

      const old: Json = (await read('/api/coverage?plan=gm-sample')).plans[0].draw;
      const response = await admin('POST', '/api/admin/plans/gm-sample/redraw', { reason: '抽取时名录有误，已更正' });
      const fresh: Json = await response.json();
      expect(response.status, JSON.stringify(fresh)).toBe(200);
      expect(fresh).toMatchObject({
        period: { start: '2026-05-01', end: '2026-05-31' },
        candidateCount: 3,
        drawnBy: 'admin',
        reason: '抽取时名录有误，已更正',
        supersededAt: null,
      });
      expect(fresh.units).toHaveLength(2);
      expect(fresh.seed).not.toBe(old.seed);

      const { draws }: Json = await read('/api/admin/plans/gm-sample/draws', ADMIN);
      const may = draws.filter((d: Json) => d.period.start === '2026-05-01');
      expect(may).toHaveLength(2);
      expect(may[0]).toEqual(fresh);
      expect(may[1]).toMatchObject({ seed: old.seed, drawnBy: 'auto', supersededAt: NOW.toISOString() });
      // Coverage follows the new draw.
      expect((await read('/api/coverage?plan=gm-sample')).plans[0].draw.seed).toBe(fresh.seed);
    });
  });

  describe('GET /api/coverage', () => {
    it('counts each plan’s units done, due, overdue and never inspected for the county', async () => {
      const body: Json = await read('/api/coverage');
      expect(body.date).toBe(TODAY);
      const byCode = Object.fromEntries(body.plans.map((p: Json) => [p.code, p]));
      expect(Object.keys(byCode).sort()).toEqual([
        'bh-spring',
        'gm-sample',
        'town1-quarterly',
        'tz-yearly',
        'wh-monthly',
      ]);
      expect(byCode['wh-monthly']).toMatchObject({
        owner: { kind: 'department', code: 'yjj', name: '县应急管理局' },
        period: { start: '2026-05-01', end: '2026-05-31' },
        previousPeriod: { start: '2026-04-01', end: '2026-04-30' },
        ended: false,
        counts: { units: 4, done: 1, due: 1, overdue: 2, neverInspected: 1 },
        rate: 0.25,
      });
      expect(byCode['town1-quarterly']).toMatchObject({
        period: { start: '2026-04-01', end: '2026-06-30' },
        counts: { units: 4, done: 2, due: 1, overdue: 1, neverInspected: 1 },
      });
      // Ended 20 days ago: still shown, its uninspected units overdue; e06's inspection after the end does not count.
      expect(byCode['bh-spring']).toMatchObject({
        ended: true,
        period: { start: '2026-03-01', end: '2026-04-30' },
        counts: { units: 4, done: 1, due: 0, overdue: 3, neverInspected: 3 },
      });
      // The market regulator reaches e05 by its 特种设备 sector, though e05 is the emergency bureau's unit.
      expect(byCode['tz-yearly']).toMatchObject({
        counts: { units: 2, done: 1, due: 1, overdue: 0, neverInspected: 1 },
      });
      expect(byCode['gm-sample'].counts).toMatchObject({ units: 2, done: 0, due: 2, overdue: 0 });
      expect(body.totals).toEqual({ units: 8, done: 1, due: 2, overdue: 5, neverInspected: 4 });
    });

    it('lists the units, overdue first then nearest due, each as the period rules say', async () => {
      const body: Json = await read('/api/coverage?units=1');
      const wh = body.plans.find((p: Json) => p.code === 'wh-monthly');
      expect(wh.units).toEqual([
        {
          enterprise: { code: 'e03', name: '白鹤化工' },
          township: { code: 'town-02', name: '白鹤镇' },
          status: 'overdue',
          lastInspectedAt: '2026-03-10',
          dueBy: '2026-04-30',
          neverInspected: false,
        },
        {
          enterprise: { code: 'e08', name: '白鹤气体站' },
          township: { code: 'town-02', name: '白鹤镇' },
          status: 'overdue',
          lastInspectedAt: '2025-12-01',
          dueBy: '2026-04-30',
          neverInspected: true,
        },
        {
          enterprise: { code: 'e02', name: '社区油漆仓库' },
          township: { code: 'town-01-a', name: '城关社区' },
          status: 'due',
          lastInspectedAt: '2026-04-15',
          dueBy: '2026-05-31',
          neverInspected: false,
        },
        {
          enterprise: { code: 'e01', name: '城关化工' },
          township: { code: 'town-01', name: '城关镇' },
          status: 'done',
          lastInspectedAt: '2026-05-10',
          dueBy: null,
          neverInspected: false,
        },
      ]);
      expect(wh.unitsLeftOff).toBe(0);

      // Every unit of every plan agrees with the pure rule (domain/inspection-periods.ts) fed the same inspections.
      const government = INSPECTIONS.filter(([, , kind, status]) => kind !== 'self' && status === 'submitted');
      const { draws }: Json = await read('/api/admin/plans/gm-sample/draws', ADMIN);
      for (const planJson of body.plans) {
        const plan = (await findPlan(db(), planJson.code))!;
        const schedule = planSchedule(plan);
        const until = countedUntil(schedule, TODAY);
        for (const unit of planJson.units) {
          const last =
            government
              .filter(([code, date]) => code === unit.enterprise.code && date <= until)
              .map(([, date]) => date)
              .sort()
              .at(-1) ?? null;
          const previousDraw = draws.find(
            (d: Json) => d.period.start === planJson.previousPeriod?.start && !d.supersededAt,
          );
          const expected = unitCoverage(schedule, TODAY, last, {
            requiredInPrevious: !plan.sample || Boolean(previousDraw?.units.includes(unit.enterprise.code)),
          })!;
          expect(
            { status: unit.status, dueBy: unit.dueBy, neverInspected: unit.neverInspected },
            `${plan.code} ${unit.enterprise.code}`,
          ).toEqual(expected);
        }
      }

      const limited: Json = await read('/api/coverage?units=1&limit=1&plan=wh-monthly');
      expect(limited.plans[0].units.map((u: Json) => u.enterprise.code)).toEqual(['e03']);
      expect(limited.plans[0].unitsLeftOff).toBe(3);
    });

    it('narrows to a township, its communities included, leaving out plans with no unit there', async () => {
      const body: Json = await read('/api/coverage?scope=region:town-01');
      const codes = body.plans.map((p: Json) => p.code);
      expect(codes).toEqual(expect.arrayContaining(['town1-quarterly', 'wh-monthly']));
      expect(codes).not.toContain('bh-spring');
      expect(codes).not.toContain('tz-yearly');
      expect(body.plans.find((p: Json) => p.code === 'wh-monthly').counts).toEqual({
        units: 2,
        done: 1,
        due: 1,
        overdue: 0,
        neverInspected: 0,
      });
      expect(body.plans.find((p: Json) => p.code === 'town1-quarterly').counts.units).toBe(4);
      const department: Json = await read('/api/coverage?scope=department:scjgj');
      expect(department.totals.units).toBe(2);
    });

    it('shows a token bound to a township only its own units, whatever scope it asks', async () => {
      const own: Json = await read('/api/coverage?units=1', TOWN_READER);
      const units = new Set(own.plans.flatMap((p: Json) => p.units.map((u: Json) => u.enterprise.code)));
      expect([...units].sort()).toEqual(['e01', 'e02', 'e04', 'e07'].filter((c) => units.has(c)));
      expect(units.has('e01') && units.has('e07')).toBe(true);
      expect(own.totals).toEqual((await read('/api/coverage?scope=region:town-01')).totals);
      const other: Json = await read('/api/coverage?scope=region:town-02', TOWN_READER);
      expect(other.plans).toEqual([]);
      expect(other.totals.units).toBe(0);
      const named: Json = await read('/api/coverage?plan=bh-spring', TOWN_READER);
      expect(named.plans[0].counts.units).toBe(0);
    });

    it('refuses unknown parameters, plans, scopes and dates, and a missing token', async () => {
      for (const [path, status, code] of [
        ['/api/coverage?plans=x', 400, 'unknown_parameter'],
        ['/api/coverage?plan=nope', 404, 'plan_not_found'],
        ['/api/coverage?scope=region:nowhere', 400, 'unknown_scope'],
        ['/api/coverage?date=2026-13-01', 400, 'invalid_date'],
        ['/api/coverage?units=yes', 400, 'invalid_parameter'],
        ['/api/coverage?units=1&limit=0', 400, 'invalid_limit'],
      ] as const) {
        const response = await request('GET', path, READER);
        expect(response.status, path).toBe(status);
        expect(((await response.json()) as Json).error.code, path).toBe(code);
      }
      expect((await request('GET', '/api/coverage', null)).status).toBe(401);
      const spec: Json = await (await fetch(`${service.url}/docs/openapi.json`)).json();
      expect(spec.paths['/api/coverage'].get.parameters.map((p: Json) => p.name)).toEqual([
        'scope',
        'plan',
        'units',
        'limit',
        'date',
      ]);
    });

    it('answers for another date, counting only the inspections up to it', async () => {
      // On 20 April e02 (15 April) is done, e03 (10 March) due, e01 (inspected later, 10 May) and e08 overdue.
      const april: Json = await read('/api/coverage?date=2026-04-20&plan=wh-monthly&units=1');
      expect(april.plans[0]).toMatchObject({
        period: { start: '2026-04-01', end: '2026-04-30' },
        counts: { units: 4, done: 1, due: 1, overdue: 2, neverInspected: 2 },
      });
      expect(april.plans[0].units.map((u: Json) => [u.enterprise.code, u.status, u.lastInspectedAt])).toEqual([
        ['e01', 'overdue', null],
        ['e08', 'overdue', '2025-12-01'],
        ['e03', 'due', '2026-03-10'],
        ['e02', 'done', '2026-04-15'],
      ]);
    });
  });

  describe('toInspectFor', () => {
    it('gives a township inspector the units due or overdue in the running plans, overdue first, each once', async () => {
      const scope = await resolveNamedScope(db(), { kind: 'region', code: 'town-02' });
      const list = await toInspectFor(db(), scope, TODAY);
      const draw = (await read('/api/coverage?plan=gm-sample')).plans[0];
      const e05Sampled = ((await read('/api/admin/plans/gm-sample/draws', ADMIN)) as Json).draws
        .find((d: Json) => !d.supersededAt && d.period.start === '2026-05-01')
        .units.includes('e05');
      expect(draw).toBeTruthy();
      expect(list.total).toBe(3);
      expect(list.units.map((u) => [u.enterprise.code, u.status, u.dueBy])).toEqual([
        ['e03', 'overdue', '2026-04-30'],
        ['e08', 'overdue', '2026-04-30'],
        ['e05', 'due', e05Sampled ? '2026-05-31' : '2026-12-31'],
      ]);
      expect(list.units[2]!.plans.map((p) => p.code).sort()).toEqual(
        e05Sampled ? ['gm-sample', 'tz-yearly'] : ['tz-yearly'],
      );
      expect(list.units[1]).toMatchObject({ neverInspected: true, lastInspectedAt: '2025-12-01' });
      const first = await toInspectFor(db(), scope, TODAY, { limit: 1 });
      expect(first).toMatchObject({ total: 3, units: [{ enterprise: { code: 'e03' } }] });
    });
  });

  it('keeps regions and enterprises out of the test’s way', async () => {
    // The directory is what the test says it is (a guard against a fixture drifting under the counts above).
    expect((await db().select().from(regions)).length).toBe(3);
    expect((await db().select().from(enterprises)).length).toBe(8);
  });
});
