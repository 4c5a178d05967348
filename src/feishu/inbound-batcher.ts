import type { Db } from '../db/client.js';
import { inboundEvents } from '../db/schema/index.js';

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
 * Group commit for the ack path: events arriving together are stored with one multi-row INSERT … ON CONFLICT DO
 * NOTHING, and each request learns whether its event was new. Under load this turns hundreds of commits a second into
 * a few dozen, which keeps the ack p99 low on PostgreSQL and makes PGlite (one single-threaded engine) keep up at all.
 * A lone event is flushed at once: batching only ever waits for a flush already under way.
 */
export class InboundBatcher {
  private queue: { record: InboundRecord; resolve: (isNew: boolean) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;

  constructor(private readonly db: Db) {}

  /** Stores the event; resolves true when it was new, false for a redelivery (same event_id or message_id). */
  record(record: InboundRecord): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const inserted = await this.db
            .insert(inboundEvents)
            .values(
              batch.map(({ record }) => ({
                eventId: record.eventId,
                messageId: record.messageId ?? null,
                eventType: record.eventType,
                payload: record.payload,
                status: record.status,
                receivedAt: record.receivedAt,
                processedAt: record.status === 'pending' ? null : record.receivedAt,
              })),
            )
            .onConflictDoNothing()
            .returning({ eventId: inboundEvents.eventId });
          const fresh = new Set(inserted.map((row) => row.eventId));
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
      this.flushing = false;
    }
  }
}
