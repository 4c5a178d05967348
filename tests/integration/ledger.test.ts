import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { LEDGER_HEADERS } from '../../src/ledger/xlsx.js';
import { code, LEDGER_DIRECTORY, NOW, SEEDS, seedHazards } from '../fixtures/ledger.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the API's JSON answers as a user would, field by field.
type Json = any;

const ADMIN = 'ledger-test-admin-token-0123456789';
const READER = 'ledger-test-reader-token-0123456789';
const TOWN_READER = 'town01-reader-token-0123456789';
const GONE_READER = 'gone-reader-token-0123456789';

/** A date cell as the sheet shows it (its format says whether the time is shown). */
function dateText(cell: ExcelJS.Cell): string {
  const value = cell.value as Date;
  const iso = value.toISOString();
  return String(cell.numFmt).includes('hh') ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

/** The ledger sheet from its header row (row 3: after the title and the scope-and-date row), dates as shown. */
async function readSheet(data: Buffer | ArrayBuffer): Promise<(string | number)[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(data as ArrayBuffer);
  const sheet = workbook.worksheets[0]!;
  expect(String(sheet.getCell('A1').value)).toMatch(/隐患排查治理台账$/);
  expect(sheet.getCell('D2').value).toBeInstanceOf(Date);
  expect(sheet.pageSetup).toMatchObject({ orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 });
  expect(sheet.pageSetup.printTitlesRow).toBe('3:3');
  const dateColumns = ['发现时间', '整改期限', '验收时间'].map((h) => LEDGER_HEADERS.indexOf(h) + 1);
  const rows: (string | number)[][] = [];
  sheet.eachRow({ includeEmpty: false }, (row) => {
    if (row.number < 3) return;
    const cells: (string | number)[] = [];
    for (let c = 1; c <= LEDGER_HEADERS.length; c++) {
      const cell = row.getCell(c);
      expect(cell.type, `row ${row.number} column ${c} must not be a formula`).not.toBe(ExcelJS.ValueType.Formula);
      if (row.number > 3 && dateColumns.includes(c) && cell.value !== null) {
        expect(cell.type, `row ${row.number} column ${c} is a date cell`).toBe(ExcelJS.ValueType.Date);
        cells.push(dateText(cell));
      } else cells.push((cell.value ?? '') as string | number);
    }
    rows.push(cells);
  });
  return rows;
}

describe('the ledger, statistics and the read API', () => {
  let service: TestService;
  const get = (path: string, token: string | null = READER) =>
    fetch(`${service.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const codes = async (path: string): Promise<string[]> => {
    const response = await get(path);
    const body: Json = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(200);
    return body.items.map((h: { code: string }) => h.code);
  };
  const seqs = (...n: number[]) => n.map(code);
  const sorted = (list: string[]) => [...list].sort();

  beforeAll(async () => {
    service = await startTestService(
      {
        ADMIN_TOKEN: ADMIN,
        API_TOKENS: `dashboard:${READER},town01:${TOWN_READER},gone:${GONE_READER}`,
        API_TOKEN_SCOPES: 'town01=region:town-01,gone=region:town-99',
      },
      { clock: new ManualClock(NOW) },
    );
    for (const p of LEDGER_DIRECTORY.people) service.sim.addUser({ openId: p.openId, name: p.name });
    service.sim.addUser({ openId: 'ou_stranger', name: '陌生人' });
    const imported = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(LEDGER_DIRECTORY),
    });
    expect(imported.status, await imported.text()).toBe(200);
    await seedHazards(service.deps.database.db);
  });
  afterAll(async () => {
    await service?.stop();
  });

  describe('auth', () => {
    it('answers 401 without a token or with a wrong one, and accepts API_TOKENS and ADMIN_TOKEN', async () => {
      for (const path of ['/api/hazards', '/api/stats', '/api/ledger.xlsx', `/api/hazards/${code(1)}`]) {
        const none = await get(path, null);
        expect(none.status).toBe(401);
        expect(((await none.json()) as Json).error.code).toBe('unauthorized');
        expect((await get(path, `${READER}x`)).status).toBe(401);
      }
      expect((await get('/api/hazards', READER)).status).toBe(200);
      expect((await get('/api/hazards', ADMIN)).status).toBe(200);
    });

    it('answers 503 when neither API_TOKENS nor ADMIN_TOKEN is set, and serves the docs without a token', async () => {
      const bare = await startTestService();
      try {
        const response = await fetch(`${bare.url}/api/hazards`, { headers: { authorization: `Bearer ${READER}` } });
        expect(response.status).toBe(503);
        expect(((await response.json()) as Json).error.code).toBe('read_api_disabled');
        const docs = await fetch(`${bare.url}/docs`);
        expect(docs.status).toBe(200);
        expect(await docs.text()).toContain('/docs/openapi.json');
        const spec: Json = await (await fetch(`${bare.url}/docs/openapi.json`)).json();
        expect(spec.openapi).toBe('3.1.0');
        expect(Object.keys(spec.paths)).toEqual(
          expect.arrayContaining(['/api/hazards', '/api/hazards/{code}', '/api/stats', '/api/ledger.xlsx']),
        );
      } finally {
        await bare.stop();
      }
    });
  });

  describe('GET /api/hazards', () => {
    it('shows a token the whole county, newest first, with derived overdue flag and colour', async () => {
      const body: Json = await (await get('/api/hazards')).json();
      expect(body.items.map((h: Json) => h.code)).toEqual(seqs(6, 5, 3, 4, 2, 1, 7));
      expect(body.nextCursor).toBeNull();
      const first = body.items.find((h: Json) => h.code === code(1));
      expect(first).toMatchObject({
        enterprise: { code: 'e001', name: '城关化工有限公司' },
        township: { code: 'town-01', name: '城关镇' },
        department: '县应急管理局',
        grade: 'major',
        status: 'rectifying',
        overdue: true,
        light: 'red',
        deadline: '2026-05-10',
        reporter: '县检查员',
        responsible: '城关分管',
        supervision: 'county',
        suspended: true,
        reportedAt: '2026-04-01T01:30:00.000Z',
      });
      expect(body.items.find((h: Json) => h.code === code(3))).toMatchObject({ overdue: false, light: 'yellow' });
      expect(body.items.find((h: Json) => h.code === code(6))).toMatchObject({ overdue: false, light: 'green' });
      expect(body.items.find((h: Json) => h.code === code(2))).toMatchObject({
        status: 'closed',
        verifiedBy: '县检查员',
        closedAt: '2026-04-25T06:15:00.000Z',
      });
    });

    it('narrows to a scope: a township includes the regions below it and nothing of another township', async () => {
      expect(sorted(await codes('/api/hazards?scope=region:town-01'))).toEqual(seqs(1, 2, 3));
      expect(sorted(await codes('/api/hazards?scope=region:town-01-a'))).toEqual(seqs(3));
      expect(sorted(await codes('/api/hazards?scope=region:town-02'))).toEqual(seqs(4, 5, 6, 7));
      expect(sorted(await codes('/api/hazards?scope=department:scjgj'))).toEqual(seqs(4));
      expect(sorted(await codes('/api/hazards?scope=enterprise:e004'))).toEqual(seqs(5, 6, 7));
      expect(sorted(await codes('/api/hazards?scope=county'))).toEqual(seqs(1, 2, 3, 4, 5, 6, 7));
      const unknown = await get('/api/hazards?scope=region:nowhere');
      expect(unknown.status).toBe(400);
      expect(((await unknown.json()) as Json).error).toMatchObject({ code: 'unknown_scope' });
      const malformed = await get('/api/hazards?scope=town-01');
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as Json).error.code).toBe('invalid_scope');
    });

    it('a token bound to a township sees it alone: the list, one hazard, the stats and the ledger', async () => {
      const townCodes = async (path: string) => {
        const response = await get(path, TOWN_READER);
        expect(response.status, path).toBe(200);
        return ((await response.json()) as Json).items.map((h: { code: string }) => h.code);
      };
      expect(sorted(await townCodes('/api/hazards'))).toEqual(seqs(1, 2, 3));
      expect(sorted(await townCodes('/api/hazards?scope=county'))).toEqual(seqs(1, 2, 3));
      expect(sorted(await townCodes('/api/hazards?scope=region:town-01-a'))).toEqual(seqs(3));
      // Asking for another township narrows to nothing; a hazard there is not found.
      expect(await townCodes('/api/hazards?scope=region:town-02')).toEqual([]);
      expect((await get(`/api/hazards/${code(4)}`, TOWN_READER)).status).toBe(404);
      expect((await get(`/api/hazards/${code(1)}`, TOWN_READER)).status).toBe(200);
      const stats: Json = await (await get('/api/stats', TOWN_READER)).json();
      expect(stats.totals.total).toBe(3);
      expect(stats.byTownship.map((t: Json) => t.code)).not.toContain('town-02');
      const ledger = await get('/api/ledger.xlsx', TOWN_READER);
      expect(ledger.status).toBe(200);
      // A token bound to a scope the directory does not have sees nothing, and is told why.
      const gone = await get('/api/hazards', GONE_READER);
      expect(gone.status).toBe(403);
      expect(((await gone.json()) as Json).error.code).toBe('token_scope_unknown');
    });

    it('filters by township, sector, grade, status, overdue and date range, alone and together', async () => {
      const cases: [string, number[]][] = [
        ['township=town-01', [1, 2, 3]],
        ['township=town-01-a', [3]],
        ['township=town-01-a,town-02', [3, 4, 5, 6, 7]],
        ['sector=工贸', [3, 5, 6, 7]],
        ['sector=工贸,特种设备', [3, 4, 5, 6, 7]],
        ['sector=燃气', []],
        ['grade=major', [1, 6]],
        ['grade=general', [2, 3, 4, 5, 7]],
        ['grade=重大', [1, 6]],
        ['status=closed', [2, 7]],
        ['status=open', [1, 3, 4, 5, 6]],
        ['status=reported&status=rectifying', [1, 3, 5, 6]],
        ['status=pending_verification', [4]],
        ['overdue=true', [1, 5]],
        ['overdue=false', [2, 3, 4, 6, 7]],
        ['from=2026-05-01&to=2026-05-16', [3, 4, 5]],
        ['from=2026-05-20', [6]],
        ['to=2026-04-01', [1, 7]],
        ['scope=region:town-02&grade=general', [4, 5, 7]],
        ['township=town-02&overdue=true&sector=工贸', [5]],
        ['scope=region:town-01&township=town-02', []],
      ];
      for (const [query, expected] of cases) {
        expect(sorted(await codes(`/api/hazards?${encodeURI(query)}`)), query).toEqual(seqs(...expected));
      }
    });

    it('answers 400 with what to fix for a bad filter, sort, limit or parameter', async () => {
      const cases: [string, string, string][] = [
        ['township=nowhere', 'invalid_filter', 'nowhere'],
        ['grade=huge', 'invalid_filter', 'general'],
        ['status=done', 'invalid_filter', 'open'],
        ['overdue=maybe', 'invalid_filter', 'true'],
        ['from=2026-13-01', 'invalid_filter', 'YYYY-MM-DD'],
        ['from=2026-05-10&to=2026-05-01', 'invalid_filter', '晚于'],
        ['sort=name', 'invalid_sort', '-reported_at'],
        ['limit=0', 'invalid_limit', '200'],
        ['limit=abc', 'invalid_limit', '200'],
        ['limit=500', 'invalid_limit', '200'],
        ['grades=major', 'unknown_parameter', 'grades'],
        ['cursor=not-a-cursor', 'invalid_cursor', 'nextCursor'],
      ];
      for (const [query, errorCode, hint] of cases) {
        const response = await get(`/api/hazards?${encodeURI(query)}`);
        const body: Json = await response.json();
        expect(response.status, query).toBe(400);
        expect(body.error.code, query).toBe(errorCode);
        expect(body.error.message, query).toContain(hint);
      }
    });

    it('pages with an opaque cursor in a stable order, unaffected by hazards added between pages', async () => {
      const walk = async (query: string, onPage?: (n: number) => Promise<void>) => {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const suffix: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
          const body: Json = await (await get(`/api/hazards?${query}&limit=2${suffix}`)).json();
          expect(body.items.length).toBeLessThanOrEqual(2);
          seen.push(...body.items.map((h: Json) => h.code));
          cursor = body.nextCursor;
          pages += 1;
          await onPage?.(pages);
        } while (cursor && pages < 20);
        return seen;
      };
      expect(await walk('sort=-reported_at')).toEqual(seqs(6, 5, 3, 4, 2, 1, 7));
      // A hazard reported while someone pages (newest: before the cursor) neither shifts nor repeats a row.
      const db = service.deps.database.db;
      let added: number | undefined;
      const during = await walk('sort=-reported_at', async (page) => {
        if (page !== 1) return;
        const ids = await seedHazards(db, [{ ...SEEDS[4]!, seq: 50, reportedAt: '2026-05-20T01:59:00Z' }]);
        added = ids.get(code(50));
      });
      expect(during).toEqual(seqs(6, 5, 3, 4, 2, 1, 7));
      expect(await walk('sort=-reported_at')).toEqual(seqs(50, 6, 5, 3, 4, 2, 1, 7));
      await db.execute(sql`delete from hazard_events where hazard_id = ${added!}`);
      await db.execute(sql`delete from hazards where id = ${added!}`);
      expect(await walk('sort=reported_at')).toEqual(seqs(7, 1, 2, 4, 3, 5, 6));
      expect(await walk('sort=code')).toEqual(seqs(1, 2, 3, 4, 5, 6, 7));
      expect(await walk('sort=-code')).toEqual(seqs(7, 6, 5, 4, 3, 2, 1));
      expect(await walk('sort=-deadline')).toEqual(seqs(6, 3, 5, 4, 1, 2, 7));
      expect(await walk('sort=deadline&grade=general')).toEqual(seqs(7, 2, 4, 5, 3));

      // A cursor belongs to its sort.
      const first: Json = await (await get('/api/hazards?sort=code&limit=2')).json();
      const mismatch = await get(`/api/hazards?sort=deadline&cursor=${encodeURIComponent(first.nextCursor)}`);
      expect(mismatch.status).toBe(400);
      expect(((await mismatch.json()) as Json).error.code).toBe('invalid_cursor');
    });
  });

  describe('GET /api/hazards/:code', () => {
    it('shows one hazard with its trail and photo links; the photo link serves the bytes', async () => {
      const response = await get(`/api/hazards/${code(1)}`);
      const body: Json = await response.json();
      expect(response.status).toBe(200);
      expect(body).toMatchObject({ code: code(1), grade: 'major', overdue: true });
      expect(body.trail).toEqual([
        {
          type: 'reported',
          at: '2026-04-01T01:30:00.000Z',
          actor: { code: 'p008', name: '县检查员' },
          details: { grade: 'major', deadline: '2026-05-10' },
        },
      ]);
      expect(body.photos).toHaveLength(1);
      expect(body.photos[0]).toMatchObject({ stage: 'report', contentType: 'image/png', size: 14 });
      const photo = await get(body.photos[0].url);
      expect(photo.status).toBe(200);
      expect(photo.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await photo.arrayBuffer()).toString()).toBe('fake-png-bytes');
      expect((await get(`/api/hazards/${code(1)}/photos/999999`)).status).toBe(404);
    });

    it('reads a code as people type it, and answers an unknown or out-of-scope code politely with 404', async () => {
      const lenient: Json = await (await get('/api/hazards/yh-2026-1')).json();
      expect(lenient.code).toBe(code(1));

      const unknown = await get('/api/hazards/YH-2026-000099');
      expect(unknown.status).toBe(404);
      const unknownBody: Json = await unknown.json();
      expect(unknownBody.error.code).toBe('hazard_not_found');
      expect(unknownBody.error.message).toContain('没有找到编号为 YH-2026-000099 的隐患');

      const outOfScope = await get(`/api/hazards/${code(1)}?scope=region:town-02`);
      expect(outOfScope.status).toBe(404);
      expect(((await outOfScope.json()) as Json).error.message).toContain(code(1));
      expect((await get(`/api/hazards/${code(1)}/photos/1?scope=region:town-02`)).status).toBe(404);

      const garbage = await get('/api/hazards/abc');
      expect(garbage.status).toBe(404);
      expect(((await garbage.json()) as Json).error.message).toContain('不是隐患编号');
    });
  });

  describe('GET /api/stats', () => {
    it('counts the county by township, sector, grade and status, with overdue rate, supervision and trend', async () => {
      const stats: Json = await (await get('/api/stats')).json();
      expect(stats.today).toBe('2026-05-20');
      expect(stats.totals).toEqual({ total: 7, open: 5, overdue: 2, closed: 2, overdueRate: 0.4 });
      expect(stats.byTownship).toEqual([
        { code: 'town-02', name: '白鹤镇', total: 4, open: 3, overdue: 1, closed: 1 },
        { code: 'town-01', name: '城关镇', total: 2, open: 1, overdue: 1, closed: 1 },
        { code: 'town-01-a', name: '城关社区', total: 1, open: 1, overdue: 0, closed: 0 },
      ]);
      expect(stats.bySector).toEqual([
        { sector: '工贸', total: 4, open: 3, overdue: 1, closed: 1 },
        { sector: '危险化学品', total: 2, open: 1, overdue: 1, closed: 1 },
        { sector: '特种设备', total: 1, open: 1, overdue: 0, closed: 0 },
      ]);
      expect(stats.byGrade).toEqual([
        { grade: 'general', label: '一般隐患', total: 5, open: 3, overdue: 1, closed: 2 },
        { grade: 'major', label: '重大隐患', total: 2, open: 2, overdue: 1, closed: 0 },
      ]);
      expect(stats.byStatus.map((s: Json) => [s.status, s.count])).toEqual([
        ['reported', 1],
        ['rectifying', 3],
        ['pending_verification', 1],
        ['pending_delisting', 0],
        ['closed', 2],
      ]);
      // Open major hazards: none listed (挂牌督办 is the authority's decision), both under county 督办.
      expect(stats.majorUnderSupervision).toMatchObject({ total: 2, listed: 0, county: 2, township: 0, suspended: 1 });
      expect(stats.majorUnderSupervision.items.map((i: Json) => [i.code, i.overdue])).toEqual([
        [code(1), true],
        [code(6), false],
      ]);
      expect(stats.trend).toEqual([
        { weekStart: '2026-03-30', reported: 1, closed: 0 },
        { weekStart: '2026-04-06', reported: 1, closed: 0 },
        { weekStart: '2026-04-13', reported: 0, closed: 0 },
        { weekStart: '2026-04-20', reported: 0, closed: 1 },
        { weekStart: '2026-04-27', reported: 1, closed: 0 },
        { weekStart: '2026-05-04', reported: 0, closed: 0 },
        { weekStart: '2026-05-11', reported: 2, closed: 0 },
        { weekStart: '2026-05-18', reported: 1, closed: 0 },
      ]);
    });

    it('is scoped and filtered like the list', async () => {
      const town1: Json = await (await get('/api/stats?scope=region:town-01')).json();
      expect(town1.totals).toMatchObject({ total: 3, open: 2, overdue: 1 });
      expect(town1.byTownship.map((t: Json) => t.code)).toEqual(['town-01', 'town-01-a']);
      const major: Json = await (await get('/api/stats?grade=major')).json();
      expect(major.totals).toMatchObject({ total: 2, open: 2, overdue: 1, overdueRate: 0.5 });
      expect((await get('/api/stats?grade=x')).status).toBe(400);
    });

    it('gives the statutory quarterly and annual tables (统计分析表)', async () => {
      const q2: Json = await (await get('/api/stats?period=2026Q2')).json();
      expect(q2.period).toEqual({
        key: '2026Q2',
        kind: 'quarter',
        from: '2026-04-01',
        to: '2026-06-30',
        due: '2026-07-15',
        label: '2026年第二季度',
      });
      expect(q2.total).toEqual({
        code: 'total',
        name: '合计',
        general: { found: 4, rectified: 1, rate: 0.25 },
        // 挂牌督办 counts listings by the county's authority; the fixture's major hazards were never listed.
        major: { found: 2, rectified: 0, rate: 0, supervised: 0 },
        openAtEnd: 5,
      });
      expect(q2.rows.map((r: Json) => [r.code, r.general.found, r.major.found, r.openAtEnd])).toEqual([
        ['town-01', 1, 1, 1],
        ['town-01-a', 1, 0, 1],
        ['town-02', 2, 1, 3],
      ]);
      const q1: Json = await (await get('/api/stats?period=2026Q1&scope=region:town-02')).json();
      expect(q1.total.general).toEqual({ found: 1, rectified: 1, rate: 1 });
      const year: Json = await (await get('/api/stats?period=2026')).json();
      expect(year.period.due).toBe('2027-01-31');
      expect(year.total.general.found + year.total.major.found).toBe(7);
      const bad = await get('/api/stats?period=2026Q5');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as Json).error.code).toBe('invalid_period');
    });
  });

  describe('GET /api/ledger.xlsx', () => {
    it('streams the ledger with exactly the columns counties use, cell by cell, formulas escaped', async () => {
      const response = await get('/api/ledger.xlsx?scope=region:town-01');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('spreadsheetml');
      expect(response.headers.get('content-disposition')).toContain('attachment');
      const rows = await readSheet(await response.arrayBuffer());
      expect(rows[0]).toEqual([
        '序号',
        '隐患编号',
        '单位名称',
        '所属乡镇',
        '行业',
        '主管部门',
        '隐患等级',
        '隐患描述',
        '隐患位置',
        '发现时间',
        '检查人',
        '整改措施',
        '整改标准',
        '整改期限',
        '责任人',
        '整改情况',
        '验收人',
        '验收时间',
        '状态',
        '是否挂牌督办',
        '督办层级',
        '是否停产停业',
        '来源',
        '举报人',
        '检查编号',
        '立查立改',
        '判定依据',
      ]);
      expect(rows.slice(1)).toEqual([
        [
          1,
          code(1),
          '城关化工有限公司',
          '城关镇',
          '危险化学品',
          '县应急管理局',
          '重大隐患',
          '储罐区可燃气体报警器失效',
          '现场',
          '2026-04-01 09:30',
          '县检查员',
          '整改',
          '符合规范',
          '2026-05-10',
          '城关分管',
          '',
          '',
          '',
          '整改中（已超期）',
          '否',
          '县级督办',
          '是',
          '上报',
          '',
          '',
          '否',
          '',
        ],
        [
          2,
          code(2),
          '城关化工有限公司',
          '城关镇',
          '危险化学品',
          '县应急管理局',
          '一般隐患',
          `'=HYPERLINK("http://evil.example","点我")`,
          '现场',
          '2026-04-10 10:00',
          '县检查员',
          "'+更换阀门",
          '符合规范',
          '2026-04-30',
          '城关分管',
          "'-已更换",
          '县检查员',
          '2026-04-25 14:15',
          '已销号',
          '否',
          '—',
          '否',
          '上报',
          '',
          '',
          '否',
          '',
        ],
        [
          3,
          code(3),
          '社区机械加工厂',
          '城关社区',
          '工贸',
          '县应急管理局',
          '一般隐患',
          "'@SUM(A1:A9) 砂轮机防护罩缺失",
          '现场',
          '2026-05-12 11:00',
          '县检查员',
          "'\t加装防护罩",
          '符合规范',
          '2026-05-22',
          '无角色的人',
          '',
          '',
          '',
          '整改中',
          '否',
          '—',
          '否',
          '上报',
          '',
          '',
          '否',
          '',
        ],
      ]);
    });

    it('applies the filters, and answers a bad one with 400 before any byte of the file', async () => {
      const response = await get('/api/ledger.xlsx?township=town-02&status=open');
      const rows = await readSheet(await response.arrayBuffer());
      expect(rows.slice(1).map((r) => r[1])).toEqual(seqs(4, 5, 6));
      expect(rows.slice(1).map((r) => r[0])).toEqual([1, 2, 3]);
      const empty = await readSheet(await (await get('/api/ledger.xlsx?sector=燃气')).arrayBuffer());
      expect(empty).toHaveLength(1);
      const bad = await get('/api/ledger.xlsx?from=yesterday');
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toContain('application/json');
    });
  });

  describe('GET /api/stats.xlsx', () => {
    const load = async (path: string, token = READER) => {
      const response = await get(path, token);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toContain('attachment');
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(await response.arrayBuffer());
      return workbook.worksheets[0]!;
    };
    const body = (sheet: ExcelJS.Worksheet) => {
      const rows: unknown[][] = [];
      for (let r = 5; sheet.getCell(`B${r}`).value !== null; r++) {
        rows.push((sheet.getRow(r).values as unknown[]).slice(1, 11));
      }
      return rows;
    };

    it('is the county’s table handed upward as is: title, unit, period and date as dates, print settings', async () => {
      const sheet = await load('/api/stats.xlsx?period=2026Q2');
      expect(sheet.getCell('A1').value).toBe('本县2026年第二季度隐患排查治理情况统计分析表');
      expect(sheet.getCell('A2').value).toBe('填报单位：本县');
      expect(sheet.getCell('E2').value).toEqual(new Date('2026-04-01T00:00:00Z'));
      expect(sheet.getCell('G2').value).toEqual(new Date('2026-06-30T00:00:00Z'));
      expect(sheet.getCell('J2').value).toEqual(new Date(`${NOW.toISOString().slice(0, 10)}T00:00:00Z`));
      expect(sheet.getCell('J2').type).toBe(ExcelJS.ValueType.Date);
      expect(sheet.pageSetup).toMatchObject({
        orientation: 'landscape',
        fitToPage: true,
        fitToWidth: 1,
        fitToHeight: 0,
      });
      expect(sheet.pageSetup.printTitlesRow).toBe('3:4');
      expect(sheet.getRow(3).values).toContain('一般隐患');
      // Every township (the community's hazards count to 城关镇), the figures those of /api/stats?period=.
      const rows = body(sheet);
      expect(rows.map((r) => r[1])).toEqual(['城关镇', '白鹤镇', '合计']);
      const json: Json = await (await get('/api/stats?period=2026Q2')).json();
      const found = (codes: string[]) =>
        json.rows.filter((r: Json) => codes.includes(r.code)).reduce((n: number, r: Json) => n + r.general.found, 0);
      expect(rows[0]![2]).toBe(found(['town-01', 'town-01-a']));
      expect(rows[1]![2]).toBe(found(['town-02']));
      expect(rows[2]![2]).toBe(json.total.general.found);
      expect(json.statisticsDuty).toMatchObject({ period: { key: '2026Q2' }, total: 0, confirmed: 0 });
    });

    it('lists every township with zeros and “—” where a rate has no base; a township token sees its own', async () => {
      const rows = body(await load('/api/stats.xlsx?period=2025Q1'));
      expect(rows).toEqual([
        [1, '城关镇', 0, 0, '—', 0, 0, '—', 0, 0],
        [2, '白鹤镇', 0, 0, '—', 0, 0, '—', 0, 0],
        ['', '合计', 0, 0, '—', 0, 0, '—', 0, 0],
      ]);
      const own = await load('/api/stats.xlsx?period=2025Q1', TOWN_READER);
      expect(body(own).map((r) => r[1])).toEqual(['城关镇', '合计']);
      expect((await get('/api/stats.xlsx?period=2026Q5')).status).toBe(400);
    });
  });

  describe('in chat', () => {
    const lastCard = async (openId: string, before: number) =>
      eventually(() => {
        const list = service.sim.messages({ to: openId });
        return list.length > before ? list.at(-1) : undefined;
      });
    const cardText = (message: Json) => JSON.stringify(message.content);

    it('我的: a township leader sees the open hazards of their township only, colour-coded', async () => {
      const before = service.sim.messages({ to: 'ou_town1' }).length;
      await service.sim.sendText('ou_town1', '我的');
      const card = await lastCard('ou_town1', before);
      const text = cardText(card);
      expect(card.msgType).toBe('interactive');
      expect(text).toContain(code(1));
      expect(text).toContain(code(3));
      for (const other of [2, 4, 5, 6, 7]) expect(text).not.toContain(code(other));
      expect(text).toContain(`🔴 **${code(1)}**`);
      expect(text).toContain(`🟡 **${code(3)}**`);
      expect(text).toContain('共 2 条');
    });

    it('我的: the other township, a department, a person without roles, and a stranger each see their own', async () => {
      const expectations: [string, number[], number[]][] = [
        ['ou_town2', [4, 5, 6], [1, 2, 3, 7]],
        ['ou_dept', [4], [1, 2, 3, 5, 6, 7]],
        ['ou_plain', [3, 6], [1, 2, 4, 5, 7]],
      ];
      for (const [openId, seen, unseen] of expectations) {
        const before = service.sim.messages({ to: openId }).length;
        await service.sim.clickMenu(openId, 'mine');
        const text = cardText(await lastCard(openId, before));
        for (const n of seen) expect(text, `${openId} sees ${n}`).toContain(code(n));
        for (const n of unseen) expect(text, `${openId} does not see ${n}`).not.toContain(code(n));
      }
      const before = service.sim.messages({ to: 'ou_stranger' }).length;
      await service.sim.sendText('ou_stranger', '我的');
      const answer = await lastCard('ou_stranger', before);
      expect(answer.msgType).toBe('text');
      expect(answer.content.text).toContain('不在组织名录中');
    });

    it('台账: the xlsx of the asker’s scope arrives in the chat as a file', async () => {
      const before = service.sim.messages({ to: 'ou_town2' }).length;
      await service.sim.sendText('ou_town2', '台账');
      const message = await lastCard('ou_town2', before);
      expect(message.msgType).toBe('file');
      const bytes = service.sim.file(message.content.file_key);
      expect(bytes).toBeDefined();
      const rows = await readSheet(bytes!);
      expect(rows[0]).toEqual([...LEDGER_HEADERS]);
      expect(rows.slice(1).map((r) => r[1])).toEqual(seqs(7, 4, 5, 6));
      expect(rows.slice(1).map((r) => r[3])).toEqual(['白鹤镇', '白鹤镇', '白鹤镇', '白鹤镇']);
    });

    it('统计: the statistics card of the asker’s scope; 统计 2026Q2 the statutory table', async () => {
      let before = service.sim.messages({ to: 'ou_town1' }).length;
      await service.sim.sendText('ou_town1', '统计');
      const text = cardText(await lastCard('ou_town1', before));
      expect(text).toContain('城关镇');
      expect(text).not.toContain('白鹤镇');
      expect(text).toContain('逾期率 **50.0%**');
      before = service.sim.messages({ to: 'ou_town1' }).length;
      await service.sim.sendText('ou_town1', '统计 2026Q2');
      // The card, then the file handed upward (the township's own rows only).
      // Both messages, in whatever order the outbox delivers them.
      const answers = await eventually(() => {
        const list = service.sim.messages({ to: 'ou_town1' });
        return list.length >= before + 2 ? list.slice(before, before + 2) : undefined;
      });
      const card = answers.find((m: Json) => m.msgType === 'interactive');
      const file: Json = answers.find((m: Json) => m.msgType === 'file');
      const table = cardText(card);
      expect(table).toContain('2026年第二季度隐患排查治理统计分析表');
      expect(table).toContain('2026-07-15 前报送');
      expect(table).toContain('统计分析表');
      expect(file.msgType).toBe('file');
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(service.sim.file(file.content.file_key)! as unknown as ArrayBuffer);
      const sheet = workbook.worksheets[0]!;
      expect(sheet.getCell('A1').value).toBe('本县2026年第二季度隐患排查治理情况统计分析表');
      expect(sheet.getCell('A2').value).toBe('填报单位：本县（城关镇）');
      expect([sheet.getCell('B5').value, sheet.getCell('B6').value]).toEqual(['城关镇', '合计']);
      before = service.sim.messages({ to: 'ou_town1' }).length;
      await service.sim.sendText('ou_town1', '统计 明年');
      expect((await lastCard('ou_town1', before)).content.text).toContain('统计 2026Q3');
    });

    it('我的 pages with 下一页, and the digest’s list button lists for the clicker', async () => {
      // Ten more open hazards in 白鹤镇: 13 open there in all, two pages of 8.
      const more = Array.from({ length: 10 }, (_, i) => ({
        ...SEEDS[4]!,
        seq: 100 + i,
        description: `补充隐患${i}`,
        deadline: `2026-06-${String(10 + i).padStart(2, '0')}`,
      }));
      await seedHazards(service.deps.database.db, more);
      const before = service.sim.messages({ to: 'ou_town2' }).length;
      await service.sim.sendText('ou_town2', '我的');
      const first = await lastCard('ou_town2', before);
      const firstText = cardText(first);
      expect(firstText).toContain('共 13 条');
      expect(firstText).toContain('下一页');
      await service.sim.clickCard('ou_town2', first.messageId, {
        value: first.content.body.elements.find((e: Json) => e.tag === 'button').behaviors[0].value,
      });
      const updated = await eventually(() => {
        const text = cardText(service.sim.message(first.messageId)!);
        return text.includes('第 2 页') ? text : undefined;
      });
      // Each item names its code twice: in its text and in the tap that opens it.
      const firstCodes = [...new Set(firstText.match(/YH-2026-\d{6}/g))];
      const secondCodes = [...new Set(updated.match(/YH-2026-\d{6}/g))];
      expect(firstCodes).toHaveLength(8);
      expect(secondCodes).toHaveLength(5);
      expect(new Set([...firstCodes, ...secondCodes]).size).toBe(13);
      expect(updated).not.toContain('下一页');
      // Tapping an item sends its living card.
      const item = service.sim
        .message(first.messageId)!
        .content.body.elements.find((e: Json) => e.tag === 'interactive_container');
      const cardsBefore = service.sim.messages({ to: 'ou_town2', msgType: 'interactive' }).length;
      const tapped = await service.sim.clickCard('ou_town2', first.messageId, { value: item.behaviors[0].value });
      expect((tapped.body as Json).toast.type).toBe('success');
      const living = await eventually(
        () => service.sim.messages({ to: 'ou_town2', msgType: 'interactive' })[cardsBefore],
      );
      expect(living.content.header.title.content).toContain(item.behaviors[0].value.code);
    });
  });
});
