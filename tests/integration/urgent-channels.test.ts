/**
 * Policy channels urgent_sms and urgent_phone (issue 21 point 10): a step on them gets the card, in-app 加急 and then
 * Feishu's SMS / phone 加急 for the same people, within a daily budget per channel counted in the database. Past the
 * budget — or when Feishu answers that the tenant's quota is used up (230024) — the step keeps its in-app 加急, the
 * log says so with the step and the hazard, and /metrics counts it. The default policy sends neither.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createCalendar } from '../../src/domain/calendar.js';
import { DEFAULT_POLICY_JSON, parsePolicy } from '../../src/domain/escalation-policy.js';
import { reportThroughChat } from '../support/chat.js';
import { COUNTY_DIRECTORY, rows } from '../support/reminders.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'urgent-test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const calendar = createCalendar();

/** The default policy with `major-reported` on `channel`, told to `who`. */
function policyFile(channel: string, who: string[]): string {
  const steps = DEFAULT_POLICY_JSON.steps.map((s) => (s.id === 'major-reported' ? { ...s, channel, who } : s));
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'policy-')), 'policy.json');
  writeFileSync(file, JSON.stringify({ ...DEFAULT_POLICY_JSON, steps }));
  return file;
}

/** The service's log lines, as JSON. */
function logSink() {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('policy channels urgent_sms and urgent_phone', () => {
  let service: TestService | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  async function start(env: Record<string, string>, logger?: pino.Logger): Promise<TestService> {
    service = await startTestService({ ADMIN_TOKEN: TOKEN, ...env }, logger ? { logger } : {});
    for (const person of COUNTY_DIRECTORY.people) service.sim.addUser({ openId: person.openId, name: person.name });
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(COUNTY_DIRECTORY),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return service;
  }

  async function reportMajor(s: TestService, description: string) {
    const { code, body } = await reportThroughChat(s.sim, 'ou_insp', {
      enterprise: '某某化工有限公司',
      sector: '危险化学品',
      level: 'major',
      description,
      location: '储罐区',
      measures: '更换报警器并检定',
      standard: '报警器检定合格',
      deadline: `${calendar.addDays(calendar.localDate(new Date()), 10).date} +0800`,
      suspend: 'no',
    });
    expect(code, JSON.stringify(body)).toBeTruthy();
    return code!;
  }

  /** The 加急 each person got on messages about `code`, as `kind:openId`. */
  const urgentsAbout = (s: TestService, code: string) =>
    s.sim
      .messages()
      .filter((m) => m.rawContent.includes(code))
      .flatMap((m) => m.urgents.flatMap((u) => u.userIds.map((id) => `${u.kind}:${id}`)))
      .sort();

  const metric = async (s: TestService, name: string) =>
    (await (await fetch(`${s.url}/metrics`)).text()).split('\n').filter((l) => l.startsWith(name));

  it('the policy file accepts the new channels, and the default policy uses neither', () => {
    expect(DEFAULT_POLICY_JSON.steps.map((s) => s.channel).filter((c) => c.startsWith('urgent_'))).toEqual([]);
    for (const channel of ['urgent_sms', 'urgent_phone']) {
      const steps = DEFAULT_POLICY_JSON.steps.map((s) => ({ ...s, channel }));
      expect(parsePolicy({ ...DEFAULT_POLICY_JSON, steps }).ok, channel).toBe(true);
    }
    const wrong = DEFAULT_POLICY_JSON.steps.map((s) => ({ ...s, channel: 'phone' }));
    expect(parsePolicy({ ...DEFAULT_POLICY_JSON, steps: wrong }).ok).toBe(false);
  });

  it('urgent_phone: the right people once; a budget of 2 people → the second hazard falls back to in-app, logged and counted', async () => {
    const sink = logSink();
    const s = await start(
      {
        ESCALATION_POLICY_FILE: policyFile('urgent_phone', ['township_leader_in_charge', 'county_leader']),
        URGENT_PHONE_DAILY_BUDGET: '2',
      },
      sink.logger,
    );
    const first = await reportMajor(s, '储罐区可燃气体报警器失效');
    await eventually(() => urgentsAbout(s, first).filter((u) => u.startsWith('phone:')).length === 2 || undefined);
    // Each leader: one message, buzzed in the app and by phone — exactly once each.
    expect(urgentsAbout(s, first)).toEqual(['app:ou_cl', 'app:ou_tlc', 'phone:ou_cl', 'phone:ou_tlc']);
    // A sweep does not send the step again.
    const swept = await fetch(`${s.url}/api/admin/sweep`, { method: 'POST', headers: auth, body: '{}' });
    expect(swept.status).toBe(200);

    // The budget (2 people a day) is spent: the next hazard's leaders get in-app 加急 only.
    const second = await reportMajor(s, '液氯装卸未使用万向管道');
    await eventually(() => urgentsAbout(s, second).length === 2 || undefined);
    const fallback = await eventually(() => sink.lines.find((l) => l.msg?.includes('电话加急未发出')));
    expect(fallback.level).toBe(40);
    expect(fallback.msg).toContain(second);
    expect(fallback.msg).toContain('major-reported');
    expect(fallback.reason).toBe('budget');
    await new Promise((r) => setTimeout(r, 200));
    expect(urgentsAbout(s, second)).toEqual(['app:ou_cl', 'app:ou_tlc']);
    expect(urgentsAbout(s, first)).toHaveLength(4);
    expect(await metric(s, 'feishu_urgent_fallbacks_total')).toEqual([
      'feishu_urgent_fallbacks_total{channel="phone",reason="budget"} 2',
    ]);
    expect(await metric(s, 'feishu_urgent_calls_total')).toEqual(['feishu_urgent_calls_total{channel="phone"} 2']);
    const [budget] = rows<{ used: number; refused: number }>(
      await s.testDb.database.db.execute(sql`select used, refused from urgent_budget_days where channel = 'phone'`),
    );
    expect(budget).toEqual({ used: 2, refused: 2 });
  });

  it('urgent_sms: Feishu’s quota error (230024) falls back to in-app, and the default policy sends no sms/phone', async () => {
    const sink = logSink();
    const s = await start(
      { ESCALATION_POLICY_FILE: policyFile('urgent_sms', ['county_leader']), URGENT_SMS_DAILY_BUDGET: '100' },
      sink.logger,
    );
    s.sim.setUrgentQuota('sms', 1);
    const first = await reportMajor(s, '储罐区可燃气体报警器失效');
    await eventually(() => urgentsAbout(s, first).length === 2 || undefined);
    expect(urgentsAbout(s, first)).toEqual(['app:ou_cl', 'sms:ou_cl']);
    const second = await reportMajor(s, '液氯装卸未使用万向管道');
    const fallback = await eventually(() => sink.lines.find((l) => l.msg?.includes('短信加急未发出')));
    expect(fallback.reason).toBe('quota');
    expect(fallback.msg).toContain('230024');
    expect(fallback.msg).toContain(second);
    expect(urgentsAbout(s, second)).toEqual(['app:ou_cl']);
    expect(await metric(s, 'feishu_urgent_fallbacks_total')).toEqual([
      'feishu_urgent_fallbacks_total{channel="sms",reason="quota"} 1',
    ]);
    await s.stop();
    service = undefined;

    // The default policy: 加急 in the app, never by SMS or phone.
    const d = await start({});
    const code = await reportMajor(d, '储罐区可燃气体报警器失效');
    await eventually(() => urgentsAbout(d, code).length >= 3 || undefined);
    expect(urgentsAbout(d, code).every((u) => u.startsWith('app:'))).toBe(true);
    expect(d.sim.calls.filter((c) => /urgent_(sms|phone)/.test(c.api))).toEqual([]);
  });
});
