/**
 * 覆盖率 — coverage of the inspection plans (product.md "查 — inspections"), read-only.
 *
 * For a scope at a date: per plan, how many of its units in the scope are done, due or overdue, and how many were
 * never inspected since the plan began; optionally the units themselves, nearest due first. Set-based: one statement
 * reads every plan's units, each unit's last government inspection (one index probe per unit), and counts; the status
 * rule is the one of domain/inspection-periods.ts (unitCoverage), with each plan's periods computed here and passed
 * in. A sampling plan (双随机) covers the units of its period's draw; draws are made by plans/store.ts
 * (ensureCurrentDraws) before coverage is read — a plan whose period has no draw yet has no units.
 *
 * Which plans: the active ones that have begun by the date and end on or after it — or ended within the month before
 * (so a plan's final tally, overdue units included, still shows) — or the one plan asked for by code.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import type { PlanFrequency } from '../domain/inspection.js';
import type { CoverageStatus, Period } from '../domain/inspection-periods.js';
import type { LocalDate } from '../domain/vocabulary.js';
import type { ResolvedScope } from '../ledger/scope.js';
import { definitions, plansAt, position, readCoverage, statusCte, unitScopeCondition } from './coverage-status.js';

export { unitScopeCondition };

/** An ended plan stays in coverage this many days after its `to`. */
export const ENDED_PLAN_SHOWN_DAYS = 31;

export interface CoverageCounts {
  units: number;
  done: number;
  due: number;
  overdue: number;
  neverInspected: number;
}

export interface CoverageUnit {
  enterprise: { code: string; name: string };
  /** The unit's region (its township, or a community below one). */
  township: { code: string; name: string };
  status: CoverageStatus;
  /** The unit's last government inspection on or before the date (any plan, any time). */
  lastInspectedAt: LocalDate | null;
  /** Due: the current period's end; overdue: the end it missed; done: null. */
  dueBy: LocalDate | null;
  neverInspected: boolean;
}

export interface PlanCoverage {
  code: string;
  name: string;
  owner: { kind: 'department' | 'region'; code: string; name: string };
  every: PlanFrequency;
  sample: { share?: number; count?: number } | null;
  active: boolean;
  /** The period that counts at the date (an ended plan: its last); null before the plan begins. */
  period: Period | null;
  previousPeriod: Period | null;
  ended: boolean;
  /** Sampling plans: the current draw (null until made). */
  draw: { seed: string; drawnAt: string; candidateCount: number; picked: number } | null;
  counts: CoverageCounts;
  /** done / units, three decimals; null without units. */
  rate: number | null;
  /** With `units`: the plan's units in the scope, overdue first, then nearest due; `unitsLeftOff` beyond the limit. */
  units?: CoverageUnit[];
  unitsLeftOff?: number;
}

export interface CoverageReport {
  date: LocalDate;
  plans: PlanCoverage[];
  /** Each unit once, by its worst status over the plans (overdue > due > done). */
  totals: CoverageCounts;
}

export interface CoverageQuery {
  /** Whose units: a named scope (resolveNamedScope) or a person's (resolvePersonScope); `personId` is not used. */
  scope: ResolvedScope;
  /** A further bound, e.g. a read token's own scope: units must lie in both. */
  within?: ResolvedScope | undefined;
  date: LocalDate;
  /** One plan only, by code (listed even when it has not begun, ended long ago or is inactive). */
  planCode?: string | undefined;
  /** List the units too, at most `limit` per plan. */
  units?: { limit: number } | undefined;
}

export class UnknownPlanError extends Error {
  constructor(readonly planCode: string) {
    super(`没有编码为 ${planCode} 的检查计划`);
    this.name = 'UnknownPlanError';
  }
}

const zero = (): CoverageCounts => ({ units: 0, done: 0, due: 0, overdue: 0, neverInspected: 0 });

interface CountRow {
  plan_id: number | null;
  units: number;
  done: number;
  due: number;
  overdue: number;
  never: number;
}

/** Coverage of the plans for a scope at a date (see the module's comment). Throws UnknownPlanError for `planCode`. */
export function coverageReport(db: Db, query: CoverageQuery): Promise<CoverageReport> {
  return readCoverage(db, (tx) => coverageIn(tx, query));
}

