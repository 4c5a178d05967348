import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/rows.js';
import type { InboundRecord } from '../../src/feishu/event-store.js';
import { EventNotStoredError, FLUSH_SPACING_MS, InboundBatcher } from '../../src/feishu/inbound-batcher.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

function record(eventId: string, messageId?: string): InboundRecord {
  return {
    eventId,
    messageId,
    eventType: 'im.message.receive_v1',
    payload: { header: { event_id: eventId } },
    status: 'pending',
    receivedAt: new Date('2026-11-28T08:00:00Z'),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the ack path stores events by group commit', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => testDb.drop());
  const stored = async (prefix: string) =>
    rowsOf<{ n: number }>(
      await testDb.database.db.execute(
        sql`select count(*)::int as n from inbound_events where event_id like ${`${prefix}%`}`,
      ),
    )[0]!.n;

  it('stores a burst of events with few INSERTs, each told whether its event was new', async () => {
    const flushes: number[] = [];
    const batcher = new InboundBatcher(testDb.database.db, { onFlush: (rows) => flushes.push(rows) });
    const ids = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
    // A redelivery of burst-3 inside the same burst (same event_id), and one of burst-5's message under a new id.
    const answers = await Promise.all([
      ...ids.map((id) => batcher.record(record(id, `om-${id}`))),
      batcher.record(record('burst-3', 'om-burst-3')),
      batcher.record(record('burst-x', 'om-burst-5')),
    ]);
    expect(answers.slice(0, 40).every(Boolean)).toBe(true);
    expect(answers.slice(40)).toEqual([false, false]);
    expect(await stored('burst-')).toBe(40);
    // The first event goes at once; the rest of the burst waits for the next flush and shares it. (On PGlite the
    // very first INSERT works synchronously for a while, so the second event may find the spacing over already.)
    expect(flushes.reduce((a, b) => a + b, 0)).toBe(42);
    expect(flushes[0]).toBe(1);
    expect(flushes.length).toBeLessThanOrEqual(3);
  });

  it('flushes an event that arrives after a quiet spell at once, and spaces flushes under a steady stream', async () => {
    const flushes: number[] = [];
    const batcher = new InboundBatcher(testDb.database.db, { onFlush: (rows) => flushes.push(rows) });
    expect(await batcher.record(record('quiet-1'))).toBe(true);
    await sleep(FLUSH_SPACING_MS * 4);
    expect(await batcher.record(record('quiet-2'))).toBe(true);
    expect(flushes).toEqual([1, 1]);

    // Three events every millisecond or so: without spacing nearly every one was its own INSERT. A flush starts at
    // most once per spacing, however fast or slow this machine is, so at most the first of each three goes alone.
    // (A timer of 1 ms may take longer than the spacing on a busy machine: the threes keep the test meaningful.)
    await sleep(FLUSH_SPACING_MS * 4);
    flushes.length = 0;
    const pending: Promise<boolean>[] = [];
    const started = performance.now();
    for (let i = 0; i < 60; i++) {
      pending.push(batcher.record(record(`stream-${i}`)));
      if (i % 3 === 2) await sleep(1);
    }
    expect((await Promise.all(pending)).every(Boolean)).toBe(true);
    const elapsed = performance.now() - started;
    expect(await stored('stream-')).toBe(60);
    expect(flushes.reduce((a, b) => a + b, 0)).toBe(60);
    expect(flushes.length).toBeLessThanOrEqual(Math.ceil(elapsed / FLUSH_SPACING_MS) + 1);
    expect(flushes.length).toBeLessThanOrEqual(40);
  });

  it('passes a failed INSERT to every request of the batch, and goes on with the next', async () => {
    const batcher = new InboundBatcher(testDb.database.db);
    const bad = { ...record('bad-1'), receivedAt: new Date(Number.NaN) };
    const outcome = await Promise.allSettled([batcher.record(record('before-bad')), batcher.record(bad)]);
    expect(outcome[0]).toEqual({ status: 'fulfilled', value: true });
    expect(outcome[1]!.status).toBe('rejected');
    expect(await batcher.record(record('after-bad'))).toBe(true);
  });

  it('stores the neighbours of an event the database refuses, and refuses that one alone', async () => {
    const flushes: number[] = [];
    const batcher = new InboundBatcher(testDb.database.db, { onFlush: (rows) => flushes.push(rows) });
    // Past the dispatcher's rewriting, a NUL in a payload is what jsonb refuses (22P05) — here straight in.
    const poisoned = { ...record('poison-1'), payload: { text: 'a\u0000b' } };
    const neighbours = Array.from({ length: 12 }, (_, i) => record(`poison-neighbour-${i}`));
    // The first record flushes alone; the rest share the next INSERT with the poisoned one.
    const outcome = await Promise.allSettled([
      batcher.record(record('poison-first')),
      ...neighbours.slice(0, 6).map((r) => batcher.record(r)),
      batcher.record(poisoned),
      ...neighbours.slice(6).map((r) => batcher.record(r)),
    ]);
    const rejected = outcome.filter((o) => o.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(EventNotStoredError);
    expect(outcome[7]!.status).toBe('rejected');
    expect(await stored('poison-')).toBe(13);
    expect(flushes.reduce((a, b) => a + b, 0)).toBe(14);
  });

  it('refuses an event it cannot store within its budget, and frees the flush for the events behind it', async () => {
    const budgetMs = 400;
    const batcher = new InboundBatcher(testDb.database.db, { budgetMs });
    const onPostgres = testDb.database.kind === 'postgres';
    // A transaction that stays open: on PostgreSQL it has inserted held-1 and held-2 without committing, so an
    // INSERT of either waits for it (the unique index) while others go through; PGlite runs one transaction at a
    // time, so every INSERT waits.
    let release = () => {};
    const holding = new Promise<void>((resolve) => {
      release = resolve;
    });
    let began = () => {};
    const begun = new Promise<void>((resolve) => {
      began = resolve;
    });
    const holder = testDb.database.db
      .transaction(async (tx) => {
        if (onPostgres) {
          await tx.execute(sql`insert into inbound_events (event_id, event_type, payload, status)
            values ('held-1', 't', '{}', 'done'), ('held-2', 't', '{}', 'done')`);
        }
        began();
        await holding;
        tx.rollback();
      })
      .catch(() => {});
    await begun;
    // The clock starts before record() is called: on PGlite the INSERT it starts does synchronous work first.
    const timed = (call: () => Promise<boolean>) => {
      const started = performance.now();
      return call().then(
        (isNew) => ({ isNew, error: undefined, ms: performance.now() - started }),
        (error: unknown) => ({ isNew: undefined, error, ms: performance.now() - started }),
      );
    };
    // A failed expectation must still end the holder: PGlite's close() waits for its open transaction.
    try {
      // Both flushes taken by events that wait, then one more behind them.
      const first = timed(() => batcher.record(record('held-1')));
      await sleep(FLUSH_SPACING_MS * 3);
      const second = timed(() => batcher.record(record('held-2')));
      await sleep(50);
      const behind = timed(() => batcher.record(record('behind-1')));
      for (const outcome of await Promise.all([first, second])) {
        expect(outcome.error).toBeInstanceOf(EventNotStoredError);
        expect(outcome.ms).toBeGreaterThanOrEqual(budgetMs - 5);
        expect(outcome.ms).toBeLessThan(budgetMs + 1000);
      }
      const third = await behind;
      expect(third.ms).toBeLessThan(budgetMs + 1000);
      if (onPostgres) {
        // It waited for a flush to be given up, not for the held rows.
        expect(third).toMatchObject({ isNew: true, error: undefined });
      } else {
        expect(third.error).toBeInstanceOf(EventNotStoredError);
      }
    } finally {
      release();
      await holder;
    }
    // The holder has gone away: the INSERTs given up went through after all, so Feishu's redeliveries are duplicates.
    await sleep(100);
    expect(await batcher.record(record('held-1'))).toBe(false);
    expect(await batcher.record(record('held-2'))).toBe(false);
    expect(await batcher.record(record('behind-1'))).toBe(false);
    expect(await batcher.record(record('after-1'))).toBe(true);
  });
});
