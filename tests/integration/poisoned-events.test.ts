import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundEvents } from '../../src/db/schema/index.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

/**
 * Events PostgreSQL's jsonb cannot hold as sent (a NUL character, a lone surrogate), and a body nested absurdly deep,
 * sent in the middle of ordinary traffic: each poisoned one gets a clear answer, and none of them takes its
 * neighbours down with it (they are stored by group commit, in the same INSERT).
 */
const USER = { openId: 'ou_poison_sender', name: '投毒者' };

function textEvent(service: TestService, eventId: string, text: string, extra: Record<string, unknown> = {}) {
  return {
    schema: '2.0',
    header: {
      event_id: eventId,
      event_type: 'im.message.receive_v1',
      create_time: String(Date.now()),
      token: service.sim.verificationToken,
      app_id: service.sim.appId,
      tenant_key: 'sim',
    },
    event: {
      sender: { sender_id: { open_id: USER.openId }, sender_type: 'user', tenant_key: 'sim' },
      message: {
        message_id: `om_${eventId}`,
        chat_id: `oc_p2p_${USER.openId}`,
        chat_type: 'p2p',
        message_type: 'text',
        content: JSON.stringify({ text }),
        create_time: String(Date.now()),
        ...extra,
      },
    },
  };
}

/** The event as text with `open…close` nested `depth` deep in its message (too deep for an object to be cloned). */
function deepText(event: object, open: string, close: string, depth: number): string {
  const text = JSON.stringify({ ...event, extra: 'DEEP' });
  return text.replace('"DEEP"', `${open.repeat(depth)}1${close.repeat(depth)}`);
}

/** `{"a":{"a":…}}` nested `depth` deep. */
function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('poisoned events', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
    service.sim.addUser(USER);
  });
  afterAll(async () => service.stop());

  const stored = async (ids: string[]) =>
    service.deps.database.db
      .select({ eventId: inboundEvents.eventId, payload: inboundEvents.payload })
      .from(inboundEvents)
      .where(inArray(inboundEvents.eventId, ids));

  it('stores NUL characters and lone surrogates in a form jsonb holds, beside the events sent with them', async () => {
    const poisoned = [
      // In the envelope itself (JSON.stringify writes them as \u0000 and \ud800 escapes) …
      textEvent(service, 'evt-nul-outer', '帮助', { parent_id: 'om_\u0000x' }),
      textEvent(service, 'evt-surrogate-outer', '帮助', { parent_id: 'om_\ud800x', root_id: '\udfff' }),
    ];
    const neighbours = Array.from({ length: 30 }, (_, i) => textEvent(service, `evt-neighbour-${i}`, '帮助'));
    // All at once, so that the poisoned ones share their INSERTs with the neighbours; the last two are messages the
    // simulator knows (so that the bot can answer them) with the poison in their text, JSON inside a string.
    const answers = await Promise.all([
      ...[...poisoned, ...neighbours].map((event) => service.sim.deliver(event)),
      service.sim.sendText(USER.openId, '帮\u0000助'),
      service.sim.sendText(USER.openId, '帮助\ud83d'),
    ]);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const [nulText, surrogateText] = answers.slice(-2).map((a) => a.eventId);

    const rows = await stored([...poisoned, ...neighbours].map((e) => e.header.event_id));
    expect(rows).toHaveLength(32);
    const payloadOf = (id: string) => JSON.stringify(rows.find((r) => r.eventId === id)?.payload);
    // What could not be held is replaced by U+FFFD, the rest of the event as sent.
    expect(payloadOf('evt-nul-outer')).toContain('om_\ufffdx');
    expect(payloadOf('evt-surrogate-outer')).toContain('om_\ufffdx');
    expect(payloadOf('evt-surrogate-outer')).not.toMatch(/\\ud[89a-f]/i);

    // Each is handled, and the two the simulator knows are answered (with the help card: neither is a command).
    await eventually(
      async () => {
        const done = await service.deps.database.db
          .select({ status: inboundEvents.status })
          .from(inboundEvents)
          .where(inArray(inboundEvents.eventId, [nulText!, surrogateText!, 'evt-nul-outer', 'evt-surrogate-outer']));
        return done.length === 4 && done.every((r) => r.status === 'done') ? done : null;
      },
      10_000,
      'the poisoned events handled',
    );
    await eventually(
      () => (service.sim.messages({ to: USER.openId }).filter((m) => m.senderType === 'app').length >= 2 ? true : null),
      10_000,
      'answers to the poisoned texts',
    );
  });

  it('refuses a body nested 10,000 deep with a 400 before parsing it, and stores its neighbours', async () => {
    const deep = deepText(textEvent(service, 'evt-deep', '帮助'), '{"a":', '}', 10_000);
    const neighbours = Array.from({ length: 10 }, (_, i) => textEvent(service, `evt-deep-neighbour-${i}`, '帮助'));
    const [deepAnswer, ...rest] = await Promise.all([
      service.sim.deliverText(deep, 'evt-deep'),
      ...neighbours.map((event) => service.sim.deliver(event)),
    ]);
    expect(deepAnswer?.status).toBe(400);
    expect(deepAnswer?.body).toMatchObject({ error: { code: 'too_deep' } });
    expect(JSON.stringify(deepAnswer?.body)).toContain('嵌套');
    expect(rest.map((a) => a.status)).toEqual(rest.map(() => 200));
    expect(await stored(['evt-deep'])).toEqual([]);
    expect(await stored(neighbours.map((e) => e.header.event_id))).toHaveLength(10);
  });

  it('keeps ordinary nesting: a card form with nested values is not refused', async () => {
    const ordinary = textEvent(service, 'evt-ordinary-nesting', '帮助', { extra: nested(20) });
    const answer = await service.sim.deliver(ordinary);
    expect(answer.status).toBe(200);
    const [row] = await service.deps.database.db
      .select({ id: inboundEvents.id })
      .from(inboundEvents)
      .where(eq(inboundEvents.eventId, 'evt-ordinary-nesting'));
    expect(row).toBeDefined();
  });
});

