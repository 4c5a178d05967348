/**
 * The daily digest (每日督办简报): one card per leader for their scope — new, due soon, overdue (red / yellow /
 * green), closed — never one message per hazard. A `digest_deliveries (day, person)` row claims each card, in the
 * same transaction as its outbox row, so a leader gets one a day however many replicas or retries run it.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { addCalendarDays, type Calendar, type DigestSettings } from '../domain/index.js';
import { enqueueMessages } from '../feishu/outbox.js';
import { buildDigestCard, type DigestCoverage, type DigestItem } from './cards.js';

export interface DigestResult {
  day: string;
  dryRun: boolean;
  digests: { to: { name: string; openId: string }; scope: string; counts: Record<string, number> }[];
  /** Leaders without a Feishu open_id. */
  unreachable: number;
}

interface LeaderScope {
  kind: 'county' | 'region' | 'department';
  id: number;
  code: string;
  name: string;
}

export interface DigestOptions {
  dryRun?: boolean;
  /**
   * How many gaps the directory has (gaps.ts): the county leaders' digest names them until they are filled (product.md:
   * "the county leaders' digest names the directory's gaps"). Counted once per run, and only when a county leader
   * gets a digest.
   */
  directoryGaps?: () => Promise<number>;
  /**
   * Inspection coverage of a leader's scopes (检查覆盖, from the inspection plans), for the card's coverage line; null
   * leaves it off. Asked once per distinct scope.
   */
  coverage?: (scopes: DigestScope[]) => Promise<DigestCoverage | null>;
  /** The web view's overview (查看详情 on every digest card); undefined = no web view, no link. */
  overviewUrl?: string | undefined;
}

/** A scope a leader holds, as the digest reads it. */
export type DigestScope = Pick<LeaderScope, 'kind' | 'id'>;

const TOP_ITEMS = 5;
const DAY_MS = 86_400_000;

