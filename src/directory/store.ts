/**
 * The directory's one writer: every statement that changes `regions`, `departments`, `people`, `enterprises` or
 * `role_assignments` is here. The import (import.ts), the field's unverified units (unverified.ts) and the township
 * groups (township-chat.ts) decide what changes; this module says how it is stored.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { type departments, enterprises, type people, type regions, roleAssignments } from '../db/schema/index.js';

/** Rows per multi-row statement: well under PostgreSQL's 65,535 bind parameters for our widest table. */
const CHUNK = 1000;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function snakeToCamel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * `insert … on conflict (code) do update` in chunks; records each row's id (new or existing) under its code.
 * `columns` are the SQL names taken from the new row on conflict.
 */
export async function upsertByCode<T extends PgTable>(
  tx: Db,
  table: T,
  target: T['_']['columns'][string],
  rows: T['$inferInsert'][],
  columns: string[],
  ids: Map<string, number>,
): Promise<void> {
  const set = Object.fromEntries(
    columns.map((column) => [snakeToCamel(column), sql.raw(`excluded."${column}"`)]),
  ) as Record<string, unknown>;
  for (const part of chunks(rows)) {
    const written = (await tx
      .insert(table)
      .values(part)
      .onConflictDoUpdate({ target, set: set as never })
      .returning()) as unknown as { id: number; code: string }[];
    for (const row of written) ids.set(row.code, row.id);
  }
}

/** Deactivates (never deletes: hazards keep their history) the active entries of `stored` that `listed` leaves out. */
export async function deactivateUnlisted(
  tx: Db,
  table: typeof regions | typeof departments | typeof people | typeof enterprises,
  stored: Map<string, { id: number; active: boolean }>,
  listed: Set<string>,
  now: Date,
): Promise<number> {
  const gone = [...stored].filter(([code, row]) => row.active && !listed.has(code)).map(([, row]) => row.id);
  for (const part of chunks(gone)) {
    await tx
      .update(table)
      .set({ active: false, updatedAt: now })
      .where(and(inArray(table.id, part), eq(table.active, true)));
  }
  return gone.length;
}

/** Removes role assignments by id and adds new ones. */
export async function changeRoleAssignments(
  tx: Db,
  removeIds: number[],
  add: (typeof roleAssignments.$inferInsert)[],
): Promise<void> {
  for (const part of chunks(removeIds)) await tx.delete(roleAssignments).where(inArray(roleAssignments.id, part));
  for (const part of chunks(add)) await tx.insert(roleAssignments).values(part);
}

/** A unit reported in the field, unverified; its code is derived from its id (UV-000042). */
export async function insertUnverifiedEnterprise(
  tx: Db,
  input: { name: string; regionId: number; reportedById: number | null; now: Date },
): Promise<string> {
  const [row] = await tx
    .insert(enterprises)
    .values({
      code: `UV-pending-${crypto.randomUUID()}`,
      name: input.name,
      regionId: input.regionId,
      verified: false,
      reportedById: input.reportedById,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .returning({ id: enterprises.id });
  const code = `UV-${String(row!.id).padStart(6, '0')}`;
  await tx.update(enterprises).set({ code }).where(eq(enterprises.id, row!.id));
  return code;
}

export async function markEnterpriseVerified(tx: Db, id: number, now: Date): Promise<void> {
  await tx.update(enterprises).set({ verified: true, updatedAt: now }).where(eq(enterprises.id, id));
}

/**
 * Unit `fromId` is unit `toId`: its own role assignments (but those the target has already) and the units merged
 * into it move to the target, and it is deactivated with `merged_into_id` set. Answers how many rows moved.
 */
export async function mergeEnterpriseInto(tx: Db, fromId: number, toId: number, now: Date) {
  await tx.execute(sql`
    delete from role_assignments r
    where r.scope_kind = 'enterprise' and r.scope_id = ${fromId}
      and exists (select 1 from role_assignments t
                  where t.scope_kind = 'enterprise' and t.scope_id = ${toId}
                    and t.person_id = r.person_id and t.role = r.role)`);
  const roles = await tx
    .update(roleAssignments)
    .set({ scopeId: toId })
    .where(and(eq(roleAssignments.scopeKind, 'enterprise'), eq(roleAssignments.scopeId, fromId)))
    .returning({ id: roleAssignments.id });
  const merged = await tx
    .update(enterprises)
    .set({ mergedIntoId: toId })
    .where(eq(enterprises.mergedIntoId, fromId))
    .returning({ id: enterprises.id });
  await tx
    .update(enterprises)
    .set({ active: false, mergedIntoId: toId, updatedAt: now })
    .where(eq(enterprises.id, fromId));
  return { roleAssignments: roles.length, mergedEnterprises: merged.length };
}

/** Makes `chatId` the township's escalation group (督办群). */
export async function bindRegionChat(db: Db, regionId: number, chatId: string): Promise<void> {
  await db.execute(sql`update regions set chat_id = ${chatId}, updated_at = now() where id = ${regionId}`);
}

/** Unbinds `chatId` from every region that has it; answers those regions. */
export async function unbindChatFromRegions(
  db: Db,
  chatId: string,
): Promise<{ id: number; code: string; name: string }[]> {
  return rowsOf<{ id: number; code: string; name: string }>(
    await db.execute(sql`update regions set chat_id = null, updated_at = now()
      where chat_id = ${chatId} returning id, code, name`),
  ).map((r) => ({ ...r, id: Number(r.id) }));
}
