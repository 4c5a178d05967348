import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FeishuSim, startFeishuSim } from '../../src/dev/feishu-sim/index.js';

const ALICE = { openId: 'ou_alice', name: '张三', mobile: '+8613800000001', email: 'alice@example.com' };
const BOB = { openId: 'ou_bob', name: '李四', mobile: '13800000002' };
const OUTSIDER = 'ou_outsider';

/** A card the bot could send: JSON 2.0, updatable, with a form. */
function formCard(title = '隐患上报') {
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: { tag: 'plain_text', content: title }, template: 'orange' },
    body: {
      elements: [
        { tag: 'markdown', content: '请填写整改情况' },
        {
          tag: 'form',
          name: 'rectify',
          elements: [
            { tag: 'input', name: 'note', placeholder: { tag: 'plain_text', content: '说明' } },
            { tag: 'date_picker', name: 'due' },
            {
              tag: 'button',
              name: 'submit',
              text: { tag: 'plain_text', content: '提交' },
              type: 'primary',
              form_action_type: 'submit',
              behaviors: [{ type: 'callback', value: { action: 'rectify' } }],
            },
          ],
        },
      ],
    },
  };
}

function newClient(sim: FeishuSim) {
  return new lark.Client({
    appId: sim.appId,
    appSecret: sim.appSecret,
    domain: sim.url,
    cache: new lark.DefaultCache(),
    loggerLevel: lark.LoggerLevel.error,
    logger: { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} },
  });
}

/** The {code,msg} of a failed SDK call (the SDK throws an AxiosError for any non-2xx answer). */
async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    const response = (error as { response?: { status: number; data: any; headers: any } }).response;
    if (!response) throw error;
    return {
      status: response.status,
      code: response.data?.code,
      msg: String(response.data?.msg),
      headers: response.headers,
    };
  }
  throw new Error('expected the call to fail');
}

function sendText(client: lark.Client, receiveId: string, text: string, extra: { uuid?: string; type?: string } = {}) {
  return client.im.v1.message.create({
    params: { receive_id_type: (extra.type ?? 'open_id') as 'open_id' },
    data: { receive_id: receiveId, msg_type: 'text', content: JSON.stringify({ text }), uuid: extra.uuid },
  });
}

function sendCard(client: lark.Client, receiveId: string, card: unknown) {
  return client.im.v1.message.create({
    params: { receive_id_type: 'open_id' },
    data: { receive_id: receiveId, msg_type: 'interactive', content: JSON.stringify(card) },
  });
}

