/**
 * The outbox sender's SMS half: one claimed `sms` row → the daily budget → the gateway → sent, retried, given up or
 * refused as over budget. The rows are written through feishu/outbox.ts (their one writer); the budget through
 * budget.ts.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import {
  markGivenUp,
  markOverBudget,
  markSent,
  markSmsBudgetCharged,
  type OutboxRow,
  scheduleSmsRetry,
} from '../feishu/outbox.js';
import type { Metrics } from '../metrics.js';
import { chargeSmsBudget, smsBudgetDay } from './budget.js';
import type { SmsFailure, SmsGateway, SmsTemplateParams } from './gateway.js';
import { maskMobile } from './render.js';

/** About two hours of retries (1 s doubling to a 10-minute cap, with jitter) before a transient failure is given up. */
const MAX_ATTEMPTS = 24;
const MAX_BACKOFF_MS = 10 * 60_000;

export interface SmsDeliveryOptions {
  db: Db;
  /** Null when SMS are off (SMS_PROVIDER unset): queued SMS are then given up, saying so. */
  gateway: SmsGateway | null;
  clock: Clock;
  /** BOT_TIMEZONE: the budget's day is a local day. */
  timeZone: string;
  dailyBudget: number;
  metrics: Metrics;
  logger: Logger;
  /**
   * How long after an attempt with an unknown outcome the receipts are asked (Alibaba Cloud lists a message in them
   * shortly after taking it; asking at once could miss it and send twice).
   */
  confirmDelayMs?: number;
}

export class SmsDelivery {
  constructor(private readonly options: SmsDeliveryOptions) {}

  async deliver(row: OutboxRow): Promise<void> {
    const { db, gateway, metrics, logger } = this.options;
    const attempts = row.attempts + 1;
    const params = templateParams(row.content);
    if (!gateway || !params) {
      const [code, reason] = !gateway
        ? ['not_configured', '未开启短信（SMS_PROVIDER 未设置），短信未发送（no SMS gateway configured）']
        : ['bad_content', '短信内容不是模板变量（code、unit、action、deadline），未发送（bad SMS content）'];
      await markGivenUp(db, row.id, attempts, reason);
      metrics.smsFailed.inc({ code });
      logger.error(
        { outboxId: row.id, phone: maskMobile(row.target), topic: row.topic, reason },
        '短信放弃发送（SMS given up）',
      );
      return;
    }
    if (!row.smsBudgetDay && !(await this.charge(row))) return;

    // The previous attempt may have gone out: ask the receipts before sending again (SendSms is not idempotent).
    if (row.smsUnconfirmedSince) {
      let found: boolean;
      try {
        found = (await gateway.findSent({ phone: row.target, outId: row.id, since: row.smsUnconfirmedSince })).found;
      } catch (error) {
        const failure: SmsFailure = {
          ok: false,
          kind: 'unknown',
          code: 'receipt_unavailable',
          message: `回执查询失败，稍后再查（receipts unavailable）：${(error as Error).message}`,
        };
        await this.recordFailure(row, failure, row.smsUnconfirmedSince);
        return;
      }
      if (found) {
        await markSent(db, row, null);
        metrics.smsSent.inc();
        logger.info(
          { outboxId: row.id, phone: maskMobile(row.target) },
          '回执显示短信已发出，不再重发（SMS found in the receipts）',
        );
        return;
      }
    }

    const startedAt = new Date();
    const result = await gateway.send({ phone: row.target, params, outId: row.id });
    if (result.ok) {
      await markSent(db, row, result.bizId);
      metrics.smsSent.inc();
      return;
    }
    await this.recordFailure(row, result, result.kind === 'unknown' ? startedAt : null);
  }

  /** Charges the row to today's budget; false (the row marked over budget) when the budget is spent. */
  private async charge(row: OutboxRow): Promise<boolean> {
    const { db, clock, timeZone, dailyBudget, metrics, logger } = this.options;
    const day = smsBudgetDay(clock.now(), timeZone);
    const charge = await db.transaction(async (tx) => {
      const result = await chargeSmsBudget(tx, day, dailyBudget);
      if (result.charged) await markSmsBudgetCharged(tx, row.id, day);
      else {
        const reason =
          `超出每日短信预算（SMS_DAILY_BUDGET=${dailyBudget}，${day} 已发 ${result.used} 条），未发送` +
          '（over the daily SMS budget）';
        await markOverBudget(tx, row.id, reason);
      }
      return result;
    });
    metrics.smsBudgetUsed.set(charge.used);
    if (charge.charged) return true;
    metrics.smsOverBudget.inc();
    logger.warn(
      { outboxId: row.id, phone: maskMobile(row.target), topic: row.topic, day, budget: dailyBudget },
      '当天短信预算已用完，短信未发送（over the daily SMS budget）',
    );
    return false;
  }

  private async recordFailure(row: OutboxRow, failure: SmsFailure, unconfirmedSince: Date | null): Promise<void> {
    const { db, metrics, logger } = this.options;
    const attempts = row.attempts + 1;
    const reason = `${failure.code}：${failure.message}`;
    if (failure.kind === 'permanent' || attempts >= MAX_ATTEMPTS) {
      await markGivenUp(db, row.id, attempts, reason);
      metrics.smsFailed.inc({ code: failure.code });
      logger.error(
        { outboxId: row.id, phone: maskMobile(row.target), topic: row.topic, code: failure.code, attempts, reason },
        '短信放弃发送（SMS given up）',
      );
      return;
    }
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempts - 1));
    let delayMs = failure.retryAfterMs ?? base / 2 + Math.random() * (base / 2);
    if (unconfirmedSince) delayMs = Math.max(delayMs, this.options.confirmDelayMs ?? 60_000);
    metrics.smsRetries.inc({ reason: failure.kind });
    logger.warn(
      { outboxId: row.id, phone: maskMobile(row.target), attempts, delayMs: Math.round(delayMs), reason },
      failure.kind === 'unknown'
        ? '短信发送结果未知，稍后先查回执（SMS outcome unknown）'
        : '短信发送将重试（SMS send will be retried）',
    );
    await scheduleSmsRetry(db, row.id, { attempts, error: reason, delayMs, unconfirmedSince });
  }
}

/** The row's content as template values, or null when it is not (a row written by hand, an old format). */
function templateParams(content: unknown): SmsTemplateParams | null {
  if (!content || typeof content !== 'object') return null;
  const c = content as Record<string, unknown>;
  const strings = ['code', 'unit', 'action', 'deadline'].every((k) => typeof c[k] === 'string' && c[k] !== '');
  if (!strings || (c['link'] !== undefined && typeof c['link'] !== 'string')) return null;
  return {
    code: c['code'] as string,
    unit: c['unit'] as string,
    action: c['action'] as string,
    deadline: c['deadline'] as string,
    ...(typeof c['link'] === 'string' ? { link: c['link'] } : {}),
  };
}
