import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  customType,
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
  uuid,
} from 'drizzle-orm/pg-core';
import { departments, enterprises, people, regions } from './directory.js';
import { inspections } from './inspections.js';

/*
 * Hazards (隐患) and everything that hangs off one: the audit trail, photos, the cards that show it, and the
 * reminder steps already sent. The state machine lives in src/domain/hazard.ts; services map rows to and from it.
 */

/** Raw bytes (photos). node-postgres hands back a Buffer, PGlite a Uint8Array: both normalised to Buffer. */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

/** A transaction id (PostgreSQL's 64-bit xid8), as text: compared only in SQL. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/**
 * One row per year: the last hazard sequence number handed out. Taken with `UPDATE … RETURNING` (after an
 * `INSERT … ON CONFLICT DO NOTHING` for a new year) in the report's own transaction, so numbers have no gaps and no
 * duplicates: a rolled-back report gives its number back, and concurrent reports queue on the row lock.
 */
export const hazardCounters = pgTable('hazard_counters', {
  year: integer('year').primaryKey(),
  lastSequence: integer('last_sequence').notNull().default(0),
});

/** 五落实 governance plan of a major hazard (治理方案): measures, responsibility, funds, time limit, emergency plan. */
export interface GovernancePlan {
  measures: string;
  responsibility: string;
  funds: string;
  deadline: string;
  contingency: string;
}

