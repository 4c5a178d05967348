import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../../src/db/schema/index.js';
import { enqueueCardUpdate, enqueueMessage, enqueueMessages } from '../../src/feishu/outbox.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

function card(title: string) {
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: { tag: 'plain_text', content: title } },
    body: { elements: [{ tag: 'markdown', content: title }] },
  };
}

async function rowOf(service: TestService, id: string) {
  const [row] = await service.deps.database.db.select().from(outbox).where(eq(outbox.id, id));
  return row!;
}

async function sent(service: TestService, id: string) {
  return eventually(
    async () => {
      const row = await rowOf(service, id);
      return row.status === 'sent' ? row : null;
    },
    15_000,
    `outbox row ${id} to be sent`,
  );
}

describe('the outbox sender', () => {
  let service: TestService;
  const users = Array.from({ length: 40 }, (_, i) => ({ openId: `ou_user_${i}`, name: `用户${i}` }));

  beforeAll(async () => {
    service = await startTestService({}, { feishuTimeoutMs: 800 });
    for (const user of users) service.sim.addUser(user);
  });
  afterAll(async () => service.stop());

  const db = () => service.deps.database.db;
  const kick = () => service.deps.outboxSender.kick();

  it('sends a queued message with the row id as uuid and records the message id', async () => {
    const id = await enqueueMessage(db(), { to: { openId: 'ou_user_0' }, msgType: 'text', content: { text: '你好' } });
    kick();
    const row = await sent(service, id);
    const message = service.sim.message(row.messageId!);
    expect(message?.uuid).toBe(id);
    expect(message?.content).toEqual({ text: '你好' });
  });

  it('retries 5xx answers until the message is delivered', async () => {
    service.sim.faults.failNext('message.create', { times: 2, status: 500, code: 1, msg: 'internal error' });
    const id = await enqueueMessage(db(), { to: { openId: 'ou_user_1' }, msgType: 'text', content: { text: '5xx' } });
    kick();
    const row = await sent(service, id);
    expect(row.attempts).toBe(2);
    expect(service.sim.messages({ to: 'ou_user_1' })).toHaveLength(1);
  });

  it('waits as Feishu says after a 429 and then delivers', async () => {
    service.sim.faults.rateLimitBurst('message.create', 1);
    const id = await enqueueMessage(db(), { to: { openId: 'ou_user_2' }, msgType: 'text', content: { text: '429' } });
    kick();
    await sent(service, id);
    const metrics = await service.deps.metrics.registry.getSingleMetricAsString('feishu_outbox_retries_total');
    expect(metrics).toMatch(/reason="rate_limited"\} [1-9]/);
  });

  it('a 429 storm longer than the retry budget spends no attempt: the message goes out, once, when it ends', async () => {
    // 20 answers of 429 in a row (more than the 15 attempts a failing message gets), each saying "retry at once".
    service.sim.faults.failNext('message.create', {
      times: 20,
      status: 429,
      code: 99991400,
      msg: 'request trigger frequency limit',
      headers: { 'x-ogw-ratelimit-reset': '0' },
    });
    const id = await enqueueMessage(db(), {
      to: { openId: 'ou_user_30' },
      msgType: 'text',
      content: { text: 'storm' },
    });
    kick();
    const row = await eventually(
      async () => {
        const r = await rowOf(service, id);
        return r.status === 'pending' ? null : r;
      },
      30_000,
      'the message out of the storm',
    );
    expect(row.status).toBe('sent');
    expect(row.attempts).toBe(0);
    expect(service.sim.messages({ to: 'ou_user_30' }).filter((m) => m.rawContent.includes('storm'))).toHaveLength(1);
  });

  it('gives up on a permanent error at once, with the reason, counted in metrics', async () => {
    const id = await enqueueMessage(db(), {
      to: { openId: 'ou_not_in_scope' },
      msgType: 'text',
      content: { text: 'x' },
    });
    kick();
    const row = await eventually(async () => {
      const r = await rowOf(service, id);
      return r.status === 'failed' ? r : null;
    });
    expect(row.lastError).toContain('230013');
    expect(row.attempts).toBe(1);
    const metrics = await service.deps.metrics.registry.getSingleMetricAsString('feishu_outbox_failed_total');
    expect(metrics).toContain('code="230013"} 1');
  });

  it('does not duplicate a message Feishu accepted but never answered', async () => {
    service.sim.faults.acceptButNoAnswer('message.create', 1);
    const id = await enqueueMessage(db(), {
      to: { openId: 'ou_user_3' },
      msgType: 'text',
      content: { text: '无应答' },
    });
    kick();
    const row = await sent(service, id);
    expect(row.attempts).toBe(1);
    expect(service.sim.messages({ to: 'ou_user_3' })).toHaveLength(1);
    expect(
      service.sim.calls.filter((c) => c.api === 'message.create' && c.body && JSON.stringify(c.body).includes(id)),
    ).toHaveLength(2);
  });

  it('buzzes (加急) after delivering when asked', async () => {
    const id = await enqueueMessage(db(), {
      to: { openId: 'ou_user_4' },
      msgType: 'interactive',
      content: card('逾期督办'),
      urgentOpenIds: ['ou_user_4'],
    });
    kick();
    const row = await sent(service, id);
    expect(row.urgentDoneAt).not.toBeNull();
    expect(service.sim.message(row.messageId!)?.urgents.map((u) => u.userIds)).toEqual([['ou_user_4']]);
  });

  it('updates a sent card in place, and replaces a card not yet sent', async () => {
    const id = await enqueueMessage(db(), { to: { openId: 'ou_user_5' }, msgType: 'interactive', content: card('v1') });
    expect(await enqueueCardUpdate(db(), { outboxId: id, card: card('v2') })).toBe('replaced');
    kick();
    const row = await sent(service, id);
    expect(JSON.stringify(service.sim.message(row.messageId!)?.content)).toContain('v2');
    expect(await enqueueCardUpdate(db(), { outboxId: id, card: card('v3') })).toBe('patch');
    kick();
    await eventually(() => JSON.stringify(service.sim.message(row.messageId!)?.content).includes('v3'));
  });

  it('a card replaced while the sender holds it (claimed, not yet sent) gets the new content as a patch', async () => {
    service.sim.faults.latency('message.create', 400);
    try {
      const id = await enqueueMessage(db(), {
        to: { openId: 'ou_user_6' },
        msgType: 'interactive',
        content: card('sending'),
      });
      kick();
      await eventually(async () => ((await rowOf(service, id)).leaseUntil ? true : null), 5000, 'the row claimed');
      // The sender is sending 'sending' now; the row is still pending without a message id.
      expect(await enqueueCardUpdate(db(), { outboxId: id, card: card('photos') })).toBe('replaced');
      const row = await sent(service, id);
      kick();
      await eventually(
        () => (JSON.stringify(service.sim.message(row.messageId!)?.content).includes('photos') ? true : null),
        5000,
        'the card patched with the content replaced while it was being sent',
      );
    } finally {
      service.sim.faults.clear();
    }
  });
});

