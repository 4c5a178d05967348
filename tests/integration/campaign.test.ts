/**
 * The campaign's own measures (issue #22 point 5) through what users reach: /api/stats' campaign object, the rankings
 * as /api/campaign.xlsx (read back with exceljs), the 统计 card in chat, and the web routes (after login). Hazards and
 * inspections are inserted as the repositories store them (tests/fixtures/campaign.ts); every figure below is worked
 * out by hand from that fixture. Today is 2026-05-20; the default period is 2026-01-01 to today.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { RANKING_HEADERS } from '../../src/ledger/campaign/xlsx.js';
import { CAMPAIGN_DIRECTORY, HOSTILE_TOWNSHIP, HOSTILE_UNIT, jc, seedCampaign } from '../fixtures/campaign.js';
import { code, NOW } from '../fixtures/ledger.js';
import { eventually, startTestService, type TestService } from '../support/service.js';
import { signIn, WebClient } from '../support/web-login.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the API's JSON answers as a user would, field by field.
type Json = any;

const ADMIN = 'campaign-test-admin-token-0123456789';
const READER = 'campaign-test-reader-token-0123456789';
const TOWN_READER = 'campaign-town01-token-0123456789';
const TOWN2_READER = 'campaign-town02-token-0123456789';

/** Name, open, overdue, rate, closed, median of a ranking, in order. */
const ranked = (list: Json[]) =>
  list.map((r) => [r.name, r.open, r.overdue, r.overdueRate, r.closed, r.medianDaysToClose]);

