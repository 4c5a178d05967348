/**
 * 群众举报's defences (issue #23 point 6) and its photo path: the rate limits per address and per phone (429 past
 * them, nothing stored), shared by two app instances on one database; the proof-of-work challenge after repeated
 * tips (missing, forged, too little work, expired, reused); photos stored with the tip while Feishu is slow, and
 * uploaded to the handlers' card afterwards.
 */
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { tipPhotos, tips } from '../../src/db/schema/index.js';
import { issueChallenge, solveChallenge } from '../../src/tips/challenge.js';
import { elementsOf, type Json, titleOf } from '../support/chat.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'admin-token-tip-abuse-0123456789';
const SECRET = 'tip-abuse-test-secret-0123456789-abcdefgh';
const PER_ADDRESS = 10;
const PER_PHONE = 2;
const CHALLENGE_AFTER = 2;
const BITS = 8;

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
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2048, 1)]);

describe('群众举报: limits, challenge and photos', () => {
  let service: TestService;
  let second: FastifyInstance;
  const db = () => service.deps.database.db;
  const tipCount = async () => db().$count(tips);

  beforeAll(async () => {
    service = await startTestService({
      ADMIN_TOKEN: TOKEN,
      TIP_SECRET: SECRET,
      // The test speaks for many addresses through X-Forwarded-For, as a proxy in front would.
      TRUST_PROXY: 'on',
      TIP_MAX_PER_ADDRESS_HOUR: String(PER_ADDRESS),
      TIP_MAX_PER_PHONE_DAY: String(PER_PHONE),
      TIP_CHALLENGE_AFTER: String(CHALLENGE_AFTER),
      TIP_CHALLENGE_BITS: String(BITS),
    });
    service.sim.addUser({ openId: 'ou_tinsp', name: '镇检查员' });
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(DIRECTORY),
    });
    expect(response.status, await response.text()).toBe(200);
    // A second replica on the same database (its own Fastify, its own plugin instances): limits must hold across.
    second = await buildApp(service.deps);
    await second.ready();
  });
  afterAll(async () => {
    await second?.close();
    await service?.stop();
  });

  function form(fields: Record<string, string>, photos: Buffer[] = []) {
    const body = new FormData();
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    for (const p of photos) body.append('photos', new Blob([p], { type: 'image/png' }), 'p.png');
    return body;
  }
  /** POST /tip from `ip` to the first replica (over HTTP) or the second (inject). */
  async function send(
    ip: string,
    fields: Record<string, string>,
    options: { replica?: 1 | 2; html?: boolean; photos?: Buffer[] } = {},
  ): Promise<{ status: number; body: Json; text: string; headers: Headers }> {
    const headers: Record<string, string> = {
      'x-forwarded-for': ip,
      accept: options.html ? 'text/html' : 'application/json',
    };
    const request = new Request('http://x/tip', { method: 'POST', body: form(fields, options.photos) });
    if (options.replica === 2) {
      const payload = Buffer.from(await request.arrayBuffer());
      const answer = await second.inject({
        method: 'POST',
        url: '/tip',
        payload,
        headers: { ...headers, 'content-type': request.headers.get('content-type')! },
      });
      const text = answer.body;
      return {
        status: answer.statusCode,
        text,
        body: options.html ? {} : JSON.parse(text),
        headers: new Headers(answer.headers as Record<string, string>),
      };
    }
    const response = await fetch(`${service.url}/tip`, {
      method: 'POST',
      body: form(fields, options.photos),
      headers,
    });
    const text = await response.text();
    return { status: response.status, text, body: options.html ? {} : JSON.parse(text), headers: response.headers };
  }
  const tip = (what: string, extra: Record<string, string> = {}) => ({
    what,
    where: '城关镇东街',
    region: 'town-01',
    ...extra,
  });
  /** The challenge the server asks next of `ip` (from a refused send's details). */
  const solved = (challenge: string) => ({ challenge, nonce: solveChallenge(challenge) });

  it('past the address limit: 429 with a Chinese message (JSON and page), nothing stored — counted across replicas', async () => {
    const ip = '10.0.0.1';
    const before = await tipCount();
    // 1, 2 on replica 1; from the 3rd a challenge is asked — and replica 2 knows it (one count in the database).
    expect((await send(ip, tip('A1'))).status).toBe(201);
    expect((await send(ip, tip('A2'), { replica: 2 })).status).toBe(201);
    const asked = await send(ip, tip('A3'), { replica: 2 });
    expect(asked.status).toBe(400);
    expect(asked.body.error.code).toBe('challenge_required');
    expect(asked.body.error.details.challenge).toMatch(/^[\w-]+\.\d+\.8\.[\w-]+$/);
    let stored = 2;
    // Every attempt counts (the refused one too): attempts 4…limit answer a challenge read from the page.
    for (let attempt = 4; attempt <= PER_ADDRESS; attempt++) {
      const page = await (await fetch(`${service.url}/tip`, { headers: { 'x-forwarded-for': ip } })).text();
      const challenge = /name="challenge" value="([^"]+)"/.exec(page)![1]!;
      const answer = await send(ip, tip(`A${attempt}`, solved(challenge)), { replica: attempt % 2 === 0 ? 1 : 2 });
      expect(answer.status, answer.text).toBe(201);
      stored++;
    }
    const over = await send(ip, tip('too many', { phone: '13800000009' }), { replica: 2 });
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('too_many_tips');
    expect(over.body.error.message).toMatch(/同一网络提交举报过于频繁.*请约 \d+ (分钟|小时)后再试/);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    const page = await send(ip, tip('too many'), { html: true });
    expect(page.status).toBe(429);
    expect(page.text).toContain('提交过于频繁');
    expect(page.text).toContain('本次提交没有保存');
    expect(await tipCount()).toBe(before + stored);
    expect(await db().$count(tips, eq(tips.what, 'too many'))).toBe(0);
    // Another address is not affected.
    expect((await send('10.0.0.99', tip('other address'))).status).toBe(201);
  });

  it('past the phone limit: 429 from any address, nothing stored; the same number written another way counts', async () => {
    const before = await tipCount();
    expect((await send('10.0.1.1', tip('P1', { phone: '13800000001' }))).status).toBe(201);
    expect((await send('10.0.1.2', tip('P2', { phone: '+86 13800000001' }), { replica: 2 })).status).toBe(201);
    const over = await send('10.0.1.3', tip('P3', { phone: '13800000001' }));
    expect(over.status).toBe(429);
    expect(over.body.error.message).toContain('同一电话号码今天的举报已达 2 次');
    const page = await send('10.0.1.4', tip('P3', { phone: '13800000001' }), { html: true, replica: 2 });
    expect(page.status).toBe(429);
    expect(await tipCount()).toBe(before + 2);
    expect(await db().$count(tips, eq(tips.tipsterPhone, '13800000001'))).toBe(1);
  });

  it('the challenge: asked on the page after repeated tips; missing, forged, too little work, expired and reused are refused', async () => {
    const ip = '10.0.2.1';
    const formPage = async () => (await fetch(`${service.url}/tip`, { headers: { 'x-forwarded-for': ip } })).text();
    expect(await formPage()).not.toContain('name="challenge"');
    for (const n of [1, 2]) expect((await send(ip, tip(`C${n}`))).status).toBe(201);
    const page = await formPage();
    expect(page).toContain('<script type="module" src="/tip/static/pow.js"></script>');
    expect(page).toContain('<noscript>');
    expect(page).toContain('未启用 JavaScript，无法完成安全验证');
    const challenge = /name="challenge" value="([^"]+)"/.exec(page)![1]!;
    const before = await tipCount();

    const missing = await send(ip, tip('C-missing'));
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('需要完成一次安全验证');
    // A page client gets the form again, with what was typed and a fresh challenge.
    const missingPage = await send(ip, tip('C-missing-page', { name: '张三' }), { html: true });
    expect(missingPage.status).toBe(400);
    expect(missingPage.text).toContain('C-missing-page');
    expect(missingPage.text).toContain('value="张三"');
    expect(missingPage.text).toContain('name="challenge"');

    const forged = challenge.replace(/\.[^.]+$/, '.AAAA');
    expect((await send(ip, tip('C-forged', { challenge: forged, nonce: solveChallenge(forged) }))).status).toBe(400);
    let lazy = 0;
    while (solveChallenge(challenge) === String(lazy)) lazy++;
    const weak = await send(ip, tip('C-weak', { challenge, nonce: String(lazy) }));
    expect(weak.status).toBe(400);
    expect(weak.body.error.message).toContain('安全验证未通过');
    const old = issueChallenge(
      { secret: SECRET, bits: BITS, ttlMs: 60_000 },
      new Date(service.clock.now().getTime() - 120_000),
    );
    const expired = await send(ip, tip('C-expired', solved(old)));
    expect(expired.status).toBe(400);
    expect(expired.body.error.message).toContain('已过期');
    expect(await tipCount()).toBe(before);

    const good = solved(challenge);
    expect((await send(ip, tip('C-good', good))).status).toBe(201);
    const reused = await send(ip, tip('C-again', good), { replica: 2 });
    expect(reused.status).toBe(400);
    expect(reused.body.error.message).toContain('已经用过');
    expect(await tipCount()).toBe(before + 1);
  });

  it('a photo is stored with the tip while Feishu is slow, and reaches the handlers’ card afterwards', async () => {
    service.sim.faults.latency('image.create', 1500);
    const started = Date.now();
    const answer = await send('10.0.3.1', tip('slow feishu'), { photos: [PNG, PNG] });
    const took = Date.now() - started;
    expect(answer.status, answer.text).toBe(201);
    expect(took).toBeLessThan(1500);
    const [row] = await db().select().from(tips).where(eq(tips.code, answer.body.code));
    const photos = await db().select().from(tipPhotos).where(eq(tipPhotos.tipId, row!.id));
    expect(photos.map((p) => [p.size, p.imageKey])).toEqual([
      [PNG.length, null],
      [PNG.length, null],
    ]);
    const card = await eventually(
      () => {
        const found = service.sim
          .messages({ to: 'ou_tinsp', msgType: 'interactive' })
          .find((m) => titleOf(m.content) === `群众举报｜${answer.body.code}`);
        return found && elementsOf(found.content).filter((e) => e.tag === 'img').length === 2 ? found : null;
      },
      15_000,
      'the card with both photos',
    );
    expect(card).toBeTruthy();
    const uploaded = await db().select().from(tipPhotos).where(eq(tipPhotos.tipId, row!.id));
    expect(uploaded.every((p) => p.imageKey && service.sim.image(p.imageKey))).toBe(true);
  });
});
