import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCard } from '../../src/dev/feishu-sim/card-validator.js';
import { type FeishuSim, startFeishuSim } from '../../src/dev/feishu-sim/index.js';
import { RateLimiter } from '../../src/dev/feishu-sim/rate-limiter.js';
import { createFeishuClient } from '../../src/feishu/client.js';

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

describe("the simulator's app-wide rate limits", () => {
  it('allows 50 requests in one clock second and answers the 51st with a 1-second reset', () => {
    const limiter = new RateLimiter();
    const second = 1_700_000_000_000;
    for (let i = 0; i < 50; i++) expect(limiter.take(second + i * 10, `chat:${i}`)).toBeNull();
    expect(limiter.take(second + 990, 'chat:x')).toEqual({ limit: 50, resetSeconds: 1, scope: 'app-second' });
    // The fixed window starts over at the next second.
    expect(limiter.take(second + 1000, 'chat:x')).toBeNull();
  });

  it('allows 1000 requests in any 60 seconds and says when the oldest leaves the window', () => {
    const limiter = new RateLimiter();
    const start = 1_700_000_000_000;
    // 20 per second for 50 seconds = 1000 requests, never more than 50 in a second.
    for (let i = 0; i < 1000; i++) expect(limiter.take(start + i * 50)).toBeNull();
    const verdict = limiter.take(start + 50_000);
    expect(verdict).toMatchObject({ limit: 1000, scope: 'app-minute' });
    expect(verdict?.resetSeconds).toBe(10);
    expect(limiter.take(start + 60_001)).toBeNull();
  });

  it('allows 5 per second to one recipient without counting the rejected ones', () => {
    const limiter = new RateLimiter();
    const t = 1_700_000_000_500;
    for (let i = 0; i < 5; i++) expect(limiter.take(t + i, 'chat:oc_1')).toBeNull();
    expect(limiter.take(t + 10, 'chat:oc_1')).toMatchObject({ limit: 5, scope: 'key-second' });
    expect(limiter.take(t + 10, 'chat:oc_2')).toBeNull();
    expect(limiter.take(t + 1001, 'chat:oc_1')).toBeNull();
  });
});

describe('card JSON 2.0 checks', () => {
  const card = (elements: unknown[], extra: Record<string, unknown> = {}) => ({
    schema: '2.0',
    config: { update_multi: true },
    body: { elements },
    ...extra,
  });
  const submit = {
    tag: 'button',
    name: 'ok',
    text: { tag: 'plain_text', content: '提交' },
    form_action_type: 'submit',
  };

  it.each([
    [
      'a form below the root',
      card([
        { tag: 'column_set', columns: [{ tag: 'column', elements: [{ tag: 'form', name: 'f', elements: [submit] }] }] },
      ]),
      'root',
    ],
    [
      'a field without a name',
      card([{ tag: 'form', name: 'f', elements: [{ tag: 'input' }, submit] }]),
      'needs a name',
    ],
    [
      'two forms with one name',
      card([
        { tag: 'form', name: 'f', elements: [submit] },
        { tag: 'form', name: 'f', elements: [{ ...submit }] },
      ]),
      'used twice',
    ],
    ['a multi-select outside a form', card([{ tag: 'multi_select_person', name: 'who' }]), 'only inside a form'],
    ['the removed action module', card([{ tag: 'action', actions: [] }]), 'action'],
    ['i18n_elements', { ...card([]), i18n_elements: {} }, 'i18n_elements'],
    ['an unknown tag', card([{ tag: 'blink' }]), 'unknown tag "blink"'],
    ['an unknown root property', card([], { elements: [] }), 'body.elements'],
    ['no body', { schema: '2.0' }, 'body'],
    ['more than 200 elements', card(Array.from({ length: 201 }, () => ({ tag: 'hr' }))), '201 elements'],
    ['update_multi false', { schema: '2.0', config: { update_multi: false }, body: { elements: [] } }, 'update_multi'],
    [
      'an image that was never uploaded',
      card([{ tag: 'img', img_key: 'img_nope', alt: { tag: 'plain_text', content: '' } }]),
      'img_nope',
    ],
  ])('rejects %s', (_name, value, message) => {
    const problem = validateCard(value, { knownImageKey: () => false });
    expect(problem).toContain(message);
  });

  it('accepts a form with named fields inside columns and a submit button', () => {
    const value = card([
      { tag: 'markdown', content: '**隐患**' },
      { tag: 'hr' },
      {
        tag: 'form',
        name: 'f',
        elements: [
          {
            tag: 'column_set',
            columns: [
              { tag: 'column', elements: [{ tag: 'select_person', name: 'owner' }] },
              { tag: 'column', elements: [{ tag: 'picker_datetime', name: 'due' }] },
            ],
          },
          { tag: 'multi_select_static', name: 'kinds', options: [] },
          submit,
        ],
      },
    ]);
    expect(validateCard(value)).toBeNull();
  });
});

