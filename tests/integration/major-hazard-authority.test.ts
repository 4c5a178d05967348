import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { hazardEvents, hazards } from '../../src/db/schema/index.js';
import { sampleReportForm } from '../../src/dev/sample-county.js';
import { buttonTextsOf, type Json, reportThroughChat, titleOf } from '../support/chat.js';
import { readPdf } from '../support/pdf.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'major-hazards-test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

const PEOPLE = [
  { code: 'tin', name: '镇检查员', openId: 'ou_tin', roles: [{ role: 'inspector', scope: 'region:town-01' }] },
  { code: 'din', name: '局检查员', openId: 'ou_din', roles: [{ role: 'inspector', scope: 'department:yjj' }] },
  { code: 'boss', name: '企业老板', openId: 'ou_boss', roles: [] },
  { code: 'dl', name: '赵局长', openId: 'ou_dl', roles: [{ role: 'department_leader', scope: 'department:yjj' }] },
  { code: 'cl', name: '钱县长', openId: 'ou_cl', roles: [{ role: 'county_leader', scope: 'county' }] },
  { code: 'aqw', name: '孙主任', openId: 'ou_aqw', roles: [{ role: 'county_safety_office', scope: 'county' }] },
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
  ],
};

const at = (text: string) => `${text.replace(' ', 'T')}:00+08:00`;
const MAJOR = { level: 'major', funds: '企业自筹 20 万元', contingency: '停用 2 号罐，设警戒区' };

