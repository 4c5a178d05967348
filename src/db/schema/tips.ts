import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  customType,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { enterprises, people, regions } from './directory.js';
import { hazards } from './hazards.js';

/*
 * 群众举报 (public tips): the tip, its trail, its photos and the handlers' cards. The rules live in src/domain/tip.ts;
 * src/tips/repository.ts alone writes these tables. The tipster's name, phone and address are columns of `tips` only:
 * nothing else (events, cards' rows, the ledger) copies them.
 */

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

/** One row per year: the last tip number handed out (as hazard_counters: no gaps, no duplicates). */
export const tipCounters = pgTable('tip_counters', {
  year: integer('year').primaryKey(),
  lastSequence: integer('last_sequence').notNull().default(0),
});

export const tips = pgTable(
  'tips',
  {
    id: serial('id').primaryKey(),
    /** `JB-2026-000123` */
    code: text('code').notNull(),
    year: integer('year').notNull(),
    sequence: integer('sequence').notNull(),
    /** SHA-256 (hex) of the tracking key in the tipster's link; the key itself is never stored. */
    keyHash: text('key_hash').notNull(),
    /** received | accepted | declined | confirmed | unfounded */
    status: text('status').notNull(),
    /** 反映内容 and 地点, as typed. */
    what: text('what').notNull(),
    place: text('place').notNull(),
    /** The township the tip is about (from the QR code or the form, or the unit's); null: the county's office routes it. */
    regionId: integer('region_id').references(() => regions.id),
    /** The unit, when the tip names one the directory knows (a unit's own QR code). */
    enterpriseId: integer('enterprise_id').references(() => enterprises.id),
    /** A unit named by the tipster that the directory does not know, as typed. */
    unitText: text('unit_text'),
    /** How it came in: unit_qr | township_qr | page (domain/tip.ts TIP_CHANNELS; 统计 counts by it). */
    channel: text('channel').notNull().default('page'),
    /** The tipster, when they gave it: seen only by the handlers and the county safety office. */
    tipsterName: text('tipster_name'),
    tipsterPhone: text('tipster_phone'),
    tipsterIp: text('tipster_ip'),
    /** 不予受理: not_work_safety | duplicate | outside_county, and its detail (the duplicate's code, forwarded to). */
    declineReason: text('decline_reason'),
    declineDetail: text('decline_detail'),
    /** 不属实: the handler's note. */
    unfoundedNote: text('unfounded_note'),
    /** 属实: the hazard registered from it (the link both ways: hazards.source is `public_tip`). */
    hazardId: integer('hazard_id').references(() => hazards.id),
    /** The latest answer to the tipster (shown on the tracking page); each one is also in the trail. */
    answer: text('answer'),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    /** The first answer (the law's answer duty is measured to it). */
    firstAnsweredAt: timestamp('first_answered_at', { withTimezone: true }),
    /** Who took it (受理) and who decided it. */
    acceptedById: integer('accepted_by_id').references(() => people.id),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    decidedById: integer('decided_by_id').references(() => people.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    /**
     * 举报奖励 (a tip proved true): recorded by the county safety office — the amount in yuan (2 decimals), the date
     * it was decided, and whether and when it was paid. Null until recorded; each change is also in the trail.
     */
    rewardAmount: numeric('reward_amount', { precision: 12, scale: 2 }),
    rewardDecidedOn: date('reward_decided_on', { mode: 'string' }),
    rewardPaid: boolean('reward_paid'),
    rewardPaidOn: date('reward_paid_on', { mode: 'string' }),
    rewardRecordedById: integer('reward_recorded_by_id').references(() => people.id),
    rewardRecordedAt: timestamp('reward_recorded_at', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('tips_code_key').on(t.code),
    uniqueIndex('tips_year_sequence_key').on(t.year, t.sequence),
    uniqueIndex('tips_hazard_key').on(t.hazardId).where(sql`${t.hazardId} is not null`),
    index('tips_region_idx').on(t.regionId, t.status),
    index('tips_received_at_idx').on(t.receivedAt),
    // The answer duty (10 working days from the tip): the tips not yet answered, oldest first, for the sweep.
    index('tips_unanswered_idx').on(t.receivedAt, t.id).where(sql`${t.firstAnsweredAt} is null`),
  ],
);

/** The tip's trail: every step, who (null = the public or the service), when, and its own fields. Never updated. */
export const tipEvents = pgTable(
  'tip_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tipId: integer('tip_id')
      .notNull()
      .references(() => tips.id),
    /** received | accepted | declined | confirmed | unfounded | answered */
    type: text('type').notNull(),
    actorId: integer('actor_id').references(() => people.id),
    at: timestamp('at', { withTimezone: true }).notNull(),
    details: jsonb('details').notNull().default({}),
  },
  (t) => [index('tip_events_tip_idx').on(t.tipId, t.id)],
);

/** The tip's photos: the bytes (evidence), the type read from them, and our Feishu upload for the cards. */
export const tipPhotos = pgTable(
  'tip_photos',
  {
    id: serial('id').primaryKey(),
    tipId: integer('tip_id')
      .notNull()
      .references(() => tips.id),
    /** The photo's place in the tip (1…6). */
    position: integer('position').notNull(),
    content: bytea('content').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    imageKey: text('image_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('tip_photos_tip_position_key').on(t.tipId, t.position),
    // The photos not yet uploaded for the cards (a failed upload is tried again from here): few, so a small index.
    index('tip_photos_pending_idx').on(t.createdAt, t.tipId).where(sql`${t.imageKey} is null`),
  ],
);

/** The handlers' cards of a tip: every step updates all of them, so two handlers never both take it unknowing. */
export const tipCards = pgTable(
  'tip_cards',
  {
    id: serial('id').primaryKey(),
    tipId: integer('tip_id')
      .notNull()
      .references(() => tips.id),
    /** The outbox row that sent it. No FK: outbox is a queue. */
    outboxId: uuid('outbox_id').notNull(),
    recipient: text('recipient').notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('tip_cards_tip_idx').on(t.tipId).where(sql`${t.active}`)],
);

/**
 * The answer clock's steps sent per tip (product.md: the tipster is answered within 10 working days): the sweep's
 * once-only bookkeeping for tips, as `reminder_steps` is for hazards. Written by src/reminders/sweep/tips.ts alone.
 */
export const tipReminderSteps = pgTable(
  'tip_reminder_steps',
  {
    tipId: integer('tip_id')
      .notNull()
      .references(() => tips.id),
    stepKey: text('step_key').notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
    /** The outbox messages that told people of the step. */
    outboxIds: uuid('outbox_ids').array().notNull().default(sql`'{}'::uuid[]`),
    /** The step's roles nobody reachable held and whom it told instead; null when every role was reached. */
    fallbacks: jsonb('fallbacks'),
    delivered: boolean('delivered').notNull().default(true),
  },
  (t) => [primaryKey({ name: 'tip_reminder_steps_pkey', columns: [t.tipId, t.stepKey] })],
);
