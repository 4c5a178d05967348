import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { hazards } from './hazards.js';

/**
 * 专班群: the group chat the bot makes for a major hazard, one row per hazard (src/hazards/task-group/). The row is
 * written in the report's transaction (status `pending`); the group worker creates the chat after it, records the
 * chat_id before anything else, posts and pins the living card, posts each later step and renames the group on
 * closing. Retried with backoff on failure; a retry never makes a second group (the create call's `uuid`, and the
 * chat_id recorded the moment Feishu answers).
 */
export const taskGroups = pgTable(
  'task_groups',
  {
    hazardId: integer('hazard_id')
      .primaryKey()
      .references(() => hazards.id),
    /** pending (no chat yet) → created (chat made, card queued) → active (card pinned) | given_up */
    status: text('status').notNull().default('pending'),
    chatId: text('chat_id'),
    /** The name the group was given: `【重大隐患】YH-2026-000123 某某公司`. */
    name: text('name').notNull(),
    /** The outbox row of the living card posted in the group (pinned once it is sent). */
    cardOutboxId: uuid('card_outbox_id'),
    pinnedAt: timestamp('pinned_at', { withTimezone: true }),
    /** The last hazard_events row posted in the group (every later step is posted once, in order). */
    lastEventId: bigint('last_event_id', { mode: 'number' }).notNull().default(0),
    /** The escalation policy's steps (reminder_steps keys) already posted in the group. */
    postedSteps: text('posted_steps').array().notNull().default(sql`'{}'::text[]`),
    /** When the group was renamed with 已销号. */
    closedRenamedAt: timestamp('closed_renamed_at', { withTimezone: true }),
    /** Who could not be added, and why (open_id or person code → reason), as the create call answered. */
    notAdded: jsonb('not_added').$type<{ name: string; reason: string }[]>(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('task_groups_due_idx').on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'created', 'active')`)],
);
