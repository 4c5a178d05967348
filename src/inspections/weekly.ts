/**
 * The weekly to-inspect card (每周待检): on Mondays, with the daily digest, each inspector with units due or overdue
 * in their scope gets one card listing them, nearest due first. One card per inspector and week however many
 * replicas or retries run it: the outbox row's id is derived from (week, person), and a row already there is not
 * written again.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { addCalendarDays, type Calendar, weekdayOf } from '../domain/index.js';
import { insertOutboxRows, sendRow } from '../feishu/outbox.js';
import { describeScope, resolvePersonScope } from '../ledger/scope.js';
import { buildToInspectCard, TO_INSPECT_LISTED } from './cards/to-inspect-card.js';
import { coverageTotals, toInspectFor } from './coverage.js';
import { ensureCurrentDraws } from './plans/store.js';

export interface WeeklyToInspectResult {
  week: string;
  /** Inspectors who got a card this run (a retry sends none twice). */
  sent: number;
  /** Inspectors with nothing due (no card). */
  nothingDue: number;
  /** Inspectors without a Feishu open_id. */
  unreachable: number;
}

/** The Monday of `day`'s week (local). */
function mondayOf(day: string): string {
  return addCalendarDays(day, -((weekdayOf(day) + 6) % 7));
}

/** A UUID fixed by its name: the same (week, person) always gives the same outbox row id. */
export function namedUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  // Shaped as a version-5-style UUID (RFC 4122 variant bits), so PostgreSQL's uuid type takes it.
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Sends the week's cards when `at` falls on a Monday (local); on other days does nothing and answers null. `force`
 * sends on any day (tests, an admin's manual run).
 */
export async function sendWeeklyToInspect(
  db: Db,
  calendar: Calendar,
  at: Date,
  options: { force?: boolean; afterEach?: () => Promise<void> } = {},
): Promise<WeeklyToInspectResult | null> {
  const today = calendar.localDate(at);
  if (!options.force && weekdayOf(today) !== 1) return null;
  const week = mondayOf(today);
  // A sampling plan's draw is made at its period's first use; the weekly card is one.
  await ensureCurrentDraws(db, today, at);
  const inspectors = rowsOf<{ id: number; open_id: string | null }>(
    await db.execute(sql`
      select distinct p.id, p.open_id from role_assignments ra join people p on p.id = ra.person_id and p.active
      where ra.role = 'inspector' order by p.id`),
  );
  const result: WeeklyToInspectResult = { week, sent: 0, nothingDue: 0, unreachable: 0 };
  for (const inspector of inspectors) {
    if (!inspector.open_id) {
      result.unreachable += 1;
      continue;
    }
    const id = namedUuid(`inspect-weekly:${week}:${inspector.id}`);
    const known = rowsOf(await db.execute(sql`select 1 from outbox where id = ${id}::uuid`));
    if (known.length > 0) continue;
    const scope = await resolvePersonScope(db, Number(inspector.id));
    const toInspect = await toInspectFor(db, scope, today, { limit: TO_INSPECT_LISTED });
    if (toInspect.total === 0) {
      result.nothingDue += 1;
      continue;
    }
    const card = buildToInspectCard({
      scopeName: await describeScope(db, scope),
      today,
      totals: await coverageTotals(db, scope, today),
      toInspect,
      weekly: true,
    });
    const row = sendRow(
      {
        to: { openId: inspector.open_id },
        msgType: 'interactive',
        content: card,
        topic: `inspect-weekly:${week}:${inspector.id}`,
      },
      id,
    );
    await db.execute(insertOutboxRows([row], sql`not exists (select 1 from outbox o where o.id = ${id}::uuid)`));
    result.sent += 1;
    await options.afterEach?.();
  }
  return result;
}
