import type { Db } from '../db/client.js';
import { databaseErrorReason } from '../db/errors.js';
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
/**
 * An event not stored this long after it arrived is refused (the request is answered 503 and Feishu sends it again):
 * Feishu waits 3 s for an ack, and a database that is away or stuck must not make every ack wait with it.
 */
export const STORE_BUDGET_MS = 2500;

/** The event was not stored (the database failed or did not answer in time): refuse it, Feishu sends it again. */
export class EventNotStoredError extends Error {
  constructor(
    /** What went wrong, without the statement or its parameters (they carry message text). */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`事件未能保存，飞书会重发（event not stored: ${reason}）`, options);
    this.name = 'EventNotStoredError';
  }
}

export interface InboundBatcherOptions {
  /** Called with the number of rows of each flush (the metric of how well group commit groups). */
  onFlush?: (rows: number) => void;
  /** How long an event may wait to be stored (tests shorten it). */
  budgetMs?: number;
}

interface Waiting {
  record: InboundRecord;
  /** performance.now() when it arrived. */
  at: number;
  resolve: (isNew: boolean) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit for the ack path: events arriving together are stored with one multi-row INSERT … ON CONFLICT DO
 * NOTHING, and each request learns whether its event was new. Under load this turns a commit per event into a
 * few hundred a second, which keeps the ack p99 low on PostgreSQL and makes PGlite (one single-threaded engine)
 * keep up at all.
 *
 * Each event waits at most STORE_BUDGET_MS from its arrival: a flush still running when its oldest event's time is
 * up is given up (its events refused, its slot freed for the events behind it). Should its INSERT commit after all,
 * the events are stored while Feishu was told they were not: it sends them again, and they are acknowledged as
 * duplicates and handled once.
 */
export class InboundBatcher {
  private queue: Waiting[] = [];
  private flushing = 0;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private readonly budgetMs: number;

  constructor(
    private readonly db: Db,
    private readonly options: InboundBatcherOptions = {},
  ) {
    this.budgetMs = options.budgetMs ?? STORE_BUDGET_MS;
  }

  /**
   * Stores the event; resolves true when it was new, false for a redelivery (same event_id or message_id). Rejects
   * with EventNotStoredError when it could not be stored in time.
   */
  record(record: InboundRecord): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, at: performance.now(), resolve, reject });
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
    const now = performance.now();
    this.lastFlushAt = now;
    const taken = this.queue.splice(0, MAX_BATCH);
    // Events whose time ran out while both flushes were busy are refused without being tried.
    const batch = taken.filter((item) => now - item.at < this.budgetMs);
    if (batch.length < taken.length) {
      const late = new EventNotStoredError(`not stored within ${this.budgetMs} ms`);
      for (const item of taken) if (now - item.at >= this.budgetMs) item.reject(late);
    }
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      this.flushing -= 1;
      return true;
    };
    // The batch is given up when its oldest event's time is up (the queue is in arrival order).
    const oldest = batch[0]?.at ?? now;
    timer = setTimeout(
      () => {
        if (!finish()) return;
        const error = new EventNotStoredError(`not stored within ${this.budgetMs} ms`);
        for (const item of batch) item.reject(error);
        this.schedule();
      },
      Math.max(0, oldest + this.budgetMs - now),
    );
    try {
      const inserted = batch.length > 0 ? await this.insert(batch.map(({ record }) => record)) : [];
      if (!finish()) return;
      if (batch.length > 0) this.options.onFlush?.(batch.length);
      const fresh = new Set(inserted);
      // Two copies of one event in the same batch: the first is the new one, the rest are redeliveries.
      for (const item of batch) {
        const isNew = fresh.delete(item.record.eventId);
        item.resolve(isNew);
      }
    } catch (error) {
      if (batch.length > 1 && isCausedByData(error)) {
        // One row the database refuses (bad data, not a lost connection) must not take its neighbours down with it:
        // each is tried alone, inside the same time budget.
        await this.storeOneByOne(batch, () => done);
        if (finish()) this.options.onFlush?.(batch.length);
      } else {
        if (!finish()) return;
        const refused = new EventNotStoredError(databaseErrorReason(error), { cause: error });
        for (const item of batch) item.reject(refused);
      }
    }
    this.schedule();
  }

  /** Stores each event of a batch that failed as a whole on its own; stops when the batch's time is up. */
  private async storeOneByOne(batch: Waiting[], givenUp: () => boolean): Promise<void> {
    for (const item of batch) {
      if (givenUp()) return;
      try {
        const [inserted] = await this.insert([item.record]);
        item.resolve(inserted === item.record.eventId);
      } catch (error) {
        item.reject(new EventNotStoredError(databaseErrorReason(error), { cause: error }));
      }
    }
  }

  /** Inserts the records; returns the event ids that were new. */
  private insert(records: InboundRecord[]): Promise<string[]> {
    return insertInboundEvents(this.db, records);
  }
}

/**
 * Whether the database refused the statement for what it carries — SQLSTATE class 22 (data exception, e.g. an
 * unsupported Unicode escape) or 54 (program limit, e.g. stack depth) — rather than for being away or stuck.
 */
function isCausedByData(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}
