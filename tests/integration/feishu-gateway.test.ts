import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundEvents } from '../../src/db/schema/index.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const USER = { openId: 'ou_inspector_wang', name: '王检查' };

async function storedEvents(service: TestService): Promise<number> {
  const [row] = await service.deps.database.db.select({ n: count() }).from(inboundEvents);
  return row?.n ?? 0;
}

function header(service: TestService, eventType: string) {
  return {
    event_id: `evt-${Math.random().toString(36).slice(2)}`,
    event_type: eventType,
    create_time: String(Date.now()),
    token: service.sim.verificationToken,
    app_id: service.sim.appId,
    tenant_key: 'sim',
  };
}

/** A text message event as Feishu sends it, with a fixed message_id so that it can be redelivered. */
function textEvent(service: TestService, openId: string, messageId: string, text: string) {
  return {
    schema: '2.0',
    header: header(service, 'im.message.receive_v1'),
    event: {
      sender: { sender_id: { open_id: openId }, sender_type: 'user', tenant_key: 'sim' },
      message: {
        message_id: messageId,
        chat_id: `oc_p2p_${openId}`,
        chat_type: 'p2p',
        message_type: 'text',
        content: JSON.stringify({ text }),
        create_time: String(Date.now()),
      },
    },
  };
}

function helpCardsTo(service: TestService, openId: string) {
  return service.sim
    .messages({ to: openId })
    .filter((m) => m.senderType === 'app' && JSON.stringify(m.content).includes('隐患闭环助手'));
}

describe('Feishu gateway, webhook with a Verification Token', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
    service.sim.addUser(USER);
  });
  afterAll(async () => service.stop());

  it('answers the URL check with the challenge', async () => {
    const delivery = await service.sim.urlVerification();
    expect(delivery.status).toBe(200);
    expect(delivery.body).toHaveProperty('challenge');
  });

  it('refuses a URL check with a wrong token', async () => {
    const delivery = await service.sim.urlVerification({ token: 'not-the-token' });
    expect(delivery.status).toBe(401);
  });

  it('answers 帮助 with the help card, as a reply in the chat that asked', async () => {
    const delivery = await service.sim.sendText(USER.openId, '帮助');
    expect(delivery.status).toBe(200);
    expect(delivery.body).toEqual({});
    const [card] = await eventually(
      () => {
        const cards = helpCardsTo(service, USER.openId);
        return cards.length ? cards : null;
      },
      10_000,
      'the help card',
    );
    expect(card?.msgType).toBe('interactive');
    const reply = service.sim.calls.find((c) => c.api === 'message.reply');
    expect(reply?.status).toBe(200);
  });

  it('acts once on an event delivered three times, also concurrently', async () => {
    const before = helpCardsTo(service, 'ou_repeat').length;
    service.sim.addUser({ openId: 'ou_repeat', name: '重复' });
    const first = await service.sim.sendText('ou_repeat', 'help');
    const event = first.envelope!;
    const again = await Promise.all([
      service.sim.deliver(event, { eventId: first.eventId }),
      service.sim.deliver(event, { eventId: first.eventId }),
      service.sim.deliver(event, { eventId: first.eventId }),
    ]);
    expect([first, ...again].map((d) => d.status)).toEqual([200, 200, 200, 200]);
    await eventually(() => helpCardsTo(service, 'ou_repeat').length === before + 1, 10_000, 'one answer');
    await new Promise((r) => setTimeout(r, 500));
    expect(helpCardsTo(service, 'ou_repeat')).toHaveLength(before + 1);
  });

  it('acts once on the same message redelivered under a new event_id', async () => {
    service.sim.addUser({ openId: 'ou_msgdup', name: '重发' });
    const first = await service.sim.sendText('ou_msgdup', '帮助');
    const resent = await service.sim.deliver(first.envelope!, { eventId: 'evt-msgdup-resent' });
    expect(resent.status).toBe(200);
    await eventually(() => helpCardsTo(service, 'ou_msgdup').length === 1, 10_000, 'one answer');
    await new Promise((r) => setTimeout(r, 500));
    expect(helpCardsTo(service, 'ou_msgdup')).toHaveLength(1);
  });

  it('refuses an event with a wrong Verification Token and stores nothing', async () => {
    const before = await storedEvents(service);
    const forged = await service.sim.deliver(textEvent(service, USER.openId, 'om_forged', '帮助'), { token: 'forged' });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ error: { code: 'invalid_token' } });
    expect(await storedEvents(service)).toBe(before);
  });

  it('without an Encrypt Key, refuses an event made more than 24 hours ago (a replay), storing nothing', async () => {
    const before = await storedEvents(service);
    const event = textEvent(service, USER.openId, 'om_replayed', '帮助');
    const replayed = await service.sim.deliver({
      ...event,
      header: { ...event.header, create_time: String(Date.now() - 25 * 3600 * 1000) },
    });
    expect(replayed.status).toBe(401);
    expect(replayed.body).toMatchObject({ error: { code: 'stale_event' } });
    const undated = await service.sim.deliver({ ...event, header: { ...event.header, create_time: undefined } });
    expect(undated.status).toBe(401);
    expect(await storedEvents(service)).toBe(before);
    // Feishu's own retries come within hours; a card callback's create_time is in microseconds.
    const retried = await service.sim.deliver({
      ...event,
      header: { ...event.header, create_time: String(Date.now() - 6 * 3600 * 1000) },
    });
    expect(retried.status).toBe(200);
  });

  it('acknowledges unknown event types without acting', async () => {
    const delivery = await service.sim.deliver({
      schema: '2.0',
      header: header(service, 'im.chat.updated_v1'),
      event: { chat_id: 'oc_x' },
    });
    expect(delivery.status).toBe(200);
    const [row] = await service.deps.database.db
      .select()
      .from(inboundEvents)
      .where(eq(inboundEvents.eventId, delivery.eventId));
    expect(row?.status).toBe('ignored');
  });

  it('answers a card click on a card without an action with a toast, in the same request', async () => {
    const [card] = helpCardsTo(service, USER.openId);
    const click = await service.sim.clickCard(USER.openId, card!.messageId, { value: { action: 'nope' } });
    expect(click.status).toBe(200);
    expect(click.body).toMatchObject({ toast: { type: 'warning' } });
  });

  it('rejects malformed bodies with a 4xx and stores nothing', async () => {
    const before = await storedEvents(service);
    const url = `${service.url}/feishu/events`;
    const notJson = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"schema":',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { code: 'invalid_json' } });
    const wrongType = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(wrongType.status).toBe(415);
    const huge = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expect(huge.status).toBe(413);
    const noHeader = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schema: '2.0', event: {} }),
    });
    expect(noHeader.status).toBe(401);
    expect(await storedEvents(service)).toBe(before);
  });
});

