import { date, integer, pgTable, timestamp } from 'drizzle-orm/pg-core';

/**
 * SMS sent per local day (BOT_TIMEZONE), against SMS_DAILY_BUDGET: the counter every replica's sender charges
 * before sending (an upsert that stops at the budget), so the budget holds across replicas and restarts.
 */
export const smsBudgetDays = pgTable('sms_budget_days', {
  day: date('day', { mode: 'string' }).primaryKey(),
  used: integer('used').notNull(),
  /** Messages refused that day because the budget was spent. */
  refused: integer('refused').notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
