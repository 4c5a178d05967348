import type { Logger } from 'pino';
import type { Database, Leadership } from '../db/client.js';
import { databaseErrorReason } from '../db/errors.js';
import type { Metrics } from '../metrics.js';
import type { SmsDelivery } from '../sms/delivery.js';
import type { FeishuClient, ReceiveIdType } from './client.js';
import { FeishuApiError, toFeishuError } from './errors.js';
import {
  type AttachmentLoader,
  attachmentOfContent,
  claimDueRows,
  countPending,
  deferRows,
  markGivenUp,
  markSent,
  type OutboxRow,
  releaseLeases,
  rememberMessageId,
  scheduleRetry,
} from './outbox.js';
import { SendRateLimiter } from './rate-limiter.js';
import { buzzBeyondApp, type UrgentBudgets } from './urgent-budget.js';

/** The advisory lock key of the sender leader: one process sends, so one rate limit covers every replica. */
const SENDER_LEADER_KEY = 727_002;
const LEASE_SECONDS = 60;
const BATCH_SIZE = 32;
const MAX_IN_FLIGHT = 8;
/** About five hours of retries (1 s doubling to a 10-minute cap) before a transient failure is given up. */
const MAX_TRANSIENT_ATTEMPTS = 15;
const MAX_BACKOFF_MS = 10 * 60_000;
/** OUTBOX_MAX_WAIT_HOURS's default. */
const DEFAULT_MAX_WAIT_MS = 24 * 3_600_000;

export interface OutboxSenderOptions {
  database: Database;
  client: FeishuClient;
  logger: Logger;
  metrics: Metrics;
  /** How often an idle sender looks for due rows, and a follower for lost leadership. */
  pollIntervalMs?: number;
  leaderCheckIntervalMs?: number;
  limiter?: SendRateLimiter;
  /** Sends the `sms` rows (src/sms/): through the SMS gateway, within the daily budget. */
  sms: SmsDelivery;
  /** Told of every message given up for good (e.g. to unbind a group chat the bot is not in). */
  onGivenUp?: (failure: GivenUp) => Promise<void>;
  /** How long a message may wait (rate limits, an outage) before it is dead-lettered (OUTBOX_MAX_WAIT_HOURS). */
  maxWaitMs?: number;
  /** SMS / phone 加急 a day (URGENT_*_DAILY_BUDGET); unset: none is sent, every such step falls back to in-app. */
  urgentBudgets?: UrgentBudgets;
  /** The time the urgent budgets' day is taken from (default: the system clock). */
  now?: () => Date;
  /** Loads the files that file rows name by `{attachment}` (a hazard's PDFs), uploaded when the row is sent. */
  attachments?: AttachmentLoader;
}

export interface GivenUp {
  receiveIdType: ReceiveIdType | null;
  target: string;
  /** Feishu's business code, when it gave one. */
  code: number | undefined;
}

/**
 * Sends outbox rows to Feishu: at least once, made effectively once by the row id being Feishu's `uuid`.
 * Claims rows with FOR UPDATE SKIP LOCKED and a lease, so a row claimed by a process that dies is picked up again
 * once its lease runs out.
 */
export class OutboxSender {
  readonly name = 'outbox-sender';
  private readonly limiter: SendRateLimiter;
  private leadership: Leadership | null = null;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private lastLeaderCheck = 0;

  constructor(private readonly options: OutboxSenderOptions) {
    this.limiter = options.limiter ?? new SendRateLimiter();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Wakes the loop now (after a commit that queued messages) instead of at the next poll. */
  kick(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.all(this.inFlight);
    await this.leadership?.release().catch(() => {});
    this.leadership = null;
  }

  get isLeader(): boolean {
    return this.leadership !== null;
  }

  private async run(): Promise<void> {
    const poll = this.options.pollIntervalMs ?? 250;
    while (this.running) {
      // Yield to incoming requests between passes (PGlite resolves on microtasks; see the dispatcher).
      await new Promise((resolve) => setImmediate(resolve));
      let busy = false;
      try {
        if (await this.holdLeadership()) busy = await this.sendDueBatch();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'outbox sender pass failed; retrying');
      }
      if (!busy && this.running) await this.sleep(poll);
    }
  }

  private async holdLeadership(): Promise<boolean> {
    const now = Date.now();
    const checkEvery = this.options.leaderCheckIntervalMs ?? 5000;
    if (this.leadership) {
      if (now - this.lastLeaderCheck < checkEvery) return true;
      this.lastLeaderCheck = now;
      if (await this.leadership.isHeld()) return true;
      this.options.logger.warn('outbox sender lost leadership (database connection lost)');
      this.leadership = null;
    }
    if (now - this.lastLeaderCheck < checkEvery && this.lastLeaderCheck !== 0) return false;
    this.lastLeaderCheck = now;
    this.leadership = await this.options.database.tryLeadership(SENDER_LEADER_KEY);
    if (!this.leadership) return false;
    // Only the leader sends, so leases still held are the previous leader's, and it is gone: take them over now
    // rather than waiting for them to run out. Should it still be sending, Feishu drops the repeat by its uuid.
    const { db } = this.options.database;
    const released = await releaseLeases(db);
    this.options.logger.info({ takenOver: released }, 'outbox sender is the leader: sending for every replica');
    return true;
  }

