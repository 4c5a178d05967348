/**
 * The statistics duty (统计分析表, 总局令第16号 第十四条): each unit's quarterly and annual table goes to its principal
 * before the due date, the principal confirms it (确认 = the signature: who, when), the unconfirmed are reminded, and
 * townships and departments see who has not confirmed. The one writer of `statistics_confirmations`.
 *
 * Sending (`runStatisticsDuty`, from the scheduler's daily `statistics` slot at 09:00 local): for every period whose
 * window (send day … due date, domain/statutory-period.ts) holds today, every active verified unit without a row gets
 * one — inserted with `on conflict do nothing`, so of two replicas (or a retried slot) only one writes a unit's row,
 * and only the writer queues its messages, in the same transaction. The card's outbox id is derived from (unit,
 * period), so Feishu would drop a duplicate send too.
 *
 * A principal outside Feishu is handled as the hazards' notices are (fallback chain, src/sms): an SMS when a gateway is
 * configured and the directory has their mobile, else a relay card (no 确认 button) to the next reachable person up
 * the chain, asking them to get the paper table signed. Such a unit stays 未确认 in the lists: only the principal may
 * confirm, and only in Feishu.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { intArray, rowsOf } from '../db/rows.js';
import { statisticsConfirmations } from '../db/schema/index.js';
import type { Calendar } from '../domain/index.js';
import { addCalendarDays } from '../domain/local-time.js';
import { dutyPeriodsOn, parsePeriod, type StatutoryPeriod } from '../domain/statutory-period.js';
import { STATUS_LABELS } from '../domain/vocabulary.js';
import { insertOutboxRows, type NewOutboxRow, sendRow, smsRow } from '../feishu/outbox.js';
import { namedUuid } from '../inspections/weekly.js';
import { type ReachOptions, smsMobileOf } from '../reminders/reach.js';
import { ResponsibilityCache } from '../reminders/recipients.js';
import { fallbackNote, recipientsOf } from '../reminders/sweep/compose.js';
import { renderSmsParams } from '../sms/render.js';
import { buildStatisticsDutyCard, type UnitFigures } from './cards/statistics-duty-card.js';

export interface DutyRunResult {
  period: string;
  /** Units whose table went out this run: as a card to the principal, by SMS, relayed, or to nobody reachable. */
  cards: number;
  sms: number;
  relayed: number;
  unreachable: number;
  /** Unconfirmed principals reminded this run. */
  reminded: number;
}

const BATCH = 200;

interface UnitRow {
  id: number;
  code: string;
  name: string;
  region_id: number;
  department_id: number | null;
}

