/**
 * Keeps the stored schedules true to the settings in force. `hazard_schedules.next_due_at` is worked out under one
 * policy and calendar; a new policy file (a step added or moved), other quiet hours, or another year in the holiday
 * table moves steps, and a hazard whose next instant was stored under the old settings would wait for it: a step
 * now due earlier would go out late. So each start compares a fingerprint of the settings with the one stored; when
 * they differ, every open hazard's schedule is re-armed (next_due_at = -infinity, as the trigger does on a change of
 * the hazard) and the catch-up sweep works their steps out again. Nothing is sent twice: the steps already sent are
 * on the schedule rows and in `reminder_steps`; reminders that expired meanwhile (their deadline passed) are not sent.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import type { ReminderSettings } from './settings.js';

/** Schedule rows re-armed per statement: short transactions, so users' changes to hazards never wait long. */
const REARM_CHUNK = 5000;

/** What decides when steps fall due: the policy, the wall clock, the day counting and (for working days) the holidays. */
export function settingsFingerprint(settings: ReminderSettings): string {
  const { policy, calendar } = settings;
  const { timeZone, dayCounting, quietHours, holidays } = calendar.settings;
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ policy, timeZone, dayCounting, quietHours }));
  if (dayCounting === 'working') hash.update(JSON.stringify([holidays.years, holidays.holidays, holidays.workdays]));
  return hash.digest('hex');
}

export interface RearmResult {
  changed: boolean;
  /** Schedule rows of open hazards re-armed. */
  rearmed: number;
}

/**
 * Re-arms every open hazard's schedule when the settings differ from those stored (or none are stored: a database
 * from before this check), then stores the fingerprint. Safe to repeat and to run on two replicas at once; a start
 * that dies half-way re-arms again next time, since the fingerprint is stored last.
 */
export async function rearmIfSettingsChanged(db: Db, fingerprint: string, now: Date): Promise<RearmResult> {
  const stored = rowsOf<{ fingerprint: string }>(
    await db.execute(sql`select fingerprint from reminder_settings_state where id = 1`),
  )[0];
  if (stored?.fingerprint === fingerprint) return { changed: false, rearmed: 0 };
  let rearmed = 0;
  for (let after = 0; ; ) {
    const chunk = rowsOf<{ last: number | null; n: number }>(
      await db.execute(sql`
        with ids as (
          select hazard_id from hazard_schedules where hazard_id > ${after}
          order by hazard_id limit ${sql.raw(String(REARM_CHUNK))}),
        rearmed as (
          update hazard_schedules s set next_due_at = '-infinity', evaluated_at = null
          from ids, hazards h
          where s.hazard_id = ids.hazard_id and h.id = s.hazard_id and h.status <> 'closed'
          returning 1)
        select (select max(hazard_id) from ids) as last, (select count(*)::int from rearmed) as n`),
    )[0];
    if (!chunk || chunk.last === null) break;
    rearmed += Number(chunk.n);
    after = Number(chunk.last);
  }
  await db.execute(sql`
    insert into reminder_settings_state (id, fingerprint, applied_at) values (1, ${fingerprint}, ${now.toISOString()})
    on conflict (id) do update set fingerprint = excluded.fingerprint, applied_at = excluded.applied_at`);
  return { changed: true, rearmed };
}
