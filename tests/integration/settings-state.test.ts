import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { rowsOf } from '../../src/db/rows.js';
import { DEFAULT_POLICY_JSON } from '../../src/domain/index.js';
import { loadReminderSettings } from '../../src/reminders/settings.js';
import { rearmIfSettingsChanged, settingsFingerprint } from '../../src/reminders/settings-state.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertHazard } from '../support/reminders.js';

const now = new Date('2026-11-28T09:00:00+08:00');

describe('the sweep follows the reminder settings in force', () => {
  let testDb: TestDatabase;
  const db = () => testDb.database.db;
  const ids: number[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase();
    await db().execute(sql`insert into regions (code, name, level) values ('town-01', '城关镇', 1)`);
    await db().execute(
      sql`insert into people (code, name, open_id) values ('p-boss', '赵总', 'ou_boss'), ('p-insp', '王检查', 'ou_insp')`,
    );
    await db().execute(sql`
      insert into enterprises (code, name, region_id, principal_id)
      select 'e001', '某某化工有限公司', r.id, p.id from regions r, people p where r.code = 'town-01' and p.code = 'p-boss'`);
    // 7 open hazards and one closed.
    for (let i = 0; i < 7; i++) {
      ids.push((await insertHazard(db(), { deadline: '2026-12-10', reportedAt: '2026-11-20T10:00:00+08:00' })).id);
    }
    await insertHazard(db(), { deadline: '2026-12-10', reportedAt: '2026-11-20T10:00:00+08:00', status: 'closed' });
  });
  afterAll(async () => testDb.drop());

  /** As a sweep leaves it: every hazard changed so far evaluated (the horizon at the current transaction). */
  const sweptEverything = async () => {
    await db().execute(sql`update reminder_sweep_state set changed_since = pg_current_xact_id(), swept_at = now()`);
  };
  /** The open hazards the next sweep evaluates again: those changed at or after the sweep's horizon. */
  const rearmedIds = async () =>
    rowsOf<{ id: number }>(
      await db().execute(sql`select h.id from hazards h, reminder_sweep_state s
        where h.status <> 'closed' and h.changed_xid >= s.changed_since order by h.id`),
    ).map((r) => Number(r.id));

  it('re-arms every open hazard when the settings differ from those stored, once', async () => {
    await sweptEverything();
    expect(await rearmedIds()).toEqual([]);
    // A database from before the check has no fingerprint: re-armed once.
    expect(await rearmIfSettingsChanged(db(), 'settings-a', now)).toEqual({ changed: true, rearmed: 7 });
    expect(await rearmedIds()).toEqual(ids);

    await sweptEverything();
    expect(await rearmIfSettingsChanged(db(), 'settings-a', now)).toEqual({ changed: false, rearmed: 0 });
    expect(await rearmedIds()).toEqual([]);

    // The closed hazard is not counted (7 of 8); the steps already sent stay in reminder_steps (not sent twice).
    expect(await rearmIfSettingsChanged(db(), 'settings-b', now)).toEqual({ changed: true, rearmed: 7 });
    expect(await rearmedIds()).toEqual(ids);
  });

  it('fingerprints what decides when steps fall due, and only that', () => {
    const fingerprint = (env: Record<string, string>) => settingsFingerprint(loadReminderSettings(loadConfig(env)));
    const base = fingerprint({});
    expect(fingerprint({})).toBe(base);
    expect(fingerprint({ QUIET_HOURS: '23:00-07:00' })).not.toBe(base);
    expect(fingerprint({ DEADLINE_DAY_COUNTING: 'working' })).not.toBe(base);
    expect(fingerprint({ BOT_TIMEZONE: 'Asia/Urumqi' })).not.toBe(base);
    // The log level, say, moves no step.
    expect(fingerprint({ LOG_LEVEL: 'debug' })).toBe(base);

    // Holidays move the 复查 clock (working days) even where deadlines count calendar days; under a policy with no
    // working-day step they move nothing.
    const dir = mkdtempSync(path.join(tmpdir(), 'fingerprint-'));
    const file = (name: string, content: unknown) => {
      const p = path.join(dir, name);
      writeFileSync(p, JSON.stringify(content));
      return p;
    };
    const HOLIDAYS_FILE = file('holidays.json', { 2027: { holidays: { '2027-01-01': '元旦', '2027-02-06': '春节' } } });
    expect(fingerprint({ HOLIDAYS_FILE })).not.toBe(base);
    // Without any step counting working days (the 复查 and 治理方案 clocks): holidays then move nothing.
    const withoutClock = {
      ...DEFAULT_POLICY_JSON,
      steps: DEFAULT_POLICY_JSON.steps.filter((step) => (step.when as { counting?: string }).counting !== 'working'),
    };
    const ESCALATION_POLICY_FILE = file('policy.json', withoutClock);
    expect(fingerprint({ ESCALATION_POLICY_FILE, HOLIDAYS_FILE })).toBe(fingerprint({ ESCALATION_POLICY_FILE }));
  });
});