describe('the Feishu simulator, driven through the real SDK', () => {
  let sim: FeishuSim;
  let client: lark.Client;

  beforeAll(async () => {
    sim = await startFeishuSim();
    sim.addUser(ALICE);
    sim.addUser(BOB);
    sim.addChat({ chatId: 'oc_group1', name: '安全检查群', memberOpenIds: [ALICE.openId, BOB.openId] });
    sim.addChat({ chatId: 'oc_nobot', name: '无机器人群', memberOpenIds: [ALICE.openId], botIsMember: false });
    client = newClient(sim);
  });
  afterAll(async () => {
    await sim.close();
  });
  afterEach(() => {
    sim.faults.clear();
  });

  it('issues a tenant token and accepts a text message with it', async () => {
    const res = await sendText(client, ALICE.openId, '你好');
    expect(res.code).toBe(0);
    const messageId = res.data?.message_id;
    expect(messageId).toMatch(/^om_/);
    const tokenCall = sim.calls.find((c) => c.api === 'token');
    expect(tokenCall?.status).toBe(200);
    const createCall = sim.calls.find((c) => c.api === 'message.create');
    expect(createCall?.headers.authorization).toMatch(/^Bearer t-/);
    expect(createCall?.body).toMatchObject({ receive_id: ALICE.openId, content: { text: '你好' } });
    const sent = sim.messages({ to: ALICE.openId }).find((m) => m.messageId === messageId);
    expect(sent).toMatchObject({ msgType: 'text', content: { text: '你好' }, chatId: `oc_p2p_${ALICE.openId}` });
  });

  it('rejects a wrong app secret and calls without a token', async () => {
    const wrong = new lark.Client({
      appId: sim.appId,
      appSecret: 'wrong',
      domain: sim.url,
      cache: new lark.DefaultCache(),
      logger: { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} },
    });
    const rejected = await failure(sendText(wrong, ALICE.openId, 'x'));
    expect(rejected.code).toBe(10014);
    const noToken = await fetch(`${sim.url}/open-apis/im/v1/messages?receive_id_type=open_id`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ receive_id: ALICE.openId, msg_type: 'text', content: '{"text":"x"}' }),
    });
    expect(((await noToken.json()) as { code: number }).code).toBe(99991661);
  });

  it('sends one message per uuid, answering a repeat with the same message_id', async () => {
    const first = await sendText(client, BOB.openId, '整改通知', { uuid: 'outbox-row-1' });
    const second = await sendText(client, BOB.openId, '整改通知', { uuid: 'outbox-row-1' });
    expect(second.data?.message_id).toBe(first.data?.message_id);
    expect(sim.messages({ to: BOB.openId }).filter((m) => m.uuid === 'outbox-row-1')).toHaveLength(1);
  });

  it('applies Feishu recipient rules: scope 230013, bot not in chat 230002, blocked 230053', async () => {
    expect((await failure(sendText(client, OUTSIDER, 'x'))).code).toBe(230013);
    expect((await failure(sendText(client, 'oc_nobot', 'x', { type: 'chat_id' }))).code).toBe(230002);
    sim.addUser({ openId: 'ou_blocker', name: '王五', blocked: true });
    expect((await failure(sendText(client, 'ou_blocker', 'x'))).code).toBe(230053);
    const byEmail = await sendText(client, ALICE.email, '邮件地址收件', { type: 'email' });
    expect(sim.message(byEmail.data!.message_id!)?.recipientOpenId).toBe(ALICE.openId);
    const toGroup = await sendText(client, 'oc_group1', '群消息', { type: 'chat_id' });
    expect(sim.messages({ to: 'oc_group1' }).map((m) => m.messageId)).toContain(toGroup.data?.message_id);
  });

  it('rejects invalid cards with 230099 and says what is wrong', async () => {
    const v1 = await failure(
      sendCard(client, ALICE.openId, { elements: [{ tag: 'div', text: { tag: 'plain_text', content: 'x' } }] }),
    );
    expect(v1).toMatchObject({ status: 400, code: 230099 });
    expect(v1.msg).toContain('schema');

    const noSubmit = formCard();
    const form = noSubmit.body.elements[1] as { elements: unknown[] };
    form.elements.pop();
    const missingSubmit = await failure(sendCard(client, ALICE.openId, noSubmit));
    expect(missingSubmit.code).toBe(230099);
    expect(missingSubmit.msg).toContain('submit');

    const duplicateNames = formCard();
    (duplicateNames.body.elements[1] as { elements: { name?: string }[] }).elements[1]!.name = 'note';
    expect((await failure(sendCard(client, ALICE.openId, duplicateNames))).msg).toContain('"note" is used twice');

    const withNote = { schema: '2.0', body: { elements: [{ tag: 'note', elements: [] }] } };
    expect((await failure(sendCard(client, ALICE.openId, withNote))).msg).toContain('note');

    const tooBig = { schema: '2.0', body: { elements: [{ tag: 'markdown', content: 'x'.repeat(31 * 1024) }] } };
    expect((await failure(sendCard(client, ALICE.openId, tooBig))).code).toBe(230025);

    const ok = await sendCard(client, ALICE.openId, formCard());
    expect(ok.code).toBe(0);
  });

  it('patches a shared card, refusing one without update_multi and one older than 14 days', async () => {
    const sent = await sendCard(client, ALICE.openId, formCard('待整改'));
    const messageId = sent.data!.message_id!;
    await client.im.v1.message.patch({
      path: { message_id: messageId },
      data: { content: JSON.stringify(formCard('已整改')) },
    });
    expect(sim.message(messageId)?.content.header.title.content).toBe('已整改');
    expect(sim.message(messageId)?.updates).toBe(1);

    const notShared = { schema: '2.0', body: { elements: [{ tag: 'markdown', content: 'x' }] } };
    const fixed = await sendCard(client, ALICE.openId, notShared);
    const refused = await failure(
      client.im.v1.message.patch({
        path: { message_id: fixed.data!.message_id! },
        data: { content: JSON.stringify(formCard()) },
      }),
    );
    expect(refused.msg).toContain('update_multi');

    sim.advance(15 * 24 * 3600 * 1000);
    try {
      const old = await failure(
        client.im.v1.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(formCard()) } }),
      );
      expect(old.code).toBe(230031);
    } finally {
      sim.setNow(new Date());
    }
  });

  it('buzzes chat members and lists ids that are not in the chat', async () => {
    const sent = await sendText(client, 'oc_group1', '请尽快整改', { type: 'chat_id' });
    const messageId = sent.data!.message_id!;
    const res = await client.im.v1.message.urgentApp({
      path: { message_id: messageId },
      params: { user_id_type: 'open_id' },
      data: { user_id_list: [ALICE.openId, OUTSIDER] },
    });
    expect(res.data?.invalid_user_id_list).toEqual([OUTSIDER]);
    expect(sim.message(messageId)?.urgents).toMatchObject([{ kind: 'app', userIds: [ALICE.openId] }]);
    const allInvalid = await failure(
      client.im.v1.message.urgentApp({
        path: { message_id: messageId },
        params: { user_id_type: 'open_id' },
        data: { user_id_list: [OUTSIDER] },
      }),
    );
    expect(allInvalid.code).toBe(230001);
    expect(allInvalid.msg).toContain(OUTSIDER);
  });

  it('resolves known mobiles and emails to open_ids and leaves unknown ones without user_id', async () => {
    const res = await client.contact.v3.user.batchGetId({
      params: { user_id_type: 'open_id' },
      data: { mobiles: ['13800000001', '13900000009'], emails: ['alice@example.com'] },
    });
    const list = res.data?.user_list ?? [];
    expect(list.find((u) => u.mobile === '13800000001')?.user_id).toBe(ALICE.openId);
    expect(list.find((u) => u.mobile === '13900000009')).toEqual({ mobile: '13900000009' });
    expect(list.find((u) => u.email === 'alice@example.com')?.user_id).toBe(ALICE.openId);
    const tooMany = Array.from({ length: 51 }, (_, i) => `1380000${String(i).padStart(4, '0')}`);
    expect((await failure(client.contact.v3.user.batchGetId({ data: { mobiles: tooMany } }))).status).toBe(400);
  });

  it('stores uploaded images, sends them, and serves message resources back', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(2000, 7)]);
    const uploaded = await client.im.v1.image.create({ data: { image_type: 'message', image: png } });
    const imageKey = uploaded?.image_key;
    expect(imageKey).toBeTruthy();
    expect(sim.image(imageKey!)?.equals(png)).toBe(true);

    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'image', content: JSON.stringify({ image_key: imageKey }) },
    });
    const resource = await client.im.v1.messageResource.get({
      path: { message_id: sent.data!.message_id!, file_key: imageKey! },
      params: { type: 'image' },
    });
    const chunks: Buffer[] = [];
    for await (const chunk of resource.getReadableStream()) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(png)).toBe(true);
    expect(resource.headers['content-type']).toBe('image/png');

    const empty = await failure(client.im.v1.image.create({ data: { image_type: 'message', image: Buffer.alloc(0) } }));
    expect(empty.status).toBe(400);

    const pdf = Buffer.from('%PDF-1.4 整改报告');
    const file = await client.im.v1.file.create({ data: { file_type: 'pdf', file_name: '报告.pdf', file: pdf } });
    expect(sim.file(file!.file_key!)?.equals(pdf)).toBe(true);
  });

  it('injects faults: 500s, 429 bursts with a reset header, latency', async () => {
    sim.faults.failNext('message.create', { times: 1, status: 500 });
    expect((await failure(sendText(client, ALICE.openId, 'x'))).status).toBe(500);
    expect((await sendText(client, ALICE.openId, 'x')).code).toBe(0);

    sim.faults.failNext('message.create', { status: 400, code: 230013, msg: 'forced' });
    expect((await failure(sendText(client, ALICE.openId, 'x'))).code).toBe(230013);

    sim.faults.rateLimitBurst('message.create', 2);
    const limited = await failure(sendText(client, ALICE.openId, 'x'));
    expect(limited).toMatchObject({ status: 429, code: 99991400 });
    expect(limited.headers['x-ogw-ratelimit-reset']).toBe('1');
    expect((await failure(sendText(client, ALICE.openId, 'x'))).status).toBe(429);
    expect((await sendText(client, ALICE.openId, 'x')).code).toBe(0);
    expect(sim.stats().byApi['message.create']?.rateLimited).toBe(2);

    sim.faults.latency('message.create', 150);
    const started = Date.now();
    await sendText(client, ALICE.openId, 'slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('performs an accepted-but-unanswered send once, so a retry with the same uuid finds the same message', async () => {
    const { tenant_access_token: token } = (await (
      await fetch(`${sim.url}/open-apis/auth/v3/tenant_access_token/internal`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ app_id: sim.appId, app_secret: sim.appSecret }),
      })
    ).json()) as { tenant_access_token: string };
    sim.faults.acceptButNoAnswer('message.create', 1);
    const body = { receive_id: BOB.openId, msg_type: 'text', content: '{"text":"超时重试"}', uuid: 'lost-answer-1' };
    await expect(
      fetch(`${sim.url}/open-apis/im/v1/messages?receive_id_type=open_id`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow();
    const stored = sim.messages({ to: BOB.openId }).filter((m) => m.uuid === 'lost-answer-1');
    expect(stored).toHaveLength(1);
    const retry = await sendText(client, BOB.openId, '超时重试', { uuid: 'lost-answer-1' });
    expect(retry.data?.message_id).toBe(stored[0]?.messageId);
    expect(sim.messages({ to: BOB.openId }).filter((m) => m.uuid === 'lost-answer-1')).toHaveLength(1);
  });

  it('invalidates tokens: the SDK, which does not refresh, then gets 99991663', async () => {
    const own = newClient(sim);
    await sendText(own, ALICE.openId, 'before');
    sim.invalidateTokens();
    expect((await failure(sendText(own, ALICE.openId, 'after'))).code).toBe(99991663);
    expect((await sendText(newClient(sim), ALICE.openId, 'fresh token')).code).toBe(0);
  });
});