  /** One pass: claims due rows and starts sending those the rate limits allow. True when there may be more. */
  private async sendDueBatch(): Promise<boolean> {
    const { db } = this.options.database;
    const room = MAX_IN_FLIGHT * 4 - this.inFlight.size;
    if (room <= 0) {
      await Promise.race(this.inFlight);
      return true;
    }
    // Claim only what the rate limit lets us send now: claiming more would only put rows back.
    const { permits, waitMs } = this.limiter.available();
    if (permits === 0) {
      await this.sleep(waitMs);
      return true;
    }
    const capacity = Math.min(room, permits);
    const claimed = await claimDueRows(db, Math.min(BATCH_SIZE, capacity), LEASE_SECONDS);
    if (claimed.length > 0 || Date.now() - this.backlogMeasuredAt > 5000) this.updateBacklog();

    const deferred: { id: string; waitMs: number }[] = [];
    for (const row of claimed) {
      // SMS do not count against Feishu's rate limits: they go to another service.
      const permit = row.kind === 'sms' ? ({ ok: true } as const) : this.limiter.tryAcquire(row.target);
      if (!permit.ok) {
        deferred.push({ id: row.id, waitMs: permit.waitMs });
        continue;
      }
      while (this.inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.inFlight);
      const task = this.deliver(row).finally(() => this.inFlight.delete(task));
      this.inFlight.add(task);
    }
    // Not sent because one person or chat had its 5 a second: back to the queue, without counting an attempt.
    if (deferred.length > 0) {
      const waitMs = Math.max(...deferred.map((d) => d.waitMs));
      await deferRows(
        db,
        deferred.map((d) => d.id),
        waitMs,
      );
    }
    if (claimed.length === 0) return false;
    if (deferred.length === claimed.length) await this.sleep(Math.min(...deferred.map((d) => d.waitMs)));
    return true;
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const { client, metrics, logger } = this.options;
    const { db } = this.options.database;
    if (row.kind === 'sms') {
      // Its failures are recorded on the row; an error here is the database's: the lease runs out and it is retried.
      await this.options.sms
        .deliver(row)
        .catch((error) =>
          logger.error({ err: error, outboxId: row.id }, '短信发送出错，租约到期后重试（SMS delivery failed）'),
        );
      return;
    }
    let messageId = row.messageId;
    try {
      if (row.kind === 'patch') {
        await client.patchCard({ messageId: row.target, card: row.content });
      } else if (!messageId) {
        const content = await this.contentOf(row);
        const sent =
          row.kind === 'reply'
            ? await client.replyMessage({
                messageId: row.target,
                msgType: row.msgType,
                content,
                uuid: row.id,
              })
            : await client.sendMessage({
                receiveIdType: (row.receiveIdType ?? 'open_id') as ReceiveIdType,
                receiveId: row.target,
                msgType: row.msgType,
                content,
                uuid: row.id,
              });
        messageId = sent.messageId;
        // Remember the message before buzzing: a failed buzz is retried without sending the message again. (A
        // message without a buzz is marked sent with its id in one statement below; a crash in between sends it
        // again under the same uuid, which Feishu drops.)
        if (row.urgentOpenIds?.length) await rememberMessageId(db, row.id, messageId);
      }
      if (row.urgentOpenIds?.length && !row.urgentDoneAt && messageId) {
        await this.waitForAppPermit(row.target);
        const { invalidOpenIds } = await client.urgentApp({ messageId, openIds: row.urgentOpenIds });
        if (invalidOpenIds.length)
          logger.warn({ outboxId: row.id, invalidOpenIds }, 'some recipients could not be buzzed');
        if (row.urgentExtra) {
          const { urgentBudgets = { sms: 0, phone: 0, timeZone: 'Asia/Shanghai' }, now = () => new Date() } =
            this.options;
          const deps = { db, client, logger, metrics, budgets: urgentBudgets, now: now() };
          await buzzBeyondApp(deps, {
            outboxId: row.id,
            messageId,
            openIds: row.urgentOpenIds,
            extra: row.urgentExtra,
          });
        }
      }
    } catch (raw) {
      await this.recordFailure(row, toFeishuError(raw)).catch((dbError: unknown) =>
        // Not thrown: deliveries run beside the loop, where nobody would catch it (the process would end).
        logger.warn(
          { outboxId: row.id, reason: databaseErrorReason(dbError) },
          '出站消息的结果未能写入数据库，租约到期后重试（outbox row not updated; retried when its lease runs out）',
        ),
      );
      return;
    }
    try {
      await markSent(db, row, messageId);
      metrics.outboxSent.inc({ kind: row.kind });
    } catch (dbError) {
      // Sent, but the database did not take it (it is away): not a failed send. The lease runs out and the row is
      // sent again under the same uuid, which Feishu drops as a repeat.
      logger.warn(
        { outboxId: row.id, reason: databaseErrorReason(dbError) },
        '消息已发出，但未能记为已发送，租约到期后以同一 uuid 重发（sent, not recorded; Feishu drops the repeat）',
      );
    }
  }

