import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { inboundEvents, outbox } from '../../src/db/schema/index.js';
import { FeishuDispatcher } from '../../src/feishu/dispatcher.js';
import { enqueueCardUpdate, enqueueMessage } from '../../src/feishu/outbox.js';
import { createMetrics } from '../../src/metrics.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

function envelope(id: string, fail = false) {
  return {
    schema: '2.0',
    header: { event_id: id, event_type: 'test.note', token: 't' },
    event: { note: id, fail },
  };
}

describe('the dispatcher handles stored events exactly once', () => {
  let testDb: TestDatabase;
  let dispatcher: FeishuDispatcher;
  const clock = new ManualClock('2026-11-28T08:00:00Z');
  beforeAll(async () => {
    testDb = await createTestDatabase();
    dispatcher = new FeishuDispatcher({
      db: testDb.database.db,
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(),
      clock,
    });
    // A handler with an effect in the database (a queued message) that fails for some events.
    dispatcher.onEvent('test.note', async (event, { db }) => {
      await enqueueMessage(db, {
        to: { openId: 'ou_x' },
        msgType: 'text',
        content: { text: String(event.event.note) },
      });
      if (event.event.fail) throw new Error(`cannot handle ${event.eventId}`);
    });
    // A handler that queues a card and then changes it in the same transaction (a report's card, updated at once).
    dispatcher.onEvent('test.card', async (event, { db }) => {
      const id = await enqueueMessage(db, {
        to: { openId: 'ou_y' },
        msgType: 'interactive',
        content: { version: 1, note: event.event.note },
      });
      cardOutcomes.push(await enqueueCardUpdate(db, { outboxId: id, card: { version: 2, note: event.event.note } }));
    });
    dispatcher.onEvent(
      'test.photo',
      async (event, { db, prepared }) => {
        preparedSeen.push(prepared);
        await enqueueMessage(db, {
          to: { openId: 'ou_z' },
          msgType: 'text',
          content: { text: String(event.event.note) },
        });
      },
      {
        prepare: (event) =>
          event.event.slow
            ? async () => {
                preparations.push(String(event.event.note));
                await new Promise<void>((resolve) => {
                  release = resolve;
                });
                return { bytes: `photo of ${event.event.note}` };
              }
            : null,
      },
    );
  });
  const cardOutcomes: string[] = [];
  // A handler whose events need slow preparation first (as photos do): it waits until the test lets it go.
  let release: () => void = () => {};
  const preparations: string[] = [];
  const preparedSeen: unknown[] = [];
  afterAll(async () => testDb.drop());

  const db = () => testDb.database.db;
  const notes = async () =>
    (await db().select().from(outbox).where(eq(outbox.target, 'ou_x')))
      .map((r) => (r.content as { text: string }).text)
      .sort();
  const statusOf = async (id: string) =>
    (await db().select().from(inboundEvents).where(eq(inboundEvents.eventId, id)))[0]!;

  it('commits each event’s effects with its done-mark, and a failing event neither blocks nor leaks into the others', async () => {
    for (const id of ['a', 'b', 'c']) await dispatcher.receive(envelope(id, id === 'b'));
    await dispatcher.processPending();
    // The batch failed on b and rolled back whole; a and c were then handled one by one, b is waiting for a retry.
    expect(await notes()).toEqual(['a', 'c']);
    expect((await statusOf('a')).status).toBe('done');
    expect((await statusOf('c')).status).toBe('done');
    const b = await statusOf('b');
    expect(b).toMatchObject({ status: 'pending', attempts: 1 });
    expect(b.lastError).toContain('cannot handle b');

    // Redelivering a handled event changes nothing.
    await dispatcher.receive(envelope('a'));
    await dispatcher.processPending();
    expect(await notes()).toEqual(['a', 'c']);
  });

  it('queues a batch’s answers together, and a card queued earlier in the batch can be changed before it goes', async () => {
    const before = (await db().select().from(outbox)).length;
    for (let i = 0; i < 12; i++) {
      await dispatcher.receive({
        schema: '2.0',
        header: { event_id: `card-${i}`, event_type: 'test.card', token: 't' },
        event: { note: `n${i}` },
      });
    }
    while ((await dispatcher.processPending()) > 0) {}
    const cards = await db().select().from(outbox).where(eq(outbox.target, 'ou_y'));
    expect((await db().select().from(outbox)).length - before).toBe(12);
    expect(cardOutcomes).toEqual(Array(12).fill('replaced'));
    expect(
      cards
        .map((c) => c.content as { version: number; note: string })
        .sort((a, b) => a.note.localeCompare(b.note, 'en', { numeric: true })),
    ).toEqual(Array.from({ length: 12 }, (_, i) => ({ version: 2, note: `n${i}` })));
    expect(new Set(cards.map((c) => c.id)).size).toBe(12);
  });

  it('prepares a slow event outside the batch: the other events are handled meanwhile, then it is, once', async () => {
    const post = (id: string, type: string, event: Record<string, unknown>) =>
      dispatcher.receive({ schema: '2.0', header: { event_id: id, event_type: type, token: 't' }, event });
    await post('slow-1', 'test.photo', { note: 'p1', slow: true });
    await post('fast-1', 'test.photo', { note: 'p2', slow: false });
    await post('fast-2', 'test.photo', { note: 'p3', slow: false });
    await dispatcher.processPending();
    // The batch committed the two quick events while the slow one is still being prepared.
    expect(preparations).toEqual(['p1']);
    expect((await statusOf('fast-1')).status).toBe('done');
    expect((await statusOf('fast-2')).status).toBe('done');
    expect((await statusOf('slow-1')).status).toBe('pending');
    // Another pass does not take it again: it is leased to the preparation under way.
    await dispatcher.processPending();
    expect(preparations).toEqual(['p1']);
    release();
    await dispatcher.settled();
    expect((await statusOf('slow-1')).status).toBe('done');
    expect(preparedSeen).toEqual([undefined, undefined, { bytes: 'photo of p1' }]);
    const toZ = await db().select().from(outbox).where(eq(outbox.target, 'ou_z'));
    expect(toZ.map((r) => (r.content as { text: string }).text).sort()).toEqual(['p1', 'p2', 'p3']);
  });

  it('retries a failing event with backoff and gives up after five attempts', async () => {
    for (let attempt = 2; attempt <= 5; attempt++) {
      clock.advance(60_000);
      await dispatcher.processPending();
    }
    expect(await statusOf('b')).toMatchObject({ status: 'failed', attempts: 5 });
    expect(await notes()).toEqual(['a', 'c']);
  });
});
