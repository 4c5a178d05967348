/**
 * 群众举报 in the statistics (统计, /api/stats, the ledger xlsx): the tips of a scope by source (unit QR code, township
 * poster, the page; 实名 or 匿名), by result (accepted, declined by reason, confirmed, unfounded, open), how many working
 * days the tipster waited for the first answer (median, max), and the rewards (count, amount, paid). One grouped query
 * over `tips` (a county's tips are thousands, not millions): its groups are (status, reason, accepted, channel, named,
 * received day, answered day), the working days counted here.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { type Calendar, workingDaysBetween } from '../domain/index.js';
import {
  DECLINE_REASON_LABELS,
  DECLINE_REASONS,
  type DeclineReason,
  TIP_CHANNEL_LABELS,
  TIP_CHANNELS,
  type TipChannel,
} from '../domain/tip.js';

export interface TipStats {
  total: number;
  /** How they came in, every channel listed (0 when none). */
  bySource: { channel: TipChannel; label: string; count: number }[];
  /** With a name or phone (实名) and without (匿名). */
  named: number;
  anonymous: number;
  /** Taken (受理) at some point, whatever came after. */
  accepted: number;
  declined: { total: number; byReason: { reason: DeclineReason; label: string; count: number }[] };
  confirmed: number;
  unfounded: number;
  /** Not yet decided: received or accepted. */
  open: number;
  /** Working days from the tip to its first answer, over the answered ones; null when none is. */
  answerDays: { answered: number; median: number | null; max: number | null };
  /** Open tips past the answer duty are the clock's business; here: rewards recorded, their sum, those paid. */
  rewards: { count: number; amountYuan: number; paid: number; paidYuan: number };
}

interface Group {
  status: string;
  reason: string | null;
  accepted: boolean | string;
  channel: string;
  named: boolean | string;
  received_on: string;
  answered_on: string | null;
  n: number;
  rewards: number;
  reward_sum: string | number;
  paid: number;
  paid_sum: string | number;
}

const yuan = (value: string | number) => Math.round(Number(value) * 100) / 100;

export async function computeTipStats(db: Db, input: { where: SQL; calendar: Calendar }): Promise<TipStats> {
  const zone = input.calendar.timeZone;
  const groups = rowsOf<Group>(
    await db.execute(sql`
      select status, decline_reason as reason, accepted_at is not null as accepted, channel,
        (tipster_name is not null or tipster_phone is not null) as named,
        to_char(received_at at time zone ${zone}, 'YYYY-MM-DD') as received_on,
        to_char(first_answered_at at time zone ${zone}, 'YYYY-MM-DD') as answered_on,
        count(*)::int as n, count(reward_amount)::int as rewards, coalesce(sum(reward_amount), 0) as reward_sum,
        count(*) filter (where reward_paid)::int as paid,
        coalesce(sum(reward_amount) filter (where reward_paid), 0) as paid_sum
      from tips where ${input.where}
      group by 1, 2, 3, 4, 5, 6, 7`),
  );
  const stats: TipStats = {
    total: 0,
    bySource: TIP_CHANNELS.map((channel) => ({ channel, label: TIP_CHANNEL_LABELS[channel], count: 0 })),
    named: 0,
    anonymous: 0,
    accepted: 0,
    declined: {
      total: 0,
      byReason: DECLINE_REASONS.map((reason) => ({ reason, label: DECLINE_REASON_LABELS[reason], count: 0 })),
    },
    confirmed: 0,
    unfounded: 0,
    open: 0,
    answerDays: { answered: 0, median: null, max: null },
    rewards: { count: 0, amountYuan: 0, paid: 0, paidYuan: 0 },
  };
  const waits: { days: number; n: number }[] = [];
  for (const g of groups) {
    const n = Number(g.n);
    stats.total += n;
    const source = stats.bySource.find((s) => s.channel === g.channel) ?? stats.bySource.at(-1)!;
    source.count += n;
    if (g.named === true || g.named === 't') stats.named += n;
    else stats.anonymous += n;
    if (g.accepted === true || g.accepted === 't') stats.accepted += n;
    if (g.status === 'declined') {
      stats.declined.total += n;
      const reason = stats.declined.byReason.find((r) => r.reason === g.reason);
      if (reason) reason.count += n;
    } else if (g.status === 'confirmed') stats.confirmed += n;
    else if (g.status === 'unfounded') stats.unfounded += n;
    else stats.open += n;
    if (g.answered_on) waits.push({ days: workingDaysBetween(g.received_on, g.answered_on, input.calendar), n });
    stats.rewards.count += Number(g.rewards);
    stats.rewards.amountYuan = yuan(stats.rewards.amountYuan + Number(g.reward_sum));
    stats.rewards.paid += Number(g.paid);
    stats.rewards.paidYuan = yuan(stats.rewards.paidYuan + Number(g.paid_sum));
  }
  const answered = waits.reduce((sum, w) => sum + w.n, 0);
  if (answered > 0) {
    waits.sort((a, b) => a.days - b.days);
    stats.answerDays = { answered, median: medianOf(waits, answered), max: waits.at(-1)!.days };
  }
  return stats;
}

/** The median of counted values sorted ascending (the mean of the middle two for an even count). */
function medianOf(sorted: { days: number; n: number }[], total: number): number {
  const at = (index: number) => {
    let seen = 0;
    for (const w of sorted) {
      seen += w.n;
      if (index < seen) return w.days;
    }
    return sorted.at(-1)!.days;
  };
  const middle = Math.floor(total / 2);
  return total % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

/** The 统计 card's lines for the tips (nothing when the scope has none). */
export function tipStatsLines(t: TipStats): string | null {
  if (t.total === 0) return null;
  const reasons = t.declined.byReason.filter((r) => r.count > 0).map((r) => `${r.label} ${r.count}`);
  const wait =
    t.answerDays.answered > 0
      ? `答复用时：中位 ${t.answerDays.median} 个工作日，最长 ${t.answerDays.max} 个工作日（已答复 ${t.answerDays.answered} 件）`
      : '答复用时：暂无已答复的举报';
  return [
    `**群众举报** 共 **${t.total}** 件：受理 ${t.accepted}，不予受理 ${t.declined.total}${reasons.length ? `（${reasons.join('，')}）` : ''}，属实 ${t.confirmed}，不属实 ${t.unfounded}，待处理 ${t.open}`,
    `来源：${t.bySource.map((s) => `${s.label} ${s.count}`).join('，')}；实名 ${t.named}，匿名 ${t.anonymous}`,
    wait,
    `举报奖励：${t.rewards.count} 件，共 ${t.rewards.amountYuan.toFixed(2)} 元，已发放 ${t.rewards.paid} 件 ${t.rewards.paidYuan.toFixed(2)} 元`,
  ].join('\n');
}
