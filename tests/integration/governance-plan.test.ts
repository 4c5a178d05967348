/**
 * The major hazard's report and 治理方案 (issue #21 point 2), through chat on the real service: the form reaches the
 * responsible person in the report's transaction; every part is required (a missing part is named beside its field
 * and nothing typed is lost); the supervising department 通过 / 退回 (with a reason); versions and the trail; the
 * plan's clock (5 working days) reminds and escalates once per step and stops on 通过; a general hazard has none.
 * One service, its clock moving forward only (the sweep's progress does too).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { governancePlans, hazardClocks, hazards } from '../../src/db/schema/index.js';
import { sampleReportForm } from '../../src/dev/sample-county.js';
import { PLAN_FIELDS } from '../../src/domain/index.js';
import { planDocument } from '../../src/hazards/plan-document.js';
import { type Json, reportThroughChat, titleOf } from '../support/chat.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'governance-plan-test-admin-token-0123';
const READER = 'governance-plan-test-reader-token-0123';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const TOWN_CHAT = 'oc_town01_plan';

const PEOPLE = [
  { code: 'insp', name: '县检查员', openId: 'ou_insp', roles: [{ role: 'inspector', scope: 'county' }] },
  { code: 'boss', name: '企业老板', openId: 'ou_boss', roles: [] },
  { code: 'tinsp', name: '镇检查员', openId: 'ou_tinsp', roles: [{ role: 'inspector', scope: 'region:town-01' }] },
  { code: 'dinsp', name: '局检查员', openId: 'ou_dinsp', roles: [{ role: 'inspector', scope: 'department:yjj' }] },
  {
    code: 'tlc',
    name: '李分管',
    openId: 'ou_tlc',
    roles: [{ role: 'township_leader_in_charge', scope: 'region:town-01' }],
  },
  { code: 'dl', name: '赵局长', openId: 'ou_dl', roles: [{ role: 'department_leader', scope: 'department:yjj' }] },
  { code: 'cl', name: '钱县长', openId: 'ou_cl', roles: [{ role: 'county_leader', scope: 'county' }] },
];

const DIRECTORY = {
  regions: [
    { code: 'county-x', name: '某县', parent: null },
    { code: 'town-01', name: '城关镇', parent: 'county-x', chatId: TOWN_CHAT },
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

const PLAN: Record<string, string> = {
  situation: '2 号储罐区静电接地线断开，原因是检修后未恢复',
  severity: '可燃蒸气遇静电火花可能引发火灾爆炸，整改需停罐检修，难度中等',
  goals: '恢复全部储罐静电接地并建立检修后复核制度',
  methods: '停用 2 号罐，更换接地线，逐罐检测接地电阻',
  funding: '企业自筹 3 万元，接地材料已采购',
  organisation: '设备部负责，部长王某牵头，电工 2 名',
  timeline: '2026-06-15 前完成，每周报告进度',
  safety: '整改期间 2 号罐停用、设置警戒区，配备灭火器材，执行应急预案',
};

/** A local (Asia/Shanghai) wall-clock time as an ISO instant. */
const at = (text: string) => `${text.replace(' ', 'T')}:00+08:00`;
const cardText = (card: Json) => JSON.stringify(card);

/** Every input of a card's form, as name → default value. */
function inputsOf(card: Json): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (node: Json) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    if (node.tag === 'input') out[node.name] = node.default_value ?? '';
    for (const child of Object.values(node)) walk(child);
  };
  walk(card);
  return out;
}

/** The red notes of a form, in order, with the field each follows. */
function errorsOf(card: Json): Record<string, string> {
  const out: Record<string, string> = {};
  let last = '';
  const walk = (node: Json) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    if (node.tag === 'input') last = node.name;
    if (node.tag === 'markdown' && String(node.content).includes('⚠')) out[last] = node.content;
    for (const child of Object.values(node)) walk(child);
  };
  walk(card);
  return out;
}