export const hazards = pgTable(
  'hazards',
  {
    id: serial('id').primaryKey(),
    /** `YH-2026-000123` */
    code: text('code').notNull(),
    year: integer('year').notNull(),
    sequence: integer('sequence').notNull(),
    enterpriseId: integer('enterprise_id')
      .notNull()
      .references(() => enterprises.id),
    /** The unit's township at report time (属地); scopes and stats read it without a join. */
    regionId: integer('region_id')
      .notNull()
      .references(() => regions.id),
    /** The supervising department at report time (行业主管部门), when the unit has one. */
    departmentId: integer('department_id').references(() => departments.id),
    sector: text('sector').notNull(),
    /** general | major */
    grade: text('grade').notNull(),
    /** reported | rectifying | pending_verification | pending_delisting | closed */
    status: text('status').notNull(),
    description: text('description').notNull(),
    location: text('location').notNull(),
    /** 定措施 */
    measures: text('measures').notNull(),
    /** 定标准 */
    standard: text('standard').notNull(),
    /** 定期限: the last local day (BOT_TIMEZONE). */
    deadline: date('deadline', { mode: 'string' }).notNull(),
    /** When the current deadline took effect (report or approved extension). */
    deadlineSetAt: timestamp('deadline_set_at', { withTimezone: true }).notNull(),
    /** 定责任人; null while no one is assigned (status reported). */
    responsibleId: integer('responsible_id').references(() => people.id),
    reporterId: integer('reporter_id')
      .notNull()
      .references(() => people.id),
    /** Who submitted the latest rectification. */
    rectifiedById: integer('rectified_by_id').references(() => people.id),
    /** The latest rectification description (整改情况). */
    rectification: text('rectification'),
    /** none | township | county (督办, raised by escalation; not 挂牌督办, which is `listed_*`) */
    supervision: text('supervision').notNull().default('none'),
    /** 停产停业整改, ordered by the supervising department. */
    suspended: boolean('suspended').notNull().default(false),
    /** A pending 建议停产停业 (by an inspector who may not order it): both set, or both null. */
    suspensionProposedById: integer('suspension_proposed_by_id').references(() => people.id),
    suspensionProposedAt: timestamp('suspension_proposed_at', { withTimezone: true }),
    /** A pending 申请复产 by the unit: both set, or both null. */
    resumptionRequestedById: integer('resumption_requested_by_id').references(() => people.id),
    resumptionRequestedAt: timestamp('resumption_requested_at', { withTimezone: true }),
    /**
     * 挂牌督办 (major hazards): who listed it, when, for which authority (`county_safety_office` | `department:<code>`).
     * Kept after 摘牌 (the hazard is closed then) as the record of the listing.
     */
    listedById: integer('listed_by_id').references(() => people.id),
    listedAt: timestamp('listed_at', { withTimezone: true }),
    listingAuthority: text('listing_authority'),
    /** A pending 申请延期: all four set, or all null. */
    extensionRequestedById: integer('extension_requested_by_id').references(() => people.id),
    extensionRequestedAt: timestamp('extension_requested_at', { withTimezone: true }),
    extensionDeadline: date('extension_deadline', { mode: 'string' }),
    extensionReason: text('extension_reason'),
    /** 治理方案 (major hazards). */
    governancePlan: jsonb('governance_plan').$type<GovernancePlan>(),
    /** The cited clause (判定依据) as shown: the standard and article, or what was typed for 其他. */
    basis: text('basis'),
    /**
     * The clause picked on the report form (hazards/basis-clauses.ts): a shipped clause's code (`gm-11`), a checklist
     * item's (`ck:<checklist>:<item>`), `other` (free text in `basis`), or null (none cited).
     */
    basisCode: text('basis_code'),
    /** How it was found: report (上报) | inspection (检查) | self_inspection (企业自查). */
    source: text('source').notNull().default('report'),
    /** The inspection that found it, when one did. */
    inspectionId: integer('inspection_id').references(() => inspections.id),
    /** 立查立改: fixed during the inspection, registered and closed at once (no deadline, no reminders). */
    fixedOnSite: boolean('fixed_on_site').notNull().default(false),
    reportedAt: timestamp('reported_at', { withTimezone: true }).notNull(),
    assignedAt: timestamp('assigned_at', { withTimezone: true }),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    rectifiedAt: timestamp('rectified_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    closedById: integer('closed_by_id').references(() => people.id),
    /** Bumped by every change (optimistic locking for writers that do not lock the row). */
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * The transaction that last inserted or updated the row (the default on insert, a trigger on update: migration
     * 0009). The reminder sweep re-evaluates every hazard changed since its last pass by reading this index range
     * — nothing is written per hazard to queue it (src/reminders/sweep.ts).
     */
    changedXid: xid8('changed_xid').notNull().default(sql`pg_current_xact_id()`),
  },
  (t) => [
    uniqueIndex('hazards_code_key').on(t.code),
    uniqueIndex('hazards_year_sequence_key').on(t.year, t.sequence),
    index('hazards_enterprise_idx').on(t.enterpriseId),
    index('hazards_region_idx').on(t.regionId, t.status),
    index('hazards_department_idx').on(t.departmentId, t.status),
    index('hazards_responsible_idx').on(t.responsibleId),
    index('hazards_reporter_idx').on(t.reporterId),
    index('hazards_reported_at_idx').on(t.reportedAt),
    index('hazards_inspection_idx').on(t.inspectionId),
    /**
     * 挂牌督办 hazards (few): 统计 counts the listed open major ones here, so that its grouped scan of every hazard
     * needs only hazards_stats_idx's columns and stays an index-only scan.
     */
    index('hazards_listed_idx')
      .on(t.grade, t.status, t.regionId, t.departmentId, t.enterpriseId)
      .where(sql`${t.listingAuthority} is not null`),
    /** The reminder sweep reads open hazards by deadline. */
    index('hazards_open_deadline_idx').on(t.deadline).where(sql`${t.status} <> 'closed'`),
    // The reminder sweep's sources (src/reminders/sweep.ts): hazards changed since its last pass, and per step and
    // grade the hazards whose step falls in the time that passed, by the step's anchor (a step for major hazards
    // reads only those). Township and unit are in each, so that a window of them is read from the index alone and
    // regrouped by unit: a batch holds the hazards of few units (one card per person per batch).
    index('hazards_changed_idx').on(t.changedXid, t.regionId, t.enterpriseId, t.id).where(sql`${t.status} <> 'closed'`),
    index('hazards_awaiting_deadline_idx')
      .on(t.grade, t.deadline, t.regionId, t.enterpriseId, t.id)
      .where(sql`${t.status} in ('reported', 'rectifying')`),
    index('hazards_assigned_idx')
      .on(t.grade, t.assignedAt, t.id, t.regionId, t.enterpriseId)
      .where(sql`${t.status} = 'rectifying'`),
    // A step "unless acknowledged" reads only the hazards not acknowledged, not every one assigned in its range.
    index('hazards_unacknowledged_idx')
      .on(t.grade, t.assignedAt, t.id, t.regionId, t.enterpriseId)
      .where(sql`${t.status} = 'rectifying' and ${t.acknowledgedAt} is null`),
    index('hazards_open_reported_idx')
      .on(t.grade, t.reportedAt, t.id, t.regionId, t.enterpriseId)
      .where(sql`${t.status} <> 'closed'`),
    // The campaign's measures (src/ledger/campaign/scan.ts) group every hazard by region, department and days to
    // 销号: an index-only scan of these columns instead of the wide table.
    index('hazards_campaign_idx').on(
      t.regionId,
      t.departmentId,
      t.grade,
      t.status,
      t.deadline,
      t.reportedAt,
      t.closedAt,
    ),
    // The 复查 clock's steps read the rectifications waiting for verification by when they were submitted.
    index('hazards_awaiting_verification_idx')
      .on(t.grade, t.rectifiedAt, t.id, t.regionId, t.enterpriseId)
      .where(sql`${t.status} = 'pending_verification'`),
  ],
);

/** The audit trail: every change, who (null = the service), when, what. Never updated or deleted. */
export const hazardEvents = pgTable(
  'hazard_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    hazardId: integer('hazard_id')
      .notNull()
      .references(() => hazards.id),
    /** The domain event type (reported, assigned, acknowledged, rectification_submitted, …, photo_added). */
    type: text('type').notNull(),
    actorId: integer('actor_id').references(() => people.id),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** The event's own fields (reason, deadlines, description…). */
    details: jsonb('details').notNull().default({}),
  },
  (t) => [index('hazard_events_hazard_idx').on(t.hazardId, t.id)],
);

