import { and, asc, eq } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client.js';
import { enterprises, people, regions } from '../db/schema/index.js';
import { moveHazardsToEnterprise } from '../hazards/repository.js';
import { insertUnverifiedEnterprise, markEnterpriseVerified, mergeEnterpriseInto } from './store.js';

/** A directory operation refused: `not_found` (404) or `conflict` (409); the message says what to do. */
export class DirectoryError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

export interface UnverifiedEnterprise {
  code: string;
  name: string;
  region: { code: string; name: string };
  reportedBy: { code: string; name: string } | null;
  createdAt: string;
}

/**
 * A unit reported in the field that the directory does not know (三小场所 and the like): created unverified and
 * attached to a township, for an admin to confirm or merge later. Reporting the same name in the same region again
 * finds the unit created the first time (or a registered unit of that exact name) instead of adding another.
 */
export async function createUnverifiedEnterprise(
  db: Db,
  input: { name: string; regionCode: string; reportedBy?: string | null; now?: Date },
): Promise<{ code: string; name: string; created: boolean }> {
  const name = input.name.trim().replace(/\s+/g, ' ');
  if (!name || name.length > 200) throw new DirectoryError('invalid', '单位名称不能为空，且不超过 200 个字符');
  return db.transaction(async (tx) => {
    const [region] = await tx
      .select({ id: regions.id })
      .from(regions)
      .where(and(eq(regions.code, input.regionCode), eq(regions.active, true)));
    if (!region) throw new DirectoryError('not_found', `没有区域 ${input.regionCode}`);
    const [existing] = await tx
      .select({ code: enterprises.code, name: enterprises.name })
      .from(enterprises)
      .where(and(eq(enterprises.name, name), eq(enterprises.regionId, region.id), eq(enterprises.active, true)))
      .limit(1);
    if (existing) return { ...existing, created: false };
    let reportedById: number | null = null;
    if (input.reportedBy) {
      const [reporter] = await tx.select({ id: people.id }).from(people).where(eq(people.code, input.reportedBy));
      reportedById = reporter?.id ?? null;
    }
    // The code is derived from the row id (UV-000042): readable, unique, and never taken by a county's own codes.
    const code = await insertUnverifiedEnterprise(tx, {
      name,
      regionId: region.id,
      reportedById,
      now: input.now ?? new Date(),
    });
    return { code, name, created: true };
  });
}

export async function listUnverifiedEnterprises(db: Db): Promise<UnverifiedEnterprise[]> {
  const reporter = alias(people, 'reporter');
  const rows = await db
    .select({
      code: enterprises.code,
      name: enterprises.name,
      regionCode: regions.code,
      regionName: regions.name,
      reporterCode: reporter.code,
      reporterName: reporter.name,
      createdAt: enterprises.createdAt,
    })
    .from(enterprises)
    .innerJoin(regions, eq(regions.id, enterprises.regionId))
    .leftJoin(reporter, eq(reporter.id, enterprises.reportedById))
    .where(and(eq(enterprises.verified, false), eq(enterprises.active, true)))
    .orderBy(asc(enterprises.createdAt), asc(enterprises.id));
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    region: { code: r.regionCode, name: r.regionName },
    reportedBy: r.reporterCode ? { code: r.reporterCode, name: r.reporterName! } : null,
    createdAt: r.createdAt.toISOString(),
  }));
}

async function findUnverified(tx: Db, code: string) {
  const [row] = await tx.select().from(enterprises).where(eq(enterprises.code, code)).for('update');
  if (!row?.active) throw new DirectoryError('not_found', `没有待核实的单位 ${code}`);
  if (row.verified) throw new DirectoryError('conflict', `单位 ${code} 已经核实过了`);
  return row;
}

/** The admin confirms the unit is real: it becomes a regular directory entry (complete it by the next import). */
export async function confirmUnverifiedEnterprise(
  db: Db,
  code: string,
  now: Date,
): Promise<{ code: string; name: string }> {
  return db.transaction(async (tx) => {
    const row = await findUnverified(tx, code);
    await markEnterpriseVerified(tx, row.id, now);
    return { code: row.code, name: row.name };
  });
}

/**
 * The unit was already in the directory under another name: everything that points at it moves to `into`, and it is
 * deactivated with `merged_into_id` set (never deleted, so its history stays readable).
 */
export async function mergeUnverifiedEnterprise(
  db: Db,
  code: string,
  into: string,
  now: Date,
): Promise<{ code: string; into: { code: string; name: string }; moved: Record<string, number> }> {
  if (code === into) throw new DirectoryError('invalid', '不能把单位合并到它自己');
  return db.transaction(async (tx) => {
    const source = await findUnverified(tx, code);
    const [target] = await tx.select().from(enterprises).where(eq(enterprises.code, into)).for('update');
    if (!target?.active) throw new DirectoryError('not_found', `没有要合并到的单位 ${into}`);
    const moved = await moveEnterpriseReferences(tx, source.id, target.id, now);
    return { code, into: { code: target.code, name: target.name }, moved };
  });
}

/**
 * Points every row that references enterprise `fromId` at `toId` and deactivates it, inside the caller's transaction,
 * and says how many moved per table. EVERY table that references enterprises must be handled here (a merged unit's
 * hazards move with it; their region and department stay as reported).
 */
export async function moveEnterpriseReferences(
  tx: Db,
  fromId: number,
  toId: number,
  now: Date,
): Promise<Record<string, number>> {
  const directory = await mergeEnterpriseInto(tx, fromId, toId, now);
  const hazards = await moveHazardsToEnterprise(tx, fromId, toId);
  return { ...directory, hazards };
}