export async function sendDailyDigests(
  db: Db,
  settings: DigestSettings,
  calendar: Calendar,
  at: Date,
  options: DigestOptions = {},
): Promise<DigestResult> {
  const day = calendar.localDate(at);
  const soon = addCalendarDays(day, settings.dueSoonDays);
  const since = new Date(at.getTime() - DAY_MS).toISOString();
  const rows = rowsOf<{
    person_id: number;
    name: string;
    open_id: string | null;
    scope_kind: string;
    scope_id: number;
    scope_code: string | null;
    scope_name: string | null;
  }>(
    await db.execute(sql`
      select p.id as person_id, p.name, p.open_id, ra.scope_kind, ra.scope_id,
        coalesce(r.code, d.code) as scope_code, coalesce(r.name, d.name) as scope_name
      from role_assignments ra
      join people p on p.id = ra.person_id and p.active
      left join regions r on ra.scope_kind = 'region' and r.id = ra.scope_id
      left join departments d on ra.scope_kind = 'department' and d.id = ra.scope_id
      where ra.role = any(${`{${settings.who.join(',')}}`}::text[]) and ra.scope_kind in ('county', 'region', 'department')
      order by p.id, ra.scope_kind, ra.scope_id`),
  );
  const leaders = new Map<number, { name: string; openId: string | null; scopes: LeaderScope[] }>();
  for (const row of rows) {
    const id = Number(row.person_id);
    const leader = leaders.get(id) ?? { name: row.name, openId: row.open_id, scopes: [] };
    const kind = row.scope_kind as LeaderScope['kind'];
    if (!leader.scopes.some((s) => s.kind === kind && s.id === Number(row.scope_id))) {
      leader.scopes.push({
        kind,
        id: Number(row.scope_id),
        code: row.scope_code ?? 'county',
        name: kind === 'county' ? '全县' : (row.scope_name ?? ''),
      });
    }
    leaders.set(id, leader);
  }

  const result: DigestResult = { day, dryRun: options.dryRun === true, digests: [], unreachable: 0 };
  let directoryGaps: Promise<number> | undefined;
  // Leaders of one township share its coverage: asked once per scope.
  const coverageByScope = new Map<string, Promise<DigestCoverage | null>>();
  for (const [personId, leader] of leaders) {
    if (!leader.openId) {
      result.unreachable += 1;
      continue;
    }
    // A county scope covers everything; otherwise the union of the leader's townships and departments.
    const county = leader.scopes.some((s) => s.kind === 'county');
    const scopes = county ? leader.scopes.filter((s) => s.kind === 'county').slice(0, 1) : leader.scopes;
    const where = scopeCondition(scopes);
    const [counts] = rowsOf<Record<string, number | string>>(
      await db.execute(sql`
        select
          count(*) filter (where h.reported_at >= ${since}::timestamptz) as new,
          count(*) filter (where h.status = 'closed' and h.closed_at >= ${since}::timestamptz) as closed,
          count(*) filter (where h.status <> 'closed') as open,
          count(*) filter (where h.status in ('reported', 'rectifying') and h.deadline < ${day}::date) as overdue,
          count(*) filter (where h.status in ('reported', 'rectifying') and h.deadline >= ${day}::date
            and h.deadline <= ${soon}::date) as due_soon
        from hazards h where ${where}`),
    );
    const n = (key: string) => Number(counts?.[key] ?? 0);
    const top = async (condition: SQL) =>
      rowsOf<{ code: string; name: string; deadline: string }>(
        await db.execute(sql`
          select h.code, e.name, to_char(h.deadline, 'YYYY-MM-DD') as deadline
          from hazards h join enterprises e on e.id = h.enterprise_id
          where ${where} and h.status in ('reported', 'rectifying') and ${condition}
          order by h.deadline, h.id limit ${TOP_ITEMS}`),
      );
    const daysFrom = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / DAY_MS);
    const overdue: DigestItem[] = (await top(sql`h.deadline < ${day}::date`)).map((r) => ({
      code: r.code,
      enterpriseName: r.name,
      deadline: r.deadline,
      days: daysFrom(r.deadline, day) - 1,
    }));
    const dueSoon: DigestItem[] = (await top(sql`h.deadline >= ${day}::date and h.deadline <= ${soon}::date`)).map(
      (r) => ({ code: r.code, enterpriseName: r.name, deadline: r.deadline, days: daysFrom(day, r.deadline) }),
    );
    const c = {
      new: n('new'),
      closed: n('closed'),
      open: n('open'),
      overdue: n('overdue'),
      dueSoon: n('due_soon'),
      onTrack: n('open') - n('overdue') - n('due_soon'),
    };
    const scopeName = scopes.map((s) => s.name).join('、');
    const scopeKey = scopes.map((s) => (s.kind === 'county' ? 'county' : `${s.kind}:${s.code}`)).join(',');
    // Township and department leaders cannot complete the directory; the county's leaders see that it needs it.
    if (county && options.directoryGaps) directoryGaps ??= options.directoryGaps();
    const gaps = county && directoryGaps ? await directoryGaps : 0;
    let coverage: DigestCoverage | null = null;
    if (options.coverage) {
      const ask = options.coverage;
      let pending = coverageByScope.get(scopeKey);
      if (!pending) {
        pending = ask(scopes.map(({ kind, id }) => ({ kind, id })));
        coverageByScope.set(scopeKey, pending);
      }
      coverage = await pending;
    }
    const card = buildDigestCard(
      {
        day,
        leaderName: leader.name,
        scopeName,
        counts: c,
        overdue,
        dueSoon,
        dueSoonDays: settings.dueSoonDays,
        directoryGaps: gaps,
        coverage,
        ...(options.overviewUrl ? { overviewUrl: options.overviewUrl } : {}),
      },
      scopeKey,
    );
    const entry = { to: { name: leader.name, openId: leader.openId }, scope: scopeName, counts: c };
    if (options.dryRun) {
      result.digests.push(entry);
      continue;
    }
    const sent = await db.transaction(async (tx) => {
      const claimed = rowsOf(
        await tx.execute(sql`
          insert into digest_deliveries (day, person_id, sent_at) values (${day}::date, ${personId}, ${at.toISOString()}::timestamptz)
          on conflict do nothing returning person_id`),
      );
      if (claimed.length === 0) return false;
      await enqueueMessages(tx, [
        { to: { openId: leader.openId! }, msgType: 'interactive', content: card, topic: `digest:${day}:${personId}` },
      ]);
      return true;
    });
    if (sent) result.digests.push(entry);
  }
  return result;
}

function scopeCondition(scopes: LeaderScope[]): SQL {
  const parts = scopes.map((s) => {
    if (s.kind === 'county') return sql`true`;
    if (s.kind === 'department') return sql`h.department_id = ${s.id}`;
    return sql`h.region_id in (
      with recursive down(id) as (
        select ${s.id}::int union all select r.id from regions r join down on r.parent_id = down.id)
      select id from down)`;
  });
  return parts.length ? sql`(${sql.join(parts, sql` or `)})` : sql`false`;
}
