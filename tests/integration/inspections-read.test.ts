/**
 * The inspections' read side: GET /api/inspections (scoped like hazards, a township's token sees its own), one
 * inspection with its items as inspected, the 检查记录 sheet of the ledger, and inspections in /api/stats and 统计 —
 * government inspections and self-inspections counted apart. The inspections are inserted directly: what is read
 * here does not depend on how the chat recorded them.
 */
import { eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { Db } from '../../src/db/client.js';
import { checklists, enterprises, hazards, inspectionItems, inspections, people } from '../../src/db/schema/index.js';
import { INSPECTION_COLUMNS } from '../../src/ledger/xlsx.js';
import { code, LEDGER_DIRECTORY, NOW, seedHazards } from '../fixtures/ledger.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the API's JSON answers as a user would.
type Json = any;

const ADMIN = 'inspections-read-admin-token-0123456789';
const READER = 'inspections-read-reader-token-0123456789';
const TOWN_READER = 'inspections-town01-token-0123456789';

interface VisitSeed {
  seq: number;
  enterprise: string;
  kind: 'routine' | 'campaign' | 'unannounced' | 'reinspection' | 'self';
  date: string;
  inspector: string;
  companions?: string[];
  results: ('pass' | 'fail' | 'fixed_on_site' | 'na')[];
  hazardSeq?: number;
  findings?: string;
}

const VISITS: VisitSeed[] = [
  // 城关化工 (town-01): a clean routine visit, then a campaign visit that found hazard 1 (a failed item) and fixed one.
  {
    seq: 1,
    enterprise: 'e001',
    kind: 'routine',
    date: '2026-04-02',
    inspector: 'p008',
    results: ['pass', 'pass', 'na'],
  },
  {
    seq: 2,
    enterprise: 'e001',
    kind: 'campaign',
    date: '2026-05-10',
    inspector: 'p008',
    companions: ['p006'],
    results: ['fail', 'fixed_on_site', 'pass'],
    hazardSeq: 1,
    findings: '储罐区防火堤有裂缝',
  },
  // 社区机械加工厂 (town-01-a, below town-01): unannounced, clean.
  { seq: 3, enterprise: 'e003', kind: 'unannounced', date: '2026-05-12', inspector: 'p008', results: ['pass'] },
  // 白鹤电梯维保站 (town-02): the unit's own self-inspection, and a government one.
  {
    seq: 4,
    enterprise: 'e002',
    kind: 'self',
    date: '2026-05-15',
    inspector: 'p005',
    results: ['pass', 'fixed_on_site'],
  },
  { seq: 5, enterprise: 'e002', kind: 'routine', date: '2026-05-18', inspector: 'p006', results: ['pass', 'pass'] },
];
const jc = (seq: number) => `JC-2026-${String(seq).padStart(6, '0')}`;

async function seedVisits(db: Db): Promise<void> {
  const [list] = await db
    .insert(checklists)
    .values({ code: 'test-01', name: '测试检查表', sector: '危险化学品', source: 'county' })
    .returning({ id: checklists.id });
  const person = new Map(
    (await db.select({ id: people.id, code: people.code }).from(people)).map((p) => [p.code, p.id]),
  );
  const unit = new Map((await db.select().from(enterprises)).map((e) => [e.code, e]));
  for (const v of VISITS) {
    const u = unit.get(v.enterprise)!;
    const count = (r: string) => v.results.filter((x) => x === r).length;
    const [row] = await db
      .insert(inspections)
      .values({
        code: jc(v.seq),
        year: 2026,
        sequence: v.seq,
        status: 'submitted',
        enterpriseId: u.id,
        regionId: u.regionId,
        departmentId: u.departmentId,
        sector: u.sectors[0]!,
        kind: v.kind,
        checklistId: list!.id,
        checklistCode: 'test-01',
        checklistName: '测试检查表',
        checklistVersion: 1,
        inspectorId: person.get(v.inspector)!,
        companionIds: (v.companions ?? []).map((c) => person.get(c)!),
        date: v.date,
        findings: v.findings ?? null,
        passCount: count('pass'),
        failCount: count('fail'),
        fixedOnSiteCount: count('fixed_on_site'),
        naCount: count('na'),
        startedAt: new Date(`${v.date}T01:00:00Z`),
        submittedAt: new Date(`${v.date}T02:00:00Z`),
      })
      .returning({ id: inspections.id });
    const hazardId = v.hazardSeq
      ? (
          await db
            .select({ id: hazards.id })
            .from(hazards)
            .where(eq(hazards.code, code(v.hazardSeq)))
        )[0]!.id
      : null;
    if (hazardId)
      await db.update(hazards).set({ inspectionId: row!.id, source: 'inspection' }).where(eq(hazards.id, hazardId));
    await db.insert(inspectionItems).values(
      v.results.map((result, i) => ({
        inspectionId: row!.id,
        code: String(i + 1),
        position: i,
        text: `检查内容 ${i + 1}`,
        basis: `依据 第${i + 1}条`,
        major: i === 0,
        result,
        hazardId: result === 'fail' ? hazardId : null,
      })),
    );
  }
  // An open inspection (a visit in progress) is never read.
  const u = unit.get('e004')!;
  await db.insert(inspections).values({
    status: 'open',
    enterpriseId: u.id,
    regionId: u.regionId,
    departmentId: u.departmentId,
    sector: '工贸',
    kind: 'routine',
    checklistId: list!.id,
    checklistCode: 'test-01',
    checklistName: '测试检查表',
    checklistVersion: 1,
    inspectorId: person.get('p006')!,
    date: '2026-05-19',
    startedAt: new Date('2026-05-19T01:00:00Z'),
  });
}

describe('the inspections read side', () => {
  let service: TestService;
  const get = (path: string, token: string | null = READER) =>
    fetch(`${service.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const json = async (path: string, token: string | null = READER, status = 200): Promise<Json> => {
    const response = await get(path, token);
    const body = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(status);
    return body;
  };

  beforeAll(async () => {
    service = await startTestService(
      {
        ADMIN_TOKEN: ADMIN,
        API_TOKENS: `dashboard:${READER},town01:${TOWN_READER}`,
        API_TOKEN_SCOPES: 'town01=region:town-01',
      },
      { clock: new ManualClock(NOW) },
    );
    for (const p of LEDGER_DIRECTORY.people) service.sim.addUser({ openId: p.openId, name: p.name });
    const imported = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(LEDGER_DIRECTORY),
    });
    expect(imported.status, await imported.text()).toBe(200);
    await seedHazards(service.deps.database.db);
    await seedVisits(service.deps.database.db);
  });
  afterAll(async () => service?.stop());

  it('lists submitted inspections newest first, pages with a cursor, and filters by date, kind and unit', async () => {
    const all = await json('/api/inspections');
    expect(all.items.map((i: Json) => i.code)).toEqual([jc(5), jc(4), jc(3), jc(2), jc(1)]);
    const second = all.items[3];
    expect(second).toMatchObject({
      code: jc(2),
      date: '2026-05-10',
      kind: 'campaign',
      enterpriseName: '城关化工有限公司',
      townshipName: '城关镇',
      inspectorName: '县检查员',
      companionNames: ['白鹤检查员'],
      counts: { pass: 1, fail: 1, fixedOnSite: 1, na: 0 },
      findings: '储罐区防火堤有裂缝',
      hazardCodes: [code(1)],
    });
    const first = await json('/api/inspections?limit=2');
    expect(first.items.map((i: Json) => i.code)).toEqual([jc(5), jc(4)]);
    const next = await json(`/api/inspections?limit=2&cursor=${first.nextCursor}`);
    expect(next.items.map((i: Json) => i.code)).toEqual([jc(3), jc(2)]);
    const last = await json(`/api/inspections?limit=2&cursor=${next.nextCursor}`);
    expect(last).toMatchObject({ items: [{ code: jc(1) }], nextCursor: null });

    expect((await json('/api/inspections?from=2026-05-01&to=2026-05-12')).items.map((i: Json) => i.code)).toEqual([
      jc(3),
      jc(2),
    ]);
    expect((await json('/api/inspections?kind=self')).items.map((i: Json) => i.code)).toEqual([jc(4)]);
    expect((await json('/api/inspections?enterprise=e001')).items.map((i: Json) => i.code)).toEqual([jc(2), jc(1)]);
  });

  it('answers bad parameters with a 400 that names them', async () => {
    expect((await json('/api/inspections?kind=audit', READER, 400)).error.code).toBe('invalid_filter');
    expect((await json('/api/inspections?from=2026-13-45', READER, 400)).error.message).toContain('from');
    expect((await json('/api/inspections?cursor=nonsense', READER, 400)).error.code).toBe('invalid_cursor');
    expect((await json('/api/inspections?town=1', READER, 400)).error.code).toBe('unknown_parameter');
    expect((await json('/api/inspections', null, 401)).error.code).toBe('unauthorized');
  });

  it('keeps a township token to its township (the community below it included), and a scope narrows', async () => {
    const town = await json('/api/inspections', TOWN_READER);
    expect(town.items.map((i: Json) => i.code)).toEqual([jc(3), jc(2), jc(1)]);
    // Asking for another township with a township token narrows to nothing.
    expect((await json('/api/inspections?scope=region:town-02', TOWN_READER)).items).toEqual([]);
    expect((await json('/api/inspections?scope=region:town-02')).items.map((i: Json) => i.code)).toEqual([
      jc(5),
      jc(4),
    ]);
    await json(`/api/inspections/${jc(5)}`, TOWN_READER, 404);
  });

  it('shows one inspection with its items as inspected and the hazard a failed item became', async () => {
    const one = await json(`/api/inspections/${jc(2).toLowerCase()}`);
    expect(one.code).toBe(jc(2));
    expect(one.items).toEqual([
      { code: '1', text: '检查内容 1', basis: '依据 第1条', major: true, result: 'fail', hazardCode: code(1) },
      { code: '2', text: '检查内容 2', basis: '依据 第2条', major: false, result: 'fixed_on_site', hazardCode: null },
      { code: '3', text: '检查内容 3', basis: '依据 第3条', major: false, result: 'pass', hazardCode: null },
    ]);
    expect((await json('/api/inspections/YH-2026-000001', READER, 404)).error.message).toContain('JC-2026-000123');
    await json('/api/inspections/JC-2026-999999', READER, 404);
  });

  it('counts government inspections and self-inspections apart in /api/stats', async () => {
    const stats = await json('/api/stats');
    expect(stats.inspections).toEqual({
      government: {
        inspections: 4,
        unitsCovered: 3,
        clean: 3,
        hazardsFound: 2,
        fixedOnSite: 1,
        hazardsPerInspection: 0.5,
        fixedOnSiteShare: 0.5,
      },
      self: {
        inspections: 1,
        unitsCovered: 1,
        clean: 0,
        hazardsFound: 1,
        fixedOnSite: 1,
        hazardsPerInspection: 1,
        fixedOnSiteShare: 1,
      },
    });
    const town = await json('/api/stats', TOWN_READER);
    expect(town.inspections.government).toMatchObject({ inspections: 3, unitsCovered: 2 });
    expect(town.inspections.self.inspections).toBe(0);
  });

  it('exports the inspections as the sheet 检查记录 of the ledger, the clean ones included', async () => {
    const response = await get('/api/ledger.xlsx', TOWN_READER);
    expect(response.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['隐患台账', '检查记录']);
    const sheet = workbook.getWorksheet('检查记录')!;
    const rows: unknown[][] = [];
    expect(String(sheet.getCell('A1').value)).toMatch(/安全生产检查记录$/);
    expect(sheet.pageSetup.printTitlesRow).toBe('3:3');
    // From the header row on (row 3); dates are date cells, read as YYYY-MM-DD.
    sheet.eachRow((row) => {
      if (row.number < 3) return;
      rows.push((row.values as unknown[]).slice(1).map((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v)));
    });
    expect(rows[0]).toEqual(INSPECTION_COLUMNS.map((c) => c.header));
    expect(sheet.getRow(4).getCell(3).value).toBeInstanceOf(Date);
    expect(rows.slice(1).map((r) => r[1])).toEqual([jc(1), jc(2), jc(3)]);
    const header = rows[0] as string[];
    const cell = (r: unknown[], name: string) => r[header.indexOf(name)];
    expect(cell(rows[1]!, '发现隐患')).toBe('未发现隐患');
    expect(cell(rows[2]!, '发现隐患')).toBe(code(1));
    expect(cell(rows[2]!, '检查类型')).toBe('专项检查');
    expect(cell(rows[2]!, '同行检查人')).toBe('白鹤检查员');
    // The hazards sheet says where hazard 1 came from.
    const hazardsSheet = workbook.getWorksheet('隐患台账')!;
    const hazardHeader = (hazardsSheet.getRow(3).values as unknown[]).slice(1) as string[];
    let found: unknown[] | undefined;
    hazardsSheet.eachRow((row) => {
      const values = (row.values as unknown[]).slice(1);
      if (values[hazardHeader.indexOf('隐患编号')] === code(1)) found = values;
    });
    expect(found?.[hazardHeader.indexOf('来源')]).toBe('检查发现');
    expect(found?.[hazardHeader.indexOf('检查编号')]).toBe(jc(2));
  });

  it('puts inspections in 统计 for a township leader', async () => {
    await service.sim.sendText('ou_town1', '统计');
    const card = await eventually(
      () => service.sim.messages({ to: 'ou_town1' }).find((m) => JSON.stringify(m.content).includes('政府检查')),
      10_000,
      'the stats card',
    );
    const text = JSON.stringify(card!.content);
    expect(text).toContain('政府检查 **3** 次，覆盖 **2** 家单位');
    expect(text).toContain('企业自查**：0 次');
  });
});
