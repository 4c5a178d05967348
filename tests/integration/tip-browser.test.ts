/**
 * The public tip page in headless Chromium (the phone a tipster holds): fill the form with a photo, send, see the
 * receipt, open the tracking link; bad input comes back with everything typed and the problem beside its field; after
 * repeated tips the page's own script answers the proof-of-work challenge with Web Crypto. No CSP violation anywhere.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tipPhotos, tips } from '../../src/db/schema/index.js';
import { startTestService, type TestService } from '../support/service.js';

const TOKEN = 'admin-token-tip-browser-0123456789';
const DIRECTORY = {
  regions: [
    { code: 'county-x', name: '某县', parent: null },
    { code: 'town-01', name: '城关镇', parent: 'county-x' },
  ],
  people: [
    { code: 'tinsp', name: '镇检查员', openId: 'ou_tinsp', roles: [{ role: 'inspector', scope: 'region:town-01' }] },
  ],
  enterprises: [],
};
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(512, 7)]);

describe('群众举报: the public page in Chromium', () => {
  let service: TestService;
  let browser: Browser;
  const violations: string[] = [];
  const photoPath = join(mkdtempSync(join(tmpdir(), 'tip-browser-')), '现场.png');

  beforeAll(async () => {
    service = await startTestService({
      ADMIN_TOKEN: TOKEN,
      COUNTY_NAME: '某县',
      TIP_CHALLENGE_AFTER: '3',
      TIP_CHALLENGE_BITS: '10',
      TIP_SECRET: 'tip-browser-test-secret-0123456789-abcdef',
    });
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(DIRECTORY),
    });
    expect(response.status, await response.text()).toBe(200);
    writeFileSync(photoPath, PNG);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  async function phone(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    const page = await context.newPage();
    // Init scripts run beside the page's CSP, not under it: they can listen for what the policy blocked.
    await page.addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    });
    // (Not every console error: the refused form's 400 and the absent favicon log "Failed to load resource".)
    page.on('console', (m) => {
      if (/Content Security Policy|CSP violation/.test(m.text())) violations.push(m.text());
    });
    page.on('pageerror', (e) => violations.push(String(e)));
    return page;
  }

  it('sends a tip with a photo, shows the receipt and the tracking page; bad input keeps what was typed', async () => {
    const page = await phone();
    await page.goto(`${service.url}/tip?region=town-01`);
    expect(await page.locator('h1').textContent()).toBe('某县安全生产隐患举报');
    // Styled by our own file (the CSP forbids inline style): the button is full-width red.
    const button = page.locator('button[type=submit]');
    expect(await page.evaluate("getComputedStyle(document.querySelector('button[type=submit]')).backgroundColor")).toBe(
      'rgb(180, 35, 24)',
    );

    await page.fill('#tip-what', '仓库门口堆满<纸箱>，消防通道堵死');
    await page.fill('#tip-where', '城关镇东街 12 号');
    await page.fill('#tip-name', '李四');
    await page.fill('#tip-phone', '12345');
    await page.setInputFiles('#tip-photos', photoPath);
    await button.click();
    await page.waitForLoadState();
    // Refused: everything typed is there, the problem is beside the phone, and the photo must be chosen again.
    expect(await page.inputValue('#tip-what')).toBe('仓库门口堆满<纸箱>，消防通道堵死');
    expect(await page.inputValue('#tip-where')).toBe('城关镇东街 12 号');
    expect(await page.inputValue('#tip-name')).toBe('李四');
    expect(await page.inputValue('#tip-phone')).toBe('12345');
    expect(await page.inputValue('#tip-region')).toBe('town-01');
    expect(await page.locator('#problem-phone').textContent()).toContain('电话（phone）格式不对');
    expect(await page.locator('.alert').textContent()).toContain('照片需要重新选择');
    expect(await service.deps.database.db.$count(tips)).toBe(0);

    await page.fill('#tip-phone', '13912345678');
    await page.setInputFiles('#tip-photos', photoPath);
    await page.locator('button[type=submit]').click();
    await page.waitForSelector('#tip-code');
    const code = (await page.locator('#tip-code').textContent())!;
    expect(code).toMatch(/^JB-\d{4}-\d{6}$/);
    expect(await page.locator('.save strong').textContent()).toBe('请保存此链接');
    const [row] = await service.deps.database.db.select().from(tips).where(eq(tips.code, code));
    expect(row!.tipsterName).toBe('李四');
    // Opened from the township's poster (?region=), through the refusal and back: counted as the poster's.
    expect(row!.channel).toBe('township_qr');
    expect(await service.deps.database.db.$count(tipPhotos, eq(tipPhotos.tipId, row!.id))).toBe(1);

    await page.locator('#tracking-link').click();
    await page.waitForSelector('#tip-status');
    expect(await page.locator('#tip-status').textContent()).toBe('已收到，待受理');
    expect(await page.locator('h1').textContent()).toBe(`举报 ${code}`);
    await page.context().close();
  }, 60_000);

  it('after repeated tips the page’s own script answers the challenge, and the tip goes through', async () => {
    const page = await phone();
    // The first test made two attempts from 127.0.0.1; a third makes the next ask a challenge.
    const body = new FormData();
    body.append('what', '第二条');
    body.append('where', '西街');
    expect((await fetch(`${service.url}/tip`, { method: 'POST', body })).status).toBe(201);
    await page.goto(`${service.url}/tip`);
    expect(await page.locator('input[name=challenge]').count()).toBe(1);
    await page.waitForFunction("document.querySelector('input[name=nonce]').value !== ''");
    expect(await page.locator('#pow-status').textContent()).toContain('安全验证已完成');
    await page.fill('#tip-what', '第三条：脚手架松动');
    await page.fill('#tip-where', '南街工地');
    await page.locator('button[type=submit]').click();
    await page.waitForSelector('#tip-code');
    expect(await service.deps.database.db.$count(tips, eq(tips.what, '第三条：脚手架松动'))).toBe(1);
    await page.context().close();
  }, 60_000);

  it('no page broke its Content-Security-Policy or threw', () => {
    expect(violations).toEqual([]);
  });
});
