import { sql } from 'drizzle-orm';
import { customType, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { people } from './directory.js';

/** PostgreSQL's 64-bit transaction id, as text: compared only in SQL. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/*
 * The reminder sweep's own bookkeeping (src/reminders/). Which steps were sent lives in `reminder_steps`
 * (schema/hazards.ts); here: how far the sweep has got, which cron slots were claimed, and which daily digests
 * went out.
 */

/**
 * Where the reminder sweep has got to (one row): every hazard changed by a transaction older than `changedSince`
 * has been evaluated, and each step's occurrences up to its instant in `stepsSweptUntil` (step id → ISO instant)
 * have been sent. The next sweep reads only what lies beyond: the changed hazards by `hazards_changed_idx`, each
 * step's new stretch of time by its anchor's index (src/reminders/sweep.ts).
 */
export const reminderSweepState = pgTable('reminder_sweep_state', {
  id: integer('id').primaryKey(),
  changedSince: xid8('changed_since').notNull(),
  stepsSweptUntil: jsonb('steps_swept_until').$type<Record<string, string>>().notNull().default({}),
  sweptAt: timestamp('swept_at', { withTimezone: true }).notNull(),
  /**
   * The sweep running now, if any, and until when its lease holds (database time; renewed as it works): sweeps run
   * one at a time, since two would read the same ranges and race each other to every step.
   */
  runningOwner: text('running_owner'),
  runningUntil: timestamp('running_until', { withTimezone: true }),
});

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
