import { customType, integer, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { hazards } from './hazards.js';

/** Raw bytes (the PDF). node-postgres hands back a Buffer, PGlite a Uint8Array: both normalised to Buffer. */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

/**
 * The documents kept with a hazard (src/hazards/documents/): the 隐患整改通知书 (`notice`), each 整改复查意见书
 * (`review-1`, `review-2`, …) and a major hazard's 治理方案 (`plan`), as the PDF that was sent into chat. Written in
 * the transaction of the change that issued it; a name is issued once per hazard (the plan is replaced when
 * resubmitted).
 */
export const hazardDocuments = pgTable(
  'hazard_documents',
  {
    id: serial('id').primaryKey(),
    hazardId: integer('hazard_id')
      .notNull()
      .references(() => hazards.id),
    /** notice | review-<n> | plan */
    name: text('name').notNull(),
    /** 隐患整改通知书, 整改复查意见书, 重大事故隐患治理方案 */
    title: text('title').notNull(),
    /** The file's name as sent and downloaded, e.g. `隐患整改通知书-YH-2026-000123.pdf`. */
    fileName: text('file_name').notNull(),
    content: bytea('content').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  // Also the index of a hazard's documents (its prefix).
  (t) => [uniqueIndex('hazard_documents_hazard_name_key').on(t.hazardId, t.name)],
);
