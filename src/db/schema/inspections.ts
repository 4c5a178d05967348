import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { departments, enterprises, people, regions } from './directory.js';

/*
 * 查 — inspections (检查), checklists (检查表), plans (检查计划) and their draws (双随机). An inspection is a record of
 * its own, not only the hazards it finds: one with no hazard is the proof of coverage. The state machine lives in
 * src/domain/inspection.ts; src/inspections/ owns these tables (one module each, see docs/architecture.md).
 */

/** Checklists per sector; `source` says whether it is the shipped default set or the county's own import. */
export const checklists = pgTable(
  'checklists',
  {
    id: serial('id').primaryKey(),
    /** The county's code, e.g. `wh-01`. */
    code: text('code').notNull(),
    name: text('name').notNull(),
    sector: text('sector').notNull(),
    /** default | county */
    source: text('source').notNull().default('county'),
    /** false once a replace-import no longer lists it (inspections keep pointing at it). */
    active: boolean('active').notNull().default(true),
    /** Bumped by every import that changes it. */
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('checklists_code_key').on(t.code), index('checklists_sector_idx').on(t.sector, t.active)],
);

/** A checklist's items in order. Replaced by an import; an inspection keeps a copy of what it used. */
export const checklistItems = pgTable(
  'checklist_items',
  {
    checklistId: integer('checklist_id')
      .notNull()
      .references(() => checklists.id),
    /** The item's code within its checklist (`1`, `2.3`, …); form fields are `item_<code>`. */
    code: text('code').notNull(),
    position: integer('position').notNull(),
    /** 检查内容 */
    text: text('text').notNull(),
    /** 依据条款, e.g. `安监总管三〔2017〕121号 第一条`. */
    basis: text('basis').notNull(),
    /** Failing it is a major hazard by the cited standard. */
    major: boolean('major').notNull().default(false),
  },
  (t) => [primaryKey({ name: 'checklist_items_pkey', columns: [t.checklistId, t.code] })],
);

/**
 * One row per year: the last inspection sequence number handed out (`JC-2026-000123`), taken in the submitting
 * transaction like hazard numbers: no gaps, no duplicates.
 */
export const inspectionCounters = pgTable('inspection_counters', {
  year: integer('year').primaryKey(),
  lastSequence: integer('last_sequence').notNull().default(0),
});