describe('Feishu gateway, webhook with an Encrypt Key', () => {
  let service: TestService;
  const encryptKey = 'test-encrypt-key-0123456789';
  beforeAll(async () => {
    service = await startTestService({}, { sim: { encryptKey } });
    service.sim.addUser(USER);
  });
  afterAll(async () => service.stop());

  it('answers the encrypted URL check', async () => {
    const delivery = await service.sim.urlVerification({ encrypt: true });
    expect(delivery.status).toBe(200);
    expect(delivery.body).toHaveProperty('challenge');
  });

  it('accepts a signed, encrypted event and answers it', async () => {
    const delivery = await service.sim.sendText(USER.openId, '帮助');
    expect(delivery.status).toBe(200);
    await eventually(() => helpCardsTo(service, USER.openId).length === 1, 10_000, 'the help card');
  });

  it('refuses a forged signature and a stale timestamp, storing nothing', async () => {
    const before = await storedEvents(service);
    const envelope = { schema: '2.0', header: { event_type: 'im.message.receive_v1' }, event: {} };
    const forged = await service.sim.deliver(envelope, { badSignature: true });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ error: { code: 'invalid_signature' } });
    const stale = await service.sim.deliver(envelope, { timestampOffsetSeconds: -360 });
    expect(stale.status).toBe(401);
    expect(stale.body).toMatchObject({ error: { code: 'stale_timestamp' } });
    expect(await storedEvents(service)).toBe(before);
  });

  it('refuses a body encrypted with another key', async () => {
    const key = createHash('sha256').update('some other key').digest();
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-256-cbc', key, iv);
    const encrypt = Buffer.concat([
      iv,
      cipher.update('{"type":"url_verification","challenge":"x"}'),
      cipher.final(),
    ]).toString('base64');
    const response = await fetch(`${service.url}/feishu/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ encrypt }),
    });
    expect(response.status).toBe(401);
  });

  it('refuses a plain event without signature headers', async () => {
    const response = await fetch(`${service.url}/feishu/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        schema: '2.0',
        header: { event_id: 'e1', event_type: 'im.message.receive_v1' },
        event: {},
      }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'unsigned' } });
  });
});

describe('Feishu gateway, long connection', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({}, { sim: { eventMode: 'websocket' } });
    service.sim.addUser(USER);
  });
  afterAll(async () => service.stop());

  it('receives a message and a card click over the long connection', async () => {
    const delivery = await service.sim.sendText(USER.openId, '帮助');
    expect(delivery.status).toBe(200);
    const [card] = await eventually(
      () => {
        const cards = helpCardsTo(service, USER.openId);
        return cards.length ? cards : null;
      },
      15_000,
      'the help card',
    );
    const click = await service.sim.clickCard(USER.openId, card!.messageId, { value: { action: 'nope' } });
    expect(click.body).toMatchObject({ toast: { type: 'warning' } });
  });
});
