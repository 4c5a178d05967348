/**
 * 通报晾晒: townships and departments ranked worst first by overdue rate (超期 ÷ 未闭环, as 统计 means it, today) and by
 * the median calendar days to 销号 of the hazards closed in the period, from the scan's groups.
 */
import { inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { departments } from '../../db/schema/index.js';
import {
  medianOfCounts,
  overdueRateOf,
  type RankedCounts,
  rankByMedianDays,
  rankByOverdueRate,
} from '../../domain/index.js';
import type { ScanRow } from './scan.js';
import type { Township } from './townships.js';

export interface Ranking {
  byOverdueRate: RankedCounts[];
  byMedianDays: RankedCounts[];
}

export interface CampaignRankings {
  townships: Ranking;
  departments: Ranking;
}

interface Group {
  open: number;
  overdue: number;
  closed: number;
  days: Map<number, number>;
}

function collect(rows: readonly ScanRow[], keyOf: (row: ScanRow) => number | null): Map<number, Group> {
  const groups = new Map<number, Group>();
  for (const row of rows) {
    const key = keyOf(row);
    if (key === null) continue;
    const group = groups.get(key) ?? { open: 0, overdue: 0, closed: 0, days: new Map() };
    group.open += row.open;
    group.overdue += row.overdue;
    if (row.days !== null) {
      group.closed += row.count;
      group.days.set(row.days, (group.days.get(row.days) ?? 0) + row.count);
    }
    groups.set(key, group);
  }
  return groups;
}

function rank(groups: Map<number, Group>, names: Map<number, { code: string; name: string }>): Ranking {
  const rows: RankedCounts[] = [...groups.entries()].map(([id, g]) => ({
    code: names.get(id)?.code ?? String(id),
    name: names.get(id)?.name ?? String(id),
    open: g.open,
    overdue: g.overdue,
    overdueRate: overdueRateOf(g.overdue, g.open),
    closed: g.closed,
    medianDaysToClose: medianOfCounts(g.days),
  }));
  return { byOverdueRate: rankByOverdueRate(rows), byMedianDays: rankByMedianDays(rows) };
}

export async function rankingsOf(
  db: Db,
  rows: readonly ScanRow[],
  townships: Map<number, Township>,
): Promise<CampaignRankings> {
  // A region above the township level (the county itself) is in no township's row, but in its department's.
  const byTownship = collect(rows, (r) => townships.get(r.regionId)?.id ?? null);
  const byDepartment = collect(rows, (r) => r.departmentId);
  const townshipNames = new Map([...townships.values()].map((t) => [t.id, t]));
  const ids = [...byDepartment.keys()];
  const departmentNames = new Map(
    ids.length
      ? (
          await db
            .select({ id: departments.id, code: departments.code, name: departments.name })
            .from(departments)
            .where(inArray(departments.id, ids))
        ).map((d) => [d.id, d])
      : [],
  );
  return { townships: rank(byTownship, townshipNames), departments: rank(byDepartment, departmentNames) };
}
