/**
 * Keeps the sweep's progress true to the settings in force. How far the reminder sweep has got
 * (`reminder_sweep_state`) is worked out under one policy and calendar; a new policy file (a step added or moved),
 * other quiet hours, or another year in the holiday table moves steps, and an occurrence that moved into time the
 * sweep had already passed would never be read. So each start compares a fingerprint of the settings with the one
 * stored; when they differ, the sweep's horizon goes back to the start (every open hazard counts as changed) and
 * the catch-up sweep works their steps out again. Nothing is sent twice: the steps already sent are in
 * `reminder_steps`; reminders that expired meanwhile (their deadline passed) are not sent.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { stepCalendar } from '../domain/index.js';
import type { ReminderSettings } from './settings.js';
import { rearmSweep } from './sweep/lease.js';

/**
 * What decides when steps fall due: the policy, the wall clock, the day counting and, when any step counts working
 * days (all day-relative steps under DEADLINE_DAY_COUNTING=working; the 复查 clock's always), the holidays.
 */
export function settingsFingerprint(settings: ReminderSettings): string {
  // The tips' answer clock keeps no horizon (each sweep reads the unanswered tips afresh): a change to it alone must
  // not make the next sweep read every open hazard again.
  const { tips: _tipClock, ...policy } = settings.policy;
  const { calendar } = settings;
  const { timeZone, dayCounting, quietHours, holidays } = calendar.settings;
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ policy, timeZone, dayCounting, quietHours }));
  const workingDays =
    dayCounting === 'working' ||
    policy.steps.some((step) => stepCalendar(step, calendar).settings.dayCounting === 'working');
  if (workingDays) hash.update(JSON.stringify([holidays.years, holidays.holidays, holidays.workdays]));
  return hash.digest('hex');
}

export interface RearmResult {
  changed: boolean;
  /** Open hazards the next sweep evaluates again. */
  rearmed: number;
}

/**
 * Re-arms every open hazard when the settings differ from those stored (or none are stored: a database from before
 * this check), then stores the fingerprint. Safe to repeat and to run on two replicas at once; a start that dies
 * half-way re-arms again next time, since the fingerprint is stored last.
 */
export async function rearmIfSettingsChanged(db: Db, fingerprint: string, now: Date): Promise<RearmResult> {
  const stored = rowsOf<{ fingerprint: string }>(
    await db.execute(sql`select fingerprint from reminder_settings_state where id = 1`),
  )[0];
  if (stored?.fingerprint === fingerprint) return { changed: false, rearmed: 0 };
  await rearmSweep(db, now);
  const open = rowsOf<{ n: number }>(
    await db.execute(sql`select count(*)::int as n from hazards where status <> 'closed'`),
  )[0];
  await db.execute(sql`
    insert into reminder_settings_state (id, fingerprint, applied_at) values (1, ${fingerprint}, ${now.toISOString()})
    on conflict (id) do update set fingerprint = excluded.fingerprint, applied_at = excluded.applied_at`);
  return { changed: true, rearmed: Number(open?.n ?? 0) };
}
