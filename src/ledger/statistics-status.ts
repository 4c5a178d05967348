/**
 * Who has confirmed the statistics duty's tables (统计分析表) in a scope: the `统计` card's line and the
 * `statisticsDuty` block of GET /api/stats. Read-only (src/ledger/statistics-duty.ts writes the rows).
 */
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { enterprises, people, statisticsConfirmations } from '../db/schema/index.js';
import type { StatutoryPeriod } from '../domain/statutory-period.js';
import type { ResolvedScope } from './scope.js';

export interface DutyStatus {
  period: { key: string; label: string; from: string; to: string; due: string };
  /** Units whose table was sent for the period (in scope, still active). */
  total: number;
  confirmed: number;
  unconfirmed: { code: string; name: string; principal: string | null; channel: string }[];
}

/** The units of a scope (their region, department or the unit itself). */
function unitScope(scope: ResolvedScope): SQL {
  if (scope.county) return sql`true`;
  const parts: SQL[] = [];
  if (scope.regionIds.length) parts.push(inArray(enterprises.regionId, scope.regionIds));
  if (scope.departmentIds.length) parts.push(inArray(enterprises.departmentId, scope.departmentIds));
  if (scope.enterpriseIds.length) parts.push(inArray(enterprises.id, scope.enterpriseIds));
  if (parts.length === 0) return sql`false`;
  return sql.join(
    parts.map((p) => sql`(${p})`),
    sql` or `,
  );
}

/** Who in the scope has confirmed the period's table, and who has not (by unit code). */
export async function dutyStatus(
  db: Db,
  scopes: ResolvedScope | ResolvedScope[],
  period: StatutoryPeriod,
): Promise<DutyStatus> {
  const within = (Array.isArray(scopes) ? scopes : [scopes]).map(unitScope);
  const rows = await db
    .select({
      code: enterprises.code,
      name: enterprises.name,
      principal: people.name,
      channel: statisticsConfirmations.channel,
      confirmedAt: statisticsConfirmations.confirmedAt,
    })
    .from(statisticsConfirmations)
    .innerJoin(enterprises, eq(enterprises.id, statisticsConfirmations.enterpriseId))
    .leftJoin(people, eq(people.id, enterprises.principalId))
    .where(and(eq(statisticsConfirmations.period, period.key), eq(enterprises.active, true), ...within))
    .orderBy(enterprises.code);
  const unconfirmed = rows
    .filter((r) => !r.confirmedAt)
    .map((r) => ({ code: r.code, name: r.name, principal: r.principal, channel: r.channel }));
  return {
    period: { key: period.key, label: period.label, from: period.from, to: period.to, due: period.due },
    total: rows.length,
    confirmed: rows.length - unconfirmed.length,
    unconfirmed,
  };
}

/** The line of the `统计` card: 本季度统计分析表：已确认 x/y，未确认：… */
export function dutyLine(status: DutyStatus, listed = 10): string {
  const which = status.period.key.includes('Q') ? '本季度' : '年度';
  const head = `**${which}统计分析表**（${status.period.label}，${status.period.due} 前报送）：已确认 ${status.confirmed}/${status.total}`;
  if (status.total === 0) return `${head}，本期尚未发送`;
  if (status.unconfirmed.length === 0) return `${head}，全部已确认`;
  const names = status.unconfirmed.slice(0, listed).map((u) => u.name + (u.channel === 'card' ? '' : '（未加入飞书）'));
  const more = status.unconfirmed.length > listed ? ` 等 ${status.unconfirmed.length} 家` : '';
  return `${head}，未确认：${names.join('、')}${more}`;
}
