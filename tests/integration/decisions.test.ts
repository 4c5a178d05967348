/**
 * Decisions that must never wrong the unit (issue #18), through chat on the real service: 驳回 sets a new deadline,
 * 同意延期 never sets one in the past, 申请延期 acknowledges the notice, and nobody who rectified in any round verifies.
 * One clock for the whole file, moving forward only (the sweep's progress does too): each test lives in its own weeks.
 */
import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { hazardEvents, hazards, reminderSteps } from '../../src/db/schema/index.js';
import { sampleReportForm } from '../../src/dev/sample-county.js';
import { buttonTextsOf, elementsOf, type Json, reportThroughChat, titleOf } from '../support/chat.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'decisions-test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

const PEOPLE = [
  { code: 'insp', name: '县检查员', openId: 'ou_insp', roles: [{ role: 'inspector', scope: 'county' }] },
  // A county inspector who is also the safety officer of 东风五金厂: may rectify there, and so never verify it.
  { code: 'insp2', name: '兼职安全员', openId: 'ou_insp2', roles: [{ role: 'inspector', scope: 'county' }] },
  { code: 'boss', name: '企业老板', openId: 'ou_boss', roles: [] },
  {
    code: 'tlc',
    name: '李分管',
    openId: 'ou_tlc',
    roles: [{ role: 'township_leader_in_charge', scope: 'region:town-01' }],
  },
  { code: 'tml', name: '王书记', openId: 'ou_tml', roles: [{ role: 'township_main_leader', scope: 'region:town-01' }] },
  { code: 'dl', name: '赵局长', openId: 'ou_dl', roles: [{ role: 'department_leader', scope: 'department:yjj' }] },
  { code: 'cl', name: '钱县长', openId: 'ou_cl', roles: [{ role: 'county_leader', scope: 'county' }] },
];

const DIRECTORY = {
  regions: [
    { code: 'county-x', name: '某县', parent: null },
    { code: 'town-01', name: '城关镇', parent: 'county-x' },
  ],
  departments: [{ code: 'yjj', name: '县应急管理局', sectors: ['工贸', '危险化学品'] }],
  people: PEOPLE,
  enterprises: [
    {
      code: 'e001',
      name: '城关化工有限公司',
      region: 'town-01',
      sectors: ['危险化学品'],
      department: 'yjj',
      principal: 'boss',
    },
    {
      code: 'e004',
      name: '东风五金厂',
      region: 'town-01',
      sectors: ['工贸'],
      department: 'yjj',
      principal: 'boss',
      safetyOfficer: 'insp2',
    },
  ],
};

const cardText = (card: Json) => JSON.stringify(card);
/** A local (Asia/Shanghai) wall-clock time as an ISO instant. */
const at = (text: string) => `${text.replace(' ', 'T')}:00+08:00`;

