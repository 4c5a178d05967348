/**
 * The daily SMS budget (SMS_DAILY_BUDGET): SMS cost money and a fault upstream could queue thousands, so each local
 * day (BOT_TIMEZONE) allows so many. Counted in the database, one row per day, charged by an upsert that stops at
 * the budget: every replica's sender and every restart see the same count. A message is charged once, at its first
 * attempt (retries are not charged again), whatever the gateway then answers.
 * The one writer of `sms_budget_days`.
 */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { smsBudgetDays } from '../db/schema/index.js';
import { toLocal } from '../domain/local-time.js';

/** The local day (YYYY-MM-DD in `timeZone`) whose budget a message sent at `now` is charged to. */
export function smsBudgetDay(now: Date, timeZone: string): string {
  return toLocal(now, timeZone).date;
}

export interface BudgetCharge {
  /** True when the message may be sent (it was counted); false when the day's budget was already spent. */
  charged: boolean;
  /** Messages counted for the day, this one included when charged. */
  used: number;
}

/** Counts one message against `day`'s budget of `limit`, unless the budget is spent (then counts a refusal). */
export async function chargeSmsBudget(db: Db, day: string, limit: number): Promise<BudgetCharge> {
  const [charged] = rowsOf<{ used: number }>(
    await db.execute(sql`
      insert into sms_budget_days as b (day, used) values (${day}::date, 1)
      on conflict (day) do update set used = b.used + 1, updated_at = now() where b.used < ${limit}
      returning b.used`),
  );
  if (charged) return { charged: true, used: Number(charged.used) };
  // Over budget: the day's row exists (the insert conflicted and the condition failed); count the refusal.
  const [refused] = await db
    .update(smsBudgetDays)
    .set({ refused: sql`${smsBudgetDays.refused} + 1`, updatedAt: sql`now()` })
    .where(eq(smsBudgetDays.day, day))
    .returning({ used: smsBudgetDays.used });
  return { charged: false, used: refused?.used ?? limit };
}

/** What `day` has used of its budget, and how many messages it refused. */
export async function smsBudgetUsage(db: Db, day: string): Promise<{ used: number; refused: number }> {
  const [row] = await db
    .select({ used: smsBudgetDays.used, refused: smsBudgetDays.refused })
    .from(smsBudgetDays)
    .where(eq(smsBudgetDays.day, day));
  return row ?? { used: 0, refused: 0 };
}
