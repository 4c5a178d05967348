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
 * A flush starts at most this often. Without it, events arriving evenly at 1,000 a second went out nearly one per
 * INSERT (a flush takes about as long as the gap between two events): 880 commits a second. With 3 ms they go about
 * three to a flush: 465 commits a second and a fifth less PostgreSQL CPU, for at most 3 ms more before an ack. An
 * event that arrives after a quiet spell is flushed at once.
 */
export const FLUSH_SPACING_MS = 3;

export interface InboundBatcherOptions {
  /** Called with the number of rows of each flush (the metric of how well group commit groups). */
  onFlush?: (rows: number) => void;
}

/**
 * Group commit for the ack path: events arriving together are stored with one multi-row INSERT … ON CONFLICT DO
 * NOTHING, and each request learns whether its event was new. Under load this turns a commit per event into a
 * few hundred a second, which keeps the ack p99 low on PostgreSQL and makes PGlite (one single-threaded engine)
 * keep up at all.
 */
export class InboundBatcher {
  private queue: { record: InboundRecord; resolve: (isNew: boolean) => void; reject: (e: unknown) => void }[] = [];
  private flushing = 0;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly options: InboundBatcherOptions = {},
  ) {}

  /** Stores the event; resolves true when it was new, false for a redelivery (same event_id or message_id). */
  record(record: InboundRecord): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.schedule();
    });
  }

  /** Starts a flush now if one may start, or sets a timer for when one may. */
  private schedule(): void {
    if (this.queue.length === 0 || this.flushing >= MAX_FLUSHES || this.timer) return;
    const wait = this.lastFlushAt + FLUSH_SPACING_MS - performance.now();
    if (wait <= 0) {
      void this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, wait);
  }

  private async flush(): Promise<void> {
    this.flushing += 1;
    this.lastFlushAt = performance.now();
    const batch = this.queue.splice(0, MAX_BATCH);
    try {
      const inserted = await this.insert(batch.map(({ record }) => record));
      this.options.onFlush?.(batch.length);
      const fresh = new Set(inserted);
      // Two copies of one event in the same batch: the first is the new one, the rest are redeliveries.
      for (const item of batch) {
        const isNew = fresh.delete(item.record.eventId);
        item.resolve(isNew);
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
    } finally {
      this.flushing -= 1;
      this.schedule();
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
