import { sql } from 'drizzle-orm';
import { date, index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { people } from './directory.js';
import { hazards } from './hazards.js';

/*
 * What runs beside a hazard's own deadline: its clocks (a duty with a due date: the major hazard's 治理方案, …; the
 * kinds are listed in src/domain/hazard-clocks.ts) and the unit's report and governance plan of a major hazard, one
 * row per version.
 */

/** One clock of a hazard: written by src/hazards/clocks.ts alone. */
export const hazardClocks = pgTable(
  'hazard_clocks',
  {
    id: serial('id').primaryKey(),
    hazardId: integer('hazard_id')
      .notNull()
      .references(() => hazards.id),
    /** A kind of domain/hazard-clocks.ts (`plan`, …). */
    kind: text('kind').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    /** The last local day of the duty: overdue from the end of that day. */
    due: date('due', { mode: 'string' }).notNull(),
    /** Null while it runs. */
    stoppedAt: timestamp('stopped_at', { withTimezone: true }),
    /** Why it stopped (e.g. `plan_accepted`, `closed`). */
    stopReason: text('stop_reason'),
  },
  (t) => [
    // The sweep reads running clocks of a kind by due date (reminders/sweep/sources.ts), keyset-paged.
    index('hazard_clocks_open_due_idx').on(t.kind, t.due, t.hazardId).where(sql`${t.stoppedAt} is null`),
    // One running clock of a kind per hazard; the sweep reads a hazard's running clocks by it too.
    uniqueIndex('hazard_clocks_open_key').on(t.hazardId, t.kind).where(sql`${t.stoppedAt} is null`),
  ],
);

/** The eight parts of a major hazard's report and plan (domain/governance-plan.ts PLAN_FIELDS). */
export type PlanParts = Partial<Record<string, string>>;

/**
 * The unit's report and 治理方案 of a major hazard: one row per version. A version is a `draft` (typed, not yet
 * submitted: kept so that nothing typed is lost), then `submitted`, then `returned` (with a reason) or `accepted`.
 * Written by src/hazards/plan-store.ts alone.
 */
export const governancePlans = pgTable(
  'governance_plans',
  {
    id: serial('id').primaryKey(),
    hazardId: integer('hazard_id')
      .notNull()
      .references(() => hazards.id),
    version: integer('version').notNull(),
    /** draft | submitted | returned | accepted */
    status: text('status').notNull(),
    parts: jsonb('parts').$type<PlanParts>().notNull(),
    submittedById: integer('submitted_by_id').references(() => people.id),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
    decidedById: integer('decided_by_id').references(() => people.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    /** 退回的理由. */
    reason: text('reason'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('governance_plans_version_key').on(t.hazardId, t.version)],
);
