import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hazardEvents,
  hazardPhotos,
  hazards,
  outbox,
  people,
  reminderSteps,
  reportDrafts,
} from '../../src/db/schema/index.js';
import { sampleReportForm } from '../../src/dev/sample-county.js';
import { findPersonByOpenId } from '../../src/directory/lookup.js';
import { mergeUnverifiedEnterprise } from '../../src/directory/unverified.js';
import { createCalendar } from '../../src/domain/calendar.js';
import { DEFAULT_POLICY } from '../../src/domain/escalation-policy.js';
import { enqueueMessage, withBufferedOutbox } from '../../src/feishu/outbox.js';
import { refreshHazardCards, registerHazardCard } from '../../src/hazards/cards/delivery.js';
import { renderHazardCard } from '../../src/hazards/cards/living-card.js';
import { submitReportForm } from '../../src/hazards/report.js';
import { loadHazard } from '../../src/hazards/repository.js';
import { buildHazardView } from '../../src/hazards/view.js';
import { buttonTextsOf, elementsOf, type Json, openReportForm, reportThroughChat, titleOf } from '../support/chat.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'hazards-test-admin-token-0123456789';
const calendar = createCalendar();

const PEOPLE = [
  { code: 'insp', name: '县检查员', openId: 'ou_insp', roles: [{ role: 'inspector', scope: 'county' }] },
  { code: 'insp2', name: '县检查员二', openId: 'ou_insp2', roles: [{ role: 'inspector', scope: 'county' }] },
  { code: 'tinsp', name: '镇检查员', openId: 'ou_tinsp', roles: [{ role: 'inspector', scope: 'region:town-01' }] },
  { code: 'oinsp', name: '外镇检查员', openId: 'ou_oinsp', roles: [{ role: 'inspector', scope: 'region:town-02' }] },
  { code: 'boss', name: '企业老板', openId: 'ou_boss', roles: [] },
  { code: 'safe', name: '安全员', openId: 'ou_safe', roles: [] },
  { code: 'cl', name: '县长', openId: 'ou_cl', roles: [{ role: 'county_leader', scope: 'county' }] },
  { code: 'dl', name: '局长', openId: 'ou_dl', roles: [{ role: 'department_leader', scope: 'department:yjj' }] },
  { code: 'tml', name: '镇书记', openId: 'ou_tml', roles: [{ role: 'township_main_leader', scope: 'region:town-01' }] },
  { code: 'nobody', name: '无角色', openId: 'ou_nobody', roles: [] },
];

const DIRECTORY = {
  regions: [
    { code: 'county-x', name: '某县', parent: null },
    { code: 'town-01', name: '城关镇', parent: 'county-x' },
    { code: 'town-02', name: '河西镇', parent: 'county-x' },
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
      safetyOfficer: 'safe',
    },
    { code: 'e002', name: '城关机械一厂', region: 'town-01', sectors: ['工贸'], department: 'yjj', principal: 'boss' },
    { code: 'e003', name: '城关机械二厂', region: 'town-01', sectors: ['工贸'], department: 'yjj', principal: 'boss' },
  ],
};

const buttonTexts = buttonTextsOf;
const cardText = (card: Json) => JSON.stringify(card);

