/**
 * Which units a plan covers, as SQL over `enterprises`: the active, verified units within the owner's scope that match
 * any of the plan's sectors, regions or enterprises (none listed: every unit of the owner's scope).
 * - A township owner (`region:`) reaches the units of that region and every region below it.
 * - A department owner reaches the units it supervises: those whose department is it, and those of a sector it
 *   supervises (a factory's boilers are the market regulator's even when the factory is the emergency bureau's).
 * The rule is written once, as PLAN_UNIT_MATCH over a plan definition `p` and a unit `e`, and used both for the
 * candidates of a draw and, for many plans in one statement, by coverage. Read-only.
 */
import { inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import { departments, enterprises, type inspectionPlans, regions } from '../../db/schema/index.js';
import type { PlanFrequency } from '../../domain/inspection.js';
import type { PlanSchedule } from '../../domain/inspection-periods.js';
import { descendantsOf, regionChildren } from '../../ledger/scope.js';
import type { PlanDirectory } from './validate.js';

export type PlanRow = typeof inspectionPlans.$inferSelect;

/** A stored plan's schedule, for the period rules. */
export function planSchedule(plan: Pick<PlanRow, 'from' | 'to' | 'every'>): PlanSchedule {
  return { from: plan.from, to: plan.to, every: plan.every as PlanFrequency };
}

/** A plan's units with codes resolved to ids: one row of the `p` record set. */
export interface PlanUnitDefinition {
  plan_id: number;
  owner_department: number | null;
  owner_sectors: string[];
  /** The owner region and the regions below it (empty for a department owner). */
  owner_regions: number[];
  all_units: boolean;
  f_sectors: string[];
  /** The listed regions and the regions below them. */
  f_regions: number[];
  f_enterprises: number[];
}

/** The columns of a definition in `jsonb_to_recordset(…) as p(…)`; `extra` adds columns of the caller's. */
export function definitionColumns(extra = ''): SQL {
  return sql.raw(
    `plan_id int, owner_department int, owner_sectors text[], owner_regions int[], all_units boolean,
     f_sectors text[], f_regions int[], f_enterprises int[]${extra ? `, ${extra}` : ''}`,
  );
}

/** Unit `e` (an `enterprises` row) is covered by plan definition `p`. */
export const PLAN_UNIT_MATCH = sql.raw(`e.active and e.verified
  and (case when p.owner_department is not null
         then e.department_id = p.owner_department or e.sectors && p.owner_sectors
         else e.region_id = any(p.owner_regions) end)
  and (p.all_units or e.sectors && p.f_sectors or e.region_id = any(p.f_regions) or e.id = any(p.f_enterprises))`);

/** The region tree, whole (a county has tens of regions): id → children. */
/** Resolves the stored plans' codes (owner, regions, enterprises) to ids. Codes that no longer exist match nothing. */
export async function planUnitDefinitions(db: Db, plans: readonly PlanRow[]): Promise<Map<number, PlanUnitDefinition>> {
  const definitions = new Map<number, PlanUnitDefinition>();
  if (plans.length === 0) return definitions;
  const children = await regionChildren(db);
  const regionRows = await db.select({ id: regions.id, code: regions.code }).from(regions);
  const regionId = new Map(regionRows.map((r) => [r.code, r.id]));
  const departmentRows = await db
    .select({ id: departments.id, sectors: departments.sectors })
    .from(departments)
    .where(
      inArray(
        departments.id,
        plans.filter((p) => p.ownerKind === 'department').map((p) => p.ownerId),
      ),
    );
  const departmentSectors = new Map(departmentRows.map((d) => [d.id, d.sectors]));
  const unitCodes = [...new Set(plans.flatMap((p) => p.units.enterprises ?? []))];
  const unitRows = unitCodes.length
    ? await db
        .select({ id: enterprises.id, code: enterprises.code })
        .from(enterprises)
        .where(inArray(enterprises.code, unitCodes))
    : [];
  const unitId = new Map(unitRows.map((u) => [u.code, u.id]));
  const ids = (codes: string[] | undefined, map: Map<string, number>) =>
    (codes ?? []).flatMap((code) => (map.has(code) ? [map.get(code)!] : []));

  for (const plan of plans) {
    const units = plan.units ?? {};
    const byDepartment = plan.ownerKind === 'department';
    definitions.set(plan.id, {
      plan_id: plan.id,
      owner_department: byDepartment ? plan.ownerId : null,
      owner_sectors: byDepartment ? (departmentSectors.get(plan.ownerId) ?? []) : [],
      owner_regions: byDepartment ? [] : descendantsOf(children, [plan.ownerId]),
      all_units: !units.sectors?.length && !units.regions?.length && !units.enterprises?.length,
      f_sectors: units.sectors ?? [],
      f_regions: descendantsOf(children, ids(units.regions, regionId)),
      f_enterprises: ids(units.enterprises, unitId),
    });
  }
  return definitions;
}

/** A plan's units today, ordered by code (the candidates of a draw). */
export async function planCandidates(db: Db, plan: PlanRow): Promise<{ id: number; code: string }[]> {
  const definition = (await planUnitDefinitions(db, [plan])).get(plan.id)!;
  const rows = rowsOf<{ id: number; code: string }>(
    await db.execute(sql`
      select e.id, e.code
      from jsonb_to_recordset(${JSON.stringify([definition])}::jsonb) as p(${definitionColumns()})
      join enterprises e on ${PLAN_UNIT_MATCH}
      order by e.code collate "C"`),
  );
  return rows.map((r) => ({ id: Number(r.id), code: r.code }));
}

/**
 * The directory as the plan import checks it: active regions and departments, and the active enterprises whose code
 * or name one of `written` is (a county has 10,000 units; a plan names a few).
 */
export async function loadPlanDirectory(db: Db, written: string[]): Promise<PlanDirectory> {
  const regionRows = await db
    .select({
      id: regions.id,
      code: regions.code,
      name: regions.name,
      parentId: regions.parentId,
      active: regions.active,
    })
    .from(regions);
  const departmentRows = await db
    .select({ id: departments.id, code: departments.code, name: departments.name, sectors: departments.sectors })
    .from(departments)
    .where(sql`${departments.active}`);
  const unitRows = written.length
    ? await db
        .select({
          id: enterprises.id,
          code: enterprises.code,
          name: enterprises.name,
          regionId: enterprises.regionId,
          departmentId: enterprises.departmentId,
          sectors: enterprises.sectors,
        })
        .from(enterprises)
        .where(
          sql`${enterprises.active} and ${or(inArray(enterprises.code, written), inArray(enterprises.name, written))}`,
        )
    : [];
  return {
    // Inactive regions still shape the tree (a unit may sit below one), but cannot be named.
    regions: new Map(
      regionRows.filter((r) => r.active).map((r) => [r.code, { id: r.id, name: r.name, parentId: r.parentId }]),
    ),
    departments: new Map(departmentRows.map((d) => [d.code, { id: d.id, name: d.name, sectors: d.sectors }])),
    enterprises: new Map(
      unitRows.map((u) => [
        u.code,
        { id: u.id, name: u.name, regionId: u.regionId, departmentId: u.departmentId, sectors: u.sectors },
      ]),
    ),
  };
}
