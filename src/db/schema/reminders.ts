import { sql } from 'drizzle-orm';
import { date, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { people } from './directory.js';
import { hazards } from './hazards.js';

/*
 * The reminder sweep's own bookkeeping (src/reminders/). Which steps were sent lives in `reminder_steps`
 * (schema/hazards.ts); here: when each hazard next needs looking at, which cron slots were claimed, and which
 * daily digests went out.
 */

/**
 * When each open hazard next has a reminder or escalation step due, so a sweep reads only the due rows (an index
 * range scan) instead of evaluating every open hazard. A trigger on `hazards` (migration 0003) sets `next_due_at`
 * to -infinity whenever a hazard is inserted or updated, so the next sweep re-evaluates it and stores the real
 * instant; null means nothing more will ever be due (closed, or the ladder is finished).
 */
export const hazardSchedules = pgTable(
  'hazard_schedules',
  {
    hazardId: integer('hazard_id')
      .primaryKey()
      .references(() => hazards.id),
    nextDueAt: timestamp('next_due_at', { withTimezone: true }),
    /** When a sweep last evaluated the hazard (null: never, since its last change). */
    evaluatedAt: timestamp('evaluated_at', { withTimezone: true }),
    /**
     * The step keys already claimed for the hazard, as the sweep last stored them: a copy of its
     * `reminder_steps` keys kept on the row the sweep claims anyway, so evaluating a hazard reads no other table.
     * `reminder_steps` stays the guarantee: a step missing here is tried again, conflicts there, and is not sent.
     */
    sentKeys: text('sent_keys').array().notNull().default(sql`'{}'::text[]`),
    /**
     * The hazard's township and unit, copied by the trigger: a sweep claims due rows in this order so that one
     * batch holds the hazards of few units, and each person gets one card per batch for all of theirs.
     */
    regionId: integer('region_id').notNull(),
    enterpriseId: integer('enterprise_id').notNull(),
  },
  (t) => [
    index('hazard_schedules_due_idx')
      .on(t.nextDueAt, t.regionId, t.enterpriseId, t.hazardId)
      .where(sql`${t.nextDueAt} is not null`),
  ],
);

/**
 * One row per cron slot (job + scheduled instant): inserting it claims the slot for one replica. The claimer holds
 * a lease it renews while working; a slot left unfinished with an expired lease (the replica died) is taken over.
 */
export const schedulerSlots = pgTable(
  'scheduler_slots',
  {
    job: text('job').notNull(),
    slot: timestamp('slot', { withTimezone: true }).notNull(),
    owner: text('owner').notNull(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }).notNull(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(1),
  },
  (t) => [
    primaryKey({ columns: [t.job, t.slot] }),
    index('scheduler_slots_unfinished_idx').on(t.leaseUntil).where(sql`${t.finishedAt} is null`),
  ],
);

/** The daily digest (每日督办简报), once per leader and local day: the row claims the send. */
export const digestDeliveries = pgTable(
  'digest_deliveries',
  {
    day: date('day', { mode: 'string' }).notNull(),
    personId: integer('person_id')
      .notNull()
      .references(() => people.id),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.personId] })],
);

/**
 * The reminder settings the schedules were worked out under (one row): a fingerprint of the policy, time zone, day
 * counting, quiet hours and, with working days, the holiday table. When a start finds other settings, every open
 * hazard's schedule is re-armed so the catch-up sweep works its steps out again (src/reminders/settings-state.ts).
 */
export const reminderSettingsState = pgTable('reminder_settings_state', {
  id: integer('id').primaryKey(),
  fingerprint: text('fingerprint').notNull(),
  appliedAt: timestamp('applied_at', { withTimezone: true }).notNull(),
});
