import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundEvents } from '../../src/db/schema/index.js';
import { claimPendingEvents, purgeOldEvents, recordInboundEvent } from '../../src/feishu/event-store.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

describe('the inbound event store', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => testDb.drop());
  const db = () => testDb.database.db;
  const hour = 3600_000;

  it('stores an event once per event_id and once per message_id', async () => {
    const now = new Date('2026-11-28T08:00:00Z');
    const base = { eventType: 'im.message.receive_v1', payload: {}, now };
    expect(await recordInboundEvent(db(), { ...base, eventId: 'e-1', messageId: 'om-1' })).toBe(true);
    expect(await recordInboundEvent(db(), { ...base, eventId: 'e-1', messageId: 'om-1' })).toBe(false);
    expect(await recordInboundEvent(db(), { ...base, eventId: 'e-2', messageId: 'om-1' })).toBe(false);
    expect(await recordInboundEvent(db(), { ...base, eventId: 'e-3', messageId: 'om-2' })).toBe(true);
  });

  it('hands a pending event to one claimer at a time, and again once its lease runs out', async () => {
    const now = new Date('2026-11-28T09:00:00Z');
    await recordInboundEvent(db(), { eventId: 'lease-1', eventType: 'x', payload: {}, now });
    const first = await claimPendingEvents(db(), { now, leaseMs: 60_000, limit: 100 });
    expect(first.map((e) => e.id).length).toBeGreaterThan(0);
    expect(
      await claimPendingEvents(db(), { now: new Date(now.getTime() + 30_000), leaseMs: 60_000, limit: 100 }),
    ).toEqual([]);
    const again = await claimPendingEvents(db(), {
      now: new Date(now.getTime() + 61_000),
      leaseMs: 60_000,
      limit: 100,
    });
    expect(again.map((e) => e.id).sort()).toEqual(first.map((e) => e.id).sort());
    expect(again.every((e) => e.attempts === 2)).toBe(true);
  });

  it('keeps events for 72 hours and purges them after', async () => {
    const now = new Date('2026-12-01T12:00:00Z');
    await recordInboundEvent(db(), {
      eventId: 'old',
      eventType: 'x',
      payload: {},
      now: new Date(now.getTime() - 73 * hour),
    });
    await recordInboundEvent(db(), {
      eventId: 'recent',
      eventType: 'x',
      payload: {},
      now: new Date(now.getTime() - 71 * hour),
    });
    await purgeOldEvents(db(), now);
    const ids = (await db().select({ id: inboundEvents.eventId }).from(inboundEvents)).map((r) => r.id);
    expect(ids).toContain('recent');
    expect(ids).not.toContain('old');
    // A redelivery of the purged id would be new again — which is why 72 h comfortably exceeds Feishu's ~7 h of retries.
    expect(await recordInboundEvent(db(), { eventId: 'recent', eventType: 'x', payload: {}, now })).toBe(false);
  });
});