/**
 * Report drafts: a report being prepared in chat. Photos sent before the form is submitted hang here; a submitted
 * draft points at its hazard. `form` keeps validated form values while the reporter picks the enterprise.
 */
export const reportDrafts = pgTable(
  'report_drafts',
  {
    id: serial('id').primaryKey(),
    personId: integer('person_id')
      .notNull()
      .references(() => people.id),
    /** open | submitted */
    status: text('status').notNull().default('open'),
    form: jsonb('form'),
    hazardId: integer('hazard_id').references(() => hazards.id),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('report_drafts_person_idx').on(t.personId, t.updatedAt)],
);

/** Photos (evidence): the bytes live here, because Feishu's retention is shorter than a ledger's. */
export const hazardPhotos = pgTable(
  'hazard_photos',
  {
    id: serial('id').primaryKey(),
    /** null while the photo belongs to a report draft not yet submitted. */
    hazardId: integer('hazard_id').references(() => hazards.id),
    draftId: integer('draft_id').references(() => reportDrafts.id),
    /** Set while the photo belongs to an open inspection (sent during the visit); kept when it moves to a hazard. */
    inspectionId: integer('inspection_id').references(() => inspections.id),
    /** report | rectification */
    stage: text('stage').notNull(),
    uploadedById: integer('uploaded_by_id')
      .notNull()
      .references(() => people.id),
    content: bytea('content').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    /** The user's message and image that carried it (dedupe for redelivered events). */
    sourceMessageId: text('source_message_id').notNull(),
    sourceImageKey: text('source_image_key').notNull(),
    /** Our own upload's image_key, shown on cards; re-uploaded from `content` if ever lost. */
    imageKey: text('image_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('hazard_photos_source_key').on(t.sourceMessageId, t.sourceImageKey),
    index('hazard_photos_hazard_idx').on(t.hazardId),
    index('hazard_photos_draft_idx').on(t.draftId),
    index('hazard_photos_inspection_idx').on(t.inspectionId),
  ],
);

/**
 * Which message shows which hazard to whom: so every change updates every card in place (patch), and a card older
 * than 14 days (Feishu's update limit) is re-sent instead. `audience` decides the buttons: rectifier (确认接收,
 * 提交整改, 申请延期), verifier (验收通过, 驳回, 同意延期, 不同意延期) or viewer (none).
 */
export const hazardCards = pgTable(
  'hazard_cards',
  {
    id: serial('id').primaryKey(),
    hazardId: integer('hazard_id')
      .notNull()
      .references(() => hazards.id),
    /** The outbox row that sent it (its message_id and sent_at say where and when). No FK: outbox is a queue. */
    outboxId: uuid('outbox_id').notNull(),
    /** open_id or chat_id the card was sent to. */
    recipient: text('recipient').notNull(),
    /** rectifier | verifier | viewer */
    audience: text('audience').notNull(),
    /** Why it was sent (notice, info, major, report, query…). */
    kind: text('kind').notNull(),
    /** false once replaced by a re-sent card. */
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('hazard_cards_hazard_idx').on(t.hazardId).where(sql`${t.active}`),
    index('hazard_cards_outbox_idx').on(t.outboxId),
  ],
);

/**
 * Reminder and escalation steps already sent, one row per (hazard, step key) — the key comes from
 * src/domain/escalation-policy.ts (e.g. `major-reported@reported`). Inserting the row claims the step, so each is
 * sent once however many sweeps or replicas run.
 */
export const reminderSteps = pgTable(
  'reminder_steps',
  {
    // No foreign key on purpose: hazards are never deleted, and the check would lock every hazard row a sweep
    // claims a step for (FOR KEY SHARE rewrites the row's header) — a third of a million-hazard sweep's writes.
    hazardId: integer('hazard_id').notNull(),
    stepKey: text('step_key').notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
    /** The outbox messages that told people of the step (one person's card may carry several steps). */
    outboxIds: uuid('outbox_ids').array().notNull().default(sql`'{}'::uuid[]`),
    /**
     * The step's roles the bot could not reach and whom it told instead (src/domain/fallback-chain.ts), null when
     * every role was reached: `[{role, missing: [{code, name, reason}], toldRole, told: [{code, name}]}]`.
     */
    fallbacks: jsonb('fallbacks'),
    /** False when nobody at all could be told (not even the county leaders): the step is recorded, not sent. */
    delivered: boolean('delivered').notNull().default(true),
  },
  // The key is the guarantee; one index, no surrogate id (a sweep writes a row per step).
  (t) => [primaryKey({ name: 'reminder_steps_pkey', columns: [t.hazardId, t.stepKey] })],
);
