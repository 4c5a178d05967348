/**
 * The escalation policy alone decides who is told the moment a hazard is reported: its `{on: 'reported'}` steps go
 * out in the report's transaction, through the same composition and writing as the sweep. A deployment's policy
 * file (ESCALATION_POLICY_FILE) that changes, renames or removes the default `major-reported` step is obeyed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createCalendar } from '../../src/domain/calendar.js';
import { DEFAULT_POLICY_JSON } from '../../src/domain/escalation-policy.js';
import { reportThroughChat, titleOf } from '../support/chat.js';
import { COUNTY_DIRECTORY, rows } from '../support/reminders.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'policy-test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const calendar = createCalendar();
const LEADERS = ['ou_cl', 'ou_dl', 'ou_tml', 'ou_tlc'];

/** The default policy with its `major-reported` step replaced (or removed, with `null`). */
function policyFile(majorReported: object | null): string {
  const steps = DEFAULT_POLICY_JSON.steps.filter((s) => s.id !== 'major-reported');
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'policy-')), 'policy.json');
  writeFileSync(
    file,
    JSON.stringify({ ...DEFAULT_POLICY_JSON, steps: majorReported ? [...steps, majorReported] : steps }),
  );
  return file;
}

describe('steps on report follow the policy file', () => {
  let service: TestService | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  async function start(policy: string): Promise<TestService> {
    service = await startTestService({ ADMIN_TOKEN: TOKEN, ESCALATION_POLICY_FILE: policy });
    for (const person of COUNTY_DIRECTORY.people) service.sim.addUser({ openId: person.openId, name: person.name });
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(COUNTY_DIRECTORY),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return service;
  }

  /** A major hazard at 某某化工有限公司 reported by the county inspector in chat; answers its code and id. */
  async function reportMajor(s: TestService) {
    const { code, body } = await reportThroughChat(s.sim, 'ou_insp', {
      enterprise: '某某化工有限公司',
      sector: '危险化学品',
      level: 'major',
      description: '储罐区可燃气体报警器失效',
      location: '储罐区',
      measures: '更换报警器并检定',
      standard: '报警器检定合格',
      deadline: `${calendar.addDays(calendar.localDate(new Date()), 10).date} +0800`,
      suspend: 'no',
    });
    expect(code, JSON.stringify(body)).toBeTruthy();
    const [row] = rows<{ id: number }>(
      await s.testDb.database.db.execute(sql`select id from hazards where code = ${code}`),
    );
    return { code: code!, id: Number(row!.id) };
  }

  const stepKeys = async (s: TestService, hazardId: number) =>
    rows<{ step_key: string }>(
      await s.testDb.database.db.execute(
        sql`select step_key from reminder_steps where hazard_id = ${hazardId} order by step_key`,
      ),
    ).map((r) => r.step_key);

  /** What each leader received about the hazard: the cards' titles, and whether any was buzzed. */
  const leadersTold = (s: TestService, code: string) =>
    Object.fromEntries(
      LEADERS.map((openId) => {
        // The listing decision (挂牌督办) is asked of the department leader whatever the policy says: not a reminder.
        const about = s.sim
          .messages({ to: openId })
          .filter((m) => m.rawContent.includes(code) && !titleOf(m.content).includes('请决定挂牌督办'));
        return [openId, about.map((m) => `${titleOf(m.content)}${m.urgents.length > 0 ? ' 加急' : ''}`)];
      }),
    );

  const sweepNow = async (s: TestService) => {
    const response = await fetch(`${s.url}/api/admin/sweep`, { method: 'POST', headers: auth, body: '{}' });
    expect(response.status).toBe(200);
    return (await response.json()) as { steps: { hazard: string; step: string }[] };
  };

  it('a changed `who` and `channel` are obeyed: the township leader in charge gets a plain card, nobody else', async () => {
    const s = await start(
      policyFile({
        id: 'major-reported',
        label: '重大隐患报告',
        who: ['township_leader_in_charge'],
        when: { on: 'reported' },
        channel: 'card',
        grades: ['major'],
        breaksQuietHours: true,
      }),
    );
    const { code, id } = await reportMajor(s);
    expect(await stepKeys(s, id)).toEqual(['major-reported@reported']);
    await eventually(() => s.sim.messages({ to: 'ou_tlc' }).some((m) => m.rawContent.includes(code)) || undefined);
    expect(leadersTold(s, code)).toEqual({
      ou_cl: [],
      ou_dl: [],
      ou_tml: [],
      ou_tlc: ['重大事故隐患报告'],
    });
  });

  it('a renamed step is sent once, at report, and never again by the sweep', async () => {
    const s = await start(
      policyFile({
        id: 'major-alert',
        label: '重大隐患速报',
        who: ['county_leader'],
        when: { on: 'reported' },
        channel: 'urgent',
        grades: ['major'],
        breaksQuietHours: true,
      }),
    );
    const { code, id } = await reportMajor(s);
    expect(await stepKeys(s, id)).toEqual(['major-alert@reported']);
    await eventually(() => s.sim.messages({ to: 'ou_cl' }).find((m) => m.rawContent.includes(code))?.urgents.length);
    const swept = await sweepNow(s);
    expect(swept.steps.filter((step) => step.hazard === code)).toEqual([]);
    expect(await stepKeys(s, id)).toEqual(['major-alert@reported']);
    expect(leadersTold(s, code)).toEqual({
      ou_cl: ['重大事故隐患报告 加急'],
      ou_dl: [],
      ou_tml: [],
      ou_tlc: [],
    });
  });

  it('a removed step sends nothing, at report or later', async () => {
    const s = await start(policyFile(null));
    const { code, id } = await reportMajor(s);
    const swept = await sweepNow(s);
    expect(swept.steps.filter((step) => step.hazard === code)).toEqual([]);
    expect(await stepKeys(s, id)).toEqual([]);
    // The responsible person still gets the rectification notice (not a policy step): wait for it, then look.
    await eventually(() => s.sim.messages({ to: 'ou_resp' }).some((m) => m.rawContent.includes(code)) || undefined);
    expect(leadersTold(s, code)).toEqual({ ou_cl: [], ou_dl: [], ou_tml: [], ou_tlc: [] });
  });
});
