import { sql } from 'drizzle-orm';
import {
  bigserial,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * Every event and card callback Feishu delivered, stored before it is acknowledged.
 * The unique keys make redeliveries (Feishu is at-least-once) no-ops; rows are kept ≥ 72 h, then purged.
 */
export const inboundEvents = pgTable(
  'inbound_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    eventId: text('event_id').notNull(),
    /** Set for `im.message.receive_v1`: Feishu may resend one message under a new event_id. */
    messageId: text('message_id'),
    eventType: text('event_type').notNull(),
    payload: jsonb('payload').notNull(),
    /** pending → done | failed | ignored */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('inbound_events_event_id_key').on(t.eventId),
    uniqueIndex('inbound_events_message_id_key').on(t.messageId),
    index('inbound_events_pending_idx').on(t.receivedAt).where(sql`${t.status} = 'pending'`),
    index('inbound_events_received_at_idx').on(t.receivedAt),
  ],
);

/**
 * The transactional outbox: every message the bot sends is a row first, written in the same transaction as the
 * change that caused it. The row id doubles as Feishu's `uuid`, so a resend after a crash is dropped by Feishu.
 */
/** SMS or phone 加急 on top of in-app, and the steps (hazard code, policy step) that asked for it. */
export interface UrgentExtra {
  channel: 'sms' | 'phone';
  steps: { hazard: string; step: string }[];
}

export const outbox = pgTable(
  'outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** send | reply | patch | sms (a text message through the SMS gateway, src/sms/) */
    kind: text('kind').notNull(),
    /** open_id | chat_id | email | user_id | union_id (send); mobile (sms) */
    receiveIdType: text('receive_id_type'),
    /** Recipient for send, the message replied to for reply, the message updated for patch, the mobile for sms. */
    target: text('target').notNull(),
    /** text | interactive | image | file | post; sms for kind sms */
    msgType: text('msg_type').notNull(),
    /** The message content object (serialised to Feishu's JSON string when sent); an SMS's template and its values. */
    content: jsonb('content').notNull(),
    /** open_ids to buzz (加急, urgent_app) once the message is delivered. */
    urgentOpenIds: text('urgent_open_ids').array(),
    urgentDoneAt: timestamp('urgent_done_at', { withTimezone: true }),
    /**
     * The policy asked for SMS or phone 加急 too (urgent_sms / urgent_phone, after urgent_app), and for which steps
     * (for the log when it falls back to in-app). Null: in-app only.
     */
    urgentExtra: jsonb('urgent_extra').$type<UrgentExtra>(),
    /** An optional business key (e.g. `hazard:42:card`) so callers can find the message later. */
    topic: text('topic'),
    /** pending → sent | failed (| superseded for patches, | over_budget for SMS past the day's budget) */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    lastError: text('last_error'),
    /** Feishu's message id once sent; for an SMS, the gateway's receipt id (Alibaba Cloud's BizId). */
    messageId: text('message_id'),
    /**
     * SMS: the local day (BOT_TIMEZONE) whose budget this message was charged to, at its first attempt. Retries are
     * not charged again.
     */
    smsBudgetDay: date('sms_budget_day', { mode: 'string' }),
    /**
     * SMS: an attempt whose outcome is unknown (the gateway took the request but its answer never came) began here.
     * SendSms is not idempotent, so the next attempt first asks the gateway's receipts whether it went out.
     */
    smsUnconfirmedSince: timestamp('sms_unconfirmed_since', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    index('outbox_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('outbox_sent_at_idx').on(t.sentAt),
    index('outbox_topic_idx').on(t.topic),
    // Card clicks arrive with the message id: find the row (and the hazard card) that sent it.
    index('outbox_message_id_idx').on(t.messageId),
  ],
);