describe('replies, posts, groups and the delayed card update (plain webhook)', () => {
  let sim: FeishuSim;
  let bot: Server;
  const events: any[] = [];
  let client: lark.Client;

  beforeAll(async () => {
    sim = await startFeishuSim({ verificationToken: 'vt-rules' });
    sim.addUser({ openId: 'ou_a', name: '赵六' });
    sim.addUser({ openId: 'ou_b', name: '钱七' });
    sim.addChat({ chatId: 'oc_team', name: '巡查组', memberOpenIds: ['ou_a', 'ou_b'] });
    bot = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        events.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
    sim.setBotUrl(`http://127.0.0.1:${(bot.address() as AddressInfo).port}/feishu/events`);
    client = new lark.Client({
      appId: sim.appId,
      appSecret: sim.appSecret,
      domain: sim.url,
      cache: new lark.DefaultCache(),
      logger: quiet,
    });
  });
  afterAll(async () => {
    await sim.close();
    await new Promise<void>((resolve) => bot.close(() => resolve()));
  });

  it('sends plain events carrying the Verification Token and no signature', async () => {
    const delivery = await sim.sendText('ou_a', '巡查开始', { chatId: 'oc_team' });
    const { headers, body } = events.at(-1);
    expect(headers['x-lark-signature']).toBeUndefined();
    expect(body.header).toMatchObject({ token: 'vt-rules', event_id: delivery.eventId });
    expect(body.event.message).toMatchObject({ chat_type: 'group', chat_id: 'oc_team' });
    expect(JSON.parse(body.event.message.content).text).toBe('@_user_1 巡查开始');
    expect(body.event.message.mentions[0]).toMatchObject({ key: '@_user_1', id: { open_id: sim.botOpenId } });
  });

  it('sends posts with images the bot can download, and replies land in the same chat', async () => {
    const photo = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    await sim.sendPost('ou_b', { title: '现场照片', text: '配电箱未上锁', images: [photo] });
    const message = events.at(-1).body.event.message;
    expect(message.message_type).toBe('post');
    const content = JSON.parse(message.content);
    expect(content.title).toBe('现场照片');
    const imageKey = content.content[1][0].image_key;
    const resource = await client.im.v1.messageResource.get({
      path: { message_id: message.message_id, file_key: imageKey },
      params: { type: 'image' },
    });
    const chunks: Buffer[] = [];
    for await (const chunk of resource.getReadableStream()) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(photo)).toBe(true);

    const reply = await client.im.v1.message.reply({
      path: { message_id: message.message_id },
      data: { msg_type: 'text', content: JSON.stringify({ text: '已登记' }) },
    });
    const stored = sim.message(reply.data!.message_id!);
    expect(stored).toMatchObject({ parentId: message.message_id, chatId: 'oc_p2p_ou_b', content: { text: '已登记' } });
    expect(sim.messages({ to: 'ou_b' }).map((m) => m.messageId)).toContain(stored?.messageId);
  });

  it('lets the bot update a clicked card with the callback token, at most twice', async () => {
    const card = {
      schema: '2.0',
      config: { update_multi: true },
      body: { elements: [{ tag: 'button', text: { tag: 'plain_text', content: '确认' } }] },
    };
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc_team', msg_type: 'interactive', content: JSON.stringify(card) },
    });
    await sim.clickCard('ou_a', sent.data!.message_id!, { value: { k: 1 } });
    const token = events.at(-1).body.event.token;
    const update = (title: string) =>
      client.request({
        method: 'POST',
        url: '/open-apis/interactive/v1/card/update',
        data: { token, card: { ...card, body: { elements: [{ tag: 'markdown', content: title }] } } },
      });
    await update('第一次');
    await update('第二次');
    expect(sim.message(sent.data!.message_id!)?.content.body.elements[0].content).toBe('第二次');
    await expect(update('第三次')).rejects.toMatchObject({ response: { status: 400 } });
  });

  it('refuses to click for a user outside the chat, or a card older than 14 days', async () => {
    sim.addUser({ openId: 'ou_c', name: '孙八' });
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: {
        receive_id: 'ou_a',
        msg_type: 'interactive',
        content: JSON.stringify({ schema: '2.0', body: { elements: [{ tag: 'markdown', content: 'x' }] } }),
      },
    });
    const id = sent.data!.message_id!;
    await expect(sim.clickCard('ou_c', id, {})).rejects.toThrow(/not in chat/);
    sim.advance(15 * 24 * 3600 * 1000);
    try {
      await expect(sim.clickCard('ou_a', id, {})).rejects.toThrow(/14 days/);
    } finally {
      sim.setNow(Date.now());
    }
  });
});

