import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { databaseErrorReason } from '../db/errors.js';
import type { Metrics } from '../metrics.js';
import { EventTooDeepError, makeStorable } from './event-json.js';
import {
  type ClaimedEvent,
  claimPendingEvents,
  leaseEvent,
  lockPendingEvents,
  markEventFailed,
  markEventsDone,
  purgeOldEvents,
  recordInboundEvent,
} from './event-store.js';
import {
  type CardAction,
  type CardActionResponse,
  type FeishuEnvelope,
  type InboundEvent,
  MalformedEventError,
  messageIdOf,
  normaliseEnvelope,
  toCardAction,
} from './events.js';
import { EventNotStoredError, InboundBatcher } from './inbound-batcher.js';
import { withBufferedOutbox } from './outbox.js';

/**
 * Handles one stored event. `context.db` is a transaction that also marks the event done: write through it, and the
 * handler's effects (state changes, outbox rows) and "handled" commit together — exactly once, even across a crash.
 * `context.prepared` is what the event's preparation fetched (see EventPreparation).
 */
export type EventHandler<K extends string = string> = (
  event: InboundEvent<K>,
  context: { db: Db; prepared?: unknown },
) => Promise<void>;

/**
 * Slow external work an event needs before its writes (downloading a photo): a function that does it, or null when
 * this event needs none. It runs outside any transaction — a batch of events waiting on one download would hold
 * its transaction, its row locks and a connection for seconds — and may run again if the handling is retried,
 * so it must not change anything that matters (fetching and re-uploading a photo is fine).
 */
export type EventPreparation<K extends string = string> = (event: InboundEvent<K>) => (() => Promise<unknown>) | null;

interface Registration {
  handler: EventHandler;
  prepare?: EventPreparation;
}
export type CardActionHandler = (action: CardAction) => Promise<CardActionResponse>;

const CARD_ACTION = 'card.action.trigger';
/** Feishu waits 3 s for a card callback; answer before that even if the work is slow. */
const CARD_ANSWER_BUDGET_MS = 2500;
const MAX_ATTEMPTS = 5;
const LEASE_MS = 60_000;
const POLL_INTERVAL_MS = 2000;
const PURGE_INTERVAL_MS = 3600_000;
/**
 * While events keep coming, a handling pass starts at most this often and takes what arrived meanwhile. Started at
 * once after every pass, passes under a steady stream took a few events each — a transaction, a lock query, an
 * outbox INSERT and an UPDATE per handful of events — and their CPU, garbage and event-loop time went into the tail
 * of the acks beside them. Doubling the gap while the event loop ran late was worse: fewer, bigger passes are bursts
 * of work and garbage (docs/benchmarks.md, "事件入站与应答").
 */
const PASS_SPACING_MS = 25;

export interface DispatcherDeps {
  db: Db;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** Called after handled events have committed (the outbox sender is woken, so answers go out at once). */
  onHandled?: () => void;
}

/**
 * The one place events go after a transport has verified them (webhook) or received them (long connection).
 * Events are stored before they are acknowledged and handled after, by a loop that also picks up what a dead
 * process left; card callbacks are answered in the same request, as Feishu requires.
 */
export class FeishuDispatcher {
  private readonly eventHandlers = new Map<string, Registration>();
  private cardActionHandler: CardActionHandler | undefined;
  private running = false;
  private draining: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private kicked = false;
  private readonly batcher: InboundBatcher;
  /** Events being prepared and handled beside the loop (see processPending). */
  private readonly preparing = new Set<Promise<void>>();

  constructor(private readonly deps: DispatcherDeps) {
    this.batcher = new InboundBatcher(deps.db, { onFlush: (rows) => deps.metrics.inboundFlushRows.observe(rows) });
  }

  onEvent<K extends string>(
    eventType: K,
    handler: EventHandler<K>,
    options: { prepare?: EventPreparation<K> } = {},
  ): this {
    // Stored under its event type, so a handler is only ever given events of type K.
    this.eventHandlers.set(eventType, { handler, ...options } as Registration);
    return this;
  }

  onCardAction(handler: CardActionHandler): this {
    this.cardActionHandler = handler;
    return this;
  }