  /**
   * What the row sends: its content, or for a file row naming an attachment, `{file_key}` of the file uploaded now
   * (each attempt uploads again: a key is not kept, and a repeat of the send under the row's uuid is dropped).
   */
  private async contentOf(row: OutboxRow): Promise<unknown> {
    const attachment = row.msgType === 'file' ? attachmentOfContent(row.content) : null;
    if (!attachment) return row.content;
    const file = await this.options.attachments?.(attachment);
    if (!file) {
      throw new FeishuApiError('permanent', undefined, undefined, `附件 ${attachment} 不存在（attachment not found）`);
    }
    return { file_key: await this.options.client.uploadFile(file) };
  }

  private async recordFailure(row: OutboxRow, error: FeishuApiError): Promise<void> {
    const { metrics, logger } = this.options;
    const { db } = this.options.database;
    // A 429 is the platform saying "later": it spends no attempt, and the message waits as long as the storm lasts —
    // up to the ceiling, past which anything still failing is dead-lettered rather than retried for ever.
    const rateLimited = error.kind === 'rate_limited';
    const attempts = rateLimited ? row.attempts : row.attempts + 1;
    const maxWaitMs = this.options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    const waitedMs = Date.now() - row.createdAt.getTime();
    if (error.kind !== 'permanent' && waitedMs >= maxWaitMs) {
      const hours = Math.round((maxWaitMs / 3_600_000) * 100) / 100;
      const reason = `等待超过 ${hours} 小时仍未发出，已放弃（dead letter after ${hours} h）：${error.message}`;
      await markGivenUp(db, row.id, attempts, reason);
      metrics.outboxDeadLetters.inc({ kind: row.kind });
      logger.error(
        { outboxId: row.id, kind: row.kind, target: row.target, attempts, waitedMs, reason: error.message },
        'outbox message dead-lettered: it waited longer than OUTBOX_MAX_WAIT_HOURS',
      );
      return;
    }
    const giveUp = error.kind === 'permanent' || (!rateLimited && attempts >= MAX_TRANSIENT_ATTEMPTS);
    if (giveUp) {
      await markGivenUp(db, row.id, attempts, error.message);
      metrics.outboxFailed.inc({ code: String(error.code ?? error.httpStatus ?? error.kind) });
      logger.error(
        { outboxId: row.id, kind: row.kind, target: row.target, code: error.code, attempts, reason: error.message },
        'outbox message given up',
      );
      await this.options
        .onGivenUp?.({ receiveIdType: row.receiveIdType as ReceiveIdType | null, target: row.target, code: error.code })
        .catch((hookError) => logger.error({ err: hookError, outboxId: row.id }, 'handling a given-up message failed'));
      return;
    }
    let delayMs: number;
    if (error.kind === 'rate_limited') {
      delayMs = error.retryAfterMs ?? 1000;
      this.limiter.pauseFor(delayMs);
    } else {
      const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempts - 1));
      delayMs = base / 2 + Math.random() * (base / 2); // jitter: replicas and rows do not retry in lockstep
    }
    metrics.outboxRetries.inc({ reason: error.kind });
    logger.warn(
      { outboxId: row.id, attempts, delayMs: Math.round(delayMs), reason: error.message },
      'outbox send will be retried',
    );
    await scheduleRetry(db, row.id, attempts, error.message, delayMs);
  }

  private async waitForAppPermit(recipient: string): Promise<void> {
    for (;;) {
      const permit = this.limiter.tryAcquire(`${recipient}#urgent`);
      if (permit.ok) return;
      await new Promise((r) => setTimeout(r, permit.waitMs));
    }
  }

  private backlogMeasuredAt = 0;

  private updateBacklog(): void {
    if (Date.now() - this.backlogMeasuredAt < 1000) return;
    this.backlogMeasuredAt = Date.now();
    const { db } = this.options.database;
    countPending(db)
      .then((n) => this.options.metrics.outboxBacklog.set(n))
      .catch(() => {});
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
