/**
 * Nobody is skipped in silence: a role of a step that resolves to nobody the bot can reach — a township without its
 * leaders, a department without a leader, a deactivated responsible person, a principal with no Feishu account —
 * falls back up the chain of responsibility; the step records whom it could not reach and whom it told instead; the
 * reporter is told at once; a step nobody at all could be told of is recorded as undelivered, not as sent.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCalendar } from '../../src/domain/calendar.js';
import type { SweepResult } from '../../src/reminders/sweep/index.js';
import { FakeSmsGateway } from '../../src/sms/fake.js';
import { type Json, reportThroughChat, titleOf } from '../support/chat.js';
import { COUNTY_DIRECTORY, insertHazard, rows } from '../support/reminders.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'chain-test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const calendar = createCalendar();

/**
 * The county of the reminder tests with its gaps: 河西镇 (town-02) has no leaders, 县市场监管局 (scjgj) no leader, and
 * 郭某 — principal of two units in 城关镇 — has no Feishu account in the tenant.
 */
function directoryWithGaps(options: { withoutCountyLeader?: boolean; responsibleGone?: boolean } = {}) {
  const people = COUNTY_DIRECTORY.people.filter(
    (p) =>
      p.code !== 'p-tlc2' &&
      !(options.withoutCountyLeader && p.code === 'p-cl') &&
      !(options.responsibleGone && p.code === 'p-resp'),
  );
  return {
    ...COUNTY_DIRECTORY,
    people: [
      ...people,
      { code: 'p-guo', name: '郭某', mobile: '13900000099', roles: [] },
      { code: 'p-new', name: '新老板', mobile: '13900000098', openId: 'ou_new', roles: [] },
    ],
    enterprises: [
      ...COUNTY_DIRECTORY.enterprises.map((e) =>
        options.responsibleGone && e.code === 'e001' ? { ...e, principal: 'p-new' } : e,
      ),
      { code: 'e003', name: '郭记五金厂', region: 'town-01', sectors: ['工贸'], department: 'yjj', principal: 'p-guo' },
      {
        code: 'e004',
        name: '郭记二厂',
        region: 'town-01',
        sectors: ['工贸'],
        department: 'yjj',
        principal: 'p-guo',
        safetyOfficer: 'p-new',
      },
    ],
  };
}