  /** Takes a verified envelope and returns what to answer Feishu. Throws MalformedEventError on a bad envelope. */
  async receive(envelope: FeishuEnvelope): Promise<CardActionResponse | Record<string, never>> {
    const { clock, metrics, logger } = this.deps;
    storableEnvelope(envelope, logger);
    const event = normaliseEnvelope(envelope);
    if (event.eventType === CARD_ACTION) return this.answerCardAction(event);

    const handled = this.eventHandlers.has(event.eventType);
    const isNew = await this.batcher.record({
      eventId: event.eventId,
      messageId: messageIdOf(event),
      eventType: event.eventType,
      payload: envelope,
      status: handled ? 'pending' : 'ignored',
      receivedAt: clock.now(),
    });
    metrics.inboundEvents.inc({
      type: event.eventType,
      outcome: isNew ? (handled ? 'accepted' : 'ignored') : 'duplicate',
    });
    if (!isNew) {
      logger.debug({ eventId: event.eventId, type: event.eventType }, 'duplicate event acknowledged');
    } else if (!handled) {
      logger.info({ eventId: event.eventId, type: event.eventType }, 'event type not handled; acknowledged');
    } else {
      this.kick();
    }
    return {};
  }

  private async answerCardAction(event: InboundEvent): Promise<CardActionResponse> {
    const { db, clock, metrics, logger } = this.deps;
    const action = toCardAction(event);
    const isNew = await recordInboundEvent(db, {
      eventId: event.eventId,
      eventType: event.eventType,
      payload: event.event,
      status: 'done',
      now: clock.now(),
    }).catch((error: unknown) => {
      throw new EventNotStoredError(databaseErrorReason(error), { cause: error });
    });
    metrics.inboundEvents.inc({ type: CARD_ACTION, outcome: isNew ? 'accepted' : 'duplicate' });
    if (!isNew) return { toast: { type: 'info', content: '该操作已收到，无需重复提交' } };
    if (!this.cardActionHandler) return { toast: { type: 'warning', content: '暂不支持该操作' } };
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<CardActionResponse>((resolve) => {
      timer = setTimeout(
        () => resolve({ toast: { type: 'info', content: '正在处理，稍后卡片会自动更新' } }),
        CARD_ANSWER_BUDGET_MS,
      );
    });
    try {
      return await Promise.race([this.cardActionHandler(action), budget]);
    } catch (error) {
      logger.error({ err: error, eventId: event.eventId }, 'card action failed');
      return { toast: { type: 'error', content: '操作失败，请稍后重试；如仍失败请联系管理员' } };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts the handling loop: at once after each new event, and every few seconds for retries and leftovers. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.pollTimer = setInterval(() => this.kick(), POLL_INTERVAL_MS);
    this.purgeTimer = setInterval(() => void this.purge(), PURGE_INTERVAL_MS);
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.pollTimer);
    clearInterval(this.purgeTimer);
    await this.draining;
    await Promise.all(this.preparing);
  }

  /** Resolves once the events being prepared beside the loop are handled (tests). */
  async settled(): Promise<void> {
    await Promise.all(this.preparing);
  }

  private kick(): void {
    if (!this.running) return;
    if (this.draining) {
      this.kicked = true;
      return;
    }
    this.draining = (async () => {
      do {
        this.kicked = false;
        try {
          for (;;) {
            const passStarted = performance.now();
            if (!this.running || (await this.processPending()) === 0) break;
            const wait = PASS_SPACING_MS - (performance.now() - passStarted);
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          }
        } catch (error) {
          this.deps.logger.error({ err: error }, 'event handling loop failed; will retry');
        }
      } while (this.kicked && this.running);
    })().finally(() => {
      this.draining = undefined;
    });
  }