describe('the hazard loop in chat (隐患闭环)', () => {
  let service: TestService;
  const deadline = calendar.addDays(calendar.localDate(new Date()), 10).date;
  const baseForm = sampleReportForm(deadline);

  const cards = (openId: string) => service.sim.messages({ to: openId, msgType: 'interactive' });
  const texts = (openId: string) => service.sim.messages({ to: openId, msgType: 'text' });
  /** Waits for the n-th card sent to a person (1-based), or the next one after `after`. */
  const nextCard = (openId: string, after: number, what = `card to ${openId}`) =>
    eventually(() => cards(openId)[after], 10_000, what);
  const db = () => service.deps.database.db;
  const hazardRow = async (code: string) => (await db().select().from(hazards).where(eq(hazards.code, code)))[0]!;
  const eventCount = async (code: string) =>
    (
      await db()
        .select()
        .from(hazardEvents)
        .where(eq(hazardEvents.hazardId, (await hazardRow(code)).id))
    ).length;

  /** 上报 in one-to-one chat; returns the form message and its draft id. */
  const openForm = (openId: string) => openReportForm(service.sim, openId);
  const submitForm = (openId: string, formValue: Record<string, string>) =>
    reportThroughChat(service.sim, openId, formValue);
  /** Reports and returns the hazard code. */
  async function report(openId: string, overrides: Record<string, string> = {}) {
    const result = await submitForm(openId, { ...baseForm, ...overrides });
    const code = /YH-\d{4}-\d{6}/.exec(titleOf(result.body.card?.data))?.[0];
    expect(code, JSON.stringify(result.body)).toBeTruthy();
    return { ...result, code: code! };
  }
  const click = (openId: string, messageId: string, value: Json, formValue?: Record<string, string>) =>
    service.sim.clickCard(openId, messageId, { value, formValue }).then((d) => d.body as Json);
  /** The newest card to `openId` about `code`. */
  const cardAbout = (openId: string, code: string, title?: string) =>
    eventually(
      () =>
        cards(openId)
          .filter((m) => titleOf(m.content).includes(code) && (!title || titleOf(m.content).includes(title)))
          .at(-1),
      10_000,
      `a card about ${code} to ${openId}`,
    );

  /** A click on a card forwarded to someone else: the simulator's own chats would not show it to them. */
  const forwardedClick = (
    openId: string,
    card: { messageId: string; chatId: string },
    value: Json,
    formValue?: Record<string, string>,
  ) => service.sim.clickForwardedCard(openId, card, { value, formValue }).then((d) => d.body as Json);

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: TOKEN });
    for (const p of PEOPLE) service.sim.addUser({ openId: p.openId, name: p.name });
    service.sim.addUser({ openId: 'ou_stranger', name: '陌生人' });
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(DIRECTORY),
    });
    expect(response.status, await response.text()).toBe(200);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('general hazard: report → notice → acknowledge → submit → accept → closed, with the unit told only on submit', async () => {
    const { form, draft } = await openForm('ou_insp');
    expect(titleOf(form.content)).toBe('上报安全隐患');
    const formFields = elementsOf(form.content)
      .filter((e) => e.name && e.tag !== 'button')
      .map((e) => e.name);
    expect(formFields).toEqual(expect.arrayContaining(['enterprise', 'sector', 'level', 'description', 'location']));
    expect(formFields).toEqual(
      expect.arrayContaining(['measures', 'standard', 'deadline', 'responsible', 'suspend', 'basis']),
    );
    expect(elementsOf(form.content).filter((e) => e.tag === 'form')).toHaveLength(1);
    expect(buttonTexts(form.content)).toContain('提交');
    // 四不两直: opening the form told nobody.
    expect(cards('ou_boss').map((m) => titleOf(m.content))).toEqual([]);
    expect(cards('ou_tinsp').map((m) => [m.receiveId, m.chatId, titleOf(m.content)])).toEqual([]);

    const body = await click('ou_insp', form.messageId, { action: 'report.submit', draft }, baseForm);
    expect(body.toast.type).toBe('success');
    const code = /YH-\d{4}-\d{6}/.exec(titleOf(body.card.data))![0];
    expect(code).toMatch(new RegExp(`^YH-${deadline.slice(0, 4)}-`));

    const notice = await cardAbout('ou_boss', code, '整改通知');
    expect(buttonTexts(notice.content)).toEqual(expect.arrayContaining(['确认接收', '提交整改', '申请延期']));
    const info = await cardAbout('ou_tinsp', code, '隐患登记');
    expect(buttonTexts(info.content)).not.toContain('确认接收');
    expect(cardText(info.content)).toContain('储罐区静电接地线断开');
    // A general hazard reaches leaders only in the digest.
    expect(cards('ou_cl')).toHaveLength(0);
    expect(cards('ou_oinsp')).toHaveLength(0);
    expect((await hazardRow(code)).status).toBe('rectifying');

    const ack = await click('ou_boss', notice.messageId, { action: 'hazard.acknowledge', code });
    expect(ack.toast.type).toBe('success');
    expect(buttonTexts(ack.card.data)).not.toContain('确认接收');
    expect(cardText(ack.card.data)).toContain('已确认接收');
    // The notice now says what happened, and who did it.
    expect(titleOf(ack.card.data)).toBe(`已确认接收，正在整改｜${code}`);
    expect(cardText(ack.card.data)).toContain('最新进展：已确认接收，正在整改（企业老板，');

    const submitted = await click(
      'ou_boss',
      notice.messageId,
      { action: 'hazard.submitRectification', code },
      { rectification: '已重新连接接地线，检测 4 欧' },
    );
    expect(submitted.toast.content).toContain('整改已提交');
    expect(titleOf(submitted.card.data)).toBe(`整改已提交，等待验收｜${code}`);
    // The reporting inspector is asked to verify.
    const verify = await cardAbout('ou_insp', code, '请验收');
    expect(buttonTexts(verify.content)).toEqual(expect.arrayContaining(['验收通过', '驳回']));
    // The reporter's original card (the form) was updated in place.
    await eventually(() => titleOf(service.sim.message(form.messageId)?.content).includes(code) || undefined);

    expect(titleOf(verify.content)).toBe(`整改已提交，请验收｜${code}`);
    const accepted = await click('ou_insp', verify.messageId, { action: 'hazard.accept', code });
    expect(accepted.toast.content).toContain('销号');
    // The verifier's card no longer asks for verification: it says the hazard was accepted, by whom, and when.
    expect(titleOf(accepted.card.data)).toBe(`已验收通过，隐患已销号｜${code}`);
    expect(cardText(accepted.card.data)).not.toContain('请验收');
    expect(cardText(accepted.card.data)).toMatch(/最新进展：已验收通过，隐患已销号（县检查员，\d\d-\d\d \d\d:\d\d）/);
    expect(buttonTexts(accepted.card.data)).toEqual([]);
    const row = await hazardRow(code);
    expect(row.status).toBe('closed');
    expect(row.closedAt).not.toBeNull();
    await eventually(() => texts('ou_boss').some((m) => m.content.text.includes(`${code}：整改已验收通过`)));
    // Every card now shows it closed, without buttons.
    await eventually(() => cardText(service.sim.message(notice.messageId)?.content).includes('已销号') || undefined);
    expect(buttonTexts(service.sim.message(notice.messageId)?.content)).toEqual([]);
    expect(titleOf(service.sim.message(notice.messageId)?.content)).toBe(`已验收通过，隐患已销号｜${code}`);
  });

  it('major hazard: urgent to county, department and township leaders at once; a county inspector proposes 停产', async () => {
    const { code } = await report('ou_insp', { level: 'major', suspend: 'yes', funds: '50 万元', contingency: '停产' });
    for (const leader of ['ou_cl', 'ou_dl', 'ou_tml']) {
      // The policy's step `major-reported`: its card, buzzed (加急).
      const card = await eventually(
        () =>
          cards(leader)
            .filter((m) => titleOf(m.content) === '重大事故隐患报告' && cardText(m.content).includes(code))
            .at(-1),
        10_000,
        `the major-hazard card to ${leader}`,
      );
      expect(cardText(card.content)).toContain('重大隐患报告');
      expect(buttonTexts(card.content)).toEqual(['查看详情']);
      await eventually(() => service.sim.message(card.messageId)!.urgents.length > 0 || undefined, 10_000, '加急');
      // 查看详情 brings the hazard's own card, where leaders act by remarking on it (督办意见); the department's
      // leader also decides the listing (挂牌督办) and the county inspector's proposal to suspend.
      await click(leader, card.messageId, { action: 'hazard.show', code });
      const living = await cardAbout(leader, code, '隐患详情');
      expect(buttonTexts(living.content)).toEqual(
        leader === 'ou_dl' ? ['挂牌督办', '责令停产停业', '不同意停产', '发表意见'] : ['发表意见'],
      );
    }
    let row = await hazardRow(code);
    expect(row.supervision).toBe('county');
    // Only the department orders 停产停业: the county inspector's choice is a proposal until it confirms.
    expect(row.suspended).toBe(false);
    expect(row.suspensionProposedById).not.toBeNull();
    expect(row.governancePlan?.funds).toBe('50 万元');
    const steps = await db().select().from(reminderSteps).where(eq(reminderSteps.hazardId, row.id));
    expect(steps.map((s) => s.stepKey)).toEqual(['major-reported@reported']);

    const notice = await cardAbout('ou_boss', code, '整改通知');
    await click(
      'ou_boss',
      notice.messageId,
      { action: 'hazard.submitRectification', code },
      { rectification: '已整改' },
    );
    const verify = await cardAbout('ou_insp', code, '请验收');
    await click('ou_insp', verify.messageId, { action: 'hazard.accept', code });
    row = await hazardRow(code);
    expect(row).toMatchObject({ status: 'closed', suspended: false, supervision: 'none' });
    const types = (await db().select().from(hazardEvents).where(eq(hazardEvents.hazardId, row.id))).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['suspension_proposed', 'supervision_lifted', 'closed']));
  });

  it('rejection sends it back to rectifying; a second submission is accepted', async () => {
    const { code } = await report('ou_insp');
    const notice = await cardAbout('ou_boss', code, '整改通知');
    await click(
      'ou_boss',
      notice.messageId,
      { action: 'hazard.submitRectification', code },
      { rectification: '第一次' },
    );
    const verify = await cardAbout('ou_insp', code, '请验收');
    const noReason = await click(
      'ou_insp',
      verify.messageId,
      { action: 'hazard.reject', code },
      { reject_reason: ' ' },
    );
    expect(noReason.toast).toMatchObject({ type: 'error', content: '请填写驳回理由' });
    expect((await hazardRow(code)).status).toBe('pending_verification');
    const rejected = await click(
      'ou_insp',
      verify.messageId,
      { action: 'hazard.reject', code },
      { reject_reason: '接地电阻仍超标' },
    );
    expect(rejected.toast.type).toBe('success');
    // Submitted and rejected on the day of the report: the unit keeps the days it had, so the deadline stands.
    expect(titleOf(rejected.card.data)).toBe(`已驳回：接地电阻仍超标，退回整改，期限 ${deadline}｜${code}`);
    expect(buttonTexts(rejected.card.data)).toEqual([]);
    expect((await hazardRow(code)).status).toBe('rectifying');
    const back = await cardAbout('ou_boss', code, '整改被驳回');
    expect(cardText(back.content)).toContain('接地电阻仍超标');
    await click('ou_boss', back.messageId, { action: 'hazard.submitRectification', code }, { rectification: '第二次' });
    const verify2 = await eventually(() => {
      const list = cards('ou_insp').filter(
        (m) => titleOf(m.content).includes(code) && titleOf(m.content).includes('请验收'),
      );
      return list.length >= 2 ? list.at(-1) : undefined;
    });
    await click('ou_insp', verify2.messageId, { action: 'hazard.accept', code });
    expect((await hazardRow(code)).status).toBe('closed');
  });

  it('extension: one approved moves the deadline, one refused keeps it', async () => {
    const { code } = await report('ou_insp');
    const notice = await cardAbout('ou_boss', code, '整改通知');
    const later = calendar.addDays(deadline, 5).date;
    const tooEarly = await click(
      'ou_boss',
      notice.messageId,
      { action: 'hazard.requestExtension', code },
      { new_deadline: `${deadline} +0800`, extension_reason: '设备待采购' },
    );
    expect(tooEarly.toast.type).toBe('error');
    const asked = await click(
      'ou_boss',
      notice.messageId,
      { action: 'hazard.requestExtension', code },
      { new_deadline: `${later} +0800`, extension_reason: '设备待采购' },
    );
    expect(asked.toast.type).toBe('success');
    const decide = await cardAbout('ou_insp', code, '延期申请待审批');
    expect(buttonTexts(decide.content)).toEqual(expect.arrayContaining(['同意延期', '不同意延期']));
    // The requester cannot decide it.
    const self = await click('ou_boss', notice.messageId, { action: 'hazard.approveExtension', code });
    expect(self.toast.type).toBe('error');
    const approved = await click('ou_insp', decide.messageId, { action: 'hazard.approveExtension', code });
    expect(approved.toast.type).toBe('success');
    expect(titleOf(approved.card.data)).toBe(`已同意延期至 ${later}｜${code}`);
    expect(buttonTexts(approved.card.data)).toEqual([]);
    expect((await hazardRow(code)).deadline).toBe(later);
    await eventually(() => texts('ou_boss').some((m) => m.content.text.includes(`新的整改期限为 ${later}`)));

    // A second request, refused.
    const muchLater = calendar.addDays(later, 5).date;
    const notice2 = service.sim.message(notice.messageId)!;
    await click(
      'ou_boss',
      notice2.messageId,
      { action: 'hazard.requestExtension', code },
      { new_deadline: `${muchLater} +0800`, extension_reason: '再等等' },
    );
    const decide2 = await eventually(() => {
      const list = cards('ou_insp').filter(
        (m) => titleOf(m.content).includes('延期申请待审批') && titleOf(m.content).includes(code),
      );
      return list.length >= 2 ? list.at(-1) : undefined;
    });
    const refused = await click(
      'ou_insp',
      decide2.messageId,
      { action: 'hazard.refuseExtension', code },
      { decision_reason: '理由不充分' },
    );
    expect(refused.toast.type).toBe('success');
    expect(titleOf(refused.card.data)).toBe(`不同意延期：理由不充分，整改期限仍为 ${later}｜${code}`);
    const row = await hazardRow(code);
    expect(row.deadline).toBe(later);
    expect(row.extensionDeadline).toBeNull();
    await eventually(() => texts('ou_boss').some((m) => m.content.text.includes('理由不充分')));
  });

  it('refuses every click from someone without the right: error toast, nothing changes', async () => {
    const { code } = await report('ou_insp');
    const notice = await cardAbout('ou_boss', code, '整改通知');
    const before = await eventCount(code);
    const refusals = [
      await forwardedClick('ou_stranger', notice, { action: 'hazard.acknowledge', code }),
      await forwardedClick('ou_nobody', notice, { action: 'hazard.acknowledge', code }),
      await forwardedClick('ou_oinsp', notice, { action: 'hazard.acknowledge', code }),
      await forwardedClick('ou_tinsp', notice, { action: 'hazard.submitRectification', code }, { rectification: 'x' }),
      await forwardedClick('ou_oinsp', notice, { action: 'hazard.requestExtension', code }, { new_deadline: deadline }),
    ];
    for (const answer of refusals) {
      expect(answer.toast.type, JSON.stringify(answer)).toBe('error');
      expect(answer.card).toBeUndefined();
    }
    // Verify before submission, by a rectifier, by an out-of-scope inspector: refused too.
    await click(
      'ou_boss',
      notice.messageId,
      { action: 'hazard.submitRectification', code },
      { rectification: '已整改' },
    );
    expect((await forwardedClick('ou_boss', notice, { action: 'hazard.accept', code })).toast.type).toBe('error');
    expect((await forwardedClick('ou_oinsp', notice, { action: 'hazard.accept', code })).toast.type).toBe('error');
    expect(
      (await forwardedClick('ou_cl', notice, { action: 'hazard.reject', code }, { reject_reason: 'x' })).toast.type,
    ).toBe('error');
    expect((await hazardRow(code)).status).toBe('pending_verification');
    // Only the submission itself (acknowledged + submitted) was added to the trail.
    expect(await eventCount(code)).toBe(before + 2);
  });

  it('a click whose value is not one the bot emits (an old card, a typo, a forged value) changes nothing', async () => {
    const { code } = await report('ou_insp');
    const notice = await cardAbout('ou_boss', code, '整改通知');
    const before = await eventCount(code);
    const { draft } = await openForm('ou_insp');
    const hazardsBefore = (await db().select().from(hazards)).length;
    const values = [
      { action: 'hazard.acknowledged', code },
      { action: 'hazard.acknowledge' },
      { action: 'hazard.acknowledge', code: 42 },
      { action: 'report.submit', draft: String(draft) },
      { action: 'ledger_page', filter: 'everything', cursor: 'x', page: 2 },
      { code },
    ];
    for (const value of values) {
      const answer = await click('ou_boss', notice.messageId, value, baseForm);
      expect(answer.toast, JSON.stringify(value)).toEqual({
        type: 'warning',
        content: '该卡片已过期或不支持此操作，请发送「帮助」查看可用功能',
      });
      expect(answer.card).toBeUndefined();
    }
    expect(await eventCount(code)).toBe(before);
    expect((await hazardRow(code)).acknowledgedAt).toBeNull();
    expect((await db().select().from(hazards)).length).toBe(hazardsBefore);
    // The same click with the value the card carries works.
    expect((await click('ou_boss', notice.messageId, { action: 'hazard.acknowledge', code })).toast.type).toBe(
      'success',
    );
  });

  it('double clicks: two at once make one transition; the other is told it was done', async () => {
    const { code } = await report('ou_insp');
    const notice = await cardAbout('ou_boss', code, '整改通知');
    const before = await eventCount(code);
    const answers = await Promise.all([
      click('ou_boss', notice.messageId, { action: 'hazard.acknowledge', code }),
      click('ou_boss', notice.messageId, { action: 'hazard.acknowledge', code }),
    ]);
    const toasts = answers.map((a) => a.toast);
    expect(toasts.filter((t) => t.type === 'success')).toHaveLength(1);
    expect(toasts.filter((t) => t.type === 'info' && t.content.startsWith('已处理'))).toHaveLength(1);
    expect(await eventCount(code)).toBe(before + 1);
    // The same form submitted twice reports once.
    const { form, draft } = await openForm('ou_insp');
    const first = await click('ou_insp', form.messageId, { action: 'report.submit', draft }, baseForm);
    const second = await click('ou_insp', form.messageId, { action: 'report.submit', draft }, baseForm);
    expect(first.toast.type).toBe('success');
    expect(second.toast.content).toContain('已处理');
    expect(titleOf(second.card.data)).toBe(titleOf(first.card.data));
  });

  it('bad input comes back on the form with the errors beside the fields and the values kept; nothing is stored', async () => {
    const count = async () => (await db().select({ n: sql<number>`count(*)::int` }).from(hazards))[0]!.n;
    const before = await count();
    const missing = await submitForm('ou_insp', { enterprise: '城关化工有限公司', description: '有问题' });
    expect(missing.body.toast.type).toBe('error');
    const text = cardText(missing.body.card.data);
    for (const message of ['请填写行业', '请填写隐患等级', '请填写隐患位置', '请填写整改措施', '请填写验收标准']) {
      expect(text).toContain(message);
    }
    const kept = elementsOf(missing.body.card.data).find((e) => e.name === 'description');
    expect(kept.default_value).toBe('有问题');

    const past = await submitForm('ou_insp', { ...baseForm, deadline: '2020-01-01 +0800' });
    expect(cardText(past.body.card.data)).toContain('整改期限不能早于今天');
    const long = await submitForm('ou_insp', { ...baseForm, description: '长'.repeat(2001) });
    expect(cardText(long.body.card.data)).toContain('隐患描述最多 2000 个字，当前 2001 个字');
    const generalSuspended = await submitForm('ou_insp', { ...baseForm, suspend: 'yes' });
    expect(cardText(generalSuspended.body.card.data)).toContain('只有重大隐患可以责令停产停业整改');
    expect(await count()).toBe(before);
  });

  it('定责任人: the reporter may name the unit safety officer instead of its principal; a unit without one gets the form back', async () => {
    const { code } = await report('ou_insp', { responsible: 'safety_officer' });
    const notice = await cardAbout('ou_safe', code, '整改通知');
    expect(buttonTexts(notice.content)).toEqual(expect.arrayContaining(['确认接收', '提交整改']));
    const [safe] = await db().select().from(people).where(eq(people.code, 'safe'));
    expect((await hazardRow(code)).responsibleId).toBe(safe!.id);
    expect(cards('ou_boss').some((m) => titleOf(m.content).includes(code))).toBe(false);
    // The safety officer, not the principal, may now acknowledge.
    const ack = await click('ou_safe', notice.messageId, { action: 'hazard.acknowledge', code });
    expect(ack.toast.type).toBe('success');

    const count = async () => (await db().select({ n: sql<number>`count(*)::int` }).from(hazards))[0]!.n;
    const before = await count();
    const none = await submitForm('ou_insp', {
      ...baseForm,
      enterprise: '城关机械一厂',
      responsible: 'safety_officer',
    });
    expect(none.body.toast.type).toBe('error');
    expect(cardText(none.body.card.data)).toContain('城关机械一厂 没有安全管理员');
    const kept = elementsOf(none.body.card.data).find((e) => e.name === 'responsible');
    expect(kept.initial_option).toBe('safety_officer');
    const bad = await submitForm('ou_insp', { ...baseForm, responsible: 'mayor' });
    expect(cardText(bad.body.card.data)).toContain('整改责任人请选择单位主要负责人或单位安全管理员');
    expect(await count()).toBe(before);
  });

  it('unit lookup: several candidates → pick card; unknown → a new unverified unit in the chosen township', async () => {
    const several = await submitForm('ou_insp', { ...baseForm, enterprise: '城关机械' });
    const pick = several.body.card.data;
    expect(buttonTexts(pick)).toEqual(expect.arrayContaining(['城关机械一厂（城关镇）', '城关机械二厂（城关镇）']));
    const picked = await click('ou_insp', several.form.messageId, {
      action: 'report.pick',
      draft: several.draft,
      enterprise: 'e003',
    });
    expect(picked.toast.type).toBe('success');
    expect(cardText(picked.card.data)).toContain('城关机械二厂');

    const unknown = await submitForm('ou_insp', { ...baseForm, enterprise: '张记小作坊' });
    const offer = unknown.body.card.data;
    expect(cardText(offer)).toContain('名录中没有“张记小作坊”');
    const created = await click(
      'ou_insp',
      unknown.form.messageId,
      { action: 'report.newUnit', draft: unknown.draft },
      { township: 'town-02' },
    );
    // A new unit has no principal yet, and 河西镇 no leaders: the notice goes up the chain to the county, and the
    // reporter is told so at once.
    expect(created.toast).toEqual({
      type: 'warning',
      content: expect.stringMatching(/^已登记 YH-\d{4}-\d{6}；整改责任人空缺，已改为通知县领导县长，请其转告单位$/),
    });
    expect(cardText(created.card.data)).toContain('待核实单位');
    const code = /YH-\d{4}-\d{6}/.exec(titleOf(created.card.data))![0];
    const relay = await eventually(
      () => cards('ou_cl').find((m) => cardText(m.content).includes(code) && titleOf(m.content).includes('请转告单位')),
      10_000,
      'the relay card to the county leader',
    );
    expect(cardText(relay.content)).toContain('县长（县领导，代整改责任人）');
    expect(cardText(relay.content)).toContain('整改责任人空缺，已改为通知县领导县长，请其转告单位');
    // The township's inspector hears of it; the unit has no principal yet, so it waits for assignment.
    await cardAbout('ou_oinsp', code, '隐患登记');
    expect((await hazardRow(code)).status).toBe('reported');

    // An admin merging the unverified unit into a registered one moves the hazard with it.
    const unverified = (await hazardRow(code)).enterpriseId;
    const uv = (await db()
      .execute(sql`select code from enterprises where id = ${unverified}`)
      .then((r: Json) => (Array.isArray(r) ? r : r.rows))) as { code: string }[];
    expect(uv[0]!.code).toMatch(/^UV-/);
    await mergeUnverifiedEnterprise(db(), uv[0]!.code, 'e002', new Date());
    const e002 = (await db()
      .execute(sql`select id from enterprises where code = 'e002'`)
      .then((r: Json) => (Array.isArray(r) ? r : r.rows))) as { id: number }[];
    expect((await hazardRow(code)).enterpriseId).toBe(e002[0]!.id);
  });

  it('who may report: a person without a role is told politely how to get one', async () => {
    const before = cards('ou_nobody').length;
    await service.sim.sendText('ou_nobody', '上报');
    const answer = await nextCard('ou_nobody', before);
    expect(titleOf(answer.content)).toBe('暂不能上报');
    expect(cardText(answer.content)).toContain('请联系管理员');
    const strangerBefore = cards('ou_stranger').length;
    await service.sim.sendText('ou_stranger', 'report');
    expect(cardText((await nextCard('ou_stranger', strangerBefore)).content)).toContain('组织名录');
    // The unit's own principal may report for their unit (自查自报) but not for another unit.
    const own = await report('ou_boss');
    expect(own.body.toast.type).toBe('success');
  });

  it('in a group, @bot 上报 answers privately; the form never appears in the group', async () => {
    service.sim.addChat({ chatId: 'oc_town', name: '城关镇安全群', memberOpenIds: ['ou_insp', 'ou_boss'] });
    const before = cards('ou_insp').length;
    await service.sim.sendText('ou_insp', '上报', { chatId: 'oc_town', mentionBot: true });
    const form = await nextCard('ou_insp', before);
    expect(titleOf(form.content)).toBe('上报安全隐患');
    expect(form.chatType).toBe('p2p');
    await eventually(() => service.sim.messages({ to: 'oc_town' }).length > 0 || undefined);
    const inGroup = service.sim.messages({ to: 'oc_town' });
    expect(inGroup.every((m) => m.msgType === 'text' && m.content.text.includes('单聊'))).toBe(true);
  });

  it('查询 shows the hazard with its full trail to those who may see it, and nothing to others', async () => {
    const { code } = await report('ou_insp');
    const notice = await cardAbout('ou_boss', code, '整改通知');
    await click('ou_boss', notice.messageId, { action: 'hazard.acknowledge', code });
    const before = cards('ou_tinsp').length;
    await service.sim.sendText('ou_tinsp', `查询 ${code.toLowerCase()}`);
    const shown = await nextCard('ou_tinsp', before);
    expect(titleOf(shown.content)).toContain(code);
    const text = cardText(shown.content);
    expect(text).toContain('县检查员 上报一般隐患');
    expect(text).toContain('企业老板 确认接收');
    const textsBefore = texts('ou_oinsp').length;
    await service.sim.sendText('ou_oinsp', `查询 ${code}`);
    const refused = await eventually(() => texts('ou_oinsp')[textsBefore]);
    expect(refused.content.text).toBe(`没有找到您可以查看的隐患 ${code}`);
  });

  it('督办意见: a leader remarks from the 查询 card; the responsible person and the reporter hear it, others are refused', async () => {
    const { code } = await report('ou_insp');
    const notice = await cardAbout('ou_boss', code, '整改通知');
    const before = cards('ou_tml').length;
    await service.sim.sendText('ou_tml', `查询 ${code}`);
    const shown = await nextCard('ou_tml', before, 'the 查询 card');
    expect(buttonTexts(shown.content)).toEqual(['发表意见']);
    const comment = (text: string) =>
      click('ou_tml', shown.messageId, { action: 'hazard.comment', code }, { comment: text });
    const events = await eventCount(code);

    const empty = await comment('  ');
    expect(empty.toast).toEqual({ type: 'error', content: '请填写督办意见' });
    expect(await eventCount(code)).toBe(events);

    const toldBoss = texts('ou_boss').length;
    const toldReporter = texts('ou_insp').length;
    const answer = await comment('请三日内完成静电接地整改，并发送整改照片');
    expect(answer.toast.type).toBe('success');
    expect(cardText(answer.card.data)).toContain('镇书记 督办意见：请三日内完成静电接地整改');
    const remark = `${code}：镇书记的督办意见——请三日内完成静电接地整改，并发送整改照片`;
    expect((await eventually(() => texts('ou_boss')[toldBoss])).content.text).toBe(remark);
    expect((await eventually(() => texts('ou_insp')[toldReporter])).content.text).toBe(remark);
    // The responsible person's notice shows it too, and keeps its buttons.
    await eventually(() => cardText(service.sim.message(notice.messageId)?.content).includes('督办意见') || undefined);
    expect(buttonTexts(service.sim.message(notice.messageId)?.content)).toContain('提交整改');
    expect((await hazardRow(code)).status).toBe('rectifying');

    // Someone outside the township, and a forwarded card in a stranger's hands: refused, nothing stored.
    const count = await eventCount(code);
    for (const openId of ['ou_oinsp', 'ou_stranger']) {
      const refused = await forwardedClick(openId, shown, { action: 'hazard.comment', code }, { comment: '看看' });
      expect(refused.toast.type).toBe('error');
    }
    expect(await eventCount(code)).toBe(count);
  });

  it('photos: one sent first offers a report and is attached to it; one sent while rectifying is evidence', async () => {
    const photo = Buffer.from('fake-jpeg-bytes-of-a-broken-wire');
    const before = cards('ou_tinsp').length;
    await service.sim.sendImage('ou_tinsp', photo);
    const offer = await nextCard('ou_tinsp', before);
    expect(buttonTexts(offer.content)).toEqual(['上报隐患']);
    const draft = elementsOf(offer.content).find((e) => e.tag === 'button').behaviors[0].value.draft;
    const formAnswer = await click('ou_tinsp', offer.messageId, { action: 'report.open', draft });
    expect(cardText(formAnswer.card.data)).toContain('已收到 1 张照片');
    const submitted = await click('ou_tinsp', offer.messageId, { action: 'report.submit', draft }, baseForm);
    expect(submitted.toast.type).toBe('success');
    const code = /YH-\d{4}-\d{6}/.exec(titleOf(submitted.card.data))![0];
    const images = elementsOf(submitted.card.data).filter((e) => e.tag === 'img');
    expect(images).toHaveLength(1);
    expect(service.sim.image(images[0].img_key)?.equals(photo)).toBe(true);
    const stored = await db()
      .select()
      .from(hazardPhotos)
      .where(eq(hazardPhotos.hazardId, (await hazardRow(code)).id));
    expect(stored.map((p) => [p.stage, p.content.equals(photo)])).toEqual([['report', true]]);

    // The responsible person acknowledges, then sends a photo of the fix: attached as rectification evidence.
    const notice = await cardAbout('ou_boss', code, '整改通知');
    await click('ou_boss', notice.messageId, { action: 'hazard.acknowledge', code });
    const fix = Buffer.from('fake-jpeg-bytes-of-the-fixed-wire');
    const textsBefore = texts('ou_boss').length;
    await service.sim.sendImage('ou_boss', fix);
    const reply = await eventually(() => texts('ou_boss')[textsBefore]);
    expect(reply.content.text).toContain(`整改照片附到 ${code}`);
    const all = await db()
      .select()
      .from(hazardPhotos)
      .where(eq(hazardPhotos.hazardId, (await hazardRow(code)).id));
    expect(all.map((p) => p.stage).sort()).toEqual(['rectification', 'report']);
    await eventually(
      () =>
        elementsOf(service.sim.message(notice.messageId)?.content).filter((e) => e.tag === 'img').length === 2 ||
        undefined,
    );
  });

  it('answers other people while a photo is still downloading (photos are fetched outside the transaction)', async () => {
    service.sim.faults.latency('message.resource', 2500);
    try {
      const bossTexts = texts('ou_boss').length;
      const bossCards = cards('ou_boss').length;
      const before = cards('ou_tinsp').length;
      const started = Date.now();
      await service.sim.sendImage('ou_boss', Buffer.from('fake-jpeg-bytes-over-a-slow-network'));
      await service.sim.sendText('ou_tinsp', '帮助');
      await nextCard('ou_tinsp', before, 'the help card while the photo downloads');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(texts('ou_boss').length + cards('ou_boss').length).toBe(bossTexts + bossCards);
      // The photo is still stored and answered once its download is done.
      await eventually(
        () => texts('ou_boss').length + cards('ou_boss').length > bossTexts + bossCards,
        10_000,
        'the answer to the slow photo',
      );
    } finally {
      service.sim.faults.latency('message.resource', 0);
    }
  });

  it('updates a hazard card queued earlier in the same batch of events (held-back outbox rows go in first)', async () => {
    const [row] = await db().select().from(hazards).limit(1);
    const record = (await loadHazard(db(), row!.code))!;
    const now = service.clock.now();
    const view = await buildHazardView(db(), record, now, calendar, undefined);
    const outboxId = await db().transaction((tx) =>
      withBufferedOutbox(tx, async () => {
        const id = await enqueueMessage(tx, {
          to: { openId: 'ou_boss' },
          msgType: 'interactive',
          content: renderHazardCard({ ...view, code: 'STALE' }, 'rectifier', 'query'),
        });
        await registerHazardCard(tx, {
          hazardId: row!.id,
          outboxId: id,
          recipient: 'ou_boss',
          audience: 'rectifier',
          kind: 'query',
          now,
        });
        await refreshHazardCards(tx, { id: row!.id, code: row!.code }, view, now);
        return id;
      }),
    );
    const [queued] = await db().select().from(outbox).where(eq(outbox.id, outboxId));
    expect(JSON.stringify(queued!.content)).toContain(row!.code);
    expect(JSON.stringify(queued!.content)).not.toContain('STALE');
  });

  it('200 concurrent reports get 200 distinct consecutive numbers', async () => {
    const inspector = (await findPersonByOpenId(db(), 'ou_insp2'))!;
    const now = service.clock.now();
    const drafts = await db()
      .insert(reportDrafts)
      .values(Array.from({ length: 200 }, () => ({ personId: inspector.id, openedAt: now, updatedAt: now })))
      .returning({ id: reportDrafts.id });
    const deps = { db: db(), clock: service.clock, calendar, policy: DEFAULT_POLICY, links: undefined };
    const outcomes = await Promise.all(
      drafts.map((d) => submitReportForm(deps, { openId: 'ou_insp2', draftId: d.id, formValue: baseForm })),
    );
    const codes = outcomes.map((o) => (o.kind === 'reported' ? o.code : o.kind));
    expect(new Set(codes).size).toBe(200);
    const sequences = codes.map((c) => Number(c.slice(-6))).sort((a, b) => a - b);
    expect(sequences.at(-1)! - sequences[0]! + 1).toBe(200);
  }, 120_000);
});