describe('the chain never drops a step (fallbacks)', () => {
  let service: TestService;
  const db = () => service.testDb.database.db;

  const importDirectory = async (directory: object) => {
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(directory),
    });
    expect(response.status, await response.clone().text()).toBe(200);
  };

  const sweep = async (at: string): Promise<SweepResult> => {
    const response = await fetch(`${service.url}/api/admin/sweep`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ at }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as SweepResult;
  };

  const stepRow = async (hazardId: number, stepKey: string) =>
    rows<{ fallbacks: Json; delivered: boolean; outbox_ids: string[] }>(
      await db().execute(
        sql`select fallbacks, delivered, outbox_ids from reminder_steps
            where hazard_id = ${hazardId} and step_key = ${stepKey}`,
      ),
    )[0];

  const cardsTo = (openId: string, code: string) =>
    service.sim.messages({ to: openId, msgType: 'interactive' }).filter((m) => m.rawContent.includes(code));

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: TOKEN });
    for (const person of directoryWithGaps().people) {
      if ('openId' in person && person.openId) service.sim.addUser({ openId: person.openId, name: person.name });
    }
    await importDirectory(directoryWithGaps());
  });
  afterAll(() => service?.stop());

  const form = (enterprise: string) => ({
    enterprise,
    sector: '工贸',
    level: 'general',
    description: '砂轮机防护罩缺失',
    location: '机加工车间',
    measures: '加装防护罩',
    standard: '防护罩完好',
    deadline: `${calendar.addDays(calendar.localDate(new Date()), 10).date} +0800`,
  });

  it('a responsible person without Feishu: the notice goes to the unit’s other key person, and the reporter is told', async () => {
    const { body, code } = await reportThroughChat(service.sim, 'ou_insp', form('郭记二厂'));
    expect(code, JSON.stringify(body)).toBeTruthy();
    expect(body.toast).toEqual({
      type: 'warning',
      content: `已登记 ${code}；整改责任人郭某尚未加入飞书，已改为通知企业安全管理员新老板`,
    });
    // The safety officer may act for the unit: they get the notice with its buttons (确认接收 …).
    const notice = await eventually(() => cardsTo('ou_new', code!)[0], 10_000, 'the notice to the safety officer');
    expect(JSON.stringify(notice.content)).toContain('确认接收');
  });

  it('a unit with nobody on Feishu: the township leader in charge is asked to get the notice to the unit', async () => {
    const { body, code } = await reportThroughChat(service.sim, 'ou_insp', form('郭记五金厂'));
    expect(body.toast.content).toBe(
      `已登记 ${code}；整改责任人郭某尚未加入飞书，已改为通知乡镇分管领导李分管，请其转告单位`,
    );
    const relay = await eventually(() => cardsTo('ou_tlc', code!)[0], 10_000, 'the relay card');
    expect(titleOf(relay.content)).toContain('请转告单位');
    expect(relay.rawContent).toContain('李分管（乡镇分管领导，代整改责任人）');
  });

  it('a township without leaders and a department without one: the sweep tells the county and records it', async () => {
    const hazard = await insertHazard(db(), {
      enterprise: 'e002',
      deadline: '2026-03-02',
      reportedAt: '2026-02-20T02:00:00Z',
      acknowledgedAt: '2026-02-20T03:00:00Z',
    });
    const result = await sweep('2026-03-06T01:00:00Z'); // 3 days overdue, 09:00 local
    const swept = result.steps.filter((s) => s.hazard === hazard.code);
    expect(swept.map((s) => s.step).sort()).toEqual(['overdue-0d', 'overdue-3d']);
    const threeDays = swept.find((s) => s.step === 'overdue-3d')!;
    expect(threeDays.delivered).toBe(true);
    expect(threeDays.to.map((t) => t.name)).toEqual(['吴老板', '钱县长']);
    expect(threeDays.fallbacks.map((f) => [f.role, f.toldRole, f.told.map((t) => t.name)])).toEqual([
      ['township_leader_in_charge', 'county_leader', ['钱县长']],
      ['township_main_leader', 'county_leader', ['钱县长']],
      ['department_leader', 'county_leader', ['钱县长']],
    ]);
    expect(result.counts.fallbacks).toBeGreaterThanOrEqual(4); // overdue-0d's township leader too
    const row = await stepRow(hazard.id, 'overdue-3d@2026-03-02');
    expect(row?.delivered).toBe(true);
    expect(((row?.fallbacks ?? []) as Json[]).map((f) => f.role)).toEqual([
      'township_leader_in_charge',
      'township_main_leader',
      'department_leader',
    ]);
    const card = await eventually(() => cardsTo('ou_cl', hazard.code).at(-1), 10_000, 'the county leader’s card');
    expect(card.rawContent).toContain('未能直接通知');
    expect(card.rawContent).toContain('乡镇主要领导空缺，已改为通知县领导钱县长');

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/reminder_fallbacks_total\{role="department_leader",told_role="county_leader"\} [1-9]/);
  });

  it('a deactivated responsible person falls back to the unit; a step nobody can be told of is not counted as sent', async () => {
    const atE001 = await insertHazard(db(), {
      enterprise: 'e001',
      deadline: '2026-04-01',
      reportedAt: '2026-03-25T02:00:00Z',
      acknowledgedAt: '2026-03-25T03:00:00Z',
    });
    const major = await insertHazard(db(), {
      enterprise: 'e002',
      grade: 'major',
      deadline: '2026-04-01',
      reportedAt: '2026-03-25T02:00:00Z',
      acknowledgedAt: '2026-03-25T03:00:00Z',
    });
    // 张责任 leaves (deactivated by the import), 新老板 is e001's principal now; and the county has no leader.
    await importDirectory(directoryWithGaps({ responsibleGone: true, withoutCountyLeader: true }));
    const before = (await (await fetch(`${service.url}/metrics`)).text()).match(
      /reminder_steps_undelivered_total\{step="major-overdue"\} (\d+)/,
    );
    const result = await sweep('2026-04-02T01:00:00Z');

    const [overdue] = result.steps.filter((s) => s.hazard === atE001.code && s.step === 'overdue-0d');
    expect(overdue?.to.map((t) => t.name)).toEqual(['新老板', '李分管']);
    expect(overdue?.fallbacks).toEqual([
      {
        role: 'responsible',
        missing: [{ code: 'p-resp', name: '张责任', reason: '已停用' }],
        toldRole: 'enterprise_principal',
        told: [{ code: 'p-new', name: '新老板' }],
      },
    ]);

    // 重大隐患超期 goes to the county leaders alone, and there are none: recorded, said, not sent.
    const [nobody] = result.steps.filter((s) => s.hazard === major.code && s.step === 'major-overdue');
    expect(nobody).toMatchObject({ delivered: false, to: [] });
    expect(nobody?.fallbacks).toEqual([{ role: 'county_leader', missing: [], toldRole: null, told: [] }]);
    expect(result.counts.undelivered).toBeGreaterThanOrEqual(1);
    const row = await stepRow(major.id, 'major-overdue@2026-04-01');
    expect(row).toMatchObject({ delivered: false, outbox_ids: [] });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const after = metrics.match(/reminder_steps_undelivered_total\{step="major-overdue"\} (\d+)/);
    expect(Number(after?.[1])).toBe(Number(before?.[1] ?? 0) + 1);
  });
});

