import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { code, NOW } from '../fixtures/ledger.js';
import { startTestService, type TestService } from '../support/service.js';
import { seedWebCounty, WEB_ADMIN, WEB_READER } from '../support/web.js';
import { signIn, type WebClient } from '../support/web-login.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read JSON answers field by field, as a browser would.
type Json = any;

const seqs = (...n: number[]) => n.map(code);
const sorted = (list: string[]) => [...list].sort();

describe('the leaders’ web pages', () => {
  let service: TestService;
  /** Signed-in viewers (through the simulator's Feishu login), by open_id. */
  const sessions = new Map<string, WebClient>();
  const as = (openId: string, path: string) => sessions.get(openId)!.fetch(path);
  const api = (path: string) => fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${WEB_READER}` } });

  beforeAll(async () => {
    service = await startTestService(
      { ADMIN_TOKEN: WEB_ADMIN, API_TOKENS: `dashboard:${WEB_READER}` },
      { clock: new ManualClock(NOW), web: true },
    );
    await seedWebCounty(service);
    for (const openId of ['ou_county', 'ou_town1', 'ou_town2', 'ou_dept']) {
      sessions.set(openId, await signIn(service, openId));
    }
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('without a session: pages redirect to the login, JSON, photos, documents and the xlsx answer 401', async () => {
    for (const path of ['/web/', '/web/hazards', `/web/hazards/${code(1)}`]) {
      const response = await fetch(`${service.url}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(302);
      expect(response.headers.get('location'), path).toMatch(/\/auth\/feishu\/login/);
    }
    for (const path of [
      '/web/api/overview',
      '/web/api/hazards',
      `/web/api/hazards/${code(1)}`,
      `/web/hazards/${code(1)}/photos/1`,
      `/web/hazards/${code(1)}/documents/notice`,
      '/web/ledger.xlsx',
    ]) {
      const response = await fetch(`${service.url}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(401);
      expect(((await response.json()) as Json).error.code, path).toBe('unauthenticated');
    }
    // The static files are not data: they load before login (the login page may use them).
    expect((await fetch(`${service.url}/web/static/web.css`)).status).toBe(200);
    expect((await fetch(`${service.url}/web/static/overview.js`)).status).toBe(200);
    const echarts = await fetch(`${service.url}/web/vendor/echarts.min.js`);
    expect(echarts.status).toBe(200);
    expect(echarts.headers.get('content-type')).toMatch(/javascript/);
  });

  it('the overview shows the numbers /api/stats gives for the same scope, in JSON and in the page', async () => {
    for (const [openId, scope, total] of [
      ['ou_county', 'county', 7],
      ['ou_town1', 'region:town-01', 3],
      ['ou_town2', 'region:town-02', 4],
      ['ou_dept', 'department:scjgj', 1],
    ] as const) {
      const stats: Json = await (await api(`/api/stats?scope=${scope}`)).json();
      expect(stats.totals.total, scope).toBe(total);
      const overview: Json = await (await as(openId, '/web/api/overview')).json();
      const major = stats.majorUnderSupervision;
      expect(overview.headline, scope).toEqual({
        open: stats.totals.open,
        overdue: stats.totals.overdue,
        overdueRate: stats.totals.overdueRate,
        major: major.total,
        listed: major.listed,
        countySupervised: major.county,
        townshipSupervised: major.township,
        suspended: major.suspended,
      });
      expect(overview.trend, scope).toEqual(stats.trend);
      const coverage: Json = await (await api(`/api/coverage?scope=${scope}`)).json();
      expect(overview.coverage.totals, scope).toEqual(coverage.totals);
      // 应急局's plan covers e001, e003 and e004 (危化, 工贸); 市监局 sees none of them.
      expect(coverage.totals.units, scope).toBe(
        { county: 3, 'region:town-01': 2, 'region:town-02': 1 }[scope as string] ?? 0,
      );
      expect(
        overview.coverage.plans.map((p: Json) => [p.code, p.counts]),
        scope,
      ).toEqual(coverage.plans.map((p: Json) => [p.code, p.counts]));
      expect(
        overview.byTownship.map((t: Json) => [t.key, t.open, t.red, t.closed, t.total]),
        scope,
      ).toEqual(stats.byTownship.map((t: Json) => [t.code, t.open, t.overdue, t.closed, t.total]));
      expect(
        overview.bySector.map((s: Json) => [s.key, s.open, s.red]),
        scope,
      ).toEqual(stats.bySector.map((s: Json) => [s.sector, s.open, s.overdue]));
      const page = await as(openId, '/web/');
      expect(page.status, scope).toBe(200);
      const text = await page.text();
      const figure = (key: string) =>
        Number(
          new RegExp(`data-figure="${key}">\\s*<div class="label">[^<]*</div><div class="value">(\\d+)<`).exec(
            text,
          )?.[1],
        );
      expect(figure('open'), scope).toBe(stats.totals.open);
      expect(figure('overdue'), scope).toBe(stats.totals.overdue);
      expect(figure('major'), scope).toBe(major.total);
      expect(figure('suspended'), scope).toBe(major.suspended);
      if (coverage.totals.units) expect(figure('coverage-rate'), scope).toBe(coverage.totals.done);
      expect(text).toContain('<section id="campaign"></section>');
      expect(text).toContain('<script type="module" src="/web/static/campaign.js"></script>');
    }
  });

  it('colours townships and sectors: red overdue, yellow due within three days, green the rest', async () => {
    const overview: Json = await (await as('ou_county', '/web/api/overview')).json();
    const township = (key: string) => overview.byTownship.find((t: Json) => t.key === key);
    // 城关镇: hazard 1 overdue. 城关社区: hazard 3 due 05-22 (two days). 白鹤镇: 5 overdue, 4 awaiting verification, 6 far.
    expect(township('town-01')).toMatchObject({ open: 1, red: 1, yellow: 0, green: 0, light: 'red' });
    expect(township('town-01-a')).toMatchObject({ open: 1, red: 0, yellow: 1, green: 0, light: 'yellow' });
    expect(township('town-02')).toMatchObject({ open: 3, red: 1, yellow: 0, green: 2, light: 'red' });
    const sector = (key: string) => overview.bySector.find((s: Json) => s.key === key);
    expect(sector('特种设备')).toMatchObject({ open: 1, red: 0, yellow: 0, green: 1, light: 'green' });
    const town2: Json = await (await as('ou_town2', '/web/api/overview')).json();
    expect(town2.byTownship.map((t: Json) => t.key)).toEqual(['town-02']);
  });

  it('a township leader gets 404 for another township’s hazard, page and photo alike, as for one that does not exist', async () => {
    const hazard4: Json = await (await as('ou_county', `/web/api/hazards/${code(4)}`)).json();
    const photo = hazard4.photos[0];
    expect(photo.url).toBe(`/web/hazards/${code(4)}/photos/${photo.id}`);
    const county = await as('ou_county', photo.url);
    expect(county.status).toBe(200);
    expect(county.headers.get('content-type')).toBe('image/png');

    const page = await as('ou_town1', `/web/hazards/${code(4)}`);
    expect(page.status).toBe(404);
    // The same page either way (the logout form's CSRF token aside, which is new on every page).
    const withoutToken = (text: string) => text.replace(/name="_csrf" value="[^"]*"/, '');
    const pageText = withoutToken(await page.text());
    expect(pageText).not.toContain('白鹤');
    const missing = await as('ou_town1', '/web/hazards/YH-2026-999999');
    expect(missing.status).toBe(404);
    expect(withoutToken(await missing.text())).toBe(pageText);
    const outOfScope = await as('ou_town1', photo.url);
    expect(outOfScope.status).toBe(404);
    const none = await as('ou_town1', `/web/hazards/YH-2026-999999/photos/${photo.id}`);
    expect(none.status).toBe(404);
    expect(await outOfScope.text()).toBe(await none.text());
    expect((await as('ou_town1', `/web/api/hazards/${code(4)}`)).status).toBe(404);
    expect((await as('ou_town1', `/web/hazards/${code(4)}/documents/notice`)).status).toBe(404);

    // Their own township's hazard: the page, its photo and its document.
    const own = await as('ou_town1', `/web/hazards/${code(1)}`);
    expect(own.status).toBe(200);
    const ownJson: Json = await (await as('ou_town1', `/web/api/hazards/${code(1)}`)).json();
    const ownPhoto = await as('ou_town1', ownJson.photos[0].url);
    expect(ownPhoto.status).toBe(200);
    expect(
      Buffer.from(await ownPhoto.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    const pdf = await as('ou_town1', `/web/hazards/${code(1)}/documents/notice`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
  });

  it('a hazard’s page: the five 定, the trail, photos before and after, documents, and 责任倒查’s place on a major one', async () => {
    const major = await (await as('ou_county', `/web/hazards/${code(1)}`)).text();
    for (const label of [
      '定措施',
      '定资金',
      '定时限',
      '定责任人',
      '定预案',
      '处理记录',
      '整改前',
      '整改后',
      '隐患整改通知书',
    ]) {
      expect(major).toContain(label);
    }
    expect(major).toContain('2026-05-10');
    expect(major).toContain('城关分管');
    expect(major).toContain('上报重大隐患');
    expect(major).toMatch(new RegExp(`<img src="/web/hazards/${code(1)}/photos/\\d+"`));
    expect(major).toContain(`<section id="lookback" data-code="${code(1)}"></section>`);
    expect(major).toContain('<script type="module" src="/web/static/lookback.js"></script>');
    const general = await (await as('ou_county', `/web/hazards/${code(2)}`)).text();
    expect(general).not.toContain('id="lookback"');
    expect(general).toMatch(new RegExp(`<img src="/web/hazards/${code(2)}/photos/\\d+"`));
  });

  it('escapes what the directory and reports say: a unit named <script> is text on every page', async () => {
    for (const path of ['/web/', '/web/hazards', `/web/hazards/${code(1)}`, `/web/hazards/${code(2)}`]) {
      const text = await (await as('ou_county', path)).text();
      expect(text, path).not.toContain('<script>alert');
      expect(text, path).not.toContain('<img src=x');
      if (path !== '/web/') expect(text, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x');
      // No inline script or style: every script has a src or is JSON data.
      expect(text.match(/<script(?![^>]*\b(src|type="application\/json")=?)/g), path).toBeNull();
      expect(text, path).not.toMatch(/\sstyle=|<style/);
    }
    const overview = await (await as('ou_county', '/web/')).text();
    expect(overview).toContain('\\u003cscript\\u003ealert(1)');
  });

  it('the list applies the ledger’s filters within the viewer’s scope, and the xlsx holds exactly what it shows', async () => {
    const listed = async (openId: string, query: string) => {
      const response = await as(openId, `/web/api/hazards?${query}`);
      expect(response.status, query).toBe(200);
      return ((await response.json()) as Json).items.map((h: Json) => h.code) as string[];
    };
    const viaApi = async (scope: string, query: string) =>
      (((await (await api(`/api/hazards?scope=${scope}&${query}`)).json()) as Json).items as Json[]).map((h) => h.code);
    const cases = [
      '',
      'township=town-01',
      'township=town-01-a',
      'sector=工贸',
      'grade=major',
      'status=open',
      'status=closed',
      'overdue=true',
      'overdue=false',
      'from=2026-05-01&to=2026-05-16',
      'grade=general&status=open&township=town-02',
      'sort=deadline',
    ].map(encodeURI);
    for (const query of cases) {
      expect(await listed('ou_county', query), query).toEqual(await viaApi('county', query));
      expect(await listed('ou_town1', query), query).toEqual(await viaApi('region:town-01', query));
    }
    expect(sorted(await listed('ou_town1', ''))).toEqual(seqs(1, 2, 3));
    // Another township's filter narrows a township leader to nothing, not to it.
    expect(await listed('ou_town1', 'township=town-02')).toEqual([]);
    const bad = await as('ou_county', '/web/hazards?grade=huge');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('隐患等级“huge”无效');

    // The page lists the same rows, linked to their pages, and its export link carries the same filters.
    const page = await (await as('ou_county', '/web/hazards?grade=general&status=open')).text();
    const onPage = [...page.matchAll(/<tr data-code="([^"]+)">/g)].map((m) => m[1]);
    expect(onPage).toEqual(await viaApi('county', 'grade=general&status=open'));
    expect(page).toContain('href="/web/ledger.xlsx?grade=general&amp;status=open"');
    expect(page).toContain(`href="/web/hazards/${code(5)}"`);

    for (const [openId, scope, query] of [
      ['ou_county', 'county', 'grade=general&status=open'],
      ['ou_county', 'county', ''],
      ['ou_town1', 'region:town-01', 'sector=危险化学品'],
      ['ou_town2', 'region:town-02', 'overdue=false'],
    ] as const) {
      const response = await as(openId, `/web/ledger.xlsx?${encodeURI(query)}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/spreadsheetml/);
      const codes = await xlsxCodes(Buffer.from(await response.arrayBuffer()));
      expect(sorted(codes), `${openId} ${query}`).toEqual(sorted(await viaApi(scope, encodeURI(query))));
    }
  });
});

/** The 隐患编号 column of the ledger sheet (after its title, scope and header rows). */
async function xlsxCodes(data: Buffer): Promise<string[]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(data as unknown as ArrayBuffer);
  const sheet = workbook.worksheets[0]!;
  const codes: string[] = [];
  sheet.eachRow((row) => {
    if (row.number > 3) codes.push(String(row.getCell(2).value));
  });
  return codes;
}