async function coverageIn(db: Db, query: CoverageQuery): Promise<CoverageReport> {
  const { date } = query;
  const plans = await plansAt(db, date, query.planCode, ENDED_PLAN_SHOWN_DAYS);
  if (query.planCode !== undefined && plans.length === 0) throw new UnknownPlanError(query.planCode);
  const positioned = await position(db, plans, date);
  const defs = await definitions(db, positioned, date);
  const scope = query.within
    ? sql`${unitScopeCondition(query.scope)} and ${unitScopeCondition(query.within)}`
    : unitScopeCondition(query.scope);
  const countyWide = query.scope.county && (!query.within || query.within.county);
  const base = statusCte(defs, scope, date, countyWide);
  const countRows = rowsOf<CountRow>(
    await db.execute(sql`${base}
      select plan_id, count(*)::int as units, count(*) filter (where status = 'done')::int as done,
        count(*) filter (where status = 'due')::int as due, count(*) filter (where status = 'overdue')::int as overdue,
        count(*) filter (where never)::int as never
      from st group by plan_id
      union all
      select null, count(*)::int, count(*) filter (where urgency = 2)::int, count(*) filter (where urgency = 1)::int,
        count(*) filter (where urgency = 0)::int, count(*) filter (where never)::int
      from (select unit, min(urgency) as urgency, bool_or(never) as never from st group by unit) w`),
  );
  const counts = new Map<number | null, CoverageCounts>();
  for (const row of countRows) {
    counts.set(row.plan_id === null ? null : Number(row.plan_id), {
      units: Number(row.units),
      done: Number(row.done),
      due: Number(row.due),
      overdue: Number(row.overdue),
      neverInspected: Number(row.never),
    });
  }

  const unitLists = query.units ? await unitList(db, base, query.units.limit) : null;
  const report: PlanCoverage[] = [];
  for (const { plan, position, draw } of positioned) {
    const planCounts = counts.get(plan.id) ?? zero();
    // Elsewhere than the county, a plan without units in the scope is not the scope's business.
    if (!countyWide && query.planCode === undefined && planCounts.units === 0) continue;
    const entry: PlanCoverage = {
      code: plan.code,
      name: plan.name,
      owner: { kind: plan.ownerKind as 'department' | 'region', code: plan.ownerCode, name: plan.ownerName },
      every: plan.every as PlanFrequency,
      sample: plan.sample,
      active: plan.active,
      period: position?.period ?? null,
      previousPeriod: position?.previous ?? null,
      ended: position?.ended ?? false,
      draw: draw
        ? {
            seed: draw.seed,
            drawnAt: draw.drawnAt.toISOString(),
            candidateCount: draw.candidateCount,
            picked: draw.enterpriseIds.length,
          }
        : null,
      counts: planCounts,
      rate: planCounts.units ? Math.round((1000 * planCounts.done) / planCounts.units) / 1000 : null,
    };
    if (unitLists) {
      entry.units = unitLists.get(plan.id) ?? [];
      entry.unitsLeftOff = Math.max(0, planCounts.units - entry.units.length);
    }
    report.push(entry);
  }
  return { date, plans: report, totals: counts.get(null) ?? zero() };
}

interface UnitRow {
  plan_id: number;
  code: string;
  name: string;
  township_code: string;
  township_name: string;
  status: CoverageStatus;
  last_at: string | null;
  due_by: string | null;
  never: boolean;
}

const unitOrder = sql.raw(`st.urgency, st.due_by nulls last, u.code collate "C"`);

async function unitList(db: Db, base: SQL, limit: number): Promise<Map<number, CoverageUnit[]>> {
  const rows = rowsOf<UnitRow>(
    await db.execute(sql`${base}
      select plan_id, code, name, township_code, township_name, status, last_at, due_by, never from (
        select st.plan_id, u.code, u.name, r.code as township_code, r.name as township_name, st.status,
          st.last_at::text as last_at, st.due_by::text as due_by, st.never,
          row_number() over (partition by st.plan_id order by ${unitOrder}) as n
        from st join enterprises u on u.id = st.unit join regions r on r.id = u.region_id
      ) ranked
      where n <= ${limit}
      order by plan_id, n`),
  );
  const lists = new Map<number, CoverageUnit[]>();
  for (const row of rows) {
    const id = Number(row.plan_id);
    const list = lists.get(id) ?? [];
    list.push({
      enterprise: { code: row.code, name: row.name },
      township: { code: row.township_code, name: row.township_name },
      status: row.status,
      lastInspectedAt: row.last_at,
      dueBy: row.due_by,
      neverInspected: row.never,
    });
    lists.set(id, list);
  }
  return lists;
}