describe('Feishu rate limits in the simulator', () => {
  it('answers the 6th message to one user within a second with 429 and retry headers', async () => {
    const sim = await startFeishuSim({ rateLimits: true });
    try {
      sim.addUser(ALICE);
      const client = newClient(sim);
      const results = await Promise.allSettled(
        Array.from({ length: 7 }, (_, i) => sendText(client, ALICE.openId, `#${i}`)),
      );
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected.length).toBeGreaterThanOrEqual(2);
      const error = (rejected[0] as PromiseRejectedResult).reason as {
        response: { status: number; data: any; headers: any };
      };
      expect(error.response.status).toBe(429);
      expect(error.response.data.code).toBe(99991400);
      expect(error.response.headers['x-ogw-ratelimit-limit']).toBe('5');
      expect(Number(error.response.headers['x-ogw-ratelimit-reset'])).toBeGreaterThanOrEqual(1);
      expect(sim.stats().rateLimited).toBe(rejected.length);
    } finally {
      await sim.close();
    }
  });
});

// --- events out -------------------------------------------------------------------------------------------------

interface Received {
  headers: IncomingMessage['headers'];
  raw: string;
  event: any;
  signatureValid: boolean;
}

/** A tiny bot endpoint: verifies the signature over the raw body, decrypts with the SDK's AESCipher, answers. */
async function startReceiver(encryptKey: string, answer: (event: any) => unknown) {
  const received: Received[] = [];
  const cipher = new lark.AESCipher(encryptKey);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers['x-lark-request-timestamp'] ?? '');
      const nonce = String(req.headers['x-lark-request-nonce'] ?? '');
      const expected = createHash('sha256')
        .update(ts + nonce + encryptKey + raw)
        .digest('hex');
      const signatureValid = req.headers['x-lark-signature'] === expected;
      const event = JSON.parse(cipher.decrypt(JSON.parse(raw).encrypt));
      received.push({ headers: req.headers, raw, event, signatureValid });
      if (event.type === 'url_verification') {
        res.end(JSON.stringify({ challenge: event.challenge }));
        return;
      }
      if (!signatureValid) {
        res.writeHead(401).end('{"error":"bad signature"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(event) ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feishu/events`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('events by webhook, encrypted and signed', () => {
  const encryptKey = 'sim-encrypt-key-for-tests';
  let sim: FeishuSim;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let cardAnswer: unknown = {};

  beforeAll(async () => {
    sim = await startFeishuSim({ encryptKey });
    sim.addUser(ALICE);
    receiver = await startReceiver(encryptKey, (event) =>
      event.header?.event_type === 'card.action.trigger' ? cardAnswer : {},
    );
    sim.setBotUrl(receiver.url);
  });
  afterAll(async () => {
    await sim.close();
    await receiver.close();
  });

  it('sends the URL check encrypted and unsigned, and reports the challenge answer', async () => {
    const delivery = await sim.urlVerification();
    expect(delivery.status).toBe(200);
    expect(delivery.body).toEqual({ challenge: delivery.challenge });
    const last = receiver.received.at(-1)!;
    expect(last.event).toMatchObject({ type: 'url_verification', token: sim.verificationToken });
    expect(last.headers['x-lark-signature']).toBeUndefined();
  });

  it('delivers a user message as a signed, encrypted v2 event', async () => {
    const delivery = await sim.sendText(ALICE.openId, '发现隐患：消防通道堵塞');
    expect(delivery.status).toBe(200);
    const last = receiver.received.at(-1)!;
    expect(last.signatureValid).toBe(true);
    expect(JSON.parse(last.raw)).toHaveProperty('encrypt');
    expect(last.event).toMatchObject({
      schema: '2.0',
      header: { event_id: delivery.eventId, event_type: 'im.message.receive_v1', token: sim.verificationToken },
      event: {
        sender: { sender_id: { open_id: ALICE.openId }, sender_type: 'user' },
        message: { chat_id: `oc_p2p_${ALICE.openId}`, chat_type: 'p2p', message_type: 'text' },
      },
    });
    expect(JSON.parse(last.event.event.message.content)).toEqual({ text: '发现隐患：消防通道堵塞' });
  });

  it('can forge a bad signature, a stale timestamp and a repeated event id', async () => {
    const forged = await sim.sendText(ALICE.openId, 'x', {});
    const again = await sim.clickMenu(ALICE.openId, 'report');
    expect(again.status).toBe(200);
    expect(receiver.received.at(-1)!.event.event).toMatchObject({
      event_key: 'report',
      operator: { operator_id: { open_id: ALICE.openId } },
    });
    const bad = await sim.deliver(receiver.received.at(-1)!.event, { badSignature: true });
    expect(bad.status).toBe(401);
    const stale = await sim.deliver(receiver.received.at(-1)!.event, {
      timestampOffsetSeconds: -600,
      eventId: forged.eventId,
    });
    const staleHeaders = receiver.received.at(-1)!;
    expect(Number(staleHeaders.headers['x-lark-request-timestamp'])).toBeLessThan(Date.now() / 1000 - 590);
    expect(staleHeaders.event.header.event_id).toBe(forged.eventId);
    expect(stale.eventId).toBe(forged.eventId);
  });

  it('replaces the card with the one a click returns, and rejects a 1.0 card in the answer', async () => {
    const client = newClient(sim);
    const sent = await sendCard(client, ALICE.openId, formCard('待整改'));
    const messageId = sent.data!.message_id!;
    cardAnswer = { toast: { type: 'success', content: '已提交' }, card: { type: 'raw', data: formCard('已提交整改') } };
    const click = await sim.clickCard(ALICE.openId, messageId, {
      value: { action: 'rectify' },
      name: 'submit',
      formValue: { note: '已清理', due: '2026-01-10 +0800' },
    });
    expect(click.body.toast).toEqual({ type: 'success', content: '已提交' });
    expect(click.cardUpdate).toEqual({ applied: true });
    expect(sim.message(messageId)?.content.header.title.content).toBe('已提交整改');
    const event = receiver.received.at(-1)!.event;
    expect(event.header.create_time).toMatch(/^\d{16}$/);
    expect(event.event).toMatchObject({
      action: { value: { action: 'rectify' }, name: 'submit', form_value: { note: '已清理' } },
      host: 'im_message',
      context: { open_message_id: messageId, open_chat_id: `oc_p2p_${ALICE.openId}` },
    });

    cardAnswer = { card: { type: 'raw', data: { elements: [] } } };
    const rejected = await sim.clickCard(ALICE.openId, messageId, { value: { action: 'again' } });
    expect(rejected.cardUpdate).toMatchObject({ applied: false, code: 200830 });
    expect(sim.message(messageId)?.content.header.title.content).toBe('已提交整改');
  });
});

