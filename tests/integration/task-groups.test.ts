/**
 * 专班群 (issue 21 point 8) and the unit's group chat (point 6), end to end: a major hazard reported in chat gets a
 * group made by the bot through the simulator — its people added by open_id, the living card pinned, every later
 * step posted, renamed 已销号 on closing — even when the group API fails or answers nothing at first (exactly one
 * group); people who cannot be added are handled; a general hazard gets no group; a unit with a chat hears of its
 * hazards' registration and closing; with TASK_GROUPS and NOTIFY_UNIT_CHAT off, none of it.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createCalendar } from '../../src/domain/calendar.js';
import { type Json, reportThroughChat, titleOf } from '../support/chat.js';
import { COUNTY_DIRECTORY, rows } from '../support/reminders.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'groups-test-admin-token-0123456789';
const calendar = createCalendar();
const UNIT_CHAT = 'oc_unit_e001_staff';
/** 王书记 has no Feishu account in the directory; 赵局长's open_id is unknown to Feishu (the simulator). */
const DIRECTORY = {
  ...COUNTY_DIRECTORY,
  people: COUNTY_DIRECTORY.people.map((p) => (p.code === 'p-tml' ? { ...p, openId: undefined } : p)),
  enterprises: COUNTY_DIRECTORY.enterprises.map((e) => (e.code === 'e001' ? { ...e, chatId: UNIT_CHAT } : e)),
};
const deadline = calendar.addDays(calendar.localDate(new Date()), 10).date;
const FORM = {
  enterprise: '某某化工有限公司',
  sector: '危险化学品',
  level: 'major',
  description: '储罐区可燃气体报警器失效',
  location: '储罐区',
  measures: '更换报警器并检定（内部备注：老板不配合）',
  standard: '报警器检定合格',
  deadline: `${deadline} +0800`,
  suspend: 'no',
};

