/**
 * The statutory statistics (统计分析表, 《安全生产事故隐患排查治理暂行规定》总局令第16号 第十四条): every quarter and
 * every year, per scope, how many general and major hazards were found and rectified, the rectification rate,
 * how many came under listed supervision and how many remained open. Quarterly tables are due by the 15th of the
 * month after the quarter, the annual one by 31 January.
 *
 * Reminders: `statutoryReportsDue(now)` says which tables are in their reminder window (from `leadDays` before the
 * due date to the due date). The reminder scheduler (src/reminders/index.ts) calls `enqueueStatutoryReminders(db, now)` once a day
 * (e.g. with the 08:30 digest); it is idempotent: one message per (table, leader), whatever the number of calls.
 */
import { and, eq, inArray, isNotNull, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { hazards, outbox, people, regions, roleAssignments } from '../db/schema/index.js';
import { addCalendarDays, type Calendar, daysBetween } from '../domain/index.js';
import { parsePeriod, type StatutoryPeriod } from '../domain/statutory-period.js';
import { enqueueMessages, type OutgoingMessage } from '../feishu/outbox.js';

export { parsePeriod, type StatutoryPeriod } from '../domain/statutory-period.js';

/** The periods whose tables are due soon at `today`: from `leadDays` before the due date up to the due date. */
export function statutoryReportsDue(now: Date, calendar: Calendar, leadDays = 5): StatutoryPeriod[] {
  const today = calendar.localDate(now);
  const year = Number(today.slice(0, 4));
  const candidates = [
    ...[1, 2, 3, 4].map((q) => parsePeriod(`${year - 1}Q${q}`)!),
    ...[1, 2, 3, 4].map((q) => parsePeriod(`${year}Q${q}`)!),
    parsePeriod(String(year - 1))!,
  ];
  return candidates.filter((p) => {
    const left = daysBetween(today, p.due);
    return left >= 0 && left <= leadDays && today > p.to;
  });
}

export interface StatutoryRow {
  /** Region code, or `total` for 合计. */
  code: string;
  name: string;
  general: { found: number; rectified: number; rate: number };
  major: { found: number; rectified: number; rate: number; supervised: number };
  /** Hazards (any period) still open at the end of the period: 未整改. */
  openAtEnd: number;
}

export interface StatutoryTable {
  period: StatutoryPeriod;
  rows: StatutoryRow[];
  total: StatutoryRow;
}

/** The 统计分析表 for a period and scope (`where` = scope and filters on `hazards`). */
export async function statutoryTable(
  db: Db,
  input: { where: SQL | undefined; period: StatutoryPeriod; calendar: Calendar },
): Promise<StatutoryTable> {
  const start = input.calendar.startOfLocalDay(input.period.from).toISOString();
  const end = input.calendar.startOfLocalDay(addCalendarDays(input.period.to, 1)).toISOString();
  const inPeriod = sql`${hazards.reportedAt} >= ${start}::timestamptz`;
  const closedByEnd = sql`${hazards.closedAt} < ${end}::timestamptz`;
  // 挂牌督办: listed by the county's authority (major hazards only); the listing stays on the row after 摘牌.
  const supervised = sql`(${hazards.listingAuthority} is not null)`;
  const groups = await db
    .select({
      regionId: hazards.regionId,
      grade: hazards.grade,
      found: sql<number>`(count(*) filter (where ${inPeriod}))::int`,
      rectified: sql<number>`(count(*) filter (where ${inPeriod} and ${closedByEnd}))::int`,
      supervised: sql<number>`(count(*) filter (where ${inPeriod} and ${supervised}))::int`,
      openAtEnd: sql<number>`(count(*) filter (where ${hazards.closedAt} is null or ${hazards.closedAt} >= ${end}::timestamptz))::int`,
    })
    .from(hazards)
    .where(and(input.where, sql`${hazards.reportedAt} < ${end}::timestamptz`))
    .groupBy(hazards.regionId, hazards.grade);
  const regionRows = await db.select({ id: regions.id, code: regions.code, name: regions.name }).from(regions);
  const regionById = new Map(regionRows.map((r) => [r.id, r]));
  const blank = (code: string, name: string): StatutoryRow => ({
    code,
    name,
    general: { found: 0, rectified: 0, rate: 0 },
    major: { found: 0, rectified: 0, rate: 0, supervised: 0 },
    openAtEnd: 0,
  });
  const rows = new Map<number, StatutoryRow>();
  const total = blank('total', '合计');
  for (const g of groups) {
    const region = regionById.get(g.regionId);
    const row = rows.get(g.regionId) ?? blank(region?.code ?? String(g.regionId), region?.name ?? String(g.regionId));
    rows.set(g.regionId, row);
    for (const target of [row, total]) {
      const side = g.grade === 'major' ? target.major : target.general;
      side.found += Number(g.found);
      side.rectified += Number(g.rectified);
      if (g.grade === 'major') target.major.supervised += Number(g.supervised);
      target.openAtEnd += Number(g.openAtEnd);
    }
  }
  const withRates = (row: StatutoryRow): StatutoryRow => {
    row.general.rate = row.general.found
      ? Math.round((row.general.rectified / row.general.found) * 10_000) / 10_000
      : 0;
    row.major.rate = row.major.found ? Math.round((row.major.rectified / row.major.found) * 10_000) / 10_000 : 0;
    return row;
  };
  return {
    period: input.period,
    rows: [...rows.values()].map(withRates).sort((a, b) => a.code.localeCompare(b.code)),
    total: withRates(total),
  };
}

/** Roles answerable for handing in the table: county leaders for the county, township main leaders for theirs. */
const RESPONSIBLE_ROLES = ['county_leader', 'township_main_leader'];

/**
 * Queues one reminder per (due table, responsible leader with an open_id), unless one was queued before (the outbox
 * topic `statutory:<period>:<person code>` is the key). Returns how many were queued.
 */
export async function enqueueStatutoryReminders(db: Db, now: Date, calendar: Calendar, leadDays = 5): Promise<number> {
  const due = statutoryReportsDue(now, calendar, leadDays);
  if (due.length === 0) return 0;
  const leaders = await db
    .selectDistinct({ code: people.code, name: people.name, openId: people.openId, role: roleAssignments.role })
    .from(roleAssignments)
    .innerJoin(people, eq(people.id, roleAssignments.personId))
    .where(and(inArray(roleAssignments.role, RESPONSIBLE_ROLES), eq(people.active, true), isNotNull(people.openId)));
  const topics = due.flatMap((p) => leaders.map((l) => `statutory:${p.key}:${l.code}`));
  if (topics.length === 0) return 0;
  const sent = new Set(
    (await db.select({ topic: outbox.topic }).from(outbox).where(inArray(outbox.topic, topics))).map((r) => r.topic),
  );
  const messages: OutgoingMessage[] = [];
  for (const period of due) {
    for (const leader of leaders) {
      const topic = `statutory:${period.key}:${leader.code}`;
      if (sent.has(topic)) continue;
      sent.add(topic);
      messages.push({
        to: { openId: leader.openId! },
        msgType: 'text',
        topic,
        content: {
          text:
            `【统计分析表提醒】${period.label}隐患排查治理统计分析表须于 ${period.due} 前报送（总局令第16号第十四条）。` +
            `发送「统计 ${period.key}」查看本辖区的统计表，或在读取接口 GET /api/stats?period=${period.key} 获取。`,
        },
      });
    }
  }
  await enqueueMessages(db, messages);
  return messages.length;
}