/** The coverage line of a digest or 统计: each unit of the scope's running plans once, by its worst status. */
export async function coverageTotals(db: Db, scope: ResolvedScope, date: LocalDate): Promise<CoverageCounts> {
  return (await coverageReport(db, { scope, date })).totals;
}

export interface ToInspectUnit {
  enterprise: { code: string; name: string };
  township: { code: string; name: string };
  /** Overdue in any plan, else due. */
  status: 'due' | 'overdue';
  /** The nearest due-by over its plans (for overdue: the earliest missed). */
  dueBy: LocalDate;
  lastInspectedAt: LocalDate | null;
  neverInspected: boolean;
  /** The plans it is due or overdue in. */
  plans: { code: string; name: string }[];
}

interface ToInspectRow {
  code: string;
  name: string;
  township_code: string;
  township_name: string;
  urgency: number;
  due_by: string;
  last_at: string | null;
  never: boolean;
  plan_ids: number[];
  total: number;
}

/**
 * 待检: the units of `scope` due or overdue in any plan running at `today` (the plans whose units reach into the
 * scope), each once, overdue first, then nearest due; at most `limit` (default all), with the total.
 */
export function toInspectFor(
  db: Db,
  scope: ResolvedScope,
  today: LocalDate,
  options: { limit?: number } = {},
): Promise<{ total: number; units: ToInspectUnit[] }> {
  return readCoverage(db, (tx) => toInspectIn(tx, scope, today, options.limit));
}

async function toInspectIn(
  db: Db,
  scope: ResolvedScope,
  today: LocalDate,
  limitGiven: number | undefined,
): Promise<{ total: number; units: ToInspectUnit[] }> {
  // Only running plans: an ended plan's overdue units can no longer be done in it.
  const plans = await plansAt(db, today, undefined, 0);
  const positioned = (await position(db, plans, today)).filter((p) => p.position && !p.position.ended);
  if (positioned.length === 0) return { total: 0, units: [] };
  const base = statusCte(await definitions(db, positioned, today), unitScopeCondition(scope), today, scope.county);
  const limit = limitGiven ?? 2_147_483_647;
  const rows = rowsOf<ToInspectRow>(
    await db.execute(sql`${base}
      select u.code, u.name, r.code as township_code, r.name as township_name, w.urgency, w.due_by::text as due_by,
        w.last_at::text as last_at, w.never, w.plan_ids, count(*) over ()::int as total
      from (
        select unit, min(urgency) as urgency, min(due_by) as due_by, max(last_at) as last_at, bool_or(never) as never,
          array_agg(plan_id order by plan_id) as plan_ids
        from st where status <> 'done' group by unit
      ) w
      join enterprises u on u.id = w.unit join regions r on r.id = u.region_id
      order by w.urgency, w.due_by, u.code collate "C"
      limit ${limit}`),
  );
  const planById = new Map(positioned.map((p) => [p.plan.id, p.plan]));
  return {
    total: rows.length ? Number(rows[0]!.total) : 0,
    units: rows.map((row) => ({
      enterprise: { code: row.code, name: row.name },
      township: { code: row.township_code, name: row.township_name },
      status: Number(row.urgency) === 0 ? 'overdue' : 'due',
      dueBy: row.due_by,
      lastInspectedAt: row.last_at,
      neverInspected: row.never,
      plans: parseIds(row.plan_ids).map((id) => ({ code: planById.get(id)!.code, name: planById.get(id)!.name })),
    })),
  };
}

/** An `int[]` as the driver gives it: an array (node-postgres, PGlite) or its text form. */
function parseIds(value: number[] | string): number[] {
  if (Array.isArray(value)) return value.map(Number);
  return value.replace(/[{}]/g, '').split(',').filter(Boolean).map(Number);
}