/** The units' figures for the period, in two set-based queries whatever their number. */
export async function unitFigures(
  db: Db,
  unitIds: number[],
  period: StatutoryPeriod,
  calendar: Calendar,
): Promise<Map<number, UnitFigures>> {
  const start = calendar.startOfLocalDay(period.from).toISOString();
  const end = calendar.startOfLocalDay(addCalendarDays(period.to, 1)).toISOString();
  const ids = intArray(unitIds);
  const counts = rowsOf<Record<string, number>>(
    await db.execute(sql`
      select enterprise_id as id,
        (count(*) filter (where grade = 'general' and reported_at >= ${start}::timestamptz))::int as gf,
        (count(*) filter (where grade = 'general' and reported_at >= ${start}::timestamptz and closed_at < ${end}::timestamptz))::int as gr,
        (count(*) filter (where grade = 'major' and reported_at >= ${start}::timestamptz))::int as mf,
        (count(*) filter (where grade = 'major' and reported_at >= ${start}::timestamptz and closed_at < ${end}::timestamptz))::int as mr,
        -- 挂牌督办: listed by the county's authority (the listing stays on the row after 摘牌), as statutory.ts counts it.
        (count(*) filter (where grade = 'major' and reported_at >= ${start}::timestamptz and listing_authority is not null))::int as ms,
        (count(*) filter (where closed_at is null or closed_at >= ${end}::timestamptz))::int as open
      from hazards h
      where enterprise_id = any(${ids}::int[]) and reported_at < ${end}::timestamptz
      group by enterprise_id`),
  );
  const majors = rowsOf<{
    enterprise_id: number;
    code: string;
    description: string;
    status: string;
    listed: boolean;
    suspended: boolean;
  }>(
    await db.execute(sql`
      select enterprise_id, code, description, status, listing_authority is not null as listed, suspended from hazards
      where enterprise_id = any(${ids}::int[]) and grade = 'major' and reported_at < ${end}::timestamptz
        and (closed_at is null or closed_at >= ${start}::timestamptz)
      order by reported_at desc, id desc`),
  );
  const result = new Map<number, UnitFigures>();
  for (const id of unitIds) {
    result.set(id, {
      general: { found: 0, rectified: 0 },
      major: { found: 0, rectified: 0, supervised: 0 },
      openAtEnd: 0,
      majors: [],
    });
  }
  for (const c of counts) {
    const f = result.get(Number(c.id))!;
    f.general = { found: Number(c.gf), rectified: Number(c.gr) };
    f.major = { found: Number(c.mf), rectified: Number(c.mr), supervised: Number(c.ms) };
    f.openAtEnd = Number(c.open);
  }
  for (const m of majors) {
    const f = result.get(Number(m.enterprise_id))!;
    if (f.majors.length >= 10) continue;
    f.majors.push({
      code: m.code,
      description: m.description,
      status: STATUS_LABELS[m.status as keyof typeof STATUS_LABELS] ?? m.status,
      listed: m.listed === true || (m.listed as unknown) === 't',
      suspended: m.suspended === true || (m.suspended as unknown) === 't',
    });
  }
  return result;
}

/** Runs the day's duty: sends the tables due to go out, and the reminders due. Idempotent. */
export async function runStatisticsDuty(
  db: Db,
  input: { calendar: Calendar; now: Date; reach: ReachOptions; afterBatch?: () => Promise<void> },
): Promise<DutyRunResult[]> {
  const today = input.calendar.localDate(input.now);
  const results: DutyRunResult[] = [];
  for (const duty of dutyPeriodsOn(today)) {
    const result: DutyRunResult = {
      period: duty.period.key,
      cards: 0,
      sms: 0,
      relayed: 0,
      unreachable: 0,
      reminded: 0,
    };
    for (;;) {
      const units = rowsOf<UnitRow>(
        await db.execute(sql`
          select e.id, e.code, e.name, e.region_id, e.department_id from enterprises e
          where e.active and e.verified and not exists (
            select 1 from statistics_confirmations s where s.enterprise_id = e.id and s.period = ${duty.period.key})
          order by e.id limit ${BATCH}`),
      );
      if (units.length === 0) break;
      await db.transaction((tx) => sendBatch(tx, units, duty.period, input, result));
      await input.afterBatch?.();
    }
    if (duty.remind) result.reminded = await remindUnconfirmed(db, duty.period, input);
    results.push(result);
  }
  return results;
}

