/**
 * The one pass over the scope's hazards that the campaign's hazard figures need: grouped by township and by
 * supervising department (GROUPING SETS), and within each by the calendar days to 销号 of the hazards closed in the
 * period (null for the rest). From its rows come the rankings (open, overdue, closed and the median from the days'
 * histogram) and, summed over the township groups (each hazard is in exactly one), the 存量/增量 figures of the major
 * hazards. One scan, not one per figure: over a million hazards each scan costs a few hundred milliseconds.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { intArray, rowsOf } from '../../db/rows.js';
import { hazards } from '../../db/schema/index.js';
import { addCalendarDays, type Calendar, type CampaignPeriod, campaignYearStart } from '../../domain/index.js';
import { overdueCondition } from '../filters.js';
import type { Township } from './townships.js';

/** One group of the scan: a township's (departmentId undefined) or a department's, at one number of days. */
export interface ScanRow {
  /** true for the township grouping set, false for the department one. */
  byTownship: boolean;
  /** The township's region id (null: a region above the township level). */
  townshipId: number | null;
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

const asBool = (value: unknown) => value === true || value === 't' || value === 1;

export async function scanCampaignHazards(
  db: Db,
  input: {
    where: SQL | undefined;
    period: CampaignPeriod;
    calendar: Calendar;
    today: string;
    townships: Map<number, Township>;
  },
): Promise<ScanRow[]> {
  const { period, calendar } = input;
  const yearStart = calendar.startOfLocalDay(campaignYearStart(period)).toISOString();
  const from = calendar.startOfLocalDay(period.from).toISOString();
  const end = calendar.startOfLocalDay(addCalendarDays(period.to, 1)).toISOString();
  const regionIds = [...input.townships.keys()];
  const townshipIds = regionIds.map((id) => input.townships.get(id)!.id);
  const zone = calendar.timeZone;
  const major = sql`${hazards.grade} = 'major'`;
  const foundBeforeYear = sql`${hazards.reportedAt} < ${yearStart}::timestamptz`;
  const openAtYearStart = sql`(${hazards.closedAt} is null or ${hazards.closedAt} >= ${yearStart}::timestamptz)`;
  const stock = sql`${major} and ${foundBeforeYear} and ${openAtYearStart}`;
  const increment = sql`${major} and ${hazards.reportedAt} >= ${yearStart}::timestamptz and ${hazards.reportedAt} < ${end}::timestamptz`;
  const closedInPeriod = sql`(${hazards.closedAt} >= ${from}::timestamptz and ${hazards.closedAt} < ${end}::timestamptz)`;
  const openAtEnd = sql`(${hazards.closedAt} is null or ${hazards.closedAt} >= ${end}::timestamptz)`;
  const rows = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      with township as (
        select * from unnest(${intArray(regionIds)}::int[], ${intArray(townshipIds)}::int[]) as t(region_id, township_id)
      ),
      h as (
        select t.township_id, ${hazards.departmentId} as department_id,
          case when ${closedInPeriod}
            then ((${hazards.closedAt} at time zone ${zone})::date - (${hazards.reportedAt} at time zone ${zone})::date)
          end as days,
          ${hazards.status} <> 'closed' as open,
          ${overdueCondition(input.today)} as overdue,
          ${stock} as stock,
          ${stock} and ${openAtEnd} as stock_open,
          ${stock} and ${closedInPeriod} as stock_closed,
          ${increment} as increment,
          ${increment} and ${openAtEnd} as increment_open,
          ${increment} and ${closedInPeriod} as increment_closed,
          ${major} and ${hazards.reportedAt} < ${end}::timestamptz and ${openAtEnd}
            and ${hazards.deadline} < ${period.to} as past_deadline
        from ${hazards}
        left join township t on t.region_id = ${hazards.regionId}
        where ${input.where ?? sql`true`}
      )
      select grouping(township_id) = 0 as by_township, township_id, department_id, days,
        count(*) filter (where open)::int as open,
        count(*) filter (where overdue)::int as overdue,
        count(*) filter (where stock)::int as stock,
        count(*) filter (where stock_open)::int as stock_open,
        count(*) filter (where stock_closed)::int as stock_closed,
        count(*) filter (where increment)::int as increment,
        count(*) filter (where increment_open)::int as increment_open,
        count(*) filter (where increment_closed)::int as increment_closed,
        count(*) filter (where past_deadline)::int as past_deadline,
        count(*)::int as count
      from h
      group by grouping sets ((township_id, days), (department_id, days))`),
  );
  return rows.map((r) => ({
    byTownship: asBool(r.by_township),
    townshipId: r.township_id === null ? null : Number(r.township_id),
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