export const inspections = pgTable(
  'inspections',
  {
    id: serial('id').primaryKey(),
    /** `JC-2026-000123`, given when submitted (null while the checklist is being filled in). */
    code: text('code'),
    year: integer('year'),
    sequence: integer('sequence'),
    /** open (checklist card out) | submitted | abandoned (a newer inspection was started instead) */
    status: text('status').notNull(),
    enterpriseId: integer('enterprise_id')
      .notNull()
      .references(() => enterprises.id),
    /** The unit's township and supervising department when inspected (scopes and coverage read them, no join). */
    regionId: integer('region_id')
      .notNull()
      .references(() => regions.id),
    departmentId: integer('department_id').references(() => departments.id),
    /** The checklist's sector. */
    sector: text('sector').notNull(),
    /** routine | campaign | unannounced | reinspection | self */
    kind: text('kind').notNull(),
    checklistId: integer('checklist_id')
      .notNull()
      .references(() => checklists.id),
    /** The checklist's code, name and version when inspected (it may be edited or replaced later). */
    checklistCode: text('checklist_code').notNull(),
    checklistName: text('checklist_name').notNull(),
    checklistVersion: integer('checklist_version').notNull(),
    /** Who started it (the lead inspector, or the unit's officer for `self`). */
    inspectorId: integer('inspector_id')
      .notNull()
      .references(() => people.id),
    /** 同行检查人: people ids. */
    companionIds: integer('companion_ids').array().notNull().default(sql`'{}'::integer[]`),
    /** The day of the visit (local, BOT_TIMEZONE). */
    date: date('date', { mode: 'string' }).notNull(),
    /** 检查情况 (free text) and the counts of each result, set on submit. */
    findings: text('findings'),
    passCount: integer('pass_count').notNull().default(0),
    failCount: integer('fail_count').notNull().default(0),
    fixedOnSiteCount: integer('fixed_on_site_count').notNull().default(0),
    naCount: integer('na_count').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
    /** The open_id and message of the checklist card (to update it after submit). */
    cardMessageId: text('card_message_id'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('inspections_code_key').on(t.code),
    uniqueIndex('inspections_year_sequence_key').on(t.year, t.sequence),
    // Coverage: the submitted inspections of a unit by date, government and self apart.
    index('inspections_coverage_idx')
      .on(t.enterpriseId, t.date)
      .where(sql`${t.status} = 'submitted' and ${t.kind} <> 'self'`),
    index('inspections_region_idx').on(t.regionId, t.date).where(sql`${t.status} = 'submitted'`),
    index('inspections_department_idx').on(t.departmentId, t.date).where(sql`${t.status} = 'submitted'`),
    index('inspections_date_idx').on(t.date).where(sql`${t.status} = 'submitted'`),
    index('inspections_inspector_open_idx').on(t.inspectorId, t.startedAt).where(sql`${t.status} = 'open'`),
  ],
);

/** Each item's result, with the item as it was when inspected. */
export const inspectionItems = pgTable(
  'inspection_items',
  {
    inspectionId: integer('inspection_id')
      .notNull()
      .references(() => inspections.id),
    code: text('code').notNull(),
    position: integer('position').notNull(),
    text: text('text').notNull(),
    basis: text('basis').notNull(),
    major: boolean('major').notNull(),
    /** pass | fail | fixed_on_site | na */
    result: text('result').notNull(),
    /** The hazard it became (fail: once reported from the prefilled form; fixed_on_site: at once). */
    hazardId: integer('hazard_id'),
  },
  (t) => [primaryKey({ name: 'inspection_items_pkey', columns: [t.inspectionId, t.code] })],
);

/** The inspection's trail: started, submitted, photo_added, hazard_linked … Never updated or deleted. */
export const inspectionEvents = pgTable(
  'inspection_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    inspectionId: integer('inspection_id')
      .notNull()
      .references(() => inspections.id),
    type: text('type').notNull(),
    actorId: integer('actor_id').references(() => people.id),
    at: timestamp('at', { withTimezone: true }).notNull(),
    details: jsonb('details').notNull().default({}),
  },
  (t) => [index('inspection_events_inspection_idx').on(t.inspectionId, t.id)],
);

/** Which units a plan covers (any of; empty = all units of the owner's scope). */
export interface PlanUnits {
  sectors?: string[];
  regions?: string[];
  enterprises?: string[];
}

/** 双随机: a share of the units or a number of them, drawn once per period. */
export interface PlanSample {
  share?: number;
  count?: number;
}

/** 检查计划: per owner (a department or a township), which units must be inspected how often. */
export const inspectionPlans = pgTable(
  'inspection_plans',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    /** department | region */
    ownerKind: text('owner_kind').notNull(),
    ownerId: integer('owner_id').notNull(),
    from: date('from', { mode: 'string' }).notNull(),
    to: date('to', { mode: 'string' }).notNull(),
    /** month | quarter | year | once */
    every: text('every').notNull(),
    units: jsonb('units').$type<PlanUnits>().notNull().default({}),
    sample: jsonb('sample').$type<PlanSample>(),
    active: boolean('active').notNull().default(true),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('inspection_plans_code_key').on(t.code)],
);

/**
 * A 双随机 draw: the units a sampling plan picked for one period, with the seed that reproduces the pick. Made once
 * per period; an admin's redraw is a new row and the old one is marked superseded (kept, with who and why).
 */
export const inspectionDraws = pgTable(
  'inspection_draws',
  {
    id: serial('id').primaryKey(),
    planId: integer('plan_id')
      .notNull()
      .references(() => inspectionPlans.id),
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    periodEnd: date('period_end', { mode: 'string' }).notNull(),
    /** The PRNG seed (hex) and the candidates' codes in the order they were drawn from (for an audit to replay). */
    seed: text('seed').notNull(),
    candidateCount: integer('candidate_count').notNull(),
    enterpriseIds: integer('enterprise_ids').array().notNull(),
    drawnAt: timestamp('drawn_at', { withTimezone: true }).notNull(),
    /** `auto` (the first use of the period) or `admin` (a redraw through the API). */
    drawnBy: text('drawn_by').notNull(),
    reason: text('reason'),
    supersededAt: timestamp('superseded_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('inspection_draws_current_key').on(t.planId, t.periodStart).where(sql`${t.supersededAt} is null`),
  ],
);
