/**
 * campaign.js and lookback.js in headless Chromium (Debian's, driven by playwright-core), signed in through the
 * simulator, against the real service and its JSON. The overview and hazard pages are another module's: a page
 * carrying the same two sections and scripts is served at the service's origin through Playwright's routing, under
 * the web view's own Content-Security-Policy, so a script or style the CSP would refuse fails the test.
 * Screenshots (phone and desktop) go to test-artifacts/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { CONTENT_SECURITY_POLICY } from '../../src/web/index.js';
import { CAMPAIGN_DIRECTORY, HOSTILE_UNIT, jc, seedCampaign } from '../fixtures/campaign.js';
import { code, NOW } from '../fixtures/ledger.js';
import { startTestService, type TestService } from '../support/service.js';
import { signIn } from '../support/web-login.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'campaign-browser-admin-token-0123456789';
const PUBLIC = fileURLToPath(new URL('../../src/web/public/', import.meta.url));
const ECHARTS = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

const csp = Object.entries(CONTENT_SECURITY_POLICY)
  .map(([name, values]) => `${name} ${values.join(' ')}`)
  .join('; ');

const PAGE = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>测试页</title><script src="/web/static/echarts.min.js"></script></head>
<body><main><section id="campaign"></section><section id="lookback" data-code="${code(1)}"></section></main>
<script type="module" src="/web/static/campaign.js"></script><script type="module" src="/web/static/lookback.js"></script>
</body></html>`;

describe.skipIf(!existsSync(CHROMIUM))('campaign.js and lookback.js in Chromium', () => {
  let service: TestService;
  let browser: Browser;

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: ADMIN }, { clock: new ManualClock(NOW), web: true });
    for (const p of CAMPAIGN_DIRECTORY.people) service.sim.addUser({ openId: p.openId, name: p.name });
    const imported = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(CAMPAIGN_DIRECTORY),
    });
    expect(imported.status, await imported.text()).toBe(200);
    await seedCampaign(service.deps.database.db);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  /** A page signed in as `openId` with the test page routed in; console errors and CSP violations collected. */
  async function openAs(openId: string, viewport: { width: number; height: number }) {
    const origin = service.config.PUBLIC_URL!;
    const client = await signIn(service, openId);
    const [name, value] = client.cookie!.split(/=(.*)/s) as [string, string];
    const context = await browser.newContext({ viewport });
    await context.addCookies([{ name, value, url: origin }]);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    // A string, not a function: it runs in the page (the tests are compiled without the DOM's types).
    await page.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))",
    );
    await page.route(`${origin}/web/campaign-test`, (route) =>
      route.fulfill({
        contentType: 'text/html; charset=utf-8',
        headers: { 'content-security-policy': csp },
        body: PAGE,
      }),
    );
    await page.route(`${origin}/web/static/*`, (route) => {
      const file = new URL(route.request().url()).pathname.split('/').pop()!;
      const path = file === 'echarts.min.js' ? ECHARTS : `${PUBLIC}${file}`;
      if (!existsSync(path)) return route.fulfill({ status: 404, body: 'not found' });
      const type = file.endsWith('.css') ? 'text/css' : 'text/javascript';
      return route.fulfill({ contentType: `${type}; charset=utf-8`, body: readFileSync(path) });
    });
    await page.goto(`${origin}/web/campaign-test`);
    return { page, problems, context };
  }

  /** Waits for `selector`; on timeout, fails with what the page said (errors, CSP) and what the sections hold. */
  async function waitFor(page: Page, problems: string[], selector: string) {
    try {
      await page.waitForSelector(selector, { state: 'attached', timeout: 20_000 });
    } catch (error) {
      const sections = await page.locator('main').innerHTML();
      throw new Error(`${(error as Error).message}\nproblems: ${problems.join(' | ')}\n${sections.slice(0, 2000)}`);
    }
  }

  const text = (page: Page, selector: string) => page.locator(selector).innerText();

  it('a township leader sees their figures, the ranking chart, changes the period and gets the xlsx link', async () => {
    const { page, problems, context } = await openAs('ou_town1', { width: 390, height: 844 });
    await waitFor(page, problems, '#campaign[data-loaded="true"]');
    const campaign = await text(page, '#campaign');
    expect(campaign).toContain('治本攻坚专项指标');
    expect(campaign).toContain('城关镇 · 2026-01-01 至 2026-05-20（2026 年度）');
    // 城关镇: 存量 M1 (open), 增量 M4 (closed); M1 is past its deadline.
    const figures = await page.locator('.cmp-figure').allInnerTexts();
    expect(figures.map((f) => f.replace(/\s+/g, ' '))).toEqual([
      '存量重大隐患 1 期间销号 0 · 未销号 1',
      '增量重大隐患 1 期间销号 1 · 未销号 0',
      '动态清零 未实现 1 条重大隐患超过期限未销号',
    ]);
    expect(campaign).not.toContain('白鹤镇');
    await waitFor(page, problems, '#campaign[data-chart="drawn"] .cmp-chart svg');
    expect(await page.locator('.cmp-xlsx').getAttribute('href')).toBe('/web/campaign.xlsx');
    await page.screenshot({ path: `${ARTIFACTS}campaign-phone.png`, fullPage: true });

    await page.fill('input[name="from"]', '2026-03-01');
    await page.fill('input[name="to"]', '2026-03-31');
    await page.click('.cmp-picker button[type="submit"]');
    // Locators, not waitForFunction: a string predicate is eval, which the page's CSP refuses.
    await page.locator('.cmp-period', { hasText: '2026-03-31' }).waitFor();
    // In March 城关镇's 增量 (M4) had been closed already in February: nothing closed within the period.
    expect((await page.locator('.cmp-figure').nth(1).innerText()).replace(/\s+/g, ' ')).toBe(
      '增量重大隐患 1 期间销号 0 · 未销号 0',
    );
    expect(await page.locator('.cmp-xlsx').getAttribute('href')).toBe(
      '/web/campaign.xlsx?from=2026-03-01&to=2026-03-31',
    );
    // The link downloads what the JSON showed: the township's own ranking for March.
    const file = await page.request.get(`${service.config.PUBLIC_URL}/web/campaign.xlsx?from=2026-03-01&to=2026-03-31`);
    expect(file.status()).toBe(200);
    expect(file.headers()['content-type']).toContain('spreadsheetml');

    // 责任倒查 on M1: JC-16 passed the item it cites.
    await waitFor(page, problems, '#lookback[data-loaded="true"]');
    const lookback = await text(page, '#lookback');
    expect(lookback).toContain('责任倒查');
    expect(lookback).toContain('检查表 ck-01 第 1 项：检查项一');
    expect(lookback).toContain(jc(16));
    expect(lookback).toContain('县检查员');
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('the county on a desktop: every township ranked; a hazard outside a viewer’s scope says so, nothing more', async () => {
    const { page, problems, context } = await openAs('ou_county', { width: 1280, height: 900 });
    await waitFor(page, problems, '#campaign[data-loaded="true"]');
    const firstTable = page.locator('.cmp-table').first();
    const names = await firstTable.locator('tbody tr td:nth-child(2)').allInnerTexts();
    expect(names).toEqual(['=1+2镇', '城关镇', '白鹤镇']);
    const shown = await text(page, '#campaign');
    expect(shown).toContain('检查 3 次及以上从未发现隐患的单位：2 家');
    // A unit named with markup shows as that text; nothing of it became an element or ran.
    expect(shown).toContain(HOSTILE_UNIT);
    expect(await page.locator('#campaign img').count()).toBe(0);
    expect(await page.evaluate('window.__injected')).toBeUndefined();
    await waitFor(page, problems, '#lookback[data-loaded="true"]');
    await page.screenshot({ path: `${ARTIFACTS}campaign-desktop.png`, fullPage: true });
    expect(problems).toEqual([]);
    await context.close();

    // 白鹤镇's leader on M1's page (a 城关镇 hazard): the lookback says it found nothing, and no figure leaks.
    const other = await openAs('ou_town2', { width: 390, height: 844 });
    await other.page.locator('#lookback .cmp-status', { hasText: '没有找到' }).waitFor();
    expect(await text(other.page, '#lookback')).toContain('没有找到这条重大隐患');
    expect(await text(other.page, '#lookback')).not.toContain(jc(16));
    await other.context.close();
  }, 60_000);
});
