/**
 * The one writer of `checklists` and `checklist_items`, and the reads the inspection flow needs. A checklist is never
 * deleted — inspections point at it — only made inactive; its items are replaced when it changes (an inspection keeps
 * a copy of the items it used), and every change of its name, sector or items bumps its `version`.
 */
import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { checklistItems, checklists } from '../../db/schema/index.js';
import { DEFAULT_CHECKLISTS } from './default-set.js';
import type { ChecklistImportMode, ChecklistInput, ChecklistSource } from './model.js';

/** Imports (and the start-up seed) serialise on this transaction-level advisory lock. */
const CHECKLIST_LOCK_KEY = 727_010;

/** Rows per multi-row insert: 1,000 items × 6 columns, well under PostgreSQL's 65,535 bind parameters. */
const CHUNK = 1000;

export interface ChecklistSummary {
  id: number;
  code: string;
  name: string;
  sector: string;
  source: ChecklistSource;
  active: boolean;
  version: number;
  itemCount: number;
}

export interface ChecklistItem {
  code: string;
  /** 1, 2, … in the order of the import. */
  position: number;
  text: string;
  basis: string;
  major: boolean;
}

export interface ChecklistWithItems {
  id: number;
  code: string;
  name: string;
  sector: string;
  source: ChecklistSource;
  active: boolean;
  version: number;
  items: ChecklistItem[];
}

export interface ChecklistImportReport {
  mode: ChecklistImportMode;
  /** Checklists new to the service. */
  created: number;
  /** Listed and changed: content (a new version), or made active again, or now the county's own. */
  updated: number;
  unchanged: number;
  /** Active ones a replace-import no longer lists (kept, inactive). */
  deactivated: number;
  /** Items of the listed checklists. */
  items: number;
}

export interface ApplyOptions {
  /** replace: the import is the whole set, the active checklists it leaves out become inactive; merge: add or replace the listed ones only. */
  mode: ChecklistImportMode;
  source: ChecklistSource;
  now: Date;
}

/** Applies a validated import in one transaction: all of it or nothing. */
export async function applyChecklists(
  db: Db,
  input: ChecklistInput[],
  options: ApplyOptions,
): Promise<ChecklistImportReport> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${CHECKLIST_LOCK_KEY})`);
    return applyLocked(tx, input, options);
  });
}

/**
 * The shipped default set (default-set.ts, source `default`) at start-up: written when there is no checklist at all.
 * Later starts bring the default checklists still in use (active, never re-imported by the county) up to date with
 * the set this release ships — a corrected clause reaches them as a new version; a county's own import, or a replace
 * that left the defaults out, is never touched. Answers what it did.
 */
export async function ensureDefaultChecklists(
  db: Db,
  now: Date,
  defaults: ChecklistInput[] = DEFAULT_CHECKLISTS,
): Promise<'seeded' | 'refreshed' | 'unchanged'> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${CHECKLIST_LOCK_KEY})`);
    const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(checklists);
    if (n === 0) {
      await applyLocked(tx, defaults, { mode: 'merge', source: 'default', now });
      return 'seeded';
    }
    const inUse = await tx
      .select({ code: checklists.code })
      .from(checklists)
      .where(and(eq(checklists.source, 'default'), eq(checklists.active, true)));
    const codes = new Set(inUse.map((row) => row.code));
    const shipped = defaults.filter((checklist) => codes.has(checklist.code));
    if (shipped.length === 0) return 'unchanged';
    const report = await applyLocked(tx, shipped, { mode: 'merge', source: 'default', now });
    return report.updated > 0 ? 'refreshed' : 'unchanged';
  });
}

async function applyLocked(tx: Db, input: ChecklistInput[], options: ApplyOptions): Promise<ChecklistImportReport> {
  const { now, source } = options;
  const stored = await loadStored(tx);
  const report: ChecklistImportReport = {
    mode: options.mode,
    created: 0,
    updated: 0,
    unchanged: 0,
    deactivated: 0,
    items: 0,
  };
  const newItems: (typeof checklistItems.$inferInsert)[] = [];
  const replacedItemsOf: number[] = [];
  for (const checklist of input) {
    report.items += checklist.items.length;
    const before = stored.get(checklist.code);
    const items = (checklistId: number) =>
      checklist.items.map((item, i) => ({ checklistId, position: i + 1, ...item }));
    if (!before) {
      const [row] = await tx
        .insert(checklists)
        .values({
          code: checklist.code,
          name: checklist.name,
          sector: checklist.sector,
          source,
          active: checklist.active,
          version: 1,
          createdAt: now,
          updatedAt: now,
        })
        .returning({ id: checklists.id });
      newItems.push(...items(row!.id));
      report.created++;
      continue;
    }
    const contentChanged = !sameContent(before, checklist);
    if (!contentChanged && before.active === checklist.active && before.source === source) {
      report.unchanged++;
      continue;
    }
    await tx
      .update(checklists)
      .set({
        name: checklist.name,
        sector: checklist.sector,
        source,
        active: checklist.active,
        version: contentChanged ? before.version + 1 : before.version,
        updatedAt: now,
      })
      .where(eq(checklists.id, before.id));
    if (contentChanged) {
      replacedItemsOf.push(before.id);
      newItems.push(...items(before.id));
    }
    report.updated++;
  }
  for (let i = 0; i < replacedItemsOf.length; i += CHUNK) {
    await tx.delete(checklistItems).where(inArray(checklistItems.checklistId, replacedItemsOf.slice(i, i + CHUNK)));
  }
  for (let i = 0; i < newItems.length; i += CHUNK) {
    await tx.insert(checklistItems).values(newItems.slice(i, i + CHUNK));
  }
  if (options.mode === 'replace') {
    const listed = new Set(input.map((c) => c.code));
    const gone = [...stored.values()].filter((c) => c.active && !listed.has(c.code)).map((c) => c.id);
    for (let i = 0; i < gone.length; i += CHUNK) {
      await tx
        .update(checklists)
        .set({ active: false, updatedAt: now })
        .where(inArray(checklists.id, gone.slice(i, i + CHUNK)));
    }
    report.deactivated = gone.length;
  }
  return report;
}

