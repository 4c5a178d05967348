/**
 * The web view in a real browser: headless Chromium from Debian (`apt-get install chromium`; CHROMIUM_PATH to use
 * another) driven by playwright-core. Signs in through the simulator's Feishu authorize page as a county and a
 * township leader, reads the overview's numbers against /api/stats, opens a hazard from the list and sees its photo,
 * is refused another township's hazard, logs out. Any CSP violation or console error fails the test; screenshots of
 * the overview (phone 390×844 and desktop) go to test-artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { code, NOW } from '../fixtures/ledger.js';
import { startTestService, type TestService } from '../support/service.js';
import { seedWebCounty, WEB_ADMIN, WEB_READER } from '../support/web.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } } as const;
/**
 * 404s that are no fault: the campaign helper's files until they land, and the icon a browser asks for on pages that
 * declare none (the simulator's authorize page, the login's pages; ours declare an empty one).
 */
const NOT_YET = ['/web/static/campaign.js', '/web/static/lookback.js', '/favicon.ico'];

// biome-ignore lint/suspicious/noExplicitAny: /api/stats read field by field.
type Json = any;

describe('the web view in Chromium', () => {
  let service: TestService;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    }
    service = await startTestService(
      { ADMIN_TOKEN: WEB_ADMIN, API_TOKENS: `dashboard:${WEB_READER}` },
      { clock: new ManualClock(NOW), web: true },
    );
    await seedWebCounty(service);
    browser = await chromium.launch({ executablePath: CHROMIUM });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  /** A fresh browser profile that records every console error, page error and CSP violation. */
  async function open(viewport: { width: number; height: number }) {
    const context = await browser.newContext({ viewport });
    const problems: string[] = [];
    const expected404 = new Set<string>();
    // (Scripts for the page are strings: the test's TypeScript has no DOM types.)
    await context.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
      console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber);
    });`);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const url = message.location().url ?? '';
      const path = url ? new URL(url).pathname : '';
      if (/Failed to load resource: .* 404/.test(message.text()) && (NOT_YET.includes(path) || expected404.has(url))) {
        return;
      }
      problems.push(`${message.text()} (${url})`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    return { context, page, problems, expected404 };
  }

  /** Through /web/ → our login → the simulator's authorize page → pick the person → back on /web/ with charts. */
  async function signIn(page: Page, openId: string) {
    await page.goto(`${service.config.PUBLIC_URL}/web/`);
    expect(page.url()).toContain(service.sim.url);
    await page.click(`a[data-open-id="${openId}"]`);
    await page.waitForURL(`${service.config.PUBLIC_URL}/web/`);
    await chartsDrawn(page);
  }

  async function figures(page: Page): Promise<Record<string, number>> {
    const entries = await page.$$eval('[data-figure]', (nodes) =>
      nodes.map((n) => [n.getAttribute('data-figure'), Number(n.querySelector('.value')?.textContent)]),
    );
    return Object.fromEntries(entries);
  }

  /**
   * overview.js marks the body once the charts are drawn. Waited for with a selector: a string predicate would be
   * evaluated with eval, which the page's CSP (rightly) refuses.
   */
  async function chartsDrawn(page: Page) {
    await page.locator('body[data-charts]').waitFor({ state: 'attached' });
  }

  /** The first photo's decoded width, once it has loaded (0 for a broken image). */
  async function firstPhotoWidth(page: Page): Promise<number> {
    const img = page.locator('.photos img').first();
    for (let i = 0; i < 200; i++) {
      const state = await img.evaluate((node) => {
        const image = node as unknown as { complete: boolean; naturalWidth: number };
        return { complete: image.complete, naturalWidth: image.naturalWidth };
      });
      if (state.complete) return state.naturalWidth;
      await page.waitForTimeout(50);
    }
    throw new Error('the photo did not load');
  }

  async function statsOf(scope: string): Promise<Json> {
    const response = await fetch(`${service.url}/api/stats?scope=${scope}`, {
      headers: { authorization: `Bearer ${WEB_READER}` },
    });
    expect(response.status).toBe(200);
    return response.json();
  }

  async function screenshots(openId: string, context: BrowserContext) {
    const cookies = await context.cookies();
    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      const other = await browser.newContext({ viewport });
      await other.addCookies(cookies);
      const page = await other.newPage();
      await page.goto(`${service.config.PUBLIC_URL}/web/`);
      await chartsDrawn(page);
      // Charts drawn, and none wider than the screen (a phone must not scroll sideways).
      const widths = await page.$$eval('.chart canvas', (nodes) => nodes.map((n) => n.getBoundingClientRect().right));
      expect(widths.length).toBeGreaterThan(0);
      for (const right of widths) expect(right).toBeLessThanOrEqual(viewport.width);
      const width = await page
        .locator('html')
        .evaluate((node) => (node as unknown as { scrollWidth: number }).scrollWidth);
      expect(width).toBeLessThanOrEqual(viewport.width);
      await page.screenshot({ path: `${ARTIFACTS}/web-overview-${openId}-${name}.png`, fullPage: true });
      await other.close();
    }
  }

  it('a county leader: signs in, sees the county’s numbers, opens a hazard and its photo, logs out', {
    timeout: 120_000,
  }, async () => {
    const { context, page, problems } = await open(VIEWPORTS.desktop);
    await signIn(page, 'ou_county');
    expect(await page.textContent('.who .name')).toBe('县领导甲');
    expect(await page.textContent('.who .scope')).toBe('全县');
    const stats = await statsOf('county');
    expect(await figures(page)).toMatchObject({
      open: stats.totals.open,
      overdue: stats.totals.overdue,
      major: stats.majorUnderSupervision.total,
      listed: stats.majorUnderSupervision.listed,
      suspended: stats.majorUnderSupervision.suspended,
    });
    expect(await page.$$eval('table[data-table="township"] tbody tr', (rows) => rows.length)).toBe(
      stats.byTownship.length,
    );
    await screenshots('county', context);

    // From the list to a hazard, and its photo decoded.
    await page.click('nav a[href="/web/hazards"]');
    await page.waitForURL(/\/web\/hazards$/);
    expect(await page.$$eval('table.hazards tbody tr', (rows) => rows.length)).toBe(stats.totals.total);
    await page.click(`a[href="/web/hazards/${code(1)}"]`);
    await page.waitForURL(new RegExp(`/web/hazards/${code(1)}$`));
    expect(await firstPhotoWidth(page)).toBe(160);
    expect(await page.textContent('[data-field="deadline"] dd')).toContain('2026-05-10');

    // The filters narrow the list.
    await page.goto(`${service.config.PUBLIC_URL}/web/hazards`);
    await page.selectOption('select[name="grade"]', 'major');
    await page.click('form.filters button[type="submit"]');
    await page.waitForURL(/grade=major/);
    expect(await page.$$eval('table.hazards tbody tr', (rows) => rows.map((r) => r.getAttribute('data-code')))).toEqual(
      [code(6), code(1)],
    );

    // Logging out ends the session: /web/ sends to the login again.
    await page.click('form.logout button');
    await page.waitForLoadState('load');
    await page.goto(`${service.config.PUBLIC_URL}/web/`);
    expect(page.url()).toContain(service.sim.url);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a township leader: sees their township’s numbers, and another township’s hazard is refused', {
    timeout: 120_000,
  }, async () => {
    const { context, page, problems, expected404 } = await open(VIEWPORTS.phone);
    await signIn(page, 'ou_town1');
    expect(await page.textContent('.who .scope')).toBe('城关镇');
    const stats = await statsOf('region:town-01');
    expect(await figures(page)).toMatchObject({
      open: stats.totals.open,
      overdue: stats.totals.overdue,
      major: stats.majorUnderSupervision.total,
      suspended: stats.majorUnderSupervision.suspended,
    });
    await screenshots('town-01', context);

    const other = `${service.config.PUBLIC_URL}/web/hazards/${code(4)}`;
    expected404.add(other);
    const refused = await page.goto(other);
    expect(refused?.status()).toBe(404);
    expect(await page.textContent('main h1')).toBe('没有找到');
    expect(await page.content()).not.toContain('电梯');

    // Their own: the list shows only 城关镇's three, and hazard 1's photo loads.
    await page.goto(`${service.config.PUBLIC_URL}/web/hazards`);
    expect(
      (await page.$$eval('table.hazards tbody tr', (rows) => rows.map((r) => r.getAttribute('data-code')))).sort(),
    ).toEqual([code(1), code(2), code(3)]);
    await page.click(`a[href="/web/hazards/${code(1)}"]`);
    expect(await firstPhotoWidth(page)).toBe(160);
    expect(problems).toEqual([]);
    await context.close();
  });
});