describe('the campaign measures', () => {
  let service: TestService;
  const get = (path: string, token: string | null = READER) =>
    fetch(`${service.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const campaignOf = async (path: string, token = READER): Promise<Json> => {
    const response = await get(path, token);
    const body: Json = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(200);
    return body.campaign;
  };

  beforeAll(async () => {
    service = await startTestService(
      {
        ADMIN_TOKEN: ADMIN,
        API_TOKENS: `dashboard:${READER},town01:${TOWN_READER},town02:${TOWN2_READER}`,
        API_TOKEN_SCOPES: 'town01=region:town-01,town02=region:town-02',
        COUNTY_NAME: '某某县',
      },
      { clock: new ManualClock(NOW), web: true },
    );
    for (const p of CAMPAIGN_DIRECTORY.people) service.sim.addUser({ openId: p.openId, name: p.name });
    const imported = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(CAMPAIGN_DIRECTORY),
    });
    expect(imported.status, await imported.text()).toBe(200);
    await seedCampaign(service.deps.database.db);
  });
  afterAll(async () => {
    await service?.stop();
  });

  describe('/api/stats campaign', () => {
    it('counts 存量 and 增量 major hazards and says the county is not at 动态清零 (one is past its deadline)', async () => {
      const campaign = await campaignOf('/api/stats');
      expect(campaign.period).toEqual({ from: '2026-01-01', to: '2026-05-20' });
      expect(campaign.campaignYear).toBe(2026);
      // 存量: M1 (open) and M2 (销号 2026-03-05); M3 was closed in 2025. 增量: M4 (销号 02-11) and M5 (open).
      expect(campaign.majors).toEqual({
        stock: { total: 2, open: 1, closed: 1 },
        increment: { total: 2, open: 1, closed: 1 },
        // M1's deadline was 2026-02-01.
        dynamicZero: { reached: false, openPastDeadline: 1 },
      });
    });

    it('ranks townships and departments worst first by overdue rate and by median days to close', async () => {
      const { rankings } = await campaignOf('/api/stats');
      // 城关镇: open M1, #6, #10; overdue M1, #6; closed in the period M4 (10 days) and #9 (2 days) → median 6.
      // 白鹤镇: open M5, #8, none overdue; closed M2 (85 days) and #7 (9 days) → 47. The third township: #11 overdue.
      expect(ranked(rankings.townships.byOverdueRate)).toEqual([
        [HOSTILE_TOWNSHIP, 1, 1, 1, 0, null],
        ['城关镇', 3, 2, 0.6667, 2, 6],
        ['白鹤镇', 2, 0, 0, 2, 47],
      ]);
      expect(rankings.townships.byMedianDays.map((r: Json) => r.name)).toEqual(['白鹤镇', '城关镇', HOSTILE_TOWNSHIP]);
      // 应急局 supervises every unit but the lift station: open M1 M5 #6 #8 #10 #11, overdue M1 #6 #11.
      expect(ranked(rankings.departments.byOverdueRate)).toEqual([
        ['县应急管理局', 6, 3, 0.5, 2, 6],
        ['县市场监督管理局', 0, 0, 0, 2, 47],
      ]);
      expect(rankings.departments.byMedianDays.map((r: Json) => r.code)).toEqual(['scjgj', 'yjj']);
    });

    it('takes the period from ?from=&to=: a month of this year, and the last campaign year', async () => {
      const march = await campaignOf('/api/stats?from=2026-03-01&to=2026-03-31');
      // 存量 M1 and M2 (M2 销号 on 03-05); 增量 so far only M4, closed before March.
      expect(march.majors).toEqual({
        stock: { total: 2, open: 1, closed: 1 },
        increment: { total: 1, open: 0, closed: 0 },
        dynamicZero: { reached: false, openPastDeadline: 1 },
      });
      // Only M2 was 销号 in March; townships that closed nothing come after, more open first.
      expect(ranked(march.rankings.townships.byMedianDays)).toEqual([
        ['白鹤镇', 2, 0, 0, 1, 85],
        ['城关镇', 3, 2, 0.6667, 0, null],
        [HOSTILE_TOWNSHIP, 1, 1, 1, 0, null],
      ]);
      // 2025: M1, M2, M3 are its 增量; M3 closed in it; M2 was past its deadline (12-25) at the year's end, M1 not yet.
      const lastYear = await campaignOf('/api/stats?to=2025-12-31');
      expect(lastYear.period).toEqual({ from: '2025-01-01', to: '2025-12-31' });
      expect(lastYear.campaignYear).toBe(2025);
      expect(lastYear.majors).toEqual({
        stock: { total: 0, open: 0, closed: 0 },
        increment: { total: 3, open: 2, closed: 1 },
        dynamicZero: { reached: false, openPastDeadline: 1 },
      });
      // A township whose only major hazard is within its deadline is at 动态清零.
      const town2 = await campaignOf('/api/stats?scope=region:town-02');
      expect(town2.majors.dynamicZero).toEqual({ reached: true, openPastDeadline: 0 });
    });

    it('answers 400 naming the parameter for an impossible period', async () => {
      for (const query of ['from=2026-05-01&to=2026-04-01', 'to=2026-13-01', 'from=2026-06-01']) {
        const response = await get(`/api/stats?${query}`);
        const body: Json = await response.json();
        expect(response.status, query).toBe(400);
        expect(body.error.code).toBe('invalid_filter');
        expect(body.error.message).toMatch(/日期/);
      }
    });

    it('inspection quality: quiet units and inspectors, and hazards that come back at the same unit and item', async () => {
      const { quality } = await campaignOf('/api/stats');
      expect(quality.thresholds).toEqual({ unitVisits: 3, inspectorInspections: 5 });
      // 白鹤电梯 and e006: three routine visits each, all passed. 城关化工's three self-inspections do not count.
      expect(quality.quietUnits).toEqual({
        total: 2,
        items: [
          { code: 'e002', name: '白鹤电梯维保站', township: '白鹤镇', visits: 3, lastVisit: '2026-04-01' },
          { code: 'e006', name: HOSTILE_UNIT, township: HOSTILE_TOWNSHIP, visits: 3, lastVisit: '2026-03-12' },
        ],
      });
      // 县检查员 led five visits in the period (two more in 2025 are outside it) and found nothing.
      expect(quality.quietInspectors).toEqual({
        total: 1,
        items: [{ code: 'p008', name: '县检查员', inspections: 5, units: 2, lastInspection: '2026-02-06' }],
      });
      expect(quality.recurring).toEqual({
        total: 1,
        items: [
          {
            code: code(10),
            enterpriseCode: 'e003',
            enterpriseName: '社区机械加工厂',
            checklistCode: 'ck-01',
            itemCode: '1',
            itemText: '检查项一',
            foundOn: '2026-05-10',
            earlierCode: code(9),
            earlierClosedOn: '2026-05-03',
          },
        ],
      });
    });

    it('a token bound to a township sees its township alone', async () => {
      const campaign = await campaignOf('/api/stats', TOWN_READER);
      expect(campaign.majors).toEqual({
        stock: { total: 1, open: 1, closed: 0 },
        increment: { total: 1, open: 0, closed: 1 },
        dynamicZero: { reached: false, openPastDeadline: 1 },
      });
      expect(ranked(campaign.rankings.townships.byOverdueRate)).toEqual([['城关镇', 3, 2, 0.6667, 2, 6]]);
      expect(campaign.rankings.departments.byOverdueRate.map((r: Json) => r.code)).toEqual(['yjj']);
      // Asking for the county does not widen it.
      const widened = await campaignOf('/api/stats?scope=county', TOWN_READER);
      expect(widened.rankings.townships.byOverdueRate.map((r: Json) => r.name)).toEqual(['城关镇']);
      // 县检查员's visits in 白鹤镇 are four: not enough to be listed there.
      const town2 = await campaignOf('/api/stats', TOWN2_READER);
      expect(town2.quality.quietInspectors.total).toBe(0);
      expect(town2.quality.quietUnits.items.map((u: Json) => u.code)).toEqual(['e002']);
      expect(town2.quality.recurring.total).toBe(0);
    });
  });

  describe('/api/campaign.xlsx', () => {
    async function workbookOf(response: Response) {
      expect(response.status, await response.clone().text()).toBe(200);
      expect(response.headers.get('content-type')).toContain('spreadsheetml');
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(await response.arrayBuffer());
      return workbook;
    }

    it('has the four rankings worst first, as numbers, with no formula anywhere', async () => {
      const response = await get('/api/campaign.xlsx?from=2026-01-01&to=2026-05-20');
      expect(response.headers.get('content-disposition')).toContain(
        encodeURIComponent('通报晾晒-2026-01-01至2026-05-20'),
      );
      const workbook = await workbookOf(response);
      expect(workbook.worksheets.map((s) => s.name)).toEqual([
        '乡镇-逾期率',
        '乡镇-整改用时',
        '部门-逾期率',
        '部门-整改用时',
      ]);
      for (const sheet of workbook.worksheets) {
        sheet.eachRow((row) =>
          row.eachCell((cell) =>
            expect(cell.type, `${sheet.name}!${cell.address}`).not.toBe(ExcelJS.ValueType.Formula),
          ),
        );
      }
      const towns = workbook.getWorksheet('乡镇-逾期率')!;
      expect(String(towns.getCell('A1').value)).toBe('某某县隐患治理通报晾晒：乡镇（街道）按逾期率排名');
      expect(towns.getCell('A2').value).toBe('范围：全县');
      expect(towns.getCell('C2').value).toBe('期间：2026-01-01 至 2026-05-20');
      expect((towns.getRow(3).values as unknown[]).slice(1)).toEqual([...RANKING_HEADERS]);
      const rows = [4, 5, 6].map((n) => (towns.getRow(n).values as unknown[]).slice(1));
      // The hostile name is text, quoted: the spreadsheet shows it and never evaluates it.
      expect(rows).toEqual([
        [1, `'${HOSTILE_TOWNSHIP}`, 1, 1, 1, 0, '—'],
        [2, '城关镇', 3, 2, 0.6667, 2, 6],
        [3, '白鹤镇', 2, 0, 0, 2, 47],
      ]);
      expect(towns.getCell('E5').numFmt).toBe('0.0%');
      const slow = workbook.getWorksheet('部门-整改用时')!;
      expect([slow.getCell('B4').value, slow.getCell('G4').value]).toEqual(['县市场监督管理局', 47]);
    });

    it('is scoped like /api/stats: a township token gets its township; without a token, 401', async () => {
      const workbook = await workbookOf(await get('/api/campaign.xlsx', TOWN_READER));
      const towns = workbook.getWorksheet('乡镇-逾期率')!;
      expect(towns.getCell('A2').value).toBe('范围：城关镇');
      expect(towns.getCell('B4').value).toBe('城关镇');
      expect(towns.getCell('B5').value).toBeNull();
      expect((await get('/api/campaign.xlsx', null)).status).toBe(401);
      const bad = await get('/api/campaign.xlsx?township=town-01');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as Json).error.code).toBe('unknown_parameter');
    });

    it('is described in the OpenAPI document', async () => {
      const spec: Json = await (await fetch(`${service.url}/docs/openapi.json`)).json();
      expect(Object.keys(spec.paths)).toContain('/api/campaign.xlsx');
      expect(spec.components.schemas.Campaign.properties.majors.properties).toHaveProperty('dynamicZero');
    });
  });

  describe('统计 in chat', () => {
    const lastMessage = async (openId: string, before: number) =>
      eventually(() => {
        const list = service.sim.messages({ to: openId });
        return list.length > before ? list.at(-1) : undefined;
      });

    it('the stats card carries 存量/增量, 动态清零 and the worst townships of the asker’s scope', async () => {
      let before = service.sim.messages({ to: 'ou_county' }).length;
      await service.sim.sendText('ou_county', '统计');
      let card: Json = await lastMessage('ou_county', before);
      expect(card.msgType).toBe('interactive');
      let text = JSON.stringify(card.content);
      expect(text).toContain('治本攻坚（2026-01-01 至 2026-05-20）');
      expect(text).toContain('存量重大隐患 **2** 条（期间销号 1，未销号 1）');
      expect(text).toContain('增量重大隐患 **2** 条（期间销号 1，未销号 1）');
      expect(text).toContain('动态清零：❌ 未实现，**1** 条重大隐患超过期限未销号');
      // Only townships with something overdue are named: 白鹤镇 has none.
      expect(text).toContain(`逾期率最高的乡镇：${HOSTILE_TOWNSHIP} 100.0%（1/1），城关镇 66.7%（2/3）`);

      before = service.sim.messages({ to: 'ou_town2' }).length;
      await service.sim.sendText('ou_town2', '统计');
      card = await lastMessage('ou_town2', before);
      text = JSON.stringify(card.content);
      expect(text).toContain('存量重大隐患 **1** 条（期间销号 1，未销号 0）');
      expect(text).toContain('动态清零：✅ 已实现');
      expect(text).toContain('各乡镇均无超期隐患');
      expect(text).not.toContain('城关镇');
    });
  });

  describe('the web view (signed in through the simulator)', () => {
    it('without a session: 401 for the JSON, the xlsx and the lookback', async () => {
      const anonymous = new WebClient(service.config.PUBLIC_URL!);
      for (const path of ['/web/api/campaign', '/web/campaign.xlsx', `/web/api/hazards/${code(5)}/lookback`]) {
        const response = await anonymous.fetch(path);
        expect(response.status, path).toBe(401);
        expect(((await response.json()) as Json).error.code).toBe('unauthenticated');
      }
    });

    it('/web/api/campaign gives the viewer’s scope the figures /api/stats gives a token of that scope', async () => {
      const county = await signIn(service, 'ou_county');
      const all: Json = await (await county.fetch('/web/api/campaign')).json();
      expect(all.scopeName).toBe('全县');
      const { scopeName: _, ...figures } = all;
      expect(figures).toEqual(await campaignOf('/api/stats'));
      const march: Json = await (await county.fetch('/web/api/campaign?from=2026-03-01&to=2026-03-31')).json();
      expect(march.majors).toEqual((await campaignOf('/api/stats?from=2026-03-01&to=2026-03-31')).majors);
      const bad = await county.fetch('/web/api/campaign?from=2026-05-01&to=2026-04-01');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as Json).error).toMatchObject({
        code: 'invalid_filter',
        details: { parameter: 'from' },
      });

      const town = await signIn(service, 'ou_town1');
      const mine: Json = await (await town.fetch('/web/api/campaign')).json();
      expect(mine.scopeName).toBe('城关镇');
      expect(mine.majors).toEqual((await campaignOf('/api/stats', TOWN_READER)).majors);
      expect(mine.rankings.townships.byOverdueRate.map((r: Json) => r.name)).toEqual(['城关镇']);
      const file = await town.fetch('/web/campaign.xlsx?from=2026-01-01');
      expect(file.status).toBe(200);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(await file.arrayBuffer());
      const sheet = workbook.getWorksheet('乡镇-逾期率')!;
      expect([sheet.getCell('A2').value, sheet.getCell('B4').value, sheet.getCell('B5').value]).toEqual([
        '范围：城关镇',
        '城关镇',
        null,
      ]);
    });

    it('责任倒查: the earlier inspections that passed the failed item; 404 outside the scope or for a general hazard', async () => {
      const county = await signIn(service, 'ou_county');
      const response = await county.fetch(`/web/api/hazards/${code(5).toLowerCase()}/lookback`);
      const m5: Json = await response.json();
      expect(response.status, JSON.stringify(m5)).toBe(200);
      expect(m5.hazard).toEqual({
        code: code(5),
        enterpriseCode: 'e004',
        enterpriseName: '白鹤纺织厂',
        foundOn: '2026-04-01',
      });
      expect(m5.item).toEqual({ checklistCode: 'ck-01', code: '2', text: '检查项二', foundBy: jc(9) });
      // JC-6 marked the item n/a, JC-7 used another checklist, JC-1…3 were another unit: none of them is listed.
      expect(m5.passedBefore).toEqual([
        {
          inspectionCode: jc(5),
          date: '2026-02-03',
          kind: 'campaign',
          kindLabel: '专项检查',
          inspector: '县检查员',
          companions: [],
        },
        {
          inspectionCode: jc(4),
          date: '2026-02-02',
          kind: 'routine',
          kindLabel: '日常检查',
          inspector: '县检查员',
          companions: ['白鹤检查员'],
        },
      ]);
      // M1 was reported outside an inspection, citing item 1 of ck-01: JC-16 passed it before, JC-15 only after.
      const m1: Json = await (await county.fetch(`/web/api/hazards/${code(1)}/lookback`)).json();
      expect(m1.item).toEqual({ checklistCode: 'ck-01', code: '1', text: '检查项一', foundBy: null });
      expect(m1.passedBefore.map((p: Json) => p.inspectionCode)).toEqual([jc(16)]);
      // M4 names no item at all.
      const m4: Json = await (await county.fetch(`/web/api/hazards/${code(4)}/lookback`)).json();
      expect(m4).toMatchObject({ item: null, passedBefore: [] });

      for (const path of [`/web/api/hazards/${code(10)}/lookback`, '/web/api/hazards/nonsense/lookback']) {
        const refused = await county.fetch(path);
        expect(refused.status, path).toBe(404);
      }
      // 城关镇's leader: M1 is theirs, M5 (白鹤镇) answers exactly as a hazard that does not exist.
      const town = await signIn(service, 'ou_town1');
      expect((await town.fetch(`/web/api/hazards/${code(1)}/lookback`)).status).toBe(200);
      const hidden = await town.fetch(`/web/api/hazards/${code(5)}/lookback`);
      const missing = await town.fetch('/web/api/hazards/YH-2026-009999/lookback');
      expect([hidden.status, missing.status]).toEqual([404, 404]);
      expect(await hidden.json()).toEqual(await missing.json());
    });
  });
});