async function sendBatch(
  tx: Db,
  units: UnitRow[],
  period: StatutoryPeriod,
  input: { calendar: Calendar; now: Date; reach: ReachOptions },
  result: DutyRunResult,
): Promise<void> {
  const figures = await unitFigures(
    tx,
    units.map((u) => Number(u.id)),
    period,
    input.calendar,
  );
  const chain = new ResponsibilityCache();
  const keyOf = (u: UnitRow) => ({
    enterpriseId: Number(u.id),
    regionId: Number(u.region_id),
    departmentId: u.department_id === null ? null : Number(u.department_id),
  });
  await chain.load(tx, units.map(keyOf));
  const planned: { unit: UnitRow; principalId: number | null; channel: string; outboxId: string | null }[] = [];
  const messages = new Map<number, NewOutboxRow[]>();
  for (const unit of units) {
    const responsibility = chain.get(keyOf(unit));
    const principal = responsibility?.principal ?? null;
    const f = figures.get(Number(unit.id))!;
    const card = (mode: 'ask' | 'relay', note?: string) =>
      buildStatisticsDutyCard({
        unitName: unit.name,
        unitCode: unit.code,
        principalName: principal?.name ?? null,
        period,
        figures: f,
        mode,
        note,
      });
    const rows: NewOutboxRow[] = [];
    let channel = 'none';
    let outboxId: string | null = null;
    if (principal?.openId) {
      outboxId = namedUuid(`statistics:${period.key}:${unit.code}`);
      rows.push(
        sendRow(
          {
            to: { openId: principal.openId },
            msgType: 'interactive',
            content: card('ask'),
            topic: `statistics:${period.key}:${unit.code}`,
          },
          outboxId,
        ),
      );
      channel = 'card';
    } else {
      const resolved = recipientsOf(
        { who: ['enterprise_principal'] },
        { unit: responsibility, responsible: null, reporter: null },
        input.reach,
      );
      const notes = resolved.fallbacks.map((x) => fallbackNote(x, input.reach));
      for (const r of resolved.recipients) {
        const phone = smsMobileOf(r.person, input.reach);
        if (r.role === 'enterprise_principal' && phone) {
          rows.push(
            smsRow({
              phone,
              params: renderSmsParams({
                hazardCode: period.key,
                unitName: unit.name,
                deadline: period.due,
                ask: '请核对统计分析表并签字报送',
                link: null,
              }),
              topic: `statistics:${period.key}:${unit.code}:sms`,
            }),
          );
          channel = 'sms';
        } else if (r.person.openId) {
          const who = principal ? `主要负责人${principal.name}` : '单位主要负责人';
          const note =
            `${notes.join('；') || '单位主要负责人无法在飞书确认'}。` +
            `请转告${who}核对本表并在纸质统计分析表上签字，于 ${period.due} 前报送；主要负责人加入飞书并登记到名录后，可在飞书中确认。`;
          rows.push(
            sendRow({
              to: { openId: r.person.openId },
              msgType: 'interactive',
              content: card('relay', note),
              topic: `statistics:${period.key}:${unit.code}:relay`,
            }),
          );
          if (channel === 'none') channel = 'relay';
        }
      }
    }
    if (channel === 'card') result.cards += 1;
    else if (channel === 'sms') result.sms += 1;
    else if (channel === 'relay') result.relayed += 1;
    else result.unreachable += 1;
    planned.push({ unit, principalId: principal ? principal.id : null, channel, outboxId });
    messages.set(Number(unit.id), rows);
  }
  // The claim: only the units whose row this transaction wrote get their messages.
  const json = planned.map((p) => ({
    e: Number(p.unit.id),
    p: p.principalId,
    c: p.channel,
    o: p.outboxId,
    f: figures.get(Number(p.unit.id)),
  }));
  const claimed = rowsOf<{ enterprise_id: number }>(
    await tx.execute(sql`
      insert into statistics_confirmations (enterprise_id, period, principal_id, channel, outbox_id, figures, sent_at)
      select x.e, ${period.key}, x.p, x.c, x.o, x.f, ${input.now.toISOString()}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(json)}::jsonb) as x(e int, p int, c text, o uuid, f jsonb)
      on conflict (enterprise_id, period) do nothing
      returning enterprise_id`),
  );
  const rows = claimed.flatMap((c) => messages.get(Number(c.enterprise_id)) ?? []);
  if (rows.length > 0) await tx.execute(insertOutboxRows(rows));
}