describe('a major hazard: the unit report and 治理方案, with its own clock', () => {
  let service: TestService;
  const clock = new ManualClock(at('2026-05-14 10:00'));
  const db = () => service.deps.database.db;
  const cards = (to: string) => service.sim.messages({ to, msgType: 'interactive' });
  const click = (openId: string, messageId: string, value: Json, formValue?: Record<string, string>) =>
    service.sim.clickCard(openId, messageId, { value, formValue }).then((d) => d.body as Json);
  const cardAbout = (openId: string, code: string, title: string, n = 1) =>
    eventually(
      () => {
        const found = cards(openId).filter(
          (m) => titleOf(m.content).includes(code) && titleOf(m.content).includes(title),
        );
        return found.length >= n ? found[n - 1] : undefined;
      },
      10_000,
      `card ${n} "${title}" about ${code} to ${openId}`,
    );
  const hazardApi = async (code: string) => {
    const response = await fetch(`${service.url}/api/hazards/${code}`, {
      headers: { authorization: `Bearer ${READER}` },
    });
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).toBe(200);
    return body;
  };
  const hazardId = async (code: string) =>
    (await db().select({ id: hazards.id }).from(hazards).where(eq(hazards.code, code)))[0]!.id;
  /** The plan steps of each hazard in a sweep at a local time, as `code → step → sorted open_ids`. */
  async function sweepAt(text: string) {
    const response = await fetch(`${service.url}/api/admin/sweep`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ at: at(text) }),
    });
    const answer = (await response.json()) as Json;
    expect(response.status, JSON.stringify(answer)).toBe(200);
    const steps: Record<string, Record<string, string[]>> = {};
    for (const s of answer.steps.filter((s: Json) => String(s.step).startsWith('plan-'))) {
      steps[s.hazard] ??= {};
      steps[s.hazard]![s.step] = s.to.map((t: Json) => t.openId).sort();
    }
    return { steps, answer };
  }
  const report = async (level: 'major' | 'general') => {
    const reported = await reportThroughChat(service.sim, 'ou_insp', {
      ...sampleReportForm('2026-06-30'),
      level,
    });
    expect(reported.code, JSON.stringify(reported.body)).toBeTruthy();
    return reported.code!;
  };

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: TOKEN, API_TOKENS: `dash:${READER}` }, { clock });
    for (const p of PEOPLE) service.sim.addUser({ openId: p.openId, name: p.name });
    service.sim.addChat({ chatId: TOWN_CHAT, name: '城关镇安全生产群', memberOpenIds: PEOPLE.map((p) => p.openId) });
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(DIRECTORY),
    });
    expect(response.status, await response.text()).toBe(200);
  });
  afterAll(() => service?.stop());

  it('runs the plan from the form to 通过, its clock once per step, and leaves a general hazard alone', async () => {
    // Thursday 2026-05-14 10:00: a major hazard (A, whose plan goes through) and another (B, whose plan never
    // comes), and a general one (G).
    const a = await report('major');
    const b = await report('major');
    const g = await report('general');

    // The form reaches the responsible person (the unit's principal): eight parts, 提交治理方案, due in 5 working days.
    const form = await cardAbout('ou_boss', a, '请提交治理方案');
    expect(Object.keys(inputsOf(form.content))).toEqual([...PLAN_FIELDS]);
    expect(cardText(form.content)).toContain('提交治理方案');
    expect(cardText(form.content)).toContain('2026-05-21（退回修改不停止计时，提交期限不变）');
    for (const field of ['现状及其产生原因', '危害程度和整改难易程度分析', '安全措施和应急预案']) {
      expect(cardText(form.content)).toContain(field);
    }
    await cardAbout('ou_boss', b, '请提交治理方案');
    expect((await hazardApi(a)).plan).toMatchObject({ state: 'awaiting', stateLabel: '待提交', due: '2026-05-21' });
    // A general hazard: no form, no clock, no plan.
    expect(
      cards('ou_boss').filter((m) => titleOf(m.content).includes(g) && cardText(m.content).includes('治理方案')),
    ).toEqual([]);
    expect(
      await db()
        .select()
        .from(hazardClocks)
        .where(eq(hazardClocks.hazardId, await hazardId(g))),
    ).toEqual([]);
    expect((await hazardApi(g)).plan).toBeNull();

    clock.set(at('2026-05-15 09:00'));
    // Two parts empty: both named (toast and beside their fields), the other six kept; the draft keeps them too.
    const partial = await click(
      'ou_boss',
      form.messageId,
      { action: 'plan.submit', code: a },
      { ...PLAN, goals: '', funding: '  ' },
    );
    expect(partial.toast.type).toBe('error');
    expect(partial.toast.content).toBe(
      '治理方案未提交，未填写：治理的目标和任务、经费和物资的落实。已填写的内容已保留',
    );
    const kept = inputsOf(partial.card.data);
    for (const field of PLAN_FIELDS) expect(kept[field]).toBe(['goals', 'funding'].includes(field) ? '' : PLAN[field]);
    expect(Object.keys(errorsOf(partial.card.data)).sort()).toEqual(['funding', 'goals']);
    expect(errorsOf(partial.card.data).goals).toContain('请填写「治理的目标和任务」');
    const [draft] = await db()
      .select()
      .from(governancePlans)
      .where(eq(governancePlans.hazardId, await hazardId(a)));
    expect(draft).toMatchObject({ version: 1, status: 'draft', parts: { ...PLAN, goals: '', funding: '' } });
    // A part too long is said with its limit.
    const long = await click(
      'ou_boss',
      form.messageId,
      { action: 'plan.submit', code: a },
      { ...PLAN, goals: '目'.repeat(501) },
    );
    expect(long.toast.content).toContain('超出字数：治理的目标和任务');
    expect(errorsOf(long.card.data).goals).toContain('最多 500 字，现为 501 字');

    // All eight: the department's leader and its inspector get the plan with 通过 / 退回; nobody else does.
    const submitted = await click('ou_boss', form.messageId, { action: 'plan.submit', code: a }, PLAN);
    expect(submitted.toast.content).toBe('治理方案（第 1 版）已提交，等待局检查员、赵局长审核');
    const review = await cardAbout('ou_dl', a, '审核治理方案');
    const reviewByInspector = await cardAbout('ou_dinsp', a, '审核治理方案');
    expect(cardText(review.content)).toContain(PLAN.safety);
    expect(cardText(review.content)).toContain('通过');
    expect(cardText(review.content)).toContain('退回');
    for (const other of ['ou_tinsp', 'ou_insp', 'ou_tlc', 'ou_cl']) {
      expect(cards(other).filter((m) => titleOf(m.content).includes('审核治理方案'))).toEqual([]);
    }
    // Submitting again: already done.
    expect((await click('ou_boss', form.messageId, { action: 'plan.submit', code: a }, PLAN)).toast.content).toContain(
      '已处理',
    );
    expect((await hazardApi(a)).plan).toMatchObject({ state: 'submitted', stateLabel: '待审核' });

    // Wednesday 20 at 09:00, one working day before the due date: the responsible person is reminded, once.
    expect((await sweepAt('2026-05-20 08:59')).steps).toEqual({});
    const reminded = await sweepAt('2026-05-20 09:00');
    expect(reminded.steps).toEqual({
      [a]: { 'plan-due-in-1d': ['ou_boss'] },
      [b]: { 'plan-due-in-1d': ['ou_boss'] },
    });
    expect((await sweepAt('2026-05-20 12:00')).steps).toEqual({});

    // 退回 by someone outside the department (the department's inspector, moved to the township since the card came):
    // a toast saying who may.
    clock.set(at('2026-05-20 14:00'));
    const moved = DIRECTORY.people.map((p) =>
      p.code === 'dinsp' ? { ...p, roles: [{ role: 'inspector', scope: 'region:town-01' }] } : p,
    );
    const reimported = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ ...DIRECTORY, people: moved }),
    });
    expect(reimported.status, await reimported.text()).toBe(200);
    const notDepartment = await click(
      'ou_dinsp',
      reviewByInspector.messageId,
      { action: 'plan.return', code: a, version: 1 },
      { reason: '不行' },
    );
    expect(notDepartment.toast.content).toBe(
      '只有行业主管部门（县应急管理局）的负责人或该部门的检查员可以审核治理方案',
    );
    const noReason = await click(
      'ou_dl',
      review.messageId,
      { action: 'plan.return', code: a, version: 1 },
      { reason: ' ' },
    );
    expect(noReason.toast.content).toBe('退回须写明理由：请说明需要修改之处');
    expect(cardText(noReason.card.data)).toContain('退回须写明理由');

    // 退回 with a reason: the responsible person gets the form again, their text in it, and the reason.
    const returned = await click(
      'ou_dl',
      review.messageId,
      { action: 'plan.return', code: a, version: 1 },
      {
        reason: '经费来源不明确，请写明金额和到位时间',
      },
    );
    expect(returned.toast.content).toBe('治理方案第 1 版已退回，已将退回理由告知单位；提交期限 2026-05-21 不变');
    const again = await cardAbout('ou_boss', a, '治理方案被退回');
    expect(inputsOf(again.content)).toEqual(PLAN);
    expect(cardText(again.content)).toContain('经费来源不明确，请写明金额和到位时间');
    // A double click, or the stale card: 已处理.
    const stale = await click('ou_dl', review.messageId, { action: 'plan.accept', code: a, version: 1 });
    expect(stale.toast.content).toBe('已处理：该版治理方案已退回');
    expect((await hazardApi(a)).plan).toMatchObject({ state: 'returned', stateLabel: '已退回', due: '2026-05-21' });

    // Friday 22 at 07:30 (the due date ended in quiet hours): the plans not accepted by then — both — tell the
    // responsible person, the department leader and the township leader in charge (with an @ in the group), once.
    expect((await sweepAt('2026-05-21 23:00')).steps).toEqual({});
    const due = await sweepAt('2026-05-22 07:30');
    expect(due.steps).toEqual({
      [a]: { 'plan-overdue-0d': ['ou_boss', 'ou_dl', 'ou_tlc'] },
      [b]: { 'plan-overdue-0d': ['ou_boss', 'ou_dl', 'ou_tlc'] },
    });
    expect(due.answer.steps.find((s: Json) => s.hazard === a && s.step === 'plan-overdue-0d')).toMatchObject({
      channel: 'mention',
      chatId: TOWN_CHAT,
      label: '治理方案逾期未通过',
    });
    // One card per person for both: each line says the plan's due date, not the hazard's deadline.
    const overdueCard = await eventually(() =>
      cards('ou_dl').find((m) =>
        cardText(m.content).includes('治理方案提交期限 2026-05-21（已到治理方案提交期限，尚未审核通过）'),
      ),
    );
    expect(cardText(overdueCard.content)).toContain(a);
    expect(cardText(overdueCard.content)).toContain(b);
    expect(cardText(overdueCard.content)).toContain('以上重大隐患的治理方案尚未审核通过');
    expect((await sweepAt('2026-05-22 09:00')).steps).toEqual({});

    // The second version, accepted: the responsible person is told, the clock stops.
    clock.set(at('2026-05-22 10:00'));
    const v2 = await click(
      'ou_boss',
      again.messageId,
      { action: 'plan.submit', code: a },
      {
        ...PLAN,
        funding: '企业自筹 3 万元，5 月 25 日前到位',
      },
    );
    expect(v2.toast.content).toContain('治理方案（第 2 版）已提交');
    const review2 = await cardAbout('ou_dl', a, '审核治理方案'); // the first one now says 已退回
    expect(review2.messageId).not.toBe(review.messageId);
    const accepted = await click('ou_dl', review2.messageId, { action: 'plan.accept', code: a, version: 2 });
    expect(accepted.toast.content).toBe('治理方案第 2 版已通过，已告知单位；治理方案计时已停止');
    const told = await eventually(() =>
      service.sim
        .messages({ to: 'ou_boss', msgType: 'text' })
        .find((m) => JSON.stringify(m.content).includes('治理方案（第 2 版）已由赵局长审核通过')),
    );
    expect(told).toBeTruthy();
    // The accepted plan is kept as a PDF and sent to the unit and the reviewer as a file.
    for (const openId of ['ou_boss', 'ou_dl']) {
      await eventually(
        () => service.sim.messages({ to: openId, msgType: 'file' }).at(-1),
        10_000,
        `the plan PDF to ${openId}`,
      );
    }
    const pdf = await fetch(`${service.url}/api/hazards/${a}/documents/plan`, {
      headers: { authorization: `Bearer ${READER}` },
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toContain('application/pdf');
    const plan = (await hazardApi(a)).plan;
    expect(plan).toMatchObject({
      state: 'accepted',
      stateLabel: '已通过',
      due: '2026-05-21',
      current: { version: 2, status: 'accepted', submittedBy: '企业老板', decidedBy: '赵局长' },
      decisions: [
        { version: 1, decision: 'returned', by: '赵局长', reason: '经费来源不明确，请写明金额和到位时间' },
        { version: 2, decision: 'accepted', by: '赵局长', reason: null },
      ],
    });
    expect(plan.clockStoppedAt).toBe(new Date(at('2026-05-22 10:00')).toISOString());
    expect(plan.versions.map((v: Json) => v.parts.funding)).toEqual([
      PLAN.funding,
      '企业自筹 3 万元，5 月 25 日前到位',
    ]);
    const trail = (await hazardApi(a)).trail
      .filter((t: Json) => t.type.startsWith('plan_'))
      .map((t: Json) => [t.type, t.actor?.name, t.details]);
    expect(trail).toEqual([
      ['plan_submitted', '企业老板', { version: 1 }],
      ['plan_returned', '赵局长', { version: 1, reason: '经费来源不明确，请写明金额和到位时间' }],
      ['plan_submitted', '企业老板', { version: 2 }],
      ['plan_accepted', '赵局长', { version: 2 }],
    ]);
    // The hazard's own cards say where the plan stands.
    const notice = await cardAbout('ou_boss', a, '整改通知');
    await eventually(() =>
      cardText(service.sim.message(notice.messageId)!.content).includes('**治理方案**：已通过（第 2 版）'),
    );

    // Wednesday 27 at 07:30, three working days after the due date (Fri, Mon, Tue): B's plan, still not in,
    // reaches the county leader too, with 加急; A's clock has stopped.
    expect((await sweepAt('2026-05-26 23:00')).steps).toEqual({});
    const late = await sweepAt('2026-05-27 07:30');
    expect(late.steps).toEqual({
      [b]: { 'plan-overdue-3d': ['ou_boss', 'ou_cl', 'ou_dl', 'ou_tlc'] },
    });
    expect(late.answer.steps.find((s: Json) => s.hazard === b && s.step === 'plan-overdue-3d')).toMatchObject({
      channel: 'urgent',
      urgent: true,
    });
    const county = await eventually(() => cards('ou_cl').find((m) => titleOf(m.content).startsWith('治理方案逾期')));
    expect(titleOf(county.content)).toBe('治理方案逾期：已超过治理方案提交期限 3 个工作日');
    expect(cardText(county.content)).toContain(
      '2026-05-21（已超过治理方案提交期限 3 个工作日；退回修改不停止计时，提交期限不变）',
    );
    expect((await sweepAt('2026-05-28 09:00')).steps).toEqual({});

    // The general hazard never had a plan step; B is still waiting.
    expect((await hazardApi(b)).plan).toMatchObject({ state: 'awaiting', clockStoppedAt: null });

    // What the PDF renders: the accepted version under exactly these names.
    expect(await planDocument(db(), a, service.deps.reminders.settings.calendar)).toEqual({
      hazardCode: a,
      unitName: '城关化工有限公司',
      ...PLAN,
      funding: '企业自筹 3 万元，5 月 25 日前到位',
      submittedBy: '企业老板',
      submittedAt: '2026-05-22 10:00',
      acceptedBy: '赵局长',
      acceptedAt: '2026-05-22 10:00',
    });
    expect(await planDocument(db(), b, service.deps.reminders.settings.calendar)).toBeNull();
  });
});
