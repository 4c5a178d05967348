/**
 * The overview's figures for a viewer's scope: the 统计 of `/api/stats` (computeStats with the same scope condition, so
 * the numbers are the same), red/yellow/green per township and per sector, and the inspection plans' coverage.
 *
 * Red/yellow/green splits the open hazards the way a card colours one (domain trafficLight): red overdue, yellow due
 * within three days, green the rest. Due-soon is the one figure computeStats does not give: a second, narrow query over
 * the hazards still with the responsible side and due in the next days (hazards_open_deadline_idx).
 */
import { and, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { hazards } from '../../db/schema/index.js';
import { addCalendarDays, type Calendar } from '../../domain/index.js';
import { PLAN_FREQUENCY_LABELS } from '../../domain/inspection.js';
import type { LocalDate } from '../../domain/vocabulary.js';
import { type CoverageCounts, coverageReport } from '../../inspections/coverage.js';
import { ensureCurrentDraws } from '../../inspections/plans/store.js';
import { type ResolvedScope, scopeCondition } from '../../ledger/scope.js';
import { computeStats, type HazardStats } from '../../ledger/stats.js';

/** Days before the deadline a hazard turns yellow (domain trafficLight's default). */
export const DUE_SOON_DAYS = 3;

export type Light = 'red' | 'yellow' | 'green';

/** Open hazards of one township or sector by colour; `light` is the worst colour present. */
export interface LightRow {
  key: string;
  name: string;
  total: number;
  open: number;
  closed: number;
  red: number;
  yellow: number;
  green: number;
  light: Light;
  /** The list page's filter for this row (township=… or sector=…). */
  filter: { township?: string; sector?: string };
}

export interface OverviewData {
  today: LocalDate;
  headline: {
    open: number;
    overdue: number;
    overdueRate: number;
    /** Open major hazards (not yet 销号). */
    major: number;
    /** Of those: 挂牌督办, 县级督办, 乡镇督办, 停产停业. */
    listed: number;
    countySupervised: number;
    townshipSupervised: number;
    suspended: number;
  };
  byTownship: LightRow[];
  bySector: LightRow[];
  trend: HazardStats['trend'];
  majorItems: HazardStats['majorUnderSupervision']['items'];
  coverage: {
    totals: CoverageCounts;
    /** done ÷ units over every plan's units, three decimals; null without units. */
    rate: number | null;
    plans: { code: string; name: string; every: string; counts: CoverageCounts; rate: number | null }[];
  };
}

export async function overviewData(
  db: Db,
  input: { scope: ResolvedScope; calendar: Calendar; now: Date },
): Promise<OverviewData> {
  const { scope, calendar, now } = input;
  const today = calendar.localDate(now);
  const where = scopeCondition(scope);
  // A sampling plan's draw is made at the period's first use, as /api/coverage does before reading coverage.
  await ensureCurrentDraws(db, today, now);
  const [stats, soon, coverage] = await Promise.all([
    computeStats(db, { where, calendar, now }),
    dueSoon(db, where, today),
    coverageReport(db, { scope, date: today }),
  ]);
  const major = stats.majorUnderSupervision;
  return {
    today,
    headline: {
      open: stats.totals.open,
      overdue: stats.totals.overdue,
      overdueRate: stats.totals.overdueRate,
      major: major.total,
      listed: major.listed,
      countySupervised: major.county,
      townshipSupervised: major.township,
      suspended: major.suspended,
    },
    byTownship: stats.byTownship.map((t) =>
      lightRow(t.code, t.name, t, soon.byRegion.get(t.code) ?? 0, { township: t.code }),
    ),
    bySector: stats.bySector.map((s) =>
      lightRow(s.sector, s.sector, s, soon.bySector.get(s.sector) ?? 0, { sector: s.sector }),
    ),
    trend: stats.trend,
    majorItems: major.items,
    coverage: {
      totals: coverage.totals,
      rate: coverage.totals.units ? Math.round((coverage.totals.done / coverage.totals.units) * 1000) / 1000 : null,
      plans: coverage.plans.map((p) => ({
        code: p.code,
        name: p.name,
        every: PLAN_FREQUENCY_LABELS[p.every] ?? p.every,
        counts: p.counts,
        rate: p.rate,
      })),
    },
  };
}

function lightRow(
  key: string,
  name: string,
  counts: { total: number; open: number; overdue: number; closed: number },
  dueSoon: number,
  filter: LightRow['filter'],
): LightRow {
  const red = counts.overdue;
  const yellow = Math.min(dueSoon, counts.open - red);
  const green = counts.open - red - yellow;
  return {
    key,
    name,
    total: counts.total,
    open: counts.open,
    closed: counts.closed,
    red,
    yellow,
    green,
    light: red > 0 ? 'red' : yellow > 0 ? 'yellow' : 'green',
    filter,
  };
}

/** Hazards with the responsible side, not overdue, due within DUE_SOON_DAYS: by region code and by sector. */
export async function dueSoon(
  db: Db,
  where: ReturnType<typeof scopeCondition>,
  today: LocalDate,
): Promise<{ byRegion: Map<string, number>; bySector: Map<string, number> }> {
  const rows = await db
    .select({
      regionCode: sql<string>`(select r.code from regions r where r.id = ${hazards.regionId})`,
      sector: hazards.sector,
      count: sql<number>`count(*)::int`,
    })
    .from(hazards)
    .where(
      and(
        where,
        sql`${hazards.status} in ('reported', 'rectifying')`,
        // Repeats the partial index's predicate so the planner may use hazards_open_deadline_idx.
        sql`${hazards.status} <> 'closed'`,
        sql`${hazards.deadline} >= ${today}`,
        sql`${hazards.deadline} <= ${addCalendarDays(today, DUE_SOON_DAYS)}`,
      ),
    )
    .groupBy(hazards.regionId, hazards.sector);
  const byRegion = new Map<string, number>();
  const bySector = new Map<string, number>();
  for (const row of rows) {
    const n = Number(row.count);
    byRegion.set(row.regionCode, (byRegion.get(row.regionCode) ?? 0) + n);
    bySector.set(row.sector, (bySector.get(row.sector) ?? 0) + n);
  }
  return { byRegion, bySector };
}
