import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';

export interface InboundRecord {
  eventId: string;
  messageId: string | undefined;
  eventType: string;
  payload: unknown;
  status: 'pending' | 'ignored';
  receivedAt: Date;
}

/** Rows a flush may carry; a burst of webhook requests shares one INSERT instead of one each. */
const MAX_BATCH = 200;
/**
 * Flushes under way at once: while one commits, the next batch is already inserting, so an event waits for at most
 * part of one flush before its own starts.
 */
const MAX_FLUSHES = 2;

/**
 * Group commit for the ack path: events arriving together are stored with one multi-row INSERT … ON CONFLICT DO
 * NOTHING, and each request learns whether its event was new. Under load this turns hundreds of commits a second into
 * a few dozen, which keeps the ack p99 low on PostgreSQL and makes PGlite (one single-threaded engine) keep up at all.
 * A lone event is flushed at once: batching only ever waits for a flush already under way.
 */
export class InboundBatcher {
  private queue: { record: InboundRecord; resolve: (isNew: boolean) => void; reject: (e: unknown) => void }[] = [];
  private flushing = 0;

  constructor(private readonly db: Db) {}

  /** Stores the event; resolves true when it was new, false for a redelivery (same event_id or message_id). */
  record(record: InboundRecord): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (this.flushing < MAX_FLUSHES) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing += 1;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const inserted = await this.insert(batch.map(({ record }) => record));
          const fresh = new Set(inserted);
          // Two copies of one event in the same batch: the first is the new one, the rest are redeliveries.
          for (const item of batch) {
            const isNew = fresh.delete(item.record.eventId);
            item.resolve(isNew);
          }
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.flushing -= 1;
    }
  }

  /** Inserts the records; returns the event ids that were new. */
  private async insert(records: InboundRecord[]): Promise<string[]> {
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
        return rowsOf<{ event_id: string }>(await this.db.execute(statement)).map((row) => row.event_id);
      } catch (error) {
        // Redeliveries of one message under two event ids, in two flushes at once, can still cross on the
        // message_id index; PostgreSQL breaks the tie by failing one of them, which simply goes again.
        if (attempt >= 3 || !isDeadlock(error)) throw error;
      }
    }
  }
}

function isDeadlock(error: unknown): boolean {
  const code = (e: unknown) => (e && typeof e === 'object' && 'code' in e ? (e as { code: unknown }).code : undefined);
  return code(error) === '40P01' || code((error as { cause?: unknown })?.cause) === '40P01';
}
