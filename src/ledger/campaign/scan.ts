/**
 * The one pass over the scope's hazards that the campaign's hazard figures need: grouped by region and supervising
 * department, and within each by the calendar days to 销号 of the hazards closed in the period (null for the rest).
 * From its rows come the rankings (rolled up to townships and departments; the median from the days' histogram) and,
 * summed, the 存量/增量 figures of the major hazards. One scan, not one per figure: over a million hazards each scan
 * costs a few hundred milliseconds.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import { hazards } from '../../db/schema/index.js';
import { addCalendarDays, type Calendar, type CampaignPeriod, campaignYearStart } from '../../domain/index.js';
import { overdueCondition } from '../filters.js';

/** One group of the scan: the hazards of one region and supervising department at one number of days to close. */
export interface ScanRow {
  regionId: number;
  /** The supervising department (null: a unit without one). */
  departmentId: number | null;
  /** Calendar days from found to 销号 (local days) for the hazards closed in the period; null for the others. */
  days: number | null;
  open: number;
  overdue: number;
  /** 存量: found before the campaign year, not 销号 at its start. */
  stock: number;
  stockOpen: number;
  stockClosed: number;
  /** 增量: found in the campaign year up to the period's end. */
  increment: number;
  incrementOpen: number;
  incrementClosed: number;
  /** Major hazards open at the end of the period with their deadline before its last day (动态清零). */
  openPastDeadline: number;
  /** Hazards in the group (with `days`: those closed in the period after that many days). */
  count: number;
}

/**
 * Grouped by region, department and days, read from hazards_campaign_idx alone (an index-only scan). The planner
 * cannot tell how few distinct day counts there are and would sort the million rows to group them; with sorting
 * priced out (for this transaction only) it hashes them. JIT is off too: compiling costs more than the scan saves.
 */
export async function scanCampaignHazards(
  db: Db,
  input: { where: SQL | undefined; period: CampaignPeriod; calendar: Calendar; today: string },
): Promise<ScanRow[]> {
  const { period, calendar } = input;
  const yearStart = calendar.startOfLocalDay(campaignYearStart(period)).toISOString();
  const from = calendar.startOfLocalDay(period.from).toISOString();
  const end = calendar.startOfLocalDay(addCalendarDays(period.to, 1)).toISOString();
  const zone = calendar.timeZone;
  const major = sql`${hazards.grade} = 'major'`;
  const stock = sql`${major} and ${hazards.reportedAt} < ${yearStart}::timestamptz
    and (${hazards.closedAt} is null or ${hazards.closedAt} >= ${yearStart}::timestamptz)`;
  const increment = sql`${major} and ${hazards.reportedAt} >= ${yearStart}::timestamptz
    and ${hazards.reportedAt} < ${end}::timestamptz`;
  const closedInPeriod = sql`(${hazards.closedAt} >= ${from}::timestamptz and ${hazards.closedAt} < ${end}::timestamptz)`;
  const openAtEnd = sql`(${hazards.closedAt} is null or ${hazards.closedAt} >= ${end}::timestamptz)`;
  const query = sql`
    select ${hazards.regionId} as region_id, ${hazards.departmentId} as department_id,
      case when ${closedInPeriod}
        then ((${hazards.closedAt} at time zone ${zone})::date - (${hazards.reportedAt} at time zone ${zone})::date)
      end as days,
      count(*) filter (where ${hazards.status} <> 'closed')::int as open,
      count(*) filter (where ${overdueCondition(input.today)})::int as overdue,
      count(*) filter (where ${stock})::int as stock,
      count(*) filter (where ${stock} and ${openAtEnd})::int as stock_open,
      count(*) filter (where ${stock} and ${closedInPeriod})::int as stock_closed,
      count(*) filter (where ${increment})::int as increment,
      count(*) filter (where ${increment} and ${openAtEnd})::int as increment_open,
      count(*) filter (where ${increment} and ${closedInPeriod})::int as increment_closed,
      count(*) filter (where ${major} and ${hazards.reportedAt} < ${end}::timestamptz and ${openAtEnd}
        and ${hazards.deadline} < ${period.to})::int as past_deadline,
      count(*)::int as count
    from ${hazards}
    where ${input.where ?? sql`true`}
    group by 1, 2, 3`;
  const rows = await db.transaction(async (tx) => {
    await tx.execute(sql`set local enable_sort = off`);
    await tx.execute(sql`set local enable_incremental_sort = off`);
    await tx.execute(sql`set local jit = off`);
    return rowsOf<Record<string, unknown>>(await tx.execute(query));
  });
  return rows.map((r) => ({
    regionId: Number(r.region_id),
    departmentId: r.department_id === null ? null : Number(r.department_id),
    days: r.days === null ? null : Number(r.days),
    open: Number(r.open),
    overdue: Number(r.overdue),
    stock: Number(r.stock),
    stockOpen: Number(r.stock_open),
    stockClosed: Number(r.stock_closed),
    increment: Number(r.increment),
    incrementOpen: Number(r.increment_open),
    incrementClosed: Number(r.increment_closed),
    openPastDeadline: Number(r.past_deadline),
    count: Number(r.count),
  }));
}