  /**
   * One pass. The fast path handles a batch of pending events in ONE transaction that also holds their rows
   * (FOR UPDATE SKIP LOCKED: other replicas pass them by; a crash releases them) and marks them done — a few
   * statements for the whole batch instead of several per event. If any handler fails, that transaction rolls back
   * whole and the same events go one by one, each in its own transaction, with retries and failure accounting.
   * Events that need slow preparation are left out of the batch and handled one by one after it.
   * Returns how many events it handled.
   */
  async processPending(limit = 50): Promise<number> {
    const { db, clock } = this.deps;
    let handled = 0;
    let slow: ClaimedEvent[] = [];
    try {
      handled = await db.transaction(async (tx) => {
        slow = [];
        const rows = await lockPendingEvents(tx, clock.now(), limit);
        const done: number[] = [];
        // The batch's answers go into the outbox with one INSERT at the end, not one each.
        await withBufferedOutbox(tx, async () => {
          for (const row of rows) {
            await yieldToRequests();
            const registration = this.eventHandlers.get(row.eventType);
            const event = normaliseEnvelope(row.payload as FeishuEnvelope);
            if (registration?.prepare?.(event)) {
              slow.push(row);
              continue;
            }
            if (registration) await registration.handler(event, { db: tx });
            done.push(row.id);
          }
        });
        await markEventsDone(tx, done, clock.now());
        return done.length;
      });
    } catch (error) {
      this.deps.logger.debug({ err: error }, 'a batch of events failed; handling them one by one');
      handled = await this.processOneByOne(limit);
      slow = [];
    }
    for (const row of slow) {
      // Released by the batch's commit: lease it (another replica may have been quicker), then prepare and handle
      // it beside the loop, which goes on with other events meanwhile (the lease keeps them from taking it again).
      const leased = await leaseEvent(db, row.id, clock.now(), LEASE_MS);
      if (!leased) continue;
      handled += 1;
      const task: Promise<void> = this.handleOne({ ...row, attempts: leased.attempts }).finally(() => {
        this.preparing.delete(task);
        this.deps.onHandled?.();
      });
      this.preparing.add(task);
    }
    if (handled > 0) this.deps.onHandled?.();
    return handled;
  }

  private async processOneByOne(limit: number): Promise<number> {
    const claimed = await claimPendingEvents(this.deps.db, { now: this.deps.clock.now(), leaseMs: LEASE_MS, limit });
    for (const row of claimed) {
      await yieldToRequests();
      await this.handleOne(row);
    }
    return claimed.length;
  }

  /** One leased event in its own transaction, prepared before it; a failure is retried later, then given up. */
  private async handleOne(row: ClaimedEvent): Promise<void> {
    const { db, clock, logger } = this.deps;
    const registration = this.eventHandlers.get(row.eventType);
    const event = normaliseEnvelope(row.payload as FeishuEnvelope);
    try {
      const prepared = await registration?.prepare?.(event)?.();
      await db.transaction(async (tx) => {
        if (registration) await registration.handler(event, { db: tx, prepared });
        await markEventsDone(tx, [row.id], clock.now());
      });
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      const now = clock.now();
      const giveUp = row.attempts >= MAX_ATTEMPTS;
      logger[giveUp ? 'error' : 'warn']({ err: error, eventId: row.id, type: row.eventType }, 'event handler failed');
      await markEventFailed(
        db,
        row.id,
        message,
        now,
        giveUp ? undefined : new Date(now.getTime() + 1000 * 2 ** row.attempts),
      ).catch((dbError: unknown) =>
        // The database is away (often why the handler failed): the event stays leased, and is taken up again when
        // its lease runs out. Not thrown: this may run beside the loop, where nobody would catch it.
        logger.warn(
          { eventId: row.id, reason: databaseErrorReason(dbError) },
          '事件处理失败且无法记录，租约到期后重试（event failure not recorded; retried when its lease runs out）',
        ),
      );
    }
  }

  private async purge(): Promise<void> {
    try {
      const purged = await purgeOldEvents(this.deps.db, this.deps.clock.now());
      if (purged) this.deps.logger.info({ purged }, 'purged old inbound events');
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'purging old inbound events failed');
    }
  }
}

/**
 * PGlite answers without going through the I/O phase, so a handling loop could otherwise run on microtasks alone and
 * hold incoming webhook requests back; let them in between events.
 */
function yieldToRequests(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Rewrites, in place, what PostgreSQL cannot store (NUL, lone surrogates) so that the event is stored beside its
 * neighbours instead of failing their INSERT; refuses absurd nesting (the long connection's events arrive parsed).
 */
function storableEnvelope(envelope: FeishuEnvelope, logger: Logger): void {
  let rewritten: number;
  try {
    rewritten = makeStorable(envelope);
  } catch (error) {
    if (error instanceof EventTooDeepError) throw new MalformedEventError(error.message);
    throw error;
  }
  if (rewritten > 0) {
    const header = (envelope as { header?: { event_id?: unknown } }).header;
    logger.info(
      { eventId: header?.event_id, strings: rewritten },
      '事件含数据库无法保存的字符（NUL 或孤立代理项），已替换为 U+FFFD（unstorable characters replaced）',
    );
  }
}