type Stored = ChecklistWithItems;

async function loadStored(tx: Db): Promise<Map<string, Stored>> {
  const rows = await tx.select().from(checklists).orderBy(asc(checklists.id));
  const byId = new Map<number, Stored>();
  for (const row of rows) byId.set(row.id, { ...row, source: row.source as ChecklistSource, items: [] });
  const items = await tx
    .select()
    .from(checklistItems)
    .orderBy(asc(checklistItems.checklistId), asc(checklistItems.position));
  for (const item of items) {
    byId.get(item.checklistId)?.items.push({
      code: item.code,
      position: item.position,
      text: item.text,
      basis: item.basis,
      major: item.major,
    });
  }
  return new Map([...byId.values()].map((c) => [c.code, c]));
}

/** Name, sector and the items in order: what an inspection copies, so what a version stands for. */
function sameContent(stored: Stored, input: ChecklistInput): boolean {
  if (stored.name !== input.name || stored.sector !== input.sector) return false;
  if (stored.items.length !== input.items.length) return false;
  return input.items.every((item, i) => {
    const old = stored.items[i]!;
    return old.code === item.code && old.text === item.text && old.basis === item.basis && old.major === item.major;
  });
}

/** By code point ("C" collation), so that PostgreSQL and PGlite order Chinese sector names alike. */
const bySectorThenCode = [sql`${checklists.sector} collate "C"`, sql`${checklists.code} collate "C"`];
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const summaryColumns = {
  id: checklists.id,
  code: checklists.code,
  name: checklists.name,
  sector: checklists.sector,
  source: checklists.source,
  active: checklists.active,
  version: checklists.version,
  itemCount: sql<number>`(select count(*)::int from ${checklistItems} where ${checklistItems.checklistId} = ${checklists.id})`,
};

/** The checklists, by sector then code; `sector` narrows to one, `activeOnly` leaves out the inactive. */
export async function listChecklists(
  db: Db,
  filter: { sector?: string; activeOnly: boolean },
): Promise<ChecklistSummary[]> {
  const conditions = [
    filter.sector === undefined ? undefined : eq(checklists.sector, filter.sector),
    filter.activeOnly ? eq(checklists.active, true) : undefined,
  ].filter((c) => c !== undefined);
  const rows = await db
    .select(summaryColumns)
    .from(checklists)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(...bySectorThenCode);
  return rows.map(summary);
}

/** What an inspection of a unit may use: the active checklists of the unit's sectors, by sector then code. */
export async function checklistsForSectors(db: Db, sectors: string[]): Promise<ChecklistSummary[]> {
  if (sectors.length === 0) return [];
  const rows = await db
    .select(summaryColumns)
    .from(checklists)
    .where(and(eq(checklists.active, true), inArray(checklists.sector, sectors)))
    .orderBy(...bySectorThenCode);
  return rows.map(summary);
}

/** A checklist and its items in order, active or not (the caller decides whether an inactive one may be used). */
export async function checklistWithItems(db: Db, code: string): Promise<ChecklistWithItems | undefined> {
  const [row] = await db.select().from(checklists).where(eq(checklists.code, code));
  if (!row) return undefined;
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
    .orderBy(asc(checklistItems.position));
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    sector: row.sector,
    source: row.source as ChecklistSource,
    active: row.active,
    version: row.version,
    items,
  };
}

/** The checklists in the import format with `source`, `active` and `version` (GET /api/admin/checklists). */
export interface ChecklistsJson {
  checklists: {
    code: string;
    name: string;
    sector: string;
    source: ChecklistSource;
    active: boolean;
    version: number;
    items: { code: string; text: string; basis: string; major: boolean }[];
  }[];
}

/** Every checklist (or the active ones), by sector then code; imported again as it is, it changes nothing. */
export async function exportChecklists(db: Db, filter: { activeOnly: boolean }): Promise<ChecklistsJson> {
  const stored = [...(await loadStored(db)).values()]
    .filter((c) => c.active || !filter.activeOnly)
    .sort((a, b) => byCodePoint(a.sector, b.sector) || byCodePoint(a.code, b.code));
  return {
    checklists: stored.map((c) => ({
      code: c.code,
      name: c.name,
      sector: c.sector,
      source: c.source,
      active: c.active,
      version: c.version,
      items: c.items.map(({ code, text, basis, major }) => ({ code, text, basis, major })),
    })),
  };
}

function summary(row: {
  id: number;
  code: string;
  name: string;
  sector: string;
  source: string;
  active: boolean;
  version: number;
  itemCount: number;
}): ChecklistSummary {
  return { ...row, source: row.source as ChecklistSource, itemCount: Number(row.itemCount) };
}