describe('people outside Feishu, with an SMS gateway configured', () => {
  let service: TestService;
  let gateway: FakeSmsGateway;
  const db = () => service.testDb.database.db;

  beforeAll(async () => {
    gateway = new FakeSmsGateway();
    service = await startTestService(
      {
        ADMIN_TOKEN: TOKEN,
        SMS_PROVIDER: 'aliyun',
        SMS_ACCESS_KEY_ID: 'LTAI-test',
        SMS_ACCESS_KEY_SECRET: 'test-secret',
        SMS_SIGN_NAME: '某某县应急管理局',
        SMS_TEMPLATE_CODE: 'SMS_100',
      },
      { sms: { gateway } },
    );
    for (const person of directoryWithGaps().people) {
      if ('openId' in person && person.openId) service.sim.addUser({ openId: person.openId, name: person.name });
    }
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(directoryWithGaps()),
    });
    expect(response.status, await response.clone().text()).toBe(200);
  });
  afterAll(() => service?.stop());

  it('the notice and the reminders go to a principal without Feishu by SMS, and nothing falls back', async () => {
    const { body, code } = await reportThroughChat(service.sim, 'ou_insp', {
      enterprise: '郭记五金厂',
      sector: '工贸',
      level: 'general',
      description: '砂轮机防护罩缺失',
      location: '机加工车间',
      measures: '加装防护罩',
      standard: '防护罩完好',
      deadline: `${calendar.addDays(calendar.localDate(new Date()), 10).date} +0800`,
    });
    expect(body.toast).toEqual({
      type: 'warning',
      content: `已登记 ${code}；整改责任人郭某尚未加入飞书，已发短信通知（139****0099）`,
    });
    const notice = await eventually(() => gateway.to('13900000099')[0], 15_000, 'the SMS notice');
    expect(notice.params).toMatchObject({ code, unit: '郭记五金厂', action: '请确认接收并按措施整改' });
    // No relay card: the unit was reached.
    expect(service.sim.messages({ to: 'ou_tlc' }).filter((m) => m.rawContent.includes(code!))).toEqual([]);

    const hazard = await insertHazard(db(), {
      enterprise: 'e003',
      deadline: '2026-03-02',
      reportedAt: '2026-02-20T02:00:00Z',
      acknowledgedAt: '2026-02-20T03:00:00Z',
    });
    const response = await fetch(`${service.url}/api/admin/sweep`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ at: '2026-03-03T01:00:00Z' }),
    });
    const result = (await response.json()) as SweepResult;
    const [overdue] = result.steps.filter((s) => s.hazard === hazard.code && s.step === 'overdue-0d');
    expect(overdue?.to).toEqual([
      { name: '郭某', openId: null, sms: true },
      { name: '李分管', openId: 'ou_tlc' },
    ]);
    expect(overdue?.fallbacks).toEqual([]);
    const reminder = await eventually(
      () => gateway.to('13900000099').find((m) => m.params.code === hazard.code),
      15_000,
      'the overdue SMS',
    );
    expect(reminder.params.action).toBe('已超期，请立即整改');
  });
});