/** One reminder to each principal (on Feishu) who has not confirmed, from the reminder day on. */
async function remindUnconfirmed(db: Db, period: StatutoryPeriod, input: { calendar: Calendar; now: Date }) {
  return db.transaction(async (tx) => {
    const due = rowsOf<{
      id: number;
      code: string;
      name: string;
      open_id: string;
      principal_name: string;
      figures: UnitFigures | string;
    }>(
      await tx.execute(sql`
        update statistics_confirmations s set reminded_at = ${input.now.toISOString()}::timestamptz
        from enterprises e join people p on p.id = e.principal_id and p.active and p.open_id is not null
        where s.enterprise_id = e.id and s.period = ${period.key} and s.confirmed_at is null
          and s.reminded_at is null and e.active
        returning s.id, e.code, e.name, p.open_id, p.name as principal_name, s.figures`),
    );
    const rows = due.map((d) =>
      sendRow(
        {
          to: { openId: d.open_id },
          msgType: 'interactive',
          content: buildStatisticsDutyCard({
            unitName: d.name,
            unitCode: d.code,
            principalName: d.principal_name,
            period,
            figures: typeof d.figures === 'string' ? (JSON.parse(d.figures) as UnitFigures) : d.figures,
            mode: 'ask',
            reminder: `提醒：本表尚未确认，须于 ${period.due} 前签字报送`,
          }),
          topic: `statistics:${period.key}:${d.code}:remind`,
        },
        namedUuid(`statistics-remind:${period.key}:${d.code}`),
      ),
    );
    if (rows.length > 0) await tx.execute(insertOutboxRows(rows));
    return rows.length;
  });
}

export interface ConfirmOutcome {
  toast: { type: 'success' | 'info' | 'warning'; content: string };
  card?: object;
}

/** 确认 on a unit's card: only the unit's principal (as the directory has it now) may confirm; once. */
export async function confirmStatistics(
  db: Db,
  input: { unitCode: string; periodKey: string; operatorOpenId: string; now: Date; calendar: Calendar },
): Promise<ConfirmOutcome> {
  const period = parsePeriod(input.periodKey);
  return db.transaction(async (tx): Promise<ConfirmOutcome> => {
    const [row] = rowsOf<{
      id: number;
      name: string;
      principal_id: number | null;
      principal_name: string | null;
      principal_open_id: string | null;
      figures: UnitFigures | string;
      confirmed_at: string | Date | null;
      confirmed_by: string | null;
    }>(
      await tx.execute(sql`
        select s.id, e.name, e.principal_id, p.name as principal_name, p.open_id as principal_open_id, s.figures,
          s.confirmed_at, c.name as confirmed_by
        from statistics_confirmations s join enterprises e on e.id = s.enterprise_id
        left join people p on p.id = e.principal_id and p.active
        left join people c on c.id = s.confirmed_by_id
        where e.code = ${input.unitCode} and s.period = ${input.periodKey}
        for update of s`),
    );
    if (!row || !period) return { toast: { type: 'warning', content: '没有找到这份统计分析表，卡片可能已过期' } };
    const figures = typeof row.figures === 'string' ? (JSON.parse(row.figures) as UnitFigures) : row.figures;
    const card = (by: string, at: Date) =>
      buildStatisticsDutyCard({
        unitName: row.name,
        unitCode: input.unitCode,
        principalName: row.principal_name,
        period,
        figures,
        mode: 'confirmed',
        confirmed: { by, at: localText(input.calendar, at) },
      });
    if (row.confirmed_at) {
      const at = new Date(row.confirmed_at);
      return {
        toast: { type: 'info', content: `已确认（${row.confirmed_by ?? ''}，${localText(input.calendar, at)}）` },
        card: card(row.confirmed_by ?? '', at),
      };
    }
    if (!row.principal_open_id || row.principal_open_id !== input.operatorOpenId) {
      const who = row.principal_name ? `主要负责人${row.principal_name}` : '主要负责人（名录中尚未登记）';
      return { toast: { type: 'warning', content: `只有${row.name}的${who}可以确认本表` } };
    }
    await tx
      .update(statisticsConfirmations)
      .set({ confirmedAt: input.now, confirmedById: row.principal_id })
      .where(and(eq(statisticsConfirmations.id, Number(row.id)), isNull(statisticsConfirmations.confirmedAt)));
    return {
      toast: { type: 'success', content: '已确认，确认记录即为签字' },
      card: card(row.principal_name ?? '', input.now),
    };
  });
}

function localText(calendar: Calendar, at: Date): string {
  const local = calendar.toLocal(at);
  return `${local.date} ${local.time}`;
}
