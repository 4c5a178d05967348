import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  boolean,
  index,
  integer,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/*
 * The directory (组织名录). Rows are identified by the county's own codes (unique) and referenced by id.
 * Nothing here is ever deleted: an entry that a full import no longer lists is deactivated (`active = false`),
 * so hazards keep pointing at the people and units they were reported against.
 */

/** A tree: county → townships (a province deployment is one level deeper). Roots have no parent. */
export const regions = pgTable(
  'regions',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    parentId: integer('parent_id').references((): AnyPgColumn => regions.id),
    /** Depth in the tree, 1 for a root. */
    level: integer('level').notNull(),
    /** The region's Feishu group chat (e.g. the township's 安全生产 group): escalations @mention leaders there. */
    chatId: text('chat_id'),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('regions_code_key').on(t.code), index('regions_parent_idx').on(t.parentId)],
);

/** Supervising departments (行业主管部门) and the sectors they supervise. */
export const departments = pgTable(
  'departments',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    sectors: text('sectors').array().notNull().default(sql`'{}'::text[]`),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('departments_code_key').on(t.code)],
);

export const people = pgTable(
  'people',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    mobile: text('mobile'),
    email: text('email'),
    /** Feishu open_id: given in the import, or resolved from the mobile/email through the contact API. */
    openId: text('open_id'),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('people_code_key').on(t.code), index('people_open_id_idx').on(t.openId)],
);

/** Enterprises and other units (企业/单位), including unverified ones reported in the field (三小场所). */
export const enterprises = pgTable(
  'enterprises',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    /** 统一社会信用代码; optional for small shops. */
    creditCode: text('credit_code'),
    regionId: integer('region_id')
      .notNull()
      .references(() => regions.id),
    sectors: text('sectors').array().notNull().default(sql`'{}'::text[]`),
    departmentId: integer('department_id').references(() => departments.id),
    principalId: integer('principal_id').references(() => people.id),
    safetyOfficerId: integer('safety_officer_id').references(() => people.id),
    address: text('address'),
    /** The unit's Feishu group chat, when there is one. */
    chatId: text('chat_id'),
    /** false for units reported in the field and not yet confirmed by an admin. */
    verified: boolean('verified').notNull().default(true),
    reportedById: integer('reported_by_id').references(() => people.id),
    /** Set when an unverified unit was merged into an existing one (it is then inactive). */
    mergedIntoId: integer('merged_into_id').references((): AnyPgColumn => enterprises.id),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('enterprises_code_key').on(t.code),
    index('enterprises_region_idx').on(t.regionId),
    index('enterprises_department_idx').on(t.departmentId),
    index('enterprises_unverified_idx').on(t.createdAt).where(sql`${t.verified} = false and ${t.active} = true`),
  ],
);

/**
 * A role held by a person over a scope: the county (scope_id 0), a region, a department or an enterprise
 * (scope_id is then that row's id). One person may hold several.
 */
export const roleAssignments = pgTable(
  'role_assignments',
  {
    id: serial('id').primaryKey(),
    personId: integer('person_id')
      .notNull()
      .references(() => people.id),
    role: text('role').notNull(),
    /** county | region | department | enterprise */
    scopeKind: text('scope_kind').notNull(),
    scopeId: integer('scope_id').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('role_assignments_key').on(t.personId, t.role, t.scopeKind, t.scopeId),
    index('role_assignments_scope_idx').on(t.scopeKind, t.scopeId, t.role),
  ],
);