describe('the control API for sandbox mode', () => {
  it('adds users, acts as them and lists what the bot sent, over plain HTTP', async () => {
    const sim = await startFeishuSim();
    const received: any[] = [];
    const bot = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
    sim.setBotUrl(`http://127.0.0.1:${(bot.address() as AddressInfo).port}/`);
    const post = (path: string, body: unknown) =>
      fetch(`${sim.url}/__sim${path}`, { method: 'POST', body: JSON.stringify(body) });
    try {
      expect((await post('/users', { openId: 'ou_z', name: '周九' })).status).toBe(200);
      const answer = (await (await post('/text', { from: 'ou_z', text: '你好' })).json()) as {
        status: number;
        body: unknown;
      };
      expect(answer).toMatchObject({ status: 200, body: { ok: true } });
      expect(received[0].event.sender.sender_id.open_id).toBe('ou_z');
      const missing = await post('/text', { from: 'ou_z' });
      expect(missing.status).toBe(400);
      expect(((await missing.json()) as { error: string }).error).toContain('"text" is required');
      const help = (await (await fetch(`${sim.url}/__sim`)).json()) as { appId: string; users: unknown[] };
      expect(help.appId).toBe(sim.appId);
      expect(help.users).toHaveLength(1);
    } finally {
      await sim.close();
      await new Promise<void>((resolve) => bot.close(() => resolve()));
    }
  });

  it('lists the files the bot uploaded and hands each one back byte for byte, under its name', async () => {
    const sim = await startFeishuSim();
    const client = createFeishuClient({ appId: sim.appId, appSecret: sim.appSecret, baseUrl: sim.url });
    try {
      const ledger = Buffer.from('PK\u0003\u0004 a ledger, as the bot would upload it');
      const fileKey = await client.uploadFile({ file: ledger, fileName: '隐患台账-2026-03-01.xlsx', fileType: 'xls' });
      const listed = (await (await fetch(`${sim.url}/__sim/files`)).json()) as unknown[];
      expect(listed).toEqual([{ fileKey, fileName: '隐患台账-2026-03-01.xlsx', fileType: 'xls', size: ledger.length }]);

      const download = await fetch(`${sim.url}/__sim/files/${fileKey}`);
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe(
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      );
      expect(download.headers.get('content-disposition')).toBe(
        `attachment; filename="${fileKey}.xlsx"; filename*=UTF-8''${encodeURIComponent('隐患台账-2026-03-01.xlsx')}`,
      );
      expect(Buffer.from(await download.arrayBuffer()).equals(ledger)).toBe(true);

      const unknown = await fetch(`${sim.url}/__sim/files/file_v3_sim_nope`);
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { error: string }).error).toContain('file_v3_sim_nope');
    } finally {
      await sim.close();
    }
  });
});
