import { and, asc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { inboundEvents } from '../db/schema/index.js';

/** An event as the ack path stores it. */
export interface InboundRecord {
  eventId: string;
  messageId: string | undefined;
  eventType: string;
  payload: unknown;
  status: 'pending' | 'ignored';
  receivedAt: Date;
}

/** Deduplicated events are kept at least this long (Feishu retries for up to ~7 h; we keep three days). */
export const EVENT_RETENTION_MS = 72 * 3600 * 1000;

/**
 * Stores an event before it is acknowledged. Returns false when the event (or, for messages, the message) was
 * already stored: a redelivery, to be acknowledged and otherwise ignored.
 */
export async function recordInboundEvent(
  db: Db,
  input: {
    eventId: string;
    messageId?: string | undefined;
    eventType: string;
    payload: unknown;
    status?: 'pending' | 'done' | 'ignored';
    now: Date;
  },
): Promise<boolean> {
  const inserted = await db
    .insert(inboundEvents)
    .values({
      eventId: input.eventId,
      messageId: input.messageId ?? null,
      eventType: input.eventType,
      payload: input.payload,
      status: input.status ?? 'pending',
      receivedAt: input.now,
      processedAt: input.status && input.status !== 'pending' ? input.now : null,
    })
    .onConflictDoNothing()
    .returning({ id: inboundEvents.id });
  return inserted.length > 0;
}

export interface ClaimedEvent {
  id: number;
  eventType: string;
  payload: unknown;
  attempts: number;
}

/**
 * Claims pending events whose lease is free (never taken, or expired because a process died mid-handling).
 * SKIP LOCKED lets several replicas claim side by side without waiting on each other.
 */
export async function claimPendingEvents(
  db: Db,
  input: { now: Date; leaseMs: number; limit: number },
): Promise<ClaimedEvent[]> {
  return db.transaction(async (tx) => {
    const rows = await lockPendingEvents(tx, input.now, input.limit);
    if (rows.length === 0) return [];
    await tx
      .update(inboundEvents)
      .set({ leaseUntil: new Date(input.now.getTime() + input.leaseMs), attempts: sql`${inboundEvents.attempts} + 1` })
      .where(
        inArray(
          inboundEvents.id,
          rows.map((r) => r.id),
        ),
      );
    return rows.map((r) => ({ ...r, attempts: r.attempts + 1 }));
  });
}

/**
 * Leases one pending event whose lease is free (never taken, or run out), counting an attempt; null when it is done
 * or another replica holds it.
 */
export async function leaseEvent(db: Db, id: number, now: Date, leaseMs: number): Promise<{ attempts: number } | null> {
  const [row] = await db
    .update(inboundEvents)
    .set({ leaseUntil: new Date(now.getTime() + leaseMs), attempts: sql`${inboundEvents.attempts} + 1` })
    .where(
      and(
        eq(inboundEvents.id, id),
        eq(inboundEvents.status, 'pending'),
        or(sql`${inboundEvents.leaseUntil} is null`, lt(inboundEvents.leaseUntil, now)),
      ),
    )
    .returning({ attempts: inboundEvents.attempts });
  return row ?? null;
}

/**
 * Pending events whose lease is free, locked by the caller's transaction (SKIP LOCKED: a replica handling some
 * leaves them to it). For handling a batch within one transaction; the locks end with it, whatever happens.
 */
export async function lockPendingEvents(tx: Db, now: Date, limit: number): Promise<ClaimedEvent[]> {
  const rows = await tx
    .select({
      id: inboundEvents.id,
      eventType: inboundEvents.eventType,
      payload: inboundEvents.payload,
      attempts: inboundEvents.attempts,
    })
    .from(inboundEvents)
    .where(
      and(
        eq(inboundEvents.status, 'pending'),
        or(sql`${inboundEvents.leaseUntil} is null`, lt(inboundEvents.leaseUntil, now)),
      ),
    )
    .orderBy(asc(inboundEvents.receivedAt), asc(inboundEvents.id))
    .limit(limit)
    .for('update', { skipLocked: true });
  return rows;
}

export async function markEventsDone(db: Db, ids: number[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(inboundEvents)
    .set({ status: 'done', processedAt: now, leaseUntil: null, lastError: null })
    .where(inArray(inboundEvents.id, ids));
}

/** A failed attempt: retried after `retryAt`, or given up on (`failed`) when `retryAt` is undefined. */
export async function markEventFailed(db: Db, id: number, error: string, now: Date, retryAt?: Date): Promise<void> {
  await db
    .update(inboundEvents)
    .set(
      retryAt
        ? { lastError: error, leaseUntil: retryAt }
        : { status: 'failed', lastError: error, processedAt: now, leaseUntil: null },
    )
    .where(eq(inboundEvents.id, id));
}

/** Deletes events older than the retention; their ids can no longer come back from Feishu. */
export async function purgeOldEvents(db: Db, now: Date): Promise<number> {
  const deleted = await db
    .delete(inboundEvents)
    .where(lt(inboundEvents.receivedAt, new Date(now.getTime() - EVENT_RETENTION_MS)))
    .returning({ id: inboundEvents.id });
  return deleted.length;
}

/**
 * Stores many events in one statement (group commit: see inbound-batcher.ts), each once: answers the ids of those
 * that were new (the rest were redeliveries of an event or of a message).
 */
export async function insertInboundEvents(db: Db, records: InboundRecord[]): Promise<string[]> {
  // In event_id order, so that two flushes under way together take that index's entries in the same order.
  const rows = records
    .map((record) => ({
      e: record.eventId,
      m: record.messageId ?? null,
      t: record.eventType,
      p: record.payload,
      s: record.status,
      r: record.receivedAt.toISOString(),
    }))
    .sort((a, b) => (a.e < b.e ? -1 : a.e > b.e ? 1 : 0));
  // One statement text whatever the batch size (prepared once, planned once) with one JSON parameter: the
  // per-size statements a query builder makes were each prepared and planned anew, and cost more than the rows.
  const statement = sql`
    insert into inbound_events (event_id, message_id, event_type, payload, status, received_at, processed_at)
    select x.e, x.m, x.t, x.p, x.s, x.r, case when x.s = 'pending' then null else x.r end
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as x(e text, m text, t text, p jsonb, s text, r timestamptz)
    on conflict do nothing
    returning event_id`;
  for (let attempt = 1; ; attempt++) {
    try {
      return rowsOf<{ event_id: string }>(await db.execute(statement)).map((row) => row.event_id);
    } catch (error) {
      // Redeliveries of one message under two event ids, in two flushes at once, can still cross on the
      // message_id index; PostgreSQL breaks the tie by failing one of them, which simply goes again.
      if (attempt >= 3 || !isDeadlock(error)) throw error;
    }
  }
}

function isDeadlock(error: unknown): boolean {
  const code = (e: unknown) => (e && typeof e === 'object' && 'code' in e ? (e as { code: unknown }).code : undefined);
  return code(error) === '40P01' || code((error as { cause?: unknown })?.cause) === '40P01';
}