describe('decisions that never wrong the unit (issue #18)', () => {
  let service: TestService;
  const clock = new ManualClock(at('2026-05-11 10:00'));

  const db = () => service.deps.database.db;
  const cards = (openId: string) => service.sim.messages({ to: openId, msgType: 'interactive' });
  const texts = (openId: string) => service.sim.messages({ to: openId, msgType: 'text' });
  const hazardRow = async (code: string) => (await db().select().from(hazards).where(eq(hazards.code, code)))[0]!;
  const trail = async (code: string) =>
    db()
      .select()
      .from(hazardEvents)
      .where(eq(hazardEvents.hazardId, (await hazardRow(code)).id))
      .orderBy(asc(hazardEvents.id));
  const stepKeys = async (code: string) =>
    (
      await db()
        .select()
        .from(reminderSteps)
        .where(eq(reminderSteps.hazardId, (await hazardRow(code)).id))
    )
      .map((s) => s.stepKey)
      .sort();
  const click = (openId: string, messageId: string, value: Json, formValue?: Record<string, string>) =>
    service.sim.clickCard(openId, messageId, { value, formValue }).then((d) => d.body as Json);
  /** The newest card to `openId` about `code` (whose title holds `title`). */
  const cardAbout = (openId: string, code: string, title?: string) =>
    eventually(
      () =>
        cards(openId)
          .filter((m) => titleOf(m.content).includes(code) && (!title || titleOf(m.content).includes(title)))
          .at(-1),
      10_000,
      `a card about ${code} to ${openId}`,
    );
  /** A click on a card forwarded to someone else (the simulator's own chats would not show it to them). */
  const forwardedClick = async (openId: string, card: { messageId: string; chatId: string }, value: Json) =>
    (
      await service.sim.deliver({
        schema: '2.0',
        header: {
          event_id: randomUUID(),
          event_type: 'card.action.trigger',
          create_time: String(Date.now() * 1000),
          token: service.sim.verificationToken,
          app_id: service.sim.appId,
          tenant_key: 'tenant',
        },
        event: {
          operator: { tenant_key: 'tenant', open_id: openId },
          token: `c-${randomUUID()}`,
          action: { value, tag: 'button', form_value: { reject_reason: '复核不合格' } },
          host: 'im_message',
          context: { open_message_id: card.messageId, open_chat_id: card.chatId },
        },
      })
    ).body as Json;
  /** Reports through chat as the county inspector, at the clock's time; answers the hazard's code. */
  async function report(deadline: string, overrides: Record<string, string> = {}) {
    const result = await reportThroughChat(service.sim, 'ou_insp', { ...sampleReportForm(deadline), ...overrides });
    expect(result.code, JSON.stringify(result.body)).toBeTruthy();
    return result.code!;
  }
  /** The sweep at a local time, as the admin API runs it; answers its JSON. */
  async function sweep(text: string): Promise<Json> {
    const response = await fetch(`${service.url}/api/admin/sweep`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ at: at(text) }),
    });
    const answer = (await response.json()) as Json;
    expect(response.status, JSON.stringify(answer)).toBe(200);
    return answer;
  }
  /** The steps of one hazard in a sweep's answer, as `step → sorted recipients`. */
  function stepsOf(answer: Json, code: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const s of answer.steps.filter((s: Json) => s.hazard === code)) {
      out[s.step] = s.to.map((t: Json) => t.openId).sort();
    }
    return out;
  }
  const sweepAt = async (text: string, code: string) => stepsOf(await sweep(text), code);
  const field = (card: Json, name: string) => elementsOf(card).find((e) => e.name === name);

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: TOKEN }, { clock });
    for (const p of PEOPLE) service.sim.addUser({ openId: p.openId, name: p.name });
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(DIRECTORY),
    });
    expect(response.status, await response.text()).toBe(200);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('驳回 after the deadline: no overdue step at the rejection; the new deadline’s steps go later, once', async () => {
    clock.set(at('2026-05-11 10:00'));
    const code = await report('2026-05-18');
    const notice = await cardAbout('ou_boss', code, '整改通知');
    clock.set(at('2026-05-11 11:00'));
    await click('ou_boss', notice.messageId, { action: 'hazard.acknowledge', code });
    expect(await sweepAt('2026-05-15 09:00', code)).toEqual({ 'due-in-3d': ['ou_boss'] });

    // Submitted two days before the deadline.
    clock.set(at('2026-05-16 10:00'));
    await click(
      'ou_boss',
      notice.messageId,
      { action: 'hazard.submitRectification', code },
      { rectification: '已接地' },
    );
    const verify = await cardAbout('ou_insp', code, '请验收');
    const form = elementsOf(verify.content).find((e) => e.tag === 'form' && e.name === 'reject_form');
    const picker = form.elements.find((e: Json) => e.name === 'deadline');
    expect(picker).toMatchObject({ tag: 'date_picker' });
    expect(picker.initial_date).toBeUndefined();
    expect(cardText(form)).toContain('不选则为驳回之日起 2 天');
    // Held by the inspector: waiting for verification is not overdue.
    expect(await sweepAt('2026-05-20 09:00', code)).toEqual({});

    // Five days after the deadline. A past date is refused beside the field, nothing typed lost, nothing stored.
    clock.set(at('2026-05-23 10:00'));
    const past = await click(
      'ou_insp',
      verify.messageId,
      { action: 'hazard.reject', code },
      { reject_reason: '接地电阻仍超标', deadline: '2026-05-22 +0800' },
    );
    expect(past.toast).toEqual({ type: 'error', content: '整改期限不能早于今天（2026-05-23）' });
    expect(field(past.card.data, 'reject_reason').default_value).toBe('接地电阻仍超标');
    expect(field(past.card.data, 'deadline').initial_date).toBe('2026-05-22');
    expect(cardText(past.card.data)).toContain('⚠ 整改期限不能早于今天（2026-05-23）');
    expect(buttonTextsOf(past.card.data)).toEqual(['验收通过', '驳回']);
    expect((await hazardRow(code)).status).toBe('pending_verification');

    // No date picked: the two days the unit had left, from today.
    const rejected = await click(
      'ou_insp',
      verify.messageId,
      { action: 'hazard.reject', code },
      { reject_reason: '接地电阻仍超标' },
    );
    expect(rejected.toast).toEqual({ type: 'success', content: '已驳回，退回整改；新的整改期限为 2026-05-25' });
    expect(titleOf(rejected.card.data)).toBe(`已驳回：接地电阻仍超标，退回整改，期限 2026-05-25｜${code}`);
    const row = await hazardRow(code);
    expect(row).toMatchObject({ status: 'rectifying', deadline: '2026-05-25', supervision: 'none' });
    expect(row.deadlineSetAt).toEqual(new Date(at('2026-05-23 10:00')));
    const last = (await trail(code)).at(-1)!;
    expect(last).toMatchObject({
      type: 'rejected',
      details: { reason: '接地电阻仍超标', deadline: '2026-05-25', previousDeadline: '2026-05-18' },
    });
    const back = await cardAbout('ou_boss', code, '整改被驳回');
    expect(cardText(back.content)).toContain('**定期限**：2026-05-25');
    expect(cardText(back.content)).toContain('整改期限 2026-05-18 → 2026-05-25');

    // At the rejection: no overdue-0d, -3d or -7d, no escalation to the township or the county.
    expect(await sweepAt('2026-05-23 10:05', code)).toEqual({});
    expect(await sweepAt('2026-05-24 09:00', code)).toEqual({ 'due-in-1d': ['ou_boss'] });
    expect(await sweepAt('2026-05-26 07:30', code)).toEqual({ 'overdue-0d': ['ou_boss', 'ou_tlc'] });
    expect(await sweepAt('2026-05-26 09:00', code)).toEqual({});
    expect(await stepKeys(code)).toEqual(['due-in-1d@2026-05-25', 'due-in-3d@2026-05-18', 'overdue-0d@2026-05-25']);
  });

  it('驳回 before the deadline keeps what the unit had left; a picked date is taken as picked', async () => {
    clock.set(at('2026-05-27 10:00'));
    const code = await report('2026-06-03');
    const notice = await cardAbout('ou_boss', code, '整改通知');
    // Submitted on 05-28: six days left.
    clock.set(at('2026-05-28 10:00'));
    await click('ou_boss', notice.messageId, { action: 'hazard.submitRectification', code }, { rectification: '一' });
    const verify = await cardAbout('ou_insp', code, '请验收');
    clock.set(at('2026-05-30 16:00'));
    const rejected = await click(
      'ou_insp',
      verify.messageId,
      { action: 'hazard.reject', code },
      { reject_reason: '否' },
    );
    expect(rejected.toast.content).toBe('已驳回，退回整改；新的整改期限为 2026-06-05');
    expect((await hazardRow(code)).deadline).toBe('2026-06-05');

    clock.set(at('2026-05-31 10:00'));
    await click('ou_boss', notice.messageId, { action: 'hazard.submitRectification', code }, { rectification: '二' });
    const verify2 = await eventually(() => {
      const list = cards('ou_insp').filter((m) => titleOf(m.content) === `整改已提交，请验收｜${code}`);
      return list.length >= 2 ? list.at(-1) : undefined;
    });
    const picked = await click(
      'ou_insp',
      verify2.messageId,
      { action: 'hazard.reject', code },
      { reject_reason: '仍不合格', deadline: '2026-06-12 +0800' },
    );
    expect(picked.toast.content).toBe('已驳回，退回整改；新的整改期限为 2026-06-12');
    expect((await hazardRow(code)).deadline).toBe('2026-06-12');
  });

  it('同意延期 after the date asked has passed asks for a date (days asked, from today); before it, takes the date asked', async () => {
    clock.set(at('2026-06-01 10:00'));
    const late = await report('2026-06-10');
    const onTime = await report('2026-06-10');
    const lateNotice = await cardAbout('ou_boss', late, '整改通知');
    const onTimeNotice = await cardAbout('ou_boss', onTime, '整改通知');

    // Asked on 06-05 for 06-19: fourteen days.
    clock.set(at('2026-06-05 10:00'));
    for (const [code, notice] of [
      [late, lateNotice],
      [onTime, onTimeNotice],
    ] as const) {
      const asked = await click(
        'ou_boss',
        notice.messageId,
        { action: 'hazard.requestExtension', code },
        { new_deadline: '2026-06-19 +0800', extension_reason: '设备待采购' },
      );
      expect(asked.toast.type).toBe('success');
    }
    const decideOnTime = await cardAbout('ou_insp', onTime, '延期申请待审批');
    const decideLate = await cardAbout('ou_insp', late, '延期申请待审批');
    expect(cardText(decideLate.content)).toContain('**申请时间**：2026-06-05 10:00');
    expect(elementsOf(decideLate.content).some((e) => e.tag === 'date_picker' && e.name === 'approved_deadline')).toBe(
      false,
    );

    // Before the date asked: approved as asked.
    clock.set(at('2026-06-08 10:00'));
    const approved = await click('ou_insp', decideOnTime.messageId, {
      action: 'hazard.approveExtension',
      code: onTime,
    });
    expect(approved.toast).toEqual({ type: 'success', content: '已同意延期，整改期限已更新' });
    expect(titleOf(approved.card.data)).toBe(`已同意延期至 2026-06-19｜${onTime}`);
    expect(await hazardRow(onTime)).toMatchObject({ deadline: '2026-06-19', extensionDeadline: null });

    // After it: the card asks for a date, offering 14 days from today; nothing changes yet.
    clock.set(at('2026-06-22 09:00'));
    const asking = await click('ou_insp', decideLate.messageId, { action: 'hazard.approveExtension', code: late });
    expect(asking.toast).toEqual({
      type: 'warning',
      content: '申请延期至 2026-06-19，该日期已过，请选择新的整改期限后再点「同意延期」',
    });
    const picker = field(asking.card.data, 'approved_deadline');
    expect(picker).toMatchObject({ tag: 'date_picker', initial_date: '2026-07-06' });
    expect(cardText(asking.card.data)).toContain('同意延期须另定整改期限，默认自今天起 14 天（与申请的天数相同）');
    expect(buttonTextsOf(asking.card.data)).toEqual(['同意延期', '不同意延期']);
    expect(await hazardRow(late)).toMatchObject({ deadline: '2026-06-10', extensionDeadline: '2026-06-19' });

    // A past date picked is refused beside the picker, kept as picked.
    const pastPick = await click(
      'ou_insp',
      decideLate.messageId,
      { action: 'hazard.approveExtension', code: late },
      { decision_reason: '同意', approved_deadline: '2026-06-21 +0800' },
    );
    expect(pastPick.toast).toEqual({ type: 'error', content: '整改期限不能早于今天（2026-06-22）' });
    expect(field(pastPick.card.data, 'approved_deadline').initial_date).toBe('2026-06-21');
    expect(field(pastPick.card.data, 'decision_reason').default_value).toBe('同意');
    expect((await hazardRow(late)).deadline).toBe('2026-06-10');

    const done = await click(
      'ou_insp',
      decideLate.messageId,
      { action: 'hazard.approveExtension', code: late },
      { approved_deadline: '2026-07-06 +0800' },
    );
    expect(done.toast).toEqual({
      type: 'success',
      content: '已同意延期，整改期限定为 2026-07-06（未采用申请的 2026-06-19）',
    });
    const row = await hazardRow(late);
    expect(row).toMatchObject({ deadline: '2026-07-06', extensionDeadline: null });
    expect(row.deadlineSetAt).toEqual(new Date(at('2026-06-22 09:00')));
    expect((await trail(late)).at(-1)).toMatchObject({
      type: 'extension_approved',
      details: { from: '2026-06-10', to: '2026-07-06', requested: '2026-06-19' },
    });
    const toldLate = () => texts('ou_boss').find((m) => m.content.text.startsWith(`${late}：延期申请已同意`));
    expect((await eventually(toldLate, 10_000, 'the text to the responsible person')).content.text).toBe(
      `${late}：延期申请已同意。申请的 2026-06-19 审批时已过，审批人另定整改期限为 2026-07-06。`,
    );
    // The new date's reminders go out in their time.
    expect(await sweepAt('2026-06-22 09:05', late)).toEqual({});
    expect(await sweepAt('2026-07-03 09:00', late)).toEqual({ 'due-in-3d': ['ou_boss'] });
  });

  it('申请延期 acknowledges the notice: no "not acknowledged" reminder at +25 h', async () => {
    clock.set(at('2026-07-10 10:00'));
    const asked = await report('2026-07-20');
    const silent = await report('2026-07-20');
    const notice = await cardAbout('ou_boss', asked, '整改通知');
    clock.set(at('2026-07-10 12:00'));
    const answer = await click(
      'ou_boss',
      notice.messageId,
      { action: 'hazard.requestExtension', code: asked },
      { new_deadline: '2026-07-31 +0800', extension_reason: '需停产检修' },
    );
    expect(answer.toast.type).toBe('success');
    expect((await hazardRow(asked)).acknowledgedAt).toEqual(new Date(at('2026-07-10 12:00')));
    expect((await trail(asked)).slice(-2).map((e) => e.type)).toEqual(['acknowledged', 'extension_requested']);
    expect(cardText(answer.card.data)).toContain('（已确认接收）');

    const swept = await sweep('2026-07-11 11:00');
    expect(stepsOf(swept, asked)).toEqual({});
    // The same hazard left alone gets the reminder in the same sweep.
    expect(stepsOf(swept, silent)).toEqual({ 'unacknowledged-24h': ['ou_boss'] });
    expect(await stepKeys(asked)).toEqual([]);
  });

  it('nobody who rectified in any round verifies: the first round’s rectifier is refused on the second', async () => {
    clock.set(at('2026-07-20 10:00'));
    const code = await report('2026-07-31', {
      enterprise: '东风五金厂',
      sector: '工贸',
      responsible: 'safety_officer',
    });
    // Round 1: the safety officer (a county inspector too) rectifies; the reporting inspector rejects.
    const notice = await cardAbout('ou_insp2', code, '整改通知');
    clock.set(at('2026-07-21 10:00'));
    await click('ou_insp2', notice.messageId, { action: 'hazard.submitRectification', code }, { rectification: '一' });
    const verify = await cardAbout('ou_insp', code, '请验收');
    clock.set(at('2026-07-21 15:00'));
    await click('ou_insp', verify.messageId, { action: 'hazard.reject', code }, { reject_reason: '未整改到位' });

    // Round 2: the principal rectifies, from the card 查询 gives them.
    const before = cards('ou_boss').length;
    await service.sim.sendText('ou_boss', `查询 ${code}`);
    const living = await eventually(() => cards('ou_boss')[before], 10_000, 'the 查询 card');
    clock.set(at('2026-07-22 10:00'));
    const second = await click(
      'ou_boss',
      living.messageId,
      { action: 'hazard.submitRectification', code },
      { rectification: '二' },
    );
    expect(second.toast.type).toBe('success');
    expect((await hazardRow(code)).status).toBe('pending_verification');
    const verify2 = await eventually(() => {
      const list = cards('ou_insp').filter((m) => titleOf(m.content) === `整改已提交，请验收｜${code}`);
      return list.length >= 2 ? list.at(-1) : undefined;
    });

    // The first round's rectifier, with the verify card in hand, is refused either way; nothing changes.
    const events = (await trail(code)).length;
    const refusal = {
      type: 'error',
      content: '您提交过该隐患此前一轮的整改，整改人不能验收该隐患，请由其他检查员验收',
    };
    expect((await forwardedClick('ou_insp2', verify2, { action: 'hazard.accept', code })).toast).toEqual(refusal);
    expect((await forwardedClick('ou_insp2', verify2, { action: 'hazard.reject', code })).toast).toEqual(refusal);
    expect((await hazardRow(code)).status).toBe('pending_verification');
    expect((await trail(code)).length).toBe(events);

    const accepted = await click('ou_insp', verify2.messageId, { action: 'hazard.accept', code });
    expect(accepted.toast.content).toContain('销号');
    expect((await hazardRow(code)).status).toBe('closed');
  });
});
