import type { Db } from '../db/client.js';
import { type InboundRecord, insertInboundEvents } from './event-store.js';

/** Rows a flush may carry; a burst of webhook requests shares one INSERT instead of one each. */
const MAX_BATCH = 200;
/**
 * Flushes under way at once: while one commits, the next batch is already inserting, so an event waits for at most
 * part of one flush before its own starts.
 */
const MAX_FLUSHES = 2;
/**
 * A flush starts at most this often. Without a spacing, events arriving evenly at a high rate go out nearly one per
 * INSERT (a flush takes about as long as the gap between two events); a few milliseconds gather several events per
 * flush, halving the commits and saving PostgreSQL CPU for at most that much more before an ack. An event that
 * arrives after a quiet spell is flushed at once.
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
  private insert(records: InboundRecord[]): Promise<string[]> {
    return insertInboundEvents(this.db, records);
  }
}