describe('the outbox sender under Feishu rate limits', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({}, { sim: { rateLimits: true } });
    for (let i = 0; i < 30; i++) service.sim.addUser({ openId: `ou_r_${i}`, name: `用户${i}` });
  });
  afterAll(async () => service.stop());

  it('delivers a burst of 100 messages (5 to one person) with no 429', async () => {
    const messages = Array.from({ length: 100 }, (_, i) => ({
      to: { openId: i < 5 ? 'ou_r_0' : `ou_r_${i % 30}` },
      msgType: 'text' as const,
      content: { text: `第${i}条` },
    }));
    const ids = await enqueueMessages(service.deps.database.db, messages);
    service.deps.outboxSender.kick();
    await eventually(
      async () => {
        const rows = await service.deps.database.db.select({ status: outbox.status }).from(outbox);
        return rows.filter((r) => r.status === 'sent').length === ids.length;
      },
      30_000,
      'all 100 messages sent',
    );
    expect(service.sim.stats().rateLimited).toBe(0);
    expect(service.sim.messages()).toHaveLength(100);
  });
});

describe('a message that waits longer than OUTBOX_MAX_WAIT_HOURS', () => {
  let service: TestService;
  beforeAll(async () => {
    // 0.001 h = 3.6 s: long enough to try it a few times, short enough for a test.
    service = await startTestService({ OUTBOX_MAX_WAIT_HOURS: '0.001' });
    service.sim.addUser({ openId: 'ou_far', name: '远方' });
  });
  afterAll(async () => service.stop());

  it('is dead-lettered, logged and counted, never sent', async () => {
    service.sim.faults.failNext('message.create', {
      times: 1000,
      status: 429,
      code: 99991400,
      msg: 'request trigger frequency limit',
      headers: { 'x-ogw-ratelimit-reset': '0' },
    });
    const db = service.deps.database.db;
    const id = await enqueueMessage(db, { to: { openId: 'ou_far' }, msgType: 'text', content: { text: 'late' } });
    service.deps.outboxSender.kick();
    const row = await eventually(
      async () => {
        const r = await rowOf(service, id);
        return r.status === 'failed' ? r : null;
      },
      20_000,
      'the message dead-lettered',
    );
    expect(row.lastError).toContain('dead letter');
    expect(row.attempts).toBe(0);
    const metrics = await service.deps.metrics.registry.getSingleMetricAsString('feishu_outbox_dead_letters_total');
    expect(metrics).toMatch(/kind="send"\} 1/);
    service.sim.faults.clear();
    expect(service.sim.messages({ to: 'ou_far' })).toHaveLength(0);
  });
});
