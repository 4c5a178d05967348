/**
 * Who handles a tip, and where it is: the supervising department's inspectors when the tip names a unit that has
 * one, else the township's inspectors (of the tip's township or a region above it), else — a tip with no township,
 * or a township without inspectors — the county safety office (安委办), and the county's inspectors when no one holds
 * that role. The permission to act on the card (domain/tip.ts canHandleTip) covers everyone this can pick.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { people, roleAssignments } from '../db/schema/index.js';
import { loadUnit, type PersonRecord } from '../directory/lookup.js';
import type { TipPlace } from '../domain/tip.js';
import type { TipRow } from './repository.js';

/** The region and the regions above it, nearest first, as ids and codes. */
async function regionsUp(db: Db, regionId: number): Promise<{ id: number; code: string }[]> {
  const rows = rowsOf<{ id: number; code: string }>(
    await db.execute(sql`
      with recursive up(id, code, parent_id, depth) as (
        select id, code, parent_id, 0 from regions where id = ${regionId}
        union all
        select r.id, r.code, r.parent_id, up.depth + 1 from regions r join up on r.id = up.parent_id where up.depth < 32)
      select id, code from up order by depth`),
  );
  return rows.map((r) => ({ id: Number(r.id), code: r.code }));
}

/** Where the tip is, as the permission rules read it. */
export async function placeOfTip(db: Db, tip: Pick<TipRow, 'regionId' | 'enterpriseId'>): Promise<TipPlace> {
  if (tip.enterpriseId !== null) {
    const unit = await loadUnit(db, { id: tip.enterpriseId });
    if (unit)
      return {
        regionPath: unit.unit.regionPath,
        enterpriseCode: unit.enterprise.code,
        departmentCode: unit.unit.departmentCode,
      };
  }
  const up = tip.regionId !== null ? await regionsUp(db, tip.regionId) : [];
  return { regionPath: up.map((r) => r.code).reverse(), enterpriseCode: null, departmentCode: null };
}

type Holder = { role: string; scopeKind: string; scopeIds?: number[] };

async function holders(db: Db, wanted: Holder[]): Promise<PersonRecord[]> {
  const scopes = wanted.map((w) =>
    and(
      eq(roleAssignments.role, w.role),
      eq(roleAssignments.scopeKind, w.scopeKind),
      ...(w.scopeIds ? [inArray(roleAssignments.scopeId, w.scopeIds.length ? w.scopeIds : [-1])] : []),
    ),
  );
  const rows = await db
    .selectDistinct({ id: people.id, code: people.code, name: people.name, openId: people.openId })
    .from(roleAssignments)
    .innerJoin(people, eq(people.id, roleAssignments.personId))
    .where(and(eq(people.active, true), sql`(${sql.join(scopes, sql` or `)})`));
  return rows.sort((a, b) => a.code.localeCompare(b.code));
}

/** The people who get the tip's card, in this order of preference (the first group with anyone in it). */
export async function tipHandlers(db: Db, tip: Pick<TipRow, 'regionId' | 'enterpriseId'>): Promise<PersonRecord[]> {
  let regionIds: number[] = [];
  if (tip.enterpriseId !== null) {
    const unit = await loadUnit(db, { id: tip.enterpriseId });
    if (unit?.department) {
      const department = await holders(db, [
        { role: 'inspector', scopeKind: 'department', scopeIds: [unit.department.id] },
      ]);
      if (department.length) return department;
    }
    regionIds = unit?.regionIdsUp ?? [];
  } else if (tip.regionId !== null) {
    regionIds = (await regionsUp(db, tip.regionId)).map((r) => r.id);
  }
  if (regionIds.length) {
    const township = await holders(db, [{ role: 'inspector', scopeKind: 'region', scopeIds: regionIds }]);
    if (township.length) return township;
  }
  const office = await holders(db, [
    { role: 'county_safety_office', scopeKind: 'county' },
    ...(regionIds.length ? [{ role: 'county_safety_office', scopeKind: 'region', scopeIds: regionIds }] : []),
  ]);
  if (office.length) return office;
  return holders(db, [{ role: 'inspector', scopeKind: 'county' }]);
}
