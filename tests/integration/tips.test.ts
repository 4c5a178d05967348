import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { eq, sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/rows.js';
import { hazardPhotos, hazards, outbox, tipEvents, tipPhotos, tips } from '../../src/db/schema/index.js';
import { createCalendar } from '../../src/domain/calendar.js';
import { redactPaths } from '../../src/logger.js';
import { createTipPhotoUploader, tipsWithStalePhotos } from '../../src/tips/photo-upload.js';
import { buttonTextsOf, elementsOf, type Json, titleOf } from '../support/chat.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'tips-test-admin-token-0123456789';
const TOWN_READER = 'tips-town01-reader-token-0123456789';
const calendar = createCalendar();

const PEOPLE = [
  { code: 'tinsp', name: '镇检查员', openId: 'ou_tinsp', roles: [{ role: 'inspector', scope: 'region:town-01' }] },
  { code: 'oinsp', name: '外镇检查员', openId: 'ou_oinsp', roles: [{ role: 'inspector', scope: 'region:town-02' }] },
  { code: 'dinsp', name: '应急局检查员', openId: 'ou_dinsp', roles: [{ role: 'inspector', scope: 'department:yjj' }] },
  { code: 'aw', name: '安委办干事', openId: 'ou_aw', roles: [{ role: 'county_safety_office', scope: 'county' }] },
  {
    code: 'tml',
    name: '镇书记',
    openId: 'ou_tml',
    roles: [{ role: 'township_main_leader', scope: 'region:town-01' }],
  },
  { code: 'boss', name: '企业老板', openId: 'ou_boss', roles: [] },
];

const DIRECTORY = {
  regions: [
    { code: 'county-x', name: '某县', parent: null },
    { code: 'town-01', name: '城关镇', parent: 'county-x' },
    { code: 'town-02', name: '河西镇', parent: 'county-x' },
  ],
  departments: [{ code: 'yjj', name: '县应急管理局', sectors: ['工贸', '危险化学品'] }],
  people: PEOPLE,
  enterprises: [
    {
      code: 'e001',
      name: '城关化工有限公司',
      region: 'town-01',
      sectors: ['危险化学品'],
      department: 'yjj',
      principal: 'boss',
    },
    { code: 'e002', name: '城关小饭店', region: 'town-01', sectors: ['工贸'], principal: 'boss' },
  ],
};

const TIPSTER_NAME = '王举报';
const TIPSTER_PHONE = '13912345678';

// The smallest files whose first bytes say what they are.
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 2)]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBP'), Buffer.alloc(32, 3)]);
const HEIC = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(32, 4)]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);