describe('治: listing, suspension and resumption by the right authority (issue #21)', () => {
  let service: TestService;
  const clock = new ManualClock(at('2026-05-11 10:00'));
  const db = () => service.deps.database.db;
  const cards = (openId: string) => service.sim.messages({ to: openId, msgType: 'interactive' });
  const texts = (openId: string) => service.sim.messages({ to: openId, msgType: 'text' }).map((m) => m.content.text);
  const row = async (code: string) => (await db().select().from(hazards).where(eq(hazards.code, code)))[0]!;
  const trail = async (code: string) =>
    (
      await db()
        .select()
        .from(hazardEvents)
        .where(eq(hazardEvents.hazardId, (await row(code)).id))
        .orderBy(asc(hazardEvents.id))
    ).map((e) => e.type);
  const click = (openId: string, messageId: string, value: Json, formValue?: Record<string, string>) =>
    service.sim.clickCard(openId, messageId, { value, formValue }).then((d) => d.body as Json);
  /** A click on a card forwarded to `openId` (the simulator's own chats would not show it to them). */
  const forwardedClick = (openId: string, card: { messageId: string; chatId: string }, value: Json) =>
    service.sim.clickForwardedCard(openId, card, { value }).then((d) => d.body as Json);
  const cardAbout = (openId: string, code: string, title: string) =>
    eventually(
      () =>
        cards(openId)
          .filter((m) => titleOf(m.content).includes(code) && titleOf(m.content).includes(title))
          .at(-1),
      10_000,
      `a card "${title}" about ${code} to ${openId}`,
    );
  /** The sweep at a local time; answers the steps it sent for `code`, as `step → sorted open_ids`. */
  async function sweepAt(text: string, code: string): Promise<Record<string, string[]>> {
    const response = await fetch(`${service.url}/api/admin/sweep`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ at: at(text) }),
    });
    const answer = (await response.json()) as Json;
    expect(response.status, JSON.stringify(answer)).toBe(200);
    const out: Record<string, string[]> = {};
    for (const s of answer.steps.filter((s: Json) => s.hazard === code)) {
      out[s.step] = s.to.map((t: Json) => t.openId).sort();
    }
    return out;
  }
  /** A document of the hazard as the read API serves it, read back with pdftotext (white space removed). */
  async function documentText(code: string, name: string): Promise<string> {
    const response = await fetch(`${service.url}/api/hazards/${code}/documents/${name}`, { headers: auth });
    expect(response.status).toBe(200);
    return readPdf(Buffer.from(await response.arrayBuffer())).flat;
  }
  async function report(openId: string, overrides: Record<string, string>) {
    const result = await reportThroughChat(service.sim, openId, { ...sampleReportForm('2026-06-30'), ...overrides });
    expect(result.code, JSON.stringify(result.body)).toBeTruthy();
    return { code: result.code!, body: result.body as Json };
  }

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

  it('proposes 停产 from a township inspector, confirmed by the department; 复产 needs the unit’s application', async () => {
    clock.set(at('2026-05-11 10:00'));
    const { code, body } = await report('ou_tin', { ...MAJOR, suspend: 'yes' });
    expect(JSON.stringify(body.card)).toContain('建议停产停业');
    expect((await row(code)).suspended).toBe(false);

    // The department's inspector and leader are asked to decide; the county's authority to list it.
    const decide = await cardAbout('ou_din', code, '停产停业建议待确认');
    expect(buttonTextsOf(decide.content)).toEqual(expect.arrayContaining(['责令停产停业', '不同意停产']));
    // The department's inspector decides the suspension, not the listing (the county's authority's).
    expect(buttonTextsOf(decide.content)).not.toContain('挂牌督办');
    const listing = await cardAbout('ou_aqw', code, '请决定挂牌督办');
    expect(buttonTextsOf(listing.content)).toContain('挂牌督办');

    // A county leader clicking 挂牌督办 (on a forwarded card) is told who may.
    const leaderClick = await forwardedClick('ou_cl', listing, { action: 'hazard.list', code });
    expect(leaderClick.toast).toEqual({
      type: 'error',
      content: '只有县安委办或该单位的行业主管部门负责人可以挂牌督办',
    });
    // The township inspector may not confirm their own proposal: the department does.
    const selfConfirm = await forwardedClick('ou_tin', decide, { action: 'hazard.orderSuspension', code });
    expect(selfConfirm.toast.content).toContain('只有该单位行业主管部门的检查员或负责人可以责令停产停业');

    clock.set(at('2026-05-11 11:00'));
    const ordered = await click(
      'ou_din',
      decide.messageId,
      { action: 'hazard.orderSuspension', code },
      {
        suspension_reason: '储罐区立即停用',
      },
    );
    expect(ordered.toast).toEqual({ type: 'success', content: '已责令停产停业整改，已告知单位' });
    expect(await row(code)).toMatchObject({ suspended: true, suspensionProposedById: null });
    await eventually(
      () => texts('ou_boss').find((t: string) => t.includes('责令停产停业整改')),
      10_000,
      'told the unit',
    );
    await eventually(
      () => texts('ou_tin').find((t: string) => t.includes('停产停业建议已由主管部门确认')),
      10_000,
      'told',
    );

    // 复产验收 before any application is refused, saying who applies.
    const notice = await cardAbout('ou_boss', code, '整改通知');
    clock.set(at('2026-05-20 10:00'));
    await click(
      'ou_boss',
      notice.messageId,
      { action: 'hazard.submitRectification', code },
      { rectification: '已更换' },
    );
    const verify = await cardAbout('ou_tin', code, '请验收');
    expect(buttonTextsOf(verify.content)).not.toContain('验收通过');
    const early = await forwardedClick('ou_din', verify, { action: 'hazard.acceptResumption', code });
    expect(early.toast.content).toContain('单位尚未申请复产');
    // The ordinary 验收通过 is not how a suspended unit resumes.
    const plain = await click('ou_tin', verify.messageId, { action: 'hazard.accept', code });
    expect(plain.toast.content).toContain('停产停业整改中');
    expect((await row(code)).status).toBe('pending_verification');

    // The unit applies from its card; the department gets the 复产验收 card.
    const submitted = await eventually(
      () =>
        cards('ou_boss').find((m) => m.messageId === notice.messageId && buttonTextsOf(m.content).includes('申请复产')),
      10_000,
      'the notice card offering 申请复产',
    );
    clock.set(at('2026-05-20 11:00'));
    const applied = await click('ou_boss', submitted.messageId, { action: 'hazard.requestResumption', code });
    expect(applied.toast.type).toBe('success');
    const resumption = await cardAbout('ou_dl', code, '复产申请');
    expect(buttonTextsOf(resumption.content)).toEqual(expect.arrayContaining(['复产验收通过', '复产验收不通过']));
    // The township inspector is not the department.
    const township = await forwardedClick('ou_tin', resumption, { action: 'hazard.acceptResumption', code });
    expect(township.toast.content).toBe('复产验收由该单位的行业主管部门（其检查员或负责人）到现场进行');

    // The 10-day 复产验收 clock (due 2026-05-30): the department leader is reminded 3 days before, once.
    const early3d = await sweepAt('2026-05-27 09:05', code);
    expect(early3d['resumption-due-in-3d']).toEqual(['ou_dl']);
    // (With the unsubmitted 治理方案's steps of the same sweep, it may come as one list card.)
    await eventually(
      () => cards('ou_dl').find((m) => JSON.stringify(m.content).includes('复产验收期限 2026-05-30')),
      10_000,
      'the 复产验收 reminder',
    );
    expect((await sweepAt('2026-05-27 12:00', code))['resumption-due-in-3d']).toBeUndefined();

    clock.set(at('2026-05-28 10:00'));
    const passed = await click(
      'ou_dl',
      resumption.messageId,
      { action: 'hazard.acceptResumption', code },
      {
        resumption_reason: '现场核查合格',
      },
    );
    expect(passed.toast).toEqual({ type: 'success', content: '复产验收通过，同意复产，隐患已销号' });
    expect(await row(code)).toMatchObject({ status: 'closed', suspended: false, resumptionRequestedById: null });
    // The 复产验收 is a re-inspection: its opinion (整改复查意见书) says production may resume.
    expect(await documentText(code, 'review-1')).toContain('整改合格，同意销号。同意恢复生产经营。');
    // The clock stopped with the decision: no 复产验收 escalation after its due date.
    const later = await sweepAt('2026-06-03 09:00', code);
    expect(Object.keys(later).filter((step) => step.startsWith('resumption'))).toEqual([]);
    expect(await trail(code)).toEqual([
      'reported',
      'supervision_raised',
      'suspension_proposed',
      'assigned',
      'suspended',
      'acknowledged',
      'rectification_submitted',
      'resumption_requested',
      'resumption_accepted',
      'suspension_lifted',
      'accepted',
      'supervision_lifted',
      'closed',
    ]);
  });

  it('lists by 安委办 and closes only with 摘牌 by 安委办 after acceptance; the ledger says so', async () => {
    clock.set(at('2026-06-01 10:00'));
    const { code } = await report('ou_din', MAJOR);
    const listing = await cardAbout('ou_aqw', code, '请决定挂牌督办');
    const listed = await click('ou_aqw', listing.messageId, { action: 'hazard.list', code });
    expect(listed.toast.type).toBe('success');
    expect(JSON.stringify(listed.card.data)).toContain('县安委办');
    expect(await row(code)).toMatchObject({ listingAuthority: 'county_safety_office' });
    await eventually(() => texts('ou_boss').find((t: string) => t.includes('挂牌督办')), 10_000, 'unit told');

    const notice = await cardAbout('ou_boss', code, '整改通知');
    clock.set(at('2026-06-05 10:00'));
    await click(
      'ou_boss',
      notice.messageId,
      { action: 'hazard.submitRectification', code },
      { rectification: '已治理' },
    );
    const verify = await cardAbout('ou_din', code, '请验收');
    const accepted = await click('ou_din', verify.messageId, { action: 'hazard.accept', code });
    expect(accepted.toast.content).toBe('验收通过；该隐患已挂牌督办，待挂牌单位摘牌销号');
    expect((await row(code)).status).toBe('pending_delisting');
    expect(await documentText(code, 'review-1')).toContain('整改合格，待挂牌督办单位摘牌后销号。');

    // 安委办 gets the 摘牌 card; the department leader did not list it and may not remove the listing.
    const delisting = await cardAbout('ou_aqw', code, '请摘牌');
    expect(buttonTextsOf(delisting.content)).toContain('摘牌');
    const wrong = await forwardedClick('ou_dl', delisting, { action: 'hazard.delist', code });
    expect(wrong.toast).toEqual({ type: 'error', content: '该隐患由县安委办挂牌督办，只有县安委办可以摘牌' });
    clock.set(at('2026-06-06 10:00'));
    const delisted = await click('ou_aqw', delisting.messageId, { action: 'hazard.delist', code });
    expect(delisted.toast).toEqual({ type: 'success', content: '已摘牌，隐患已销号' });
    expect((await row(code)).status).toBe('closed');
    const again = await click('ou_aqw', delisting.messageId, { action: 'hazard.delist', code });
    expect(again.toast).toEqual({ type: 'info', content: '已处理：该隐患已摘牌销号' });

    // A general hazard may not be listed at all.
    const general = await report('ou_din', {});
    const generalListing = await click('ou_aqw', delisting.messageId, { action: 'hazard.list', code: general.code });
    expect(generalListing.toast.content).toContain('只有重大事故隐患可以挂牌督办');

    // The API and the stats say listed (是) / delisted (已摘牌), never for a general hazard.
    const api = await fetch(`${service.url}/api/hazards?status=closed`, { headers: auth });
    const list = (await api.json()) as Json;
    const listedItem = list.items.find((h: Json) => h.code === code);
    expect(listedItem).toMatchObject({ listed: true, status: 'closed' });
    const stats = (await (await fetch(`${service.url}/api/stats`, { headers: auth })).json()) as Json;
    expect(stats.majorUnderSupervision).toMatchObject({ listed: 0 });
  });
});
