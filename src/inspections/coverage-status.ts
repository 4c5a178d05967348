/**
 * The set-based core of coverage (coverage.ts): which plans count at a date, where each stands (periods, draws), and
 * the SQL that gives every (plan, unit) of a scope its status — the rule of domain/inspection-periods.ts
 * (unitCoverage) with each plan's periods computed here and passed in as a record set. Read-only.
 */
import { and, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { intArray } from '../db/rows.js';
import { departments, inspectionDraws, inspectionPlans, regions } from '../db/schema/index.js';
import { countedUntil, type Period, type PlanPosition, planPosition } from '../domain/inspection-periods.js';
import { addCalendarDays } from '../domain/local-time.js';
import type { LocalDate } from '../domain/vocabulary.js';
import type { ResolvedScope } from '../ledger/scope.js';
import { definitionColumns, PLAN_UNIT_MATCH, type PlanRow, planSchedule, planUnitDefinitions } from './plans/units.js';

/** Units of `e` in the scope; the SQL condition. Pure. */
export function unitScopeCondition(scope: ResolvedScope): SQL {
  if (scope.county) return sql`true`;
  const parts: SQL[] = [];
  if (scope.regionIds.length) parts.push(sql`e.region_id = any(${intArray(scope.regionIds)}::int[])`);
  if (scope.departmentIds.length) {
    // A department's units as its plans reach them: its own, and those of the sectors it supervises.
    const ids = intArray(scope.departmentIds);
    parts.push(sql`(e.department_id = any(${ids}::int[]) or e.sectors && (
      select coalesce(array_agg(s), '{}') from departments d cross join unnest(d.sectors) s where d.id = any(${ids}::int[])))`);
  }
  if (scope.enterpriseIds.length) parts.push(sql`e.id = any(${intArray(scope.enterpriseIds)}::int[])`);
  if (parts.length === 0) return sql`false`;
  return sql`(${sql.join(parts, sql` or `)})`;
}

export type PlanWithOwner = PlanRow & { ownerCode: string; ownerName: string };

export async function plansAt(db: Db, date: LocalDate, planCode: string | undefined, endedDays: number) {
  const rows = await db
    .select({
      plan: inspectionPlans,
      ownerCode: sql<string>`coalesce(${departments.code}, ${regions.code})`,
      ownerName: sql<string>`coalesce(${departments.name}, ${regions.name})`,
    })
    .from(inspectionPlans)
    .leftJoin(
      departments,
      and(eq(inspectionPlans.ownerKind, 'department'), eq(departments.id, inspectionPlans.ownerId)),
    )
    .leftJoin(regions, and(eq(inspectionPlans.ownerKind, 'region'), eq(regions.id, inspectionPlans.ownerId)))
    .where(
      planCode !== undefined
        ? eq(inspectionPlans.code, planCode)
        : sql`${inspectionPlans.active} and ${inspectionPlans.from} <= ${date}
              and ${inspectionPlans.to} >= ${addCalendarDays(date, -endedDays)}`,
    )
    .orderBy(sql`${inspectionPlans.code} collate "C"`);
  return rows.map(({ plan, ownerCode, ownerName }): PlanWithOwner => ({ ...plan, ownerCode, ownerName }));
}

export interface Positioned {
  plan: PlanWithOwner;
  position: PlanPosition | null;
  draw: typeof inspectionDraws.$inferSelect | null;
  previousDraw: typeof inspectionDraws.$inferSelect | null;
}

/** Each plan's position at the date and, for sampling plans, the current and previous periods' draws. */
export async function position(db: Db, plans: PlanWithOwner[], date: LocalDate): Promise<Positioned[]> {
  const positioned = plans.map((plan) => ({
    plan,
    position: planPosition(planSchedule(plan), date),
  }));
  const sampled = positioned.filter((p) => p.plan.sample && p.position);
  const draws = sampled.length
    ? await db
        .select()
        .from(inspectionDraws)
        .where(
          and(
            inArray(
              inspectionDraws.planId,
              sampled.map((p) => p.plan.id),
            ),
            isNull(inspectionDraws.supersededAt),
          ),
        )
    : [];
  const drawOf = (planId: number, period: Period | null | undefined) =>
    (period && draws.find((d) => d.planId === planId && d.periodStart === period.start)) || null;
  return positioned.map((p) => ({
    ...p,
    draw: p.plan.sample ? drawOf(p.plan.id, p.position?.period) : null,
    previousDraw: p.plan.sample ? drawOf(p.plan.id, p.position?.previous) : null,
  }));
}

/** The `p` record set: each positioned plan's units rule, periods and draws. */
export async function definitions(db: Db, positioned: Positioned[], date: LocalDate): Promise<string> {
  const live = positioned.filter((p) => p.position);
  const units = await planUnitDefinitions(
    db,
    live.map((p) => p.plan),
  );
  return JSON.stringify(
    live.map(({ plan, position, draw, previousDraw }) => ({
      ...units.get(plan.id)!,
      sampled: plan.sample !== null,
      drawn: draw?.enterpriseIds ?? [],
      prev_drawn: previousDraw?.enterpriseIds ?? [],
      p_start: position!.period.start,
      p_end: position!.period.end,
      prev_start: position!.previous?.start ?? null,
      prev_end: position!.previous?.end ?? null,
      ended: position!.ended,
      counted_until: countedUntil(planSchedule(plan), date),
      plan_from: plan.from,
    })),
  );
}

/**
 * Runs `fn` in one read-only snapshot (a report's counts and unit lists agree) with PostgreSQL's JIT off: these
 * statements' cost estimate (a subquery per unit) passes jit_above_cost, and compiling them took 140–300 ms where
 * running them takes about 100 (bench:coverage, 10,000 units).
 */
export function readCoverage<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(
    async (tx) => {
      await tx.execute(sql`set local jit = off`);
      return fn(tx);
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

const EXTRA_COLUMNS = `sampled boolean, drawn int[], prev_drawn int[], p_start date, p_end date, prev_start date,
  prev_end date, ended boolean, counted_until date, plan_from date`;

/**
 * The statement's common part: `u` (the units in scope), `st` (each plan's units with last inspection, counted
 * inspection, status, due-by and never-inspected). A unit's last inspection is one backward index probe
 * (inspections_coverage_idx) — or, for the whole county, one pass over that index grouped by unit, which is cheaper
 * than 10,000 probes; an ended plan's counted inspection, a second probe bounded by the plan's end.
 */
export function statusCte(defs: string, scope: SQL, date: LocalDate, wholeCounty: boolean): SQL {
  const government = sql.raw(`i.status = 'submitted' and i.kind <> 'self'`);
  return sql`
    with p as materialized (
      select * from jsonb_to_recordset(${defs}::jsonb) as p(${definitionColumns(EXTRA_COLUMNS)})
    ),
    u as materialized (
      select e.id, e.region_id, e.department_id, e.sectors, e.active, e.verified
      from enterprises e where e.active and e.verified and ${scope}
    ),
    pu as materialized (
      select p.plan_id, e.id as unit from p join u e on not p.sampled and ${PLAN_UNIT_MATCH}
      union all
      select p.plan_id, u.id from p cross join unnest(p.drawn) as d(unit) join u on u.id = d.unit where p.sampled
    ),
    last as materialized (${
      wholeCounty
        ? sql`
      select i.enterprise_id as unit, max(i.date) as at from inspections i
      where ${government} and i.date <= ${date}::date group by i.enterprise_id`
        : sql`
      select x.unit, (select max(i.date) from inspections i
                      where i.enterprise_id = x.unit and ${government} and i.date <= ${date}::date) as at
      from (select distinct unit from pu) x`
    }
    ),
    counted as (
      select pu.plan_id, pu.unit, l.at as last_at,
        case when p.ended then (select max(i.date) from inspections i
                                where i.enterprise_id = pu.unit and ${government} and i.date <= p.counted_until)
             else l.at end as counted_at
      from pu join p on p.plan_id = pu.plan_id left join last l on l.unit = pu.unit
    ),
    st as materialized (
      select c.plan_id, c.unit, c.last_at, s.status,
        case s.status when 'done' then null when 'overdue' then (case when p.ended then p.p_end else p.prev_end end)
             else p.p_end end as due_by,
        (c.counted_at is null or c.counted_at < p.plan_from) as never,
        case s.status when 'overdue' then 0 when 'due' then 1 else 2 end as urgency
      from counted c join p on p.plan_id = c.plan_id
      cross join lateral (select case
        when c.counted_at >= p.p_start then 'done'
        when p.ended then 'overdue'
        when p.prev_start is not null and (not p.sampled or c.unit = any(p.prev_drawn))
             and (c.counted_at is null or c.counted_at < p.prev_start) then 'overdue'
        else 'due' end as status) s
    )`;
}
