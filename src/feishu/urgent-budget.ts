/**
 * SMS and phone 加急 (policy channels urgent_sms / urgent_phone) after a message's in-app 加急, within a daily
 * budget per channel (URGENT_SMS_DAILY_BUDGET / URGENT_PHONE_DAILY_BUDGET): they spend the tenant's urgent quota.
 * The budget is counted in the database, one row per local day (BOT_TIMEZONE) and channel, charged by an upsert that
 * stops at the budget, so every replica's sender shares it. When the budget is spent, or Feishu answers that the
 * quota is (230024), or the call fails otherwise, the people keep the in-app 加急 they already got: a warning names
 * the steps and hazards, and feishu_urgent_fallbacks_total counts them. The message is never held back or resent
 * for it.
 * The one writer of `urgent_budget_days`.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { type UrgentExtra, urgentBudgetDays } from '../db/schema/index.js';
import { toLocal } from '../domain/local-time.js';
import type { Metrics } from '../metrics.js';
import type { FeishuClient } from './client.js';
import { toFeishuError, URGENT_QUOTA_EXHAUSTED } from './errors.js';

export interface UrgentBudgets {
  sms: number;
  phone: number;
  /** BOT_TIMEZONE: the day a budget belongs to. */
  timeZone: string;
}

/** Charges `n` people to `day`'s budget of `channel`, all or none; false (and counted as refused) when it won't fit. */
export async function chargeUrgentBudget(
  db: Db,
  input: { day: string; channel: UrgentExtra['channel']; n: number; limit: number },
): Promise<boolean> {
  const { day, channel, n, limit } = input;
  if (n <= limit) {
    const [charged] = rowsOf<{ used: number }>(
      await db.execute(sql`
        insert into urgent_budget_days as b (day, channel, used) values (${day}::date, ${channel}, ${n})
        on conflict (day, channel) do update set used = b.used + ${n}, updated_at = now()
          where b.used + ${n} <= ${limit}
        returning b.used`),
    );
    if (charged) return true;
  }
  await recordRefusal(db, { day, channel, n });
  return false;
}

async function recordRefusal(db: Db, input: { day: string; channel: UrgentExtra['channel']; n: number }) {
  const { day, channel, n } = input;
  await db.execute(sql`
    insert into urgent_budget_days as b (day, channel, used, refused) values (${day}::date, ${channel}, 0, ${n})
    on conflict (day, channel) do update set refused = b.refused + ${n}, updated_at = now()`);
}

/** What `day` has used of a channel's budget, and how many people got in-app 加急 only. */
export async function urgentBudgetUsage(
  db: Db,
  day: string,
  channel: UrgentExtra['channel'],
): Promise<{ used: number; refused: number }> {
  const [row] = await db
    .select({ used: urgentBudgetDays.used, refused: urgentBudgetDays.refused })
    .from(urgentBudgetDays)
    .where(and(eq(urgentBudgetDays.day, day), eq(urgentBudgetDays.channel, channel)));
  return row ?? { used: 0, refused: 0 };
}

const CHANNEL_LABELS = { sms: '短信加急', phone: '电话加急' } as const;

/**
 * After the in-app 加急 of a sent message: SMS or phone 加急 for `openIds`, budget and quota permitting. Never
 * throws for Feishu's answer (the message and its in-app 加急 are done; a retry would buzz again).
 */
export async function buzzBeyondApp(
  deps: { db: Db; client: FeishuClient; logger: Logger; metrics: Metrics; budgets: UrgentBudgets; now: Date },
  input: { outboxId: string; messageId: string; openIds: string[]; extra: UrgentExtra },
): Promise<void> {
  const { db, client, logger, metrics, budgets } = deps;
  const { channel, steps } = input.extra;
  const n = input.openIds.length;
  const day = toLocal(deps.now, budgets.timeZone).date;
  const fallBack = (reason: 'budget' | 'quota' | 'error', detail: string) => {
    metrics.urgentFallbacks.inc({ channel, reason }, n);
    logger.warn(
      {
        outboxId: input.outboxId,
        channel: `urgent_${channel}`,
        steps: steps.map((s) => `${s.hazard} ${s.step}`),
        hazards: steps.map((s) => s.hazard),
        step: steps.map((s) => s.step),
        reason,
      },
      `${CHANNEL_LABELS[channel]}未发出，已改为应用内加急（${detail}）：${steps.map((s) => `${s.hazard} 步骤 ${s.step}`).join('；')}`,
    );
  };
  const limit = channel === 'sms' ? budgets.sms : budgets.phone;
  if (!(await chargeUrgentBudget(db, { day, channel, n, limit }))) {
    fallBack('budget', `今日预算 ${limit} 人次已用完`);
    return;
  }
  try {
    const { invalidOpenIds } = await client.urgentCall({ messageId: input.messageId, openIds: input.openIds, channel });
    metrics.urgentCalls.inc({ channel }, n - invalidOpenIds.length);
    if (invalidOpenIds.length)
      logger.warn({ outboxId: input.outboxId, invalidOpenIds, channel }, 'some recipients could not be buzzed');
  } catch (raw) {
    const error = toFeishuError(raw);
    const quota = error.code === URGENT_QUOTA_EXHAUSTED;
    await recordRefusal(db, { day, channel, n }).catch(() => {});
    fallBack(quota ? 'quota' : 'error', quota ? '飞书加急额度已用完（230024）' : error.message);
  }
}