describe('群众举报: public tips taken, routed, handled and answered, the tipster kept secret', () => {
  let service: TestService;
  const logLines: string[] = [];
  const db = () => service.deps.database.db;
  const cards = (openId: string) => service.sim.messages({ to: openId, msgType: 'interactive' });
  const click = (openId: string, messageId: string, value: Json, formValue?: Record<string, string>) =>
    service.sim.clickCard(openId, messageId, { value, formValue }).then((d) => d.body as Json);
  /** A click by someone the card was not sent to (a forwarded card): the simulator's chats would not show it. */
  const forwardedClick = (openId: string, card: { messageId: string; chatId: string }, value: Json) =>
    service.sim.clickForwardedCard(openId, card, { value }).then((d) => d.body as Json);
  const tipCard = (openId: string, code: string) =>
    eventually(
      () => cards(openId).find((m) => titleOf(m.content) === `群众举报｜${code}`),
      10_000,
      `the card of ${code} to ${openId}`,
    );
  const tipRow = async (code: string) => (await db().select().from(tips).where(eq(tips.code, code)))[0]!;
  const counts = async () => ({
    tips: await db().$count(tips),
    photos: await db().$count(tipPhotos),
    outbox: await db().$count(outbox),
  });

  function form(fields: Record<string, string>, photos: { data: Buffer; name: string; type?: string }[] = []) {
    const body = new FormData();
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    for (const p of photos) body.append('photos', new Blob([p.data], { type: p.type ?? 'image/jpeg' }), p.name);
    return body;
  }
  const postTip = (body: FormData, headers: Record<string, string> = {}) =>
    fetch(`${service.url}/tip`, { method: 'POST', body, headers });
  async function sendTip(fields: Record<string, string>, photos: { data: Buffer; name: string }[] = []) {
    const response = await postTip(form(fields, photos));
    const body: Json = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(201);
    const url = new URL(body.trackingUrl, service.url);
    return { code: body.code as string, key: url.searchParams.get('key')!, trackingUrl: body.trackingUrl as string };
  }
  const track = (code: string, key: string, accept = 'application/json') =>
    fetch(`${service.url}/tip/${code}?key=${encodeURIComponent(key)}`, { headers: { accept } });

  beforeAll(async () => {
    const capture = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    service = await startTestService(
      {
        ADMIN_TOKEN: TOKEN,
        API_TOKENS: `town01:${TOWN_READER}`,
        API_TOKEN_SCOPES: 'town01=region:town-01',
        PUBLIC_URL: 'https://yh.example.gov.cn',
        SESSION_SECRET: 'tips-test-session-secret-0123456789-abcdef',
        COUNTY_NAME: '某县',
        // This file sends dozens of tips from one address: the limits and the challenge have their own test.
        TIP_MAX_PER_ADDRESS_HOUR: '1000',
        TIP_MAX_PER_PHONE_DAY: '1000',
        TIP_CHALLENGE_AFTER: '1000',
      },
      { logger: pino({ level: 'debug', redact: { paths: redactPaths, censor: '[redacted]' } }, capture) },
    );
    for (const p of PEOPLE) service.sim.addUser({ openId: p.openId, name: p.name });
    service.sim.addUser({ openId: 'ou_stranger', name: '陌生人' });
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(DIRECTORY),
    });
    expect(response.status, await response.text()).toBe(200);
  });
  afterAll(async () => {
    await service?.stop();
  });

  describe('intake', () => {
    it('takes a tip with photos: a JB code, a private link whose key is stored only hashed, the card to the township', async () => {
      const before = cards('ou_tinsp').length;
      const tip = await sendTip(
        { what: '城关化工仓库堆放大量油桶，消防通道堵死', where: '城关镇工业园 3 号仓库', region: 'town-01' },
        [
          { data: PNG, name: 'a.png' },
          { data: JPEG, name: 'b.jpg' },
          { data: WEBP, name: 'c.webp' },
          { data: HEIC, name: 'd.heic' },
        ],
      );
      const year = calendar.localDate(new Date()).slice(0, 4);
      expect(tip.code).toMatch(new RegExp(`^JB-${year}-\\d{6}$`));
      expect(tip.trackingUrl).toBe(`https://yh.example.gov.cn/tip/${tip.code}?key=${tip.key}`);
      expect(Buffer.from(tip.key, 'base64url')).toHaveLength(32);
      const row = await tipRow(tip.code);
      expect(row.keyHash).toBe(createHash('sha256').update(tip.key).digest('hex'));
      expect(JSON.stringify(row)).not.toContain(tip.key);
      expect(row.status).toBe('received');
      const photos = await db().select().from(tipPhotos).where(eq(tipPhotos.tipId, row.id));
      expect(photos.map((p) => p.contentType)).toEqual(['image/png', 'image/jpeg', 'image/webp', 'image/heic']);
      // Uploaded to Feishu after the answer (photo-upload.ts), then on the handlers' card.
      const uploaded = await eventually(
        async () => {
          const rows = await db().select().from(tipPhotos).where(eq(tipPhotos.tipId, row.id));
          return rows.every((p) => p.imageKey) ? rows : null;
        },
        10_000,
        'the photos uploaded',
      );
      expect(uploaded.every((p) => service.sim.image(p.imageKey!))).toBe(true);

      const card = await tipCard('ou_tinsp', tip.code);
      expect(cards('ou_tinsp').length).toBe(before + 1);
      expect(buttonTextsOf(card.content)).toEqual(['受理', '不予受理']);
      expect(JSON.stringify(card.content)).toContain('消防通道堵死');
      expect(JSON.stringify(card.content)).toContain('匿名');
      // The card goes out at once; the photos follow in a patch once uploaded (the request never waits on Feishu).
      const withPhotos = await eventually(
        () => {
          const now = cards('ou_tinsp').find((m) => titleOf(m.content) === `群众举报｜${tip.code}`)!;
          return elementsOf(now.content).filter((e) => e.tag === 'img').length === 4 ? now : null;
        },
        10_000,
        'the card patched with 4 photos',
      );
      expect(withPhotos.messageId).toBe(card.messageId);
      // Nobody else: not the other township, not the department (no unit named), not the unit.
      for (const other of ['ou_oinsp', 'ou_dinsp', 'ou_boss', 'ou_aw', 'ou_tml']) {
        expect(cards(other).filter((m) => titleOf(m.content).includes(tip.code))).toEqual([]);
      }
    });

    it('a photo whose upload failed is tried again from the database later, and the card gets it then', async () => {
      // Feishu refuses the upload (a 4xx: not retried by the client); the tip is taken all the same.
      service.sim.faults.failNext('image.create', { status: 400, code: 234001, msg: 'simulated refusal', times: 1 });
      const tip = await sendTip({ what: '配电箱门敞开，线头裸露', where: '城关镇南街', region: 'town-01' }, [
        { data: PNG, name: 'a.png' },
      ]);
      const row = await tipRow(tip.code);
      const keyOf = async () =>
        (await db().select({ imageKey: tipPhotos.imageKey }).from(tipPhotos).where(eq(tipPhotos.tipId, row.id)))[0]!
          .imageKey;
      await eventually(
        () => service.sim.calls.some((c) => c.api === 'image.create' && c.status === 400),
        10_000,
        'the refused upload',
      );
      await new Promise((r) => setTimeout(r, 200));
      expect(await keyOf()).toBeNull();
      await tipCard('ou_tinsp', tip.code);

      // Another uploader (a replica, or this one after a restart) finds it once it has waited long enough.
      const uploader = createTipPhotoUploader({
        db: db(),
        clock: { now: () => new Date(service.clock.now().getTime() + 6 * 60_000) },
        calendar,
        feishu: service.deps.feishu,
        logger: pino({ level: 'silent' }),
      });
      // Not while it may still be in somebody's queue.
      expect(await tipsWithStalePhotos(db(), service.clock.now())).not.toContain(row.id);
      await uploader.retryStale();
      await uploader.idle();
      const key = await keyOf();
      expect(key && service.sim.image(key)).toBeTruthy();
      const patched = await eventually(
        () => {
          const now = cards('ou_tinsp').find((m) => titleOf(m.content) === `群众举报｜${tip.code}`)!;
          return elementsOf(now.content).some((e) => e.tag === 'img') ? now : null;
        },
        10_000,
        'the card patched with the photo',
      );
      expect(JSON.stringify(patched.content)).toContain(key);
    });

    it('routes a tip about a unit to its department’s inspectors, a unit without one to the township, none to 安委办', async () => {
      const unit = await sendTip({ what: '储罐漏气', where: '厂区', unit: 'e001' });
      await tipCard('ou_dinsp', unit.code);
      expect((await tipRow(unit.code)).regionId).not.toBeNull();
      expect(cards('ou_tinsp').filter((m) => titleOf(m.content).includes(unit.code))).toEqual([]);

      const noDepartment = await sendTip({ what: '后厨煤气罐放在门口', where: '饭店后门', unit: 'e002' });
      await tipCard('ou_tinsp', noDepartment.code);
      expect(cards('ou_dinsp').filter((m) => titleOf(m.content).includes(noDepartment.code))).toEqual([]);

      const nowhere = await sendTip({ what: '有人在路边私自灌装液化气', where: '不知道是哪个镇' });
      await tipCard('ou_aw', nowhere.code);
      expect(cards('ou_tinsp').filter((m) => titleOf(m.content).includes(nowhere.code))).toEqual([]);

      // A unit typed by the tipster that the directory does not know is kept as text; the township routes it.
      const typed = await sendTip({
        what: '脚手架没有防护网',
        where: '河西镇新区工地',
        unit: '某某建筑工地',
        region: 'town-02',
      });
      const card = await tipCard('ou_oinsp', typed.code);
      expect(JSON.stringify(card.content)).toContain('某某建筑工地');
    });

    it('refuses every kind of bad input with a 400 naming the field, and stores nothing', async () => {
      const good = { what: '问题', where: '地点' };
      const photo = (data: Buffer, name: string) => ({ data, name });
      const cases: [string, FormData, string, string][] = [
        [
          'too many photos',
          form(
            good,
            Array.from({ length: 7 }, (_, i) => photo(JPEG, `${i}.jpg`)),
          ),
          'too_many_photos',
          'photos',
        ],
        [
          'a program renamed .jpg',
          form(good, [photo(PNG, 'ok.png'), photo(EXE, 'photo.jpg')]),
          'photo_not_image',
          'photos',
        ],
        ['empty what', form({ what: '   ', where: '地点' }), 'missing_field', 'what'],
        ['no where', form({ what: '问题' }), 'missing_field', 'where'],
        ['20 KB of what', form({ what: '隐'.repeat(20 * 1024), where: '地点' }), 'field_too_long', 'what'],
        ['a bad phone', form({ ...good, phone: '12345' }), 'invalid_phone', 'phone'],
        ['letters for a phone', form({ ...good, phone: '139abcd5678' }), 'invalid_phone', 'phone'],
        ['an unknown township', form({ ...good, region: 'town-99' }), 'unknown_region', 'region'],
        ['a control character', form({ what: '问题\u0000', where: '地点' }), 'invalid_field', 'what'],
        [
          'a photo over 10 MB',
          form(good, [photo(Buffer.concat([JPEG, Buffer.alloc(10 * 1024 * 1024)]), 'big.jpg')]),
          'photo_too_large',
          'photos',
        ],
      ];
      const before = await counts();
      const uploadsBefore = service.sim.stats();
      for (const [what, body, code, field] of cases) {
        const response = await postTip(body);
        const answer: Json = await response.json();
        expect(response.status, what).toBe(400);
        expect(answer.error, what).toMatchObject({ code, details: { field } });
        expect(answer.error.message, what).toContain(field);
      }
      expect(await counts()).toEqual(before);
      expect(service.sim.stats()).toEqual(uploadsBefore);

      // Not multipart at all.
      const json = await fetch(`${service.url}/tip`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(good),
      });
      expect(json.status).toBe(415);
      expect(await counts()).toEqual(before);
    });

    it('serves a plain escaped form that posts without JavaScript, prefilled from the QR code, and keeps what was typed', async () => {
      const page = await fetch(`${service.url}/tip?region=town-01`);
      expect(page.status).toBe(200);
      // The web view's strict policy: no inline script or style (the style is our own file).
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(page.headers.get('content-security-policy')).toContain("style-src 'self'");
      const text = await page.text();
      expect(text).not.toContain('<script');
      expect(text).not.toMatch(/<style|style=/);
      expect(text).toContain('<link rel="stylesheet" href="/tip/static/tip.css">');
      expect(text).toContain('enctype="multipart/form-data"');
      expect(text).toContain('<option value="town-01" selected>城关镇</option>');
      const unitPage = await (await fetch(`${service.url}/tip?unit=e001`)).text();
      expect(unitPage).toContain('城关化工有限公司');
      expect(unitPage).toContain('name="unit" value="e001"');
      // How it was opened rides along as a hidden field (统计 counts tips by source).
      expect(unitPage).toContain('name="via" value="unit_qr"');
      expect(text).toContain('name="via" value="township_qr"');
      expect(await (await fetch(`${service.url}/tip`)).text()).toContain('name="via" value="page"');
      // A hostile query comes back escaped.
      const hostile = await (await fetch(`${service.url}/tip?region=%22%3E%3Cscript%3E`)).text();
      expect(hostile).not.toContain('"><script>');

      const refused = await postTip(form({ what: '<b>油桶</b>', where: '仓库', phone: 'abc' }), {
        accept: 'text/html',
      });
      expect(refused.status).toBe(400);
      const again = await refused.text();
      expect(again).toContain('电话（phone）格式不对');
      expect(again).toContain('&lt;b&gt;油桶&lt;/b&gt;');
      expect(again).not.toContain('<b>油桶</b>');

      const sent = await postTip(form({ what: '楼道堆放电动车充电', where: '城关小区 5 栋', region: 'town-01' }), {
        accept: 'text/html',
      });
      expect(sent.status).toBe(201);
      const receipt = await sent.text();
      expect(receipt).toMatch(/JB-\d{4}-\d{6}/);
      expect(receipt).toContain('https://yh.example.gov.cn/tip/');
    });
  });

  describe('the tracking page', () => {
    it('shows the status with the right key; a wrong key is answered exactly as an unknown code', async () => {
      const tip = await sendTip({ what: '<img src=x onerror=alert(1)>', where: '广场', region: 'town-01' });
      const right = await track(tip.code, tip.key);
      expect(right.status).toBe(200);
      expect(await right.json()).toMatchObject({ code: tip.code, status: 'received', answer: null });
      const page = await track(tip.code, tip.key, 'text/html');
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('已收到，待受理');

      // The same key with its last character changed (never to itself).
      const wrong = await track(tip.code, `${tip.key.slice(0, -1)}${tip.key.endsWith('A') ? 'B' : 'A'}`);
      const unknown = await track('JB-2000-999999', tip.key);
      expect(wrong.status).toBe(404);
      expect(unknown.status).toBe(404);
      expect(await wrong.text()).toBe(await unknown.text());
      expect((await fetch(`${service.url}/tip/${tip.code}`)).status).toBe(404);
      const wrongPage = await track(tip.code, 'nope', 'text/html');
      const unknownPage = await track('JB-2000-999999', 'nope', 'text/html');
      expect(await wrongPage.text()).toBe(await unknownPage.text());
    });
  });

  describe('handling in chat', () => {
    it('受理 by the township inspector; a stranger or another township is told who may; a second 受理 changes nothing', async () => {
      const tip = await sendTip({ what: '加油站有人吸烟', where: '城关加油站', region: 'town-01' });
      const card = await tipCard('ou_tinsp', tip.code);

      for (const stranger of ['ou_oinsp', 'ou_boss', 'ou_stranger', 'ou_tml']) {
        const refused = await forwardedClick(stranger, card, { action: 'tip.accept', code: tip.code });
        expect(refused.toast.type, stranger).toBe('error');
        expect(refused.toast.content, stranger).toMatch(/只有.*检查员或县安委办可以处理此举报|不在本系统的组织名录中/);
      }
      expect((await tipRow(tip.code)).status).toBe('received');

      const accepted = await click('ou_tinsp', card.messageId, { action: 'tip.accept', code: tip.code });
      expect(accepted.toast.type).toBe('success');
      expect(buttonTextsOf(accepted.card.data)).toEqual(['属实', '不属实']);
      const row = await tipRow(tip.code);
      expect(row.status).toBe('accepted');
      expect(row.answer).toBeNull();

      const again = await click('ou_tinsp', card.messageId, { action: 'tip.accept', code: tip.code });
      expect(again.toast.type).toBe('error');
      expect(again.toast.content).toContain('已受理');
      // The county safety office may act on any tip.
      const office = await forwardedClick('ou_aw', card, { action: 'tip.startUnfounded', code: tip.code });
      expect(office.toast.type).toBe('success');
      expect(elementsOf(office.card.data).some((e) => e.name === 'note')).toBe(true);
    });

    it('不予受理 asks the reason and its detail, then answers the tipster on the tracking page', async () => {
      const dup = await sendTip({ what: '同一个油桶问题', where: '3 号仓库', region: 'town-01' });
      const card = await tipCard('ou_tinsp', dup.code);
      const opened = await click('ou_tinsp', card.messageId, { action: 'tip.startDecline', code: dup.code });
      expect(elementsOf(opened.card.data).map((e) => e.name)).toEqual(
        expect.arrayContaining(['decline_reason', 'duplicate_of', 'forwarded_to']),
      );
      const missing = await click(
        'ou_tinsp',
        card.messageId,
        { action: 'tip.decline', code: dup.code },
        { decline_reason: 'duplicate' },
      );
      expect(missing.toast.type).toBe('error');
      expect(missing.toast.content).toContain('重复的举报编号');
      expect((await tipRow(dup.code)).status).toBe('received');
      const noReason = await click('ou_tinsp', card.messageId, { action: 'tip.decline', code: dup.code }, {});
      expect(noReason.toast.content).toContain('请选择不予受理的理由');

      const declined = await click(
        'ou_tinsp',
        card.messageId,
        { action: 'tip.decline', code: dup.code },
        { decline_reason: 'duplicate', duplicate_of: 'JB-2026-000001' },
      );
      expect(declined.toast.type).toBe('success');
      expect(buttonTextsOf(declined.card.data)).toEqual([]);
      const row = await tipRow(dup.code);
      expect(row).toMatchObject({ status: 'declined', declineReason: 'duplicate', declineDetail: 'JB-2026-000001' });
      const status: Json = await (await track(dup.code, dup.key)).json();
      expect(status.status).toBe('declined');
      expect(status.answer).toContain('JB-2026-000001');

      const away = await sendTip({ what: '邻县化工厂冒黑烟', where: '邻县', region: 'town-02' });
      const awayCard = await tipCard('ou_oinsp', away.code);
      const forwarded = await click(
        'ou_oinsp',
        awayCard.messageId,
        { action: 'tip.decline', code: away.code },
        { decline_reason: 'outside_county', forwarded_to: '邻县应急管理局' },
      );
      expect(forwarded.toast.type).toBe('success');
      expect(((await (await track(away.code, away.key)).json()) as Json).answer).toContain('已转交邻县应急管理局');

      const other = await sendTip({ what: '邻居家狗太吵', where: '小区', region: 'town-02' });
      const otherCard = await tipCard('ou_oinsp', other.code);
      await click(
        'ou_oinsp',
        otherCard.messageId,
        { action: 'tip.decline', code: other.code },
        { decline_reason: 'not_work_safety' },
      );
      expect(((await (await track(other.code, other.key)).json()) as Json).answer).toContain('不属于安全生产事项');
    });

    it('不属实 asks a note, refuses an empty one, and the note is the tipster’s answer', async () => {
      const tip = await sendTip({ what: '据说某厂夜间偷偷生产', where: '城关镇', region: 'town-01' });
      const card = await tipCard('ou_tinsp', tip.code);
      const early = await click(
        'ou_tinsp',
        card.messageId,
        { action: 'tip.unfounded', code: tip.code },
        { note: '看过了' },
      );
      expect(early.toast.content).toContain('请先受理');
      await click('ou_tinsp', card.messageId, { action: 'tip.accept', code: tip.code });
      const empty = await click('ou_tinsp', card.messageId, { action: 'tip.unfounded', code: tip.code }, { note: ' ' });
      expect(empty.toast.type).toBe('error');
      expect(empty.toast.content).toContain('核查情况');
      const done = await click(
        'ou_tinsp',
        card.messageId,
        { action: 'tip.unfounded', code: tip.code },
        { note: '夜间现场检查两次，工厂均未生产' },
      );
      expect(done.toast.type).toBe('success');
      expect(await tipRow(tip.code)).toMatchObject({
        status: 'unfounded',
        unfoundedNote: '夜间现场检查两次，工厂均未生产',
      });
      const status: Json = await (await track(tip.code, tip.key)).json();
      expect(status).toMatchObject({ status: 'unfounded', statusLabel: '经核查不属实' });
      expect(status.answer).toContain('夜间现场检查两次，工厂均未生产');
      const trail = await db()
        .select()
        .from(tipEvents)
        .where(eq(tipEvents.tipId, (await tipRow(tip.code)).id));
      expect(trail.map((e) => e.type)).toEqual(['received', 'accepted', 'unfounded', 'answered']);
    });
  });

  describe('属实 → a hazard, and the tipster kept secret all the way to its closing', () => {
    it('follows a named tip to a closed hazard: only the handlers ever see the name and phone', async () => {
      const tip = await sendTip(
        {
          what: '城关化工储罐区静电接地线断开，工人说好几天了',
          where: '城关化工储罐区',
          unit: 'e001',
          name: TIPSTER_NAME,
          phone: TIPSTER_PHONE,
        },
        [
          { data: PNG, name: 'tank.png' },
          { data: JPEG, name: 'wire.jpg' },
        ],
      );
      const row = await tipRow(tip.code);
      expect(row).toMatchObject({ tipsterName: TIPSTER_NAME, tipsterPhone: TIPSTER_PHONE });
      expect(row.tipsterIp).toBeTruthy();
      const card = await tipCard('ou_dinsp', tip.code);
      expect(JSON.stringify(card.content)).toContain(`实名（${TIPSTER_NAME} ${TIPSTER_PHONE}）`);

      await click('ou_dinsp', card.messageId, { action: 'tip.accept', code: tip.code });
      const formsBefore = cards('ou_dinsp').length;
      const confirmed = await click('ou_dinsp', card.messageId, { action: 'tip.confirm', code: tip.code });
      expect(confirmed.toast.type).toBe('success');
      expect(confirmed.toast.content).toContain('上报表单');
      // Not yet confirmed: the hazard is registered from the form.
      expect((await tipRow(tip.code)).status).toBe('accepted');
      const reportForm = await eventually(
        () =>
          cards('ou_dinsp')
            .slice(formsBefore)
            .find((m) => titleOf(m.content).includes(tip.code)),
        10_000,
        'the report form',
      );
      const inputs = elementsOf(reportForm.content);
      const prefilled = (name: string) => inputs.find((e) => e.name === name)?.default_value;
      expect(prefilled('enterprise')).toBe('城关化工有限公司');
      expect(prefilled('description')).toBe('城关化工储罐区静电接地线断开，工人说好几天了');
      expect(prefilled('location')).toBe('城关化工储罐区');
      expect(JSON.stringify(reportForm.content)).toContain('2 张');
      const submit = inputs.find((e) => e.tag === 'button' && e.form_action_type === 'submit');
      const draft = submit.behaviors[0].value.draft as number;

      const deadline = calendar.addDays(calendar.localDate(new Date()), 10).date;
      const registered = await click(
        'ou_dinsp',
        reportForm.messageId,
        { action: 'report.submit', draft },
        {
          enterprise: '城关化工有限公司',
          sector: '危险化学品',
          level: 'general',
          description: '储罐区静电接地线断开',
          location: '储罐区',
          measures: '恢复静电接地并检测',
          standard: '接地电阻不大于 10 欧',
          deadline: `${deadline} +0800`,
        },
      );
      expect(registered.toast.type, JSON.stringify(registered.toast)).not.toBe('error');
      const hazardCode = /YH-\d{4}-\d{6}/.exec(titleOf(registered.card.data))![0];
      const [hazard] = await db().select().from(hazards).where(eq(hazards.code, hazardCode));
      expect(hazard!.source).toBe('public_tip');
      const linked = await tipRow(tip.code);
      expect(linked).toMatchObject({ status: 'confirmed', hazardId: hazard!.id });
      expect(await db().$count(hazardPhotos, eq(hazardPhotos.hazardId, hazard!.id))).toBe(2);
      // The handler's tip card now says so.
      await eventually(
        () => JSON.stringify(service.sim.message(card.messageId)?.content).includes(hazardCode) || undefined,
      );
      let status: Json = await (await track(tip.code, tip.key)).json();
      expect(status.status).toBe('confirmed');
      expect(status.answer).toContain(hazardCode);

      // The unit rectifies, the inspector accepts: the hazard closes and the tipster is answered again.
      const notice = await eventually(
        () => cards('ou_boss').find((m) => titleOf(m.content).includes(hazardCode)),
        10_000,
        'the unit’s notice',
      );
      await click('ou_boss', notice.messageId, { action: 'hazard.acknowledge', code: hazardCode });
      await click(
        'ou_boss',
        notice.messageId,
        { action: 'hazard.submitRectification', code: hazardCode },
        { rectification: '已重新连接接地线' },
      );
      const verify = await eventually(
        () =>
          [...cards('ou_dinsp'), ...cards('ou_tinsp')]
            .filter((m) => titleOf(m.content).includes(hazardCode) && titleOf(m.content).includes('请验收'))
            .at(-1),
        10_000,
        'the verification card',
      );
      const verifier = cards('ou_dinsp').some((m) => m.messageId === verify.messageId) ? 'ou_dinsp' : 'ou_tinsp';
      const closed = await click(verifier, verify.messageId, { action: 'hazard.accept', code: hazardCode });
      expect(closed.toast.content).toContain('销号');
      status = await (await track(tip.code, tip.key)).json();
      expect(status.answer).toContain('已整改完毕');
      const page = await (await track(tip.code, tip.key, 'text/html')).text();
      expect(page).toContain('已整改完毕');
      expect(page).not.toContain(TIPSTER_NAME);

      // Everything sent to anyone: only the handlers' tip cards carry the name or phone.
      const handlerCards = new Set(
        rowsOf<{ message_id: string }>(
          await db().execute(sql`select o.message_id from tip_cards c join outbox o on o.id = c.outbox_id`),
        ).map((r) => r.message_id),
      );
      const leaks = service.sim
        .messages()
        .filter(
          (m) => JSON.stringify(m.content).includes(TIPSTER_NAME) || JSON.stringify(m.content).includes(TIPSTER_PHONE),
        );
      expect(leaks.length).toBeGreaterThan(0);
      for (const leak of leaks) {
        expect(handlerCards.has(leak.messageId), `message to ${leak.receiveId}: ${titleOf(leak.content)}`).toBe(true);
        expect(leak.receiveId).toBe('ou_dinsp');
      }
      const outboxLeaks = rowsOf(
        await db().execute(
          sql`select id, receive_id_type, target from outbox where content::text like ${`%${TIPSTER_PHONE}%`} and id not in (select outbox_id from tip_cards) and kind <> 'patch'`,
        ),
      );
      expect(outboxLeaks).toEqual([]);

      // The ledger: 来源 群众举报, 举报人 实名, and no cell with the name or phone.
      const ledger = await fetch(`${service.url}/api/ledger.xlsx`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ledger.status).toBe(200);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(await ledger.arrayBuffer());
      const sheet = workbook.worksheets[0]!;
      const header = (sheet.getRow(3).values as unknown[]).map(String);
      const line = [...Array(sheet.rowCount).keys()]
        .map((i) => sheet.getRow(i + 1))
        .find((r) => r.getCell(2).value === hazardCode)!;
      expect(line.getCell(header.indexOf('来源')).value).toBe('群众举报');
      expect(line.getCell(header.indexOf('举报人')).value).toBe('实名');
      let cellsText = '';
      for (const ws of workbook.worksheets)
        ws.eachRow((r) => {
          cellsText += JSON.stringify(r.values);
        });
      expect(cellsText).not.toContain(TIPSTER_NAME);
      expect(cellsText).not.toContain(TIPSTER_PHONE);

      // The read API: the identity for the county's token only.
      const county: Json = await (
        await fetch(`${service.url}/api/tips/${tip.code}`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json();
      expect(county.tipster).toMatchObject({ kind: '实名', name: TIPSTER_NAME, phone: TIPSTER_PHONE });
      expect(county.hazardCode).toBe(hazardCode);
      expect(county.photos.map((p: Json) => p.contentType)).toEqual(['image/png', 'image/jpeg']);
      const photo = await fetch(`${service.url}${county.photos[0].url}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(photo.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await photo.arrayBuffer())).toEqual(PNG);
      expect((await fetch(`${service.url}${county.photos[0].url}`)).status).toBe(401);
      // … and back from the hazard to the tip.
      const hazardJson: Json = await (
        await fetch(`${service.url}/api/hazards/${hazardCode}`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json();
      expect(hazardJson).toMatchObject({ source: 'public_tip', tipCode: tip.code });
      expect(JSON.stringify(hazardJson)).not.toContain(TIPSTER_PHONE);
      const town: Json = await (
        await fetch(`${service.url}/api/tips/${tip.code}`, { headers: { authorization: `Bearer ${TOWN_READER}` } })
      ).json();
      expect(town.tipster).toEqual({ kind: '实名' });
      // e001 lies in town-01, so the township's token reads it; another township's tip it cannot.
      const elsewhere = (await db().select().from(tips).where(eq(tips.unitText, '某某建筑工地')))[0]!;
      const hidden = await fetch(`${service.url}/api/tips/${elsewhere.code}`, {
        headers: { authorization: `Bearer ${TOWN_READER}` },
      });
      expect(hidden.status).toBe(404);
      const hiddenPhoto = await fetch(`${service.url}/api/tips/${elsewhere.code}/photos/1`, {
        headers: { authorization: `Bearer ${TOWN_READER}` },
      });
      expect(hiddenPhoto.status).toBe(404);
      expect(JSON.stringify(town)).not.toContain(TIPSTER_PHONE);
      const list: Json = await (
        await fetch(`${service.url}/api/tips?limit=200`, { headers: { authorization: `Bearer ${TOWN_READER}` } })
      ).json();
      expect(list.items.length).toBeGreaterThan(0);
      expect(list.items.every((t: Json) => t.region?.code === 'town-01')).toBe(true);
      expect(JSON.stringify(list)).not.toContain(TIPSTER_NAME);

      // No log line carries them — and the redaction is what keeps them out of a line that names the fields.
      service.deps.logger.info({ tip: { tipsterName: TIPSTER_NAME, tipsterPhone: TIPSTER_PHONE } }, 'redaction check');
      expect(logLines.some((l) => l.includes('redaction check'))).toBe(true);
      expect(logLines.filter((l) => l.includes(TIPSTER_NAME) || l.includes(TIPSTER_PHONE))).toEqual([]);
    });

    it('a report form from 属实 cannot confirm a tip twice', async () => {
      // A long tip (2000 characters): the handlers' card shows all of it, the form takes what its input holds.
      const long = `配电房门口堆满纸箱${'。'.repeat(1991)}`;
      const tip = await sendTip({ what: long, where: '城关化工配电房', unit: 'e001' });
      const card = await tipCard('ou_dinsp', tip.code);
      await click('ou_dinsp', card.messageId, { action: 'tip.accept', code: tip.code });
      const before = cards('ou_dinsp').length;
      // A tip without photos: the form opens all the same, twice (a handler who lost the first one asks again).
      for (let i = 0; i < 2; i++) {
        const opened = await click('ou_dinsp', card.messageId, { action: 'tip.confirm', code: tip.code });
        expect(opened.toast.type).toBe('success');
      }
      const forms = await eventually(() => {
        const found = cards('ou_dinsp')
          .slice(before)
          .filter((m) => titleOf(m.content).includes(tip.code));
        return found.length === 2 ? found : undefined;
      });
      expect(JSON.stringify(card.content)).toContain(long);
      const description = elementsOf(forms[0]!.content).find((e) => e.name === 'description');
      expect(description.default_value).toBe(long.slice(0, 1000));
      expect(description.max_length).toBe(1000);
      const deadline = calendar.addDays(calendar.localDate(new Date()), 10).date;
      const values = {
        enterprise: '城关化工有限公司',
        sector: '危险化学品',
        level: 'general',
        description: '配电房门口堆放可燃物',
        location: '配电房',
        measures: '清理',
        standard: '无可燃物',
        deadline: `${deadline} +0800`,
      };
      const submitOf = (m: Json) =>
        elementsOf(m.content).find((e) => e.tag === 'button' && e.form_action_type === 'submit').behaviors[0].value
          .draft;
      const first = await click(
        'ou_dinsp',
        forms[0]!.messageId,
        { action: 'report.submit', draft: submitOf(forms[0]) },
        values,
      );
      expect(first.toast.type).not.toBe('error');
      const hazardsBefore = await db().$count(hazards);
      const second = await click(
        'ou_dinsp',
        forms[1]!.messageId,
        { action: 'report.submit', draft: submitOf(forms[1]) },
        values,
      );
      expect(second.toast.type).toBe('error');
      expect(second.toast.content).toContain('不能再操作');
      expect(await db().$count(hazards)).toBe(hazardsBefore);
    });
  });
});
