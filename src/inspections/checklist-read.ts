/**
 * Reading checklists for the inspection flow: the active ones (the form's list), those of a unit's sectors, and one
 * with its items. Read-only; src/inspections/checklists/ writes them (imports and the shipped default set).
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { checklistItems, checklists } from '../db/schema/index.js';
import type { ChecklistSnapshot } from './repository.js';

export interface ChecklistSummary {
  code: string;
  name: string;
  sector: string;
}

const summary = { code: checklists.code, name: checklists.name, sector: checklists.sector };

/** The active checklists, by sector then code (at most `limit`). */
export async function readActiveChecklists(db: Db, limit = 100): Promise<ChecklistSummary[]> {
  return db
    .select(summary)
    .from(checklists)
    .where(eq(checklists.active, true))
    .orderBy(asc(checklists.sector), asc(checklists.code))
    .limit(limit);
}

/** The active checklists of any of `sectors`, by sector then code. */
export async function readChecklistsForSectors(db: Db, sectors: readonly string[]): Promise<ChecklistSummary[]> {
  if (sectors.length === 0) return [];
  return db
    .select(summary)
    .from(checklists)
    .where(and(eq(checklists.active, true), inArray(checklists.sector, [...sectors])))
    .orderBy(asc(checklists.sector), asc(checklists.code));
}

/** One checklist with its items in order, active or not; null when there is none. */
export async function readChecklist(db: Db, code: string): Promise<(ChecklistSnapshot & { active: boolean }) | null> {
  const [row] = await db.select().from(checklists).where(eq(checklists.code, code)).limit(1);
  if (!row) return null;
  const items = await db
    .select({
      code: checklistItems.code,
      position: checklistItems.position,
      text: checklistItems.text,
      basis: checklistItems.basis,
      major: checklistItems.major,
    })
    .from(checklistItems)
    .where(eq(checklistItems.checklistId, row.id))
    .orderBy(asc(checklistItems.position), asc(checklistItems.code));
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    sector: row.sector,
    version: row.version,
    active: row.active,
    items,
  };
}