async function start(env: Record<string, string> = {}): Promise<TestService> {
  // A short Feishu timeout: a create call the simulator performs but never answers is retried within the test.
  // Today at 10:00 Beijing time, whenever the suite runs: the sweep 25 hours on must not fall in quiet hours.
  const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
  const clock = new ManualClock(new Date(`${today}T10:00:00+08:00`));
  const service = await startTestService({ ADMIN_TOKEN: TOKEN, ...env }, { feishuTimeoutMs: 1500, clock });
  for (const person of DIRECTORY.people) {
    if (person.openId && person.openId !== 'ou_dl') service.sim.addUser({ openId: person.openId, name: person.name });
  }
  service.sim.addChat({ chatId: UNIT_CHAT, name: '某某化工员工群', memberOpenIds: ['ou_resp'] });
  const response = await fetch(`${service.url}/api/admin/directory`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(DIRECTORY),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return service;
}

async function report(s: TestService, overrides: Record<string, string> = {}) {
  const { code, body } = await reportThroughChat(s.sim, 'ou_insp', { ...FORM, ...overrides });
  expect(code, JSON.stringify(body)).toBeTruthy();
  return code!;
}

const botGroups = (s: TestService) => s.sim.chats().filter((c) => c.createdByBot);
const textsIn = (s: TestService, chatId: string) =>
  s.sim.messages({ to: chatId, msgType: 'text' }).map((m) => m.content.text as string);
const countRows = async (s: TestService, table: 'task_groups') =>
  Number(
    rows<{ n: number }>(await s.testDb.database.db.execute(sql.raw(`select count(*)::int as n from ${table}`)))[0]!.n,
  );

describe('专班群 and the unit group (TASK_GROUPS, NOTIFY_UNIT_CHAT on)', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('a major hazard gets one group with its people, the card pinned, each step posted, renamed 已销号 on closing', async () => {
    // The group API fails, then performs a create without answering: the hazard is registered all the same.
    s.sim.faults.failNext('chat.create', { status: 500, code: 500 });
    s.sim.faults.acceptButNoAnswer('chat.create');
    const code = await report(s);
    const [hazard] = rows<{ id: number; status: string }>(
      await s.testDb.database.db.execute(sql`select id, status from hazards where code = ${code}`),
    );
    expect(hazard?.status).toBe('rectifying');
    // A step taken while the group is still being made (its creation waits out the faults) is posted once it exists.
    const notice = await eventually(
      () => s.sim.messages({ to: 'ou_resp', msgType: 'interactive' }).find((m) => titleOf(m.content).includes(code)),
      10_000,
      'the notice',
    );
    const ack = await s.sim.clickCard('ou_resp', notice.messageId, { value: { action: 'hazard.acknowledge', code } });
    expect((ack.body as Json).toast.type).toBe('success');

    const group = await eventually(() => botGroups(s).find((c) => c.name.includes(code)), 15_000, 'the 专班群');
    expect(group.name).toBe(`【重大隐患】${code} 某某化工有限公司`);
    // The unanswered call made the group; its retry, with the same uuid, answers that group, recorded at last.
    await eventually(
      async () =>
        rows<{ chat_id: string | null }>(
          await s.testDb.database.db.execute(sql`select chat_id from task_groups where hazard_id = ${hazard!.id}`),
        )[0]?.chat_id === group.chatId || undefined,
      15_000,
      'the chat_id recorded',
    );
    // Three create calls (failed, unanswered, answered), all with the hazard's uuid: one group.
    const creates = s.sim.calls.filter((c) => c.api === 'chat.create');
    expect(creates.length).toBe(3);
    expect(new Set(creates.map((c) => c.query.uuid))).toEqual(new Set([`hazard-group-${hazard!.id}`]));
    expect(creates.map((c) => c.query.user_id_type)).toEqual(['open_id', 'open_id', 'open_id']);
    expect(botGroups(s)).toHaveLength(1);

    // Members by open_id: responsible (the principal), township leader in charge, county leader, the reporter.
    await eventually(() => group.memberOpenIds.length >= 4 || undefined, 10_000, 'members added');
    expect([...group.memberOpenIds].sort()).toEqual(['ou_cl', 'ou_insp', 'ou_resp', 'ou_tlc']);
    const add = s.sim.calls.find((c) => c.api === 'chat_members.create')!;
    expect(add.query).toMatchObject({ member_id_type: 'open_id', succeed_type: '1' });
    expect((add.body as Json).id_list).toContain('ou_dl');
    expect((add.response as Json).data.not_existed_id_list).toEqual(['ou_dl']);

    // The living card is posted in the group and pinned.
    await eventually(() => group.pinnedMessageIds?.length || undefined, 10_000, 'the pinned card');
    const pinned = s.sim.message(group.pinnedMessageIds![0]!)!;
    expect(pinned.chatId).toBe(group.chatId);
    expect(pinned.msgType).toBe('interactive');
    expect(JSON.stringify(pinned.content)).toContain('储罐区可燃气体报警器失效');

    // Who is not in the group: the reporter hears of both, with why.
    const told = await eventually(
      () => s.sim.messages({ to: 'ou_insp', msgType: 'text' }).find((m) => m.content.text.includes('未能入群')),
      10_000,
      'the reporter told who is not in the group',
    );
    expect(told.content.text).toContain('赵局长（飞书账号不存在');
    expect(told.content.text).toContain('王书记（尚未加入飞书');
    // 赵局长's one-to-one word was tried (Feishu refuses an open_id it does not know).
    await eventually(
      () =>
        s.sim.calls.find(
          (c) =>
            c.api === 'message.create' &&
            (c.body as Json)?.receive_id === 'ou_dl' &&
            JSON.stringify(c.body).includes('未能把您加入'),
        ),
      10_000,
      'the one-to-one word to 赵局长',
    );

    // The unit's staff group hears of the registration: number, what, deadline — not the measures' private note.
    const registered = await eventually(
      () => textsIn(s, UNIT_CHAT).find((t) => t.includes(code)),
      10_000,
      'the unit chat post',
    );
    expect(registered).toContain('储罐区可燃气体报警器失效');
    expect(registered).toContain(deadline);
    expect(registered).not.toContain('内部备注');
    expect(registered).not.toContain('孙检查');

    // Steps: the responsible person submits the rectification, the inspector accepts it.
    const submitted = await s.sim.clickCard('ou_resp', notice.messageId, {
      value: { action: 'hazard.submitRectification', code },
      formValue: { rectification: '已更换报警器并送检' },
    });
    expect((submitted.body as Json).toast.type).toBe('success');
    await eventually(
      () => textsIn(s, group.chatId).find((t) => t.includes('提交整改：已更换报警器并送检')),
      10_000,
      'the step posted in the group',
    );
    const verify = await eventually(
      () =>
        s.sim
          .messages({ to: 'ou_insp', msgType: 'interactive' })
          .find((m) => titleOf(m.content).includes('请验收') && titleOf(m.content).includes(code)),
      10_000,
      'the verify card',
    );
    const accepted = await s.sim.clickCard('ou_insp', verify.messageId, { value: { action: 'hazard.accept', code } });
    expect((accepted.body as Json).toast.content).toContain('销号');

    await eventually(() => group.name.includes('已销号') || undefined, 10_000, 'the group renamed');
    expect(group.name).toBe(`【重大隐患·已销号】${code} 某某化工有限公司`);
    await eventually(
      () => textsIn(s, group.chatId).find((t) => t.includes('验收通过')),
      10_000,
      'the acceptance posted in the group',
    );
    const steps = textsIn(s, group.chatId);
    expect(steps.some((t) => t.includes('确认接收'))).toBe(true);
    // The registration's own entries are on the pinned card, not posted again.
    expect(steps.some((t) => t.includes('指定整改责任人') || t.includes('上报重大隐患'))).toBe(false);
    expect(steps.every((t) => t.startsWith(`【${code}】`))).toBe(true);
    // Each step once, however often the worker passed.
    expect(steps.filter((t) => t.includes('提交整改'))).toHaveLength(1);
    // The pinned card shows the hazard as it now stands.
    await eventually(() => JSON.stringify(s.sim.message(pinned.messageId)!.content).includes('已销号') || undefined);

    const closed = await eventually(
      () => textsIn(s, UNIT_CHAT).find((t) => t.includes('销号') && t.includes(code)),
      10_000,
      'the unit chat closing post',
    );
    expect(closed).toContain(calendar.localDate(new Date()));
    expect(s.sim.calls.filter((c) => c.api === 'chat.update')).toHaveLength(1);
  });

  it('when Feishu refuses the whole add-members call, each person hears why, and the group still gets its card', async () => {
    s.sim.faults.failNext('chat_members.create', { status: 400, code: 232024, msg: 'no collaboration permission' });
    const code = await report(s, { description: '液氨管道腐蚀减薄' });
    const group = await eventually(() => botGroups(s).find((c) => c.name.includes(code)), 10_000, 'the group');
    await eventually(() => group.pinnedMessageIds?.length || undefined, 10_000, 'the pinned card');
    expect(group.memberOpenIds).toEqual([]);
    for (const openId of ['ou_resp', 'ou_tlc', 'ou_cl']) {
      const word = await eventually(
        () =>
          s.sim
            .messages({ to: openId, msgType: 'text' })
            .find((m) => m.content.text.includes(code) && m.content.text.includes('未能把您加入')),
        10_000,
        `the word to ${openId}`,
      );
      expect(word.content.text).toContain('不在应用可用范围内');
    }
    const summary = await eventually(
      () =>
        s.sim
          .messages({ to: 'ou_insp', msgType: 'text' })
          .find((m) => m.content.text.includes(code) && m.content.text.includes('未能入群')),
      10_000,
      'the reporter told',
    );
    for (const name of ['张责任', '李分管', '钱县长', '您本人', '王书记']) expect(summary.content.text).toContain(name);

    // The policy's steps go to the group too: 24 hours without 确认接收, the sweep reminds the responsible person.
    (s.clock as ManualClock).advance(25 * 3_600_000);
    const swept = await fetch(`${s.url}/api/admin/sweep`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(swept.status).toBe(200);
    const reminded = await eventually(
      () => textsIn(s, group.chatId).find((t) => t.includes('督办提醒')),
      10_000,
      'the reminder posted in the group',
    );
    expect(reminded).toBe(
      `【${code}】督办提醒：指派 24 小时未确认接收，已通知整改责任人（${calendar.toLocal((s.clock as ManualClock).now()).date} ${calendar.toLocal((s.clock as ManualClock).now()).time}）`,
    );
    // The 挂牌督办 sent at report time is on the card, not posted again.
    expect(textsIn(s, group.chatId).filter((t) => t.includes('督办提醒'))).toHaveLength(1);
  });

  it('a general hazard gets no group; its unit chat hears of it', async () => {
    const before = botGroups(s).length;
    const rowsBefore = await countRows(s, 'task_groups');
    const code = await report(s, { level: 'general', description: '配电箱门未关' });
    await eventually(() => textsIn(s, UNIT_CHAT).find((t) => t.includes(code)), 10_000, 'the unit chat post');
    expect(textsIn(s, UNIT_CHAT).find((t) => t.includes(code))).toContain('一般隐患');
    expect(await countRows(s, 'task_groups')).toBe(rowsBefore);
    expect(botGroups(s)).toHaveLength(before);
  });
});

describe('with TASK_GROUPS and NOTIFY_UNIT_CHAT off', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await start({ TASK_GROUPS: 'off', NOTIFY_UNIT_CHAT: 'off' });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('a major hazard gets no group and the unit chat hears nothing', async () => {
    const code = await report(s);
    // The report's own notices go out: by then the registration's work is done.
    await eventually(
      () => s.sim.messages({ to: 'ou_resp', msgType: 'interactive' }).find((m) => titleOf(m.content).includes(code)),
      10_000,
      'the notice',
    );
    await new Promise((r) => setTimeout(r, 800));
    expect(await countRows(s, 'task_groups')).toBe(0);
    expect(botGroups(s)).toHaveLength(0);
    expect(s.sim.calls.filter((c) => c.api.startsWith('chat.'))).toHaveLength(0);
    expect(s.sim.messages({ to: UNIT_CHAT })).toHaveLength(0);
  });
});