describe('events over the long connection (the SDK WSClient)', () => {
  it('pushes a message and a card click, and brings the toast back from the ack', async () => {
    const sim = await startFeishuSim({ eventMode: 'websocket' });
    sim.addUser(ALICE);
    const seen: any[] = [];
    const dispatcher = new lark.EventDispatcher({ loggerLevel: lark.LoggerLevel.error }).register({
      'im.message.receive_v1': async (data: any) => {
        seen.push(data);
        return undefined;
      },
      'card.action.trigger': async (data: any) => {
        seen.push(data);
        return { toast: { type: 'info', content: `收到 ${data.action.value.action}` } };
      },
    } as any);
    let ready!: () => void;
    const connected = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const wsClient = new lark.WSClient({
      appId: sim.appId,
      appSecret: sim.appSecret,
      domain: sim.url,
      loggerLevel: lark.LoggerLevel.error,
      logger: { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} },
      onReady: () => ready(),
    });
    try {
      await wsClient.start({ eventDispatcher: dispatcher });
      await connected;
      expect(sim.connectionCount()).toBe(1);
      const message = await sim.sendText(ALICE.openId, '通过长连接上报');
      expect(message).toMatchObject({ status: 200, via: 'websocket' });
      expect(seen[0]).toMatchObject({
        event_type: 'im.message.receive_v1',
        sender: { sender_id: { open_id: ALICE.openId } },
      });
      expect(JSON.parse(seen[0].message.content)).toEqual({ text: '通过长连接上报' });

      const sent = await sendCard(newClient(sim), ALICE.openId, formCard());
      const click = await sim.clickCard(ALICE.openId, sent.data!.message_id!, { value: { action: 'confirm' } });
      expect(click.status).toBe(200);
      expect(click.body).toEqual({ toast: { type: 'info', content: '收到 confirm' } });
      expect(seen[1]).toMatchObject({ context: { open_message_id: sent.data!.message_id } });
      expect(sim.calls.find((c) => c.api === 'ws.endpoint')?.status).toBe(200);
    } finally {
      wsClient.close({ force: true });
      await sim.close();
    }
  });

  it('fails clearly when no client is connected', async () => {
    const sim = await startFeishuSim({ eventMode: 'websocket' });
    sim.addUser(ALICE);
    try {
      await expect(sim.sendText(ALICE.openId, 'nobody listens')).rejects.toThrow(/no long-connection client/);
    } finally {
      await sim.close();
    }
  }, 10_000);
});
