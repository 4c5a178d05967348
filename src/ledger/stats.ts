/**
 * Statistics for a scope (统计): counts by township, sector, grade and status, the overdue rate, major hazards under
 * listed supervision and the trend of the last weeks. One grouped scan of `hazards` gives every breakdown (the groups
 * are few: townships × sectors × grades × statuses × flags), the trend reads two ranges by index.
 */
import { and, asc, eq, ne, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { enterprises, hazards, regions } from '../db/schema/index.js';
import { addCalendarDays, type Calendar, weekdayOf } from '../domain/index.js';
import {
  GRADE_LABELS,
  HAZARD_GRADES,
  HAZARD_STATUSES,
  type HazardGrade,
  type HazardStatus,
  type LocalDate,
  STATUS_LABELS,
  type SupervisionLevel,
} from '../domain/vocabulary.js';
import { overdueCondition } from './filters.js';

export interface Counts {
  total: number;
  open: number;
  overdue: number;
  closed: number;
}

export interface HazardStats {
  /** The local day the figures are for (overdue is judged against it). */
  today: LocalDate;
  totals: Counts & {
    /** Overdue ÷ open (未闭环中超期的比例), 0 when nothing is open. */
    overdueRate: number;
  };
  byTownship: (Counts & { code: string; name: string })[];
  bySector: (Counts & { sector: string })[];
  byGrade: (Counts & { grade: HazardGrade; label: string })[];
  byStatus: { status: HazardStatus; label: string; count: number }[];
  /**
   * Open major hazards (not yet 销号): how many are listed (挂牌督办 by 安委办 or the department), under county or
   * township 督办, suspended (停产停业).
   */
  majorUnderSupervision: {
    total: number;
    listed: number;
    county: number;
    township: number;
    suspended: number;
    /** The most urgent ones (earliest deadline first). */
    items: {
      code: string;
      enterpriseName: string;
      townshipName: string;
      supervision: SupervisionLevel;
      listed: boolean;
      deadline: LocalDate;
      overdue: boolean;
    }[];
  };
  /** Week by week (Monday to Sunday, local), oldest first, the current week last. */
  trend: { weekStart: LocalDate; reported: number; closed: number }[];
}

const zero = (): Counts => ({ total: 0, open: 0, overdue: 0, closed: 0 });

function add(counts: Counts, n: number, status: string, overdue: boolean): void {
  counts.total += n;
  if (status === 'closed') counts.closed += n;
  else counts.open += n;
  if (overdue) counts.overdue += n;
}

/** The Monday (local) of the week containing `date`. */
export function weekStart(date: LocalDate): LocalDate {
  return addCalendarDays(date, -((weekdayOf(date) + 6) % 7));
}

export async function computeStats(
  db: Db,
  input: { where: SQL | undefined; calendar: Calendar; now: Date; weeks?: number; majorItems?: number },
): Promise<HazardStats> {
  const { calendar, now } = input;
  const today = calendar.localDate(now);
  const overdue = overdueCondition(today);
  const groups = await db
    .select({
      regionId: hazards.regionId,
      sector: hazards.sector,
      grade: hazards.grade,
      status: hazards.status,
      supervision: hazards.supervision,
      suspended: hazards.suspended,
      listed: sql<boolean>`${hazards.listingAuthority} is not null`,
      overdue: sql<boolean>`${overdue}`,
      count: sql<number>`count(*)::int`,
    })
    .from(hazards)
    .where(input.where)
    .groupBy(
      hazards.regionId,
      hazards.sector,
      hazards.grade,
      hazards.status,
      hazards.supervision,
      hazards.suspended,
      sql`7`,
      sql`8`,
    );

  const regionRows = await db.select({ id: regions.id, code: regions.code, name: regions.name }).from(regions);
  const regionById = new Map(regionRows.map((r) => [r.id, r]));

  const totals = zero();
  const townships = new Map<number, Counts>();
  const sectors = new Map<string, Counts>();
  const grades = new Map<string, Counts>(HAZARD_GRADES.map((g) => [g, zero()]));
  const statuses = new Map<string, number>(HAZARD_STATUSES.map((s) => [s, 0]));
  const major = { total: 0, listed: 0, county: 0, township: 0, suspended: 0 };
  for (const g of groups) {
    const n = Number(g.count);
    const late = g.overdue === true || (g.overdue as unknown) === 't';
    add(totals, n, g.status, late);
    for (const [map, key] of [
      [townships, g.regionId],
      [sectors, g.sector],
      [grades, g.grade],
    ] as const) {
      const counts = (map as Map<typeof key, Counts>).get(key) ?? zero();
      add(counts, n, g.status, late);
      (map as Map<typeof key, Counts>).set(key, counts);
    }
    statuses.set(g.status, (statuses.get(g.status) ?? 0) + n);
    if (g.grade === 'major' && g.status !== 'closed') {
      major.total += n;
      if (g.listed === true || (g.listed as unknown) === 't') major.listed += n;
      if (g.supervision === 'county') major.county += n;
      if (g.supervision === 'township') major.township += n;
      if (g.suspended) major.suspended += n;
    }
  }

  const items = major.total
    ? await db
        .select({
          code: hazards.code,
          enterpriseName: enterprises.name,
          townshipName: regions.name,
          supervision: sql<SupervisionLevel>`${hazards.supervision}`,
          listed: sql<boolean>`${hazards.listingAuthority} is not null`,
          deadline: hazards.deadline,
          overdue: sql<boolean>`${overdue}`,
        })
        .from(hazards)
        .innerJoin(enterprises, eq(enterprises.id, hazards.enterpriseId))
        .innerJoin(regions, eq(regions.id, hazards.regionId))
        .where(and(input.where, eq(hazards.grade, 'major'), ne(hazards.status, 'closed')))
        .orderBy(asc(hazards.deadline), asc(hazards.id))
        .limit(input.majorItems ?? 10)
    : [];

  return {
    today,
    totals: { ...totals, overdueRate: totals.open ? round(totals.overdue / totals.open) : 0 },
    byTownship: [...townships.entries()]
      .map(([id, counts]) => ({
        code: regionById.get(id)?.code ?? String(id),
        name: regionById.get(id)?.name ?? String(id),
        ...counts,
      }))
      .sort((a, b) => b.total - a.total || a.code.localeCompare(b.code)),
    bySector: [...sectors.entries()]
      .map(([sector, counts]) => ({ sector, ...counts }))
      .sort((a, b) => b.total - a.total || a.sector.localeCompare(b.sector)),
    byGrade: HAZARD_GRADES.map((grade) => ({ grade, label: GRADE_LABELS[grade], ...grades.get(grade)! })),
    byStatus: HAZARD_STATUSES.map((status) => ({
      status,
      label: STATUS_LABELS[status],
      count: statuses.get(status) ?? 0,
    })),
    majorUnderSupervision: {
      ...major,
      items: items.map((i) => ({ ...i, overdue: i.overdue === true || (i.overdue as unknown) === 't' })),
    },
    trend: await weeklyTrend(db, input.where, calendar, today, input.weeks ?? 8),
  };
}

/** Reported and closed per local week, for the last `weeks` weeks (the current one included). */
async function weeklyTrend(
  db: Db,
  where: SQL | undefined,
  calendar: Calendar,
  today: LocalDate,
  weeks: number,
): Promise<HazardStats['trend']> {
  const thisWeek = weekStart(today);
  const starts = Array.from({ length: weeks }, (_, i) => addCalendarDays(thisWeek, -7 * (weeks - 1 - i)));
  const bounds = [...starts, addCalendarDays(thisWeek, 7)].map((d) => calendar.startOfLocalDay(d));
  const array = sql`array[${sql.join(
    bounds.map((b) => sql`${b.toISOString()}::timestamptz`),
    sql`, `,
  )}]`;
  const first = bounds[0]!;
  const end = bounds.at(-1)!;
  const count = async (column: typeof hazards.reportedAt | typeof hazards.closedAt) => {
    const rows = await db
      .select({ bucket: sql<number>`width_bucket(${column}, ${array})::int`, count: sql<number>`count(*)::int` })
      .from(hazards)
      .where(
        and(
          where,
          sql`${column} >= ${first.toISOString()}::timestamptz`,
          sql`${column} < ${end.toISOString()}::timestamptz`,
        ),
      )
      .groupBy(sql`1`);
    const byWeek = new Map(rows.map((r) => [Number(r.bucket), Number(r.count)]));
    return starts.map((_, i) => byWeek.get(i + 1) ?? 0);
  };
  const [reported, closed] = [await count(hazards.reportedAt), await count(hazards.closedAt)];
  return starts.map((weekStart, i) => ({ weekStart, reported: reported[i]!, closed: closed[i]! }));
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
