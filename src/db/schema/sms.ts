import { date, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

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

/**
 * Feishu's SMS and phone 加急 (urgent_sms / urgent_phone) per local day and channel, against
 * URGENT_SMS_DAILY_BUDGET / URGENT_PHONE_DAILY_BUDGET: they spend the tenant's urgent quota. Charged by an upsert that
 * stops at the budget, so every replica's sender shares it. Written only by feishu/urgent-budget.ts.
 */
export const urgentBudgetDays = pgTable(
  'urgent_budget_days',
  {
    day: date('day', { mode: 'string' }).notNull(),
    /** sms | phone */
    channel: text('channel').notNull(),
    /** People buzzed that day on this channel. */
    used: integer('used').notNull(),
    /** People who got in-app 加急 instead because the budget was spent (or Feishu said the quota was). */
    refused: integer('refused').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.day, t.channel] })],
);
