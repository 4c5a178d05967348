import { index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { enterprises, people } from './directory.js';

/*
 * The statistics duty (统计分析表, 总局令第16号 第十四条): one row per unit and period, written when the unit's table
 * is sent to its principal (src/ledger/statistics-duty.ts is the one writer). The principal's 确认 is the signature:
 * who and when.
 */
export const statisticsConfirmations = pgTable(
  'statistics_confirmations',
  {
    id: serial('id').primaryKey(),
    enterpriseId: integer('enterprise_id')
      .notNull()
      .references(() => enterprises.id),
    /** `2026Q3` or `2026` (domain/statutory-period.ts). */
    period: text('period').notNull(),
    /** The unit's principal when the table was sent; null when the directory names none. */
    principalId: integer('principal_id').references(() => people.id),
    /** How the principal was reached: card (Feishu), sms, relay (told to the township instead), none. */
    channel: text('channel').notNull(),
    /** The card's outbox row (its id derived from unit and period), when a card was sent. */
    outboxId: uuid('outbox_id'),
    /** The unit's figures as sent (what the principal signs). */
    figures: jsonb('figures').notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
    remindedAt: timestamp('reminded_at', { withTimezone: true }),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    confirmedById: integer('confirmed_by_id').references(() => people.id),
  },
  (t) => [
    uniqueIndex('statistics_confirmations_key').on(t.enterpriseId, t.period),
    index('statistics_confirmations_period_idx').on(t.period),
  ],
);