for (const mode of ['webhook', 'websocket'] as const) {
  describe(`poisoned events, ${mode === 'webhook' ? 'signed and encrypted webhook' : 'long connection'}`, () => {
    let service: TestService;
    beforeAll(async () => {
      service = await startTestService(
        {},
        { sim: mode === 'webhook' ? { encryptKey: 'poison-test-encrypt-key' } : { eventMode: 'websocket' } },
      );
      service.sim.addUser(USER);
    });
    afterAll(async () => service.stop());

    it('refuses a deep body (after decrypting it), and stores a NUL in the text as U+FFFD', async () => {
      const deep = deepText(textEvent(service, 'evt-deep-array', '帮助'), '[', ']', 5000);
      const answer = await service.sim.deliverText(deep, 'evt-deep-array');
      // The webhook refuses it; over the long connection a frame that can never be handled is acknowledged and
      // dropped (refusing it would only make Feishu push it again).
      expect(answer.status, JSON.stringify(answer.body)).toBe(mode === 'webhook' ? 400 : 200);
      const nul = await service.sim.deliver(textEvent(service, 'evt-nul-both', '帮\u0000助', { root_id: 'x\u0000' }));
      expect(nul.status).toBe(200);
      const rows = await service.deps.database.db
        .select({ eventId: inboundEvents.eventId, payload: inboundEvents.payload })
        .from(inboundEvents)
        .where(inArray(inboundEvents.eventId, ['evt-deep-array', 'evt-nul-both']));
      expect(rows.map((r) => r.eventId)).toEqual(['evt-nul-both']);
      expect(JSON.stringify(rows[0]?.payload)).toContain('x\ufffd');
    });
  });
}
