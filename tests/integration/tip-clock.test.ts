import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { tips } from '../../src/db/schema/index.js';
import { DEFAULT_POLICY_JSON } from '../../src/domain/escalation-policy.js';
import { type Json, titleOf } from '../support/chat.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'tip-clock-admin-token-0123456789';
const READER = 'tip-clock-county-reader-0123456789';
const DEPARTMENT_READER = 'tip-clock-yjj-reader-0123456789';
/** A local (Asia/Shanghai) wall-clock time as an ISO instant. */
const at = (text: string) => `${text.replace(' ', 'T')}:00+08:00`;

const PEOPLE = [
  { code: 'tinsp', name: '镇检查员', openId: 'ou_tinsp', roles: [{ role: 'inspector', scope: 'region:town-01' }] },
  { code: 'dinsp', name: '应急局检查员', openId: 'ou_dinsp', roles: [{ role: 'inspector', scope: 'department:yjj' }] },
  {
    code: 'tlc',
    name: '镇分管领导',
    openId: 'ou_tlc',
    roles: [{ role: 'township_leader_in_charge', scope: 'region:town-01' }],
  },
  { code: 'dl', name: '应急局局长', openId: 'ou_dl', roles: [{ role: 'department_leader', scope: 'department:yjj' }] },
  { code: 'aw', name: '安委办干事', openId: 'ou_aw', roles: [{ role: 'county_safety_office', scope: 'county' }] },
  { code: 'cl', name: '县长', openId: 'ou_cl', roles: [{ role: 'county_leader', scope: 'county' }] },
  { code: 'boss', name: '企业老板', openId: 'ou_boss', roles: [] },
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

const TIPSTER_NAME = '王举报';
const TIPSTER_PHONE = '13912345678';

async function startWith(clock: ManualClock, env: Record<string, string> = {}) {
  const service = await startTestService(
    {
      ADMIN_TOKEN: TOKEN,
      API_TOKENS: `county:${READER},yjj:${DEPARTMENT_READER}`,
      API_TOKEN_SCOPES: 'yjj=department:yjj',
      COUNTY_NAME: '某县',
      // Several tips from one address and phone: the limits and the challenge have their own test (tip-abuse).
      TIP_MAX_PER_ADDRESS_HOUR: '1000',
      TIP_MAX_PER_PHONE_DAY: '1000',
      TIP_CHALLENGE_AFTER: '1000',
      ...env,
    },
    { clock },
  );
  for (const p of PEOPLE) service.sim.addUser({ openId: p.openId, name: p.name });
  const response = await fetch(`${service.url}/api/admin/directory`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(DIRECTORY),
  });
  expect(response.status, await response.text()).toBe(200);
  return service;
}

async function sendTip(service: TestService, fields: Record<string, string>): Promise<string> {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  const response = await fetch(`${service.url}/tip`, { method: 'POST', body, headers: { accept: 'application/json' } });
  const answer: Json = await response.json();
  expect(response.status, JSON.stringify(answer)).toBe(201);
  return answer.code as string;
}

/** The tip steps of a sweep at a local time, as `code → step → sorted open_ids`. */
async function sweepAt(service: TestService, text: string) {
  const response = await fetch(`${service.url}/api/admin/sweep`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ at: at(text) }),
  });
  const answer = (await response.json()) as Json;
  expect(response.status, JSON.stringify(answer)).toBe(200);
  const steps: Record<string, Record<string, string[]>> = {};
  for (const s of answer.steps.filter((s: Json) => String(s.hazard).startsWith('JB-'))) {
    steps[s.hazard] ??= {};
    steps[s.hazard]![s.step] = s.to.map((t: Json) => t.openId).sort();
  }
  return steps;
}

describe('the answer clock: 10 working days, each step once, stopped by the answer', () => {
  const clock = new ManualClock(at('2026-12-07 10:00'));
  let service: TestService;
  const codes = { town: '', unit: '', declined: '' };

  beforeAll(async () => {
    service = await startWith(clock);
    codes.town = await sendTip(service, {
      what: '仓库堆放大量油桶',
      where: '城关镇工业园 3 号仓库',
      region: 'town-01',
      name: TIPSTER_NAME,
      phone: TIPSTER_PHONE,
    });
    codes.unit = await sendTip(service, { what: '储罐漏气', where: '厂区东侧', unit: 'e001' });
    codes.declined = await sendTip(service, { what: '路边摊', where: '城关镇菜市场', region: 'town-01' });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('reminds the handlers 3 working days before, tells the leader on the due day, the county office past it', async () => {
    // Received Monday 12-07: due Monday 12-21 (10 working days); the first step on Wednesday 12-16 at 09:00.
    expect(await sweepAt(service, '2026-12-15 17:00')).toEqual({});
    const first = await sweepAt(service, '2026-12-16 09:30');
    expect(first).toEqual({
      [codes.town]: { 'tip-answer-due-in-3d': ['ou_tinsp'] },
      [codes.unit]: { 'tip-answer-due-in-3d': ['ou_dinsp'] },
      [codes.declined]: { 'tip-answer-due-in-3d': ['ou_tinsp'] },
    });
    expect(await sweepAt(service, '2026-12-16 10:00')).toEqual({});

    // The township inspector has two tips due: one card listing both (code, place, the wait, the due day), not two;
    // the department's inspector has one: its own card, with what to do. Never the tipster.
    const reminders = (openId: string) =>
      service.sim
        .messages({ to: openId, msgType: 'interactive' })
        .filter((m) => titleOf(m.content).startsWith('举报答复提醒'));
    const card = await eventually(() => reminders('ou_tinsp')[0], 10_000, 'the reminder card');
    expect(titleOf(card.content)).toBe('举报答复提醒｜2 件举报待答复');
    const text = JSON.stringify(card.content);
    for (const code of [codes.town, codes.declined]) expect(text).toContain(code);
    expect(text).toContain('城关镇工业园 3 号仓库');
    expect(text).toContain('已等待 7 个工作日');
    expect(text).toContain('期限 2026-12-21');
    const own = await eventually(() => reminders('ou_dinsp')[0], 10_000, 'the department inspector’s card');
    expect(titleOf(own.content)).toBe(`举报答复提醒｜${codes.unit}`);
    expect(JSON.stringify(own.content)).toContain('已等待**：7 个工作日');
    expect(JSON.stringify(own.content)).toContain('请尽快受理核查');
    await new Promise((r) => setTimeout(r, 200));
    expect(reminders('ou_tinsp')).toHaveLength(1);
    expect(text).not.toContain(TIPSTER_NAME);
    expect(text).not.toContain(TIPSTER_PHONE);
    expect(text).not.toContain('油桶');

    // Answered (不予受理): its clock stops.
    const declineCard = await eventually(
      () =>
        service.sim
          .messages({ to: 'ou_tinsp', msgType: 'interactive' })
          .find((m) => titleOf(m.content) === `群众举报｜${codes.declined}`),
      10_000,
      'the tip card',
    );
    const declined = await service.sim.clickCard('ou_tinsp', declineCard.messageId, {
      value: { action: 'tip.decline', code: codes.declined },
      formValue: { decline_reason: 'not_work_safety' },
    });
    expect((declined.body as Json).toast.type).toBe('success');

    expect(await sweepAt(service, '2026-12-18 09:30')).toEqual({});
    expect(await sweepAt(service, '2026-12-21 09:30')).toEqual({
      [codes.town]: { 'tip-answer-due-today': ['ou_tlc'] },
      [codes.unit]: { 'tip-answer-due-today': ['ou_dl'] },
    });
    // Past the due day: 09:00 of the next working day, 加急.
    expect(await sweepAt(service, '2026-12-22 08:30')).toEqual({});
    const overdue = await sweepAt(service, '2026-12-22 09:30');
    expect(overdue).toEqual({
      [codes.town]: { 'tip-answer-overdue': ['ou_aw'] },
      [codes.unit]: { 'tip-answer-overdue': ['ou_aw'] },
    });
    expect(await sweepAt(service, '2026-12-28 09:30')).toEqual({});
    // Both overdue tips on one card to the county office, buzzed (加急) once.
    await eventually(
      () => service.sim.calls.some((c) => c.api === 'message.urgent_app'),
      10_000,
      'the county office’s card buzzed',
    );
    await new Promise((r) => setTimeout(r, 200));
    const urgent = reminders('ou_aw');
    expect(urgent.length).toBe(1);
    expect(titleOf(urgent[0]!.content)).toBe('举报答复提醒｜2 件举报待答复');
    expect(JSON.stringify(urgent[0]!.content)).toContain('2 件已超过答复期限');
    expect(service.sim.calls.filter((c) => c.api === 'message.urgent_app')).toHaveLength(1);
    expect(
      (await service.deps.database.db.select().from(tips).where(eq(tips.code, codes.declined)))[0]!.firstAnsweredAt,
    ).not.toBeNull();
  });
});

describe('the answer clock under a policy file', () => {
  const clock = new ManualClock(at('2026-12-07 10:00'));
  let service: TestService;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tip-clock-policy-'));
    const file = path.join(dir, 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...DEFAULT_POLICY_JSON,
        tips: {
          answerDays: 5,
          steps: [
            {
              id: 'tip-late-1d',
              label: '举报逾期 1 个工作日',
              who: ['county_leader'],
              when: { after: 'answer_due', days: 1 },
              channel: 'card',
            },
          ],
        },
      }),
    );
    service = await startWith(clock, { ESCALATION_POLICY_FILE: file });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('obeys the file: 5 working days, one step a working day past the due day, none of the defaults', async () => {
    const code = await sendTip(service, { what: '油桶', where: '3 号仓库', region: 'town-01' });
    // Due Monday 12-14; one working day late at the end of Tuesday 12-15.
    expect(await sweepAt(service, '2026-12-14 10:00')).toEqual({});
    expect(await sweepAt(service, '2026-12-15 20:00')).toEqual({});
    expect(await sweepAt(service, '2026-12-16 08:00')).toEqual({ [code]: { 'tip-late-1d': ['ou_cl'] } });
    expect(await sweepAt(service, '2026-12-21 09:30')).toEqual({});
  });
});

describe('举报奖励 and the tips in the statistics', () => {
  const clock = new ManualClock(at('2026-12-07 10:00'));
  let service: TestService;
  const codes = { confirmed: '', declined: '', open: '', unfounded: '' };
  const cards = (openId: string) => service.sim.messages({ to: openId, msgType: 'interactive' });
  const tipCard = (openId: string, code: string) =>
    eventually(
      () => cards(openId).find((m) => titleOf(m.content) === `群众举报｜${code}`),
      10_000,
      `the card of ${code} to ${openId}`,
    );
  const click = (openId: string, messageId: string, value: Json, formValue?: Record<string, string>) =>
    service.sim.clickCard(openId, messageId, { value, formValue }).then((d) => d.body as Json);
  /** A click by someone the card was not sent to (a forwarded card). */
  const forwardedClick = (
    openId: string,
    card: { messageId: string; chatId: string },
    value: Json,
    formValue?: Record<string, string>,
  ) => service.sim.clickForwardedCard(openId, card, { value, formValue }).then((d) => d.body as Json);
  const api = async (url: string, token = READER) => {
    const response = await fetch(`${service.url}${url}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).toBe(200);
    return body;
  };

  beforeAll(async () => {
    service = await startWith(clock);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('records the reward of a tip proved true: only 安委办, the form back with what to fix, then in the API', async () => {
    codes.confirmed = await sendTip(service, {
      what: '储罐漏气',
      where: '厂区东侧',
      unit: 'e001',
      name: TIPSTER_NAME,
      phone: TIPSTER_PHONE,
      via: 'unit_qr',
    });
    // Sent as the form sends them: opened from the township's poster (two) and from the page (one).
    codes.declined = await sendTip(service, {
      what: '邻居吵闹',
      where: '城关镇',
      region: 'town-01',
      via: 'township_qr',
    });
    codes.open = await sendTip(service, { what: '油桶', where: '3 号仓库', region: 'town-01', via: 'township_qr' });
    codes.unfounded = await sendTip(service, { what: '烟囱冒烟', where: '砖厂', region: 'town-01' });

    const declineCard = await tipCard('ou_tinsp', codes.declined);
    const declined = await click(
      'ou_tinsp',
      declineCard.messageId,
      { action: 'tip.decline', code: codes.declined },
      { decline_reason: 'not_work_safety' },
    );
    expect(declined.toast.type).toBe('success');
    const unfoundedCard = await tipCard('ou_tinsp', codes.unfounded);
    expect(
      (await click('ou_tinsp', unfoundedCard.messageId, { action: 'tip.accept', code: codes.unfounded })).toast.type,
    ).toBe('success');

    const card = await tipCard('ou_dinsp', codes.confirmed);
    expect((await click('ou_dinsp', card.messageId, { action: 'tip.accept', code: codes.confirmed })).toast.type).toBe(
      'success',
    );
    // Not yet proved true: no reward.
    const early = await forwardedClick('ou_aw', card, { action: 'tip.startReward', code: codes.confirmed });
    expect(early.toast.content).toContain('只有经核查属实的举报才能记录奖励');

    const formsBefore = cards('ou_dinsp').length;
    expect((await click('ou_dinsp', card.messageId, { action: 'tip.confirm', code: codes.confirmed })).toast.type).toBe(
      'success',
    );
    const reportForm = await eventually(
      () =>
        cards('ou_dinsp')
          .slice(formsBefore)
          .find((m) => titleOf(m.content).includes(codes.confirmed)),
      10_000,
      'the report form',
    );
    const submit = JSON.stringify(reportForm.content).match(/"draft":(\d+)/);
    clock.set(at('2026-12-09 10:00'));
    const registered = await click(
      'ou_dinsp',
      reportForm.messageId,
      { action: 'report.submit', draft: Number(submit![1]) },
      {
        enterprise: '城关化工有限公司',
        sector: '危险化学品',
        level: 'general',
        description: '储罐区漏气',
        location: '储罐区',
        measures: '更换阀门并检测',
        standard: '无泄漏',
        deadline: '2026-12-31 +0800',
      },
    );
    expect(registered.toast.type, JSON.stringify(registered.toast)).not.toBe('error');
    expect((await service.deps.database.db.select().from(tips).where(eq(tips.code, codes.confirmed)))[0]!.status).toBe(
      'confirmed',
    );
    clock.set(at('2026-12-14 11:00'));
    const unfounded = await click(
      'ou_tinsp',
      unfoundedCard.messageId,
      { action: 'tip.unfounded', code: codes.unfounded },
      { note: '现场为正常蒸汽' },
    );
    expect(unfounded.toast.type).toBe('success');

    // The handler's card offers the button; a handler who is not 安委办 is refused and nothing is stored.
    const confirmedCard = await eventually(
      () => (JSON.stringify(service.sim.message(card.messageId)?.content).includes('记录举报奖励') ? true : undefined),
      10_000,
      'the reward button on the card',
    );
    expect(confirmedCard).toBe(true);
    const wrong = await click('ou_dinsp', card.messageId, { action: 'tip.startReward', code: codes.confirmed });
    expect(wrong.toast.type).toBe('error');
    expect(wrong.toast.content).toContain('只有县安委办');

    const opened = await forwardedClick('ou_aw', card, { action: 'tip.startReward', code: codes.confirmed });
    expect(opened.toast.type).toBe('success');
    expect(JSON.stringify(opened.card.data)).toContain('"name":"amount"');
    const badAmount = await forwardedClick(
      'ou_aw',
      card,
      { action: 'tip.reward', code: codes.confirmed },
      { amount: '五百', decided_on: '2026-12-10', paid: 'yes', paid_on: '2026-12-11' },
    );
    expect(badAmount.toast.type).toBe('error');
    expect(badAmount.toast.content).toContain('奖励金额应为数字');
    // The form comes back with what was typed and the problem beside the amount.
    expect(JSON.stringify(badAmount.card.data)).toContain('"default_value":"2026-12-10"');
    expect(JSON.stringify(badAmount.card.data)).toContain('⚠ 奖励金额应为数字');
    const noPaidOn = await forwardedClick(
      'ou_aw',
      card,
      { action: 'tip.reward', code: codes.confirmed },
      { amount: '500', decided_on: '2026-12-10', paid: 'yes' },
    );
    expect(noPaidOn.toast.content).toContain('已发放请填写发放日期');
    let row = (await service.deps.database.db.select().from(tips).where(eq(tips.code, codes.confirmed)))[0]!;
    expect(row.rewardAmount).toBeNull();

    const saved = await forwardedClick(
      'ou_aw',
      card,
      { action: 'tip.reward', code: codes.confirmed },
      { amount: '500', decided_on: '2026-12-10', paid: 'yes', paid_on: '2026-12-11' },
    );
    expect(saved.toast.type, JSON.stringify(saved.toast)).toBe('success');
    expect(JSON.stringify(saved.card.data)).toContain('500.00 元，2026-12-10 决定，已发放（2026-12-11）');
    row = (await service.deps.database.db.select().from(tips).where(eq(tips.code, codes.confirmed)))[0]!;
    expect(row).toMatchObject({ rewardDecidedOn: '2026-12-10', rewardPaid: true, rewardPaidOn: '2026-12-11' });
    const tip = await api(`/api/tips/${codes.confirmed}`);
    expect(tip.reward).toEqual({ amountYuan: 500, decidedOn: '2026-12-10', paid: true, paidOn: '2026-12-11' });
    expect(tip.trail.map((e: Json) => e.type)).toContain('reward');
  });

  it('counts the tips in /api/stats and the 统计 card: by source, result, working days to answer, rewards', async () => {
    const stats = await api('/api/stats');
    expect(stats.tips).toEqual({
      total: 4,
      bySource: [
        { channel: 'unit_qr', label: '单位二维码', count: 1 },
        { channel: 'township_qr', label: '乡镇海报二维码', count: 2 },
        { channel: 'page', label: '举报网页', count: 1 },
      ],
      named: 1,
      anonymous: 3,
      accepted: 2,
      declined: {
        total: 1,
        byReason: [
          { reason: 'not_work_safety', label: '不属于安全生产事项', count: 1 },
          { reason: 'duplicate', label: '重复举报', count: 0 },
          { reason: 'outside_county', label: '不属于本县管辖', count: 0 },
        ],
      },
      confirmed: 1,
      unfounded: 1,
      open: 1,
      // Declined the same day (0), confirmed on Wednesday (2), unfounded the next Monday (5).
      answerDays: { answered: 3, median: 2, max: 5 },
      rewards: { count: 1, amountYuan: 500, paid: 1, paidYuan: 500 },
    });

    // The department's reader: only the tip about its unit.
    const department = await api('/api/stats', DEPARTMENT_READER);
    expect(department.tips).toMatchObject({ total: 1, confirmed: 1, open: 0, rewards: { count: 1 } });

    // The ledger xlsx: a sheet of the same figures.
    const response = await fetch(`${service.url}/api/ledger.xlsx`, { headers: { authorization: `Bearer ${READER}` } });
    expect(response.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await response.arrayBuffer()) as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('群众举报')!;
    const rows: Record<string, [unknown, unknown]> = {};
    sheet.eachRow((row, n) => {
      if (n > 3) rows[String(row.getCell(1).value)] = [row.getCell(2).value, row.getCell(3).value];
    });
    expect(rows['举报总数']).toEqual([4, null]);
    expect(rows['　来源：乡镇海报二维码']).toEqual([2, null]);
    expect(rows['　匿名举报']).toEqual([3, null]);
    expect(rows['答复用时中位数（工作日）']).toEqual([2, null]);
    expect(rows['举报奖励']).toEqual([1, 500]);
    expect(JSON.stringify(rows)).not.toContain(TIPSTER_NAME);
    expect(JSON.stringify(rows)).not.toContain(TIPSTER_PHONE);

    const before = cards('ou_aw').length;
    await service.sim.sendText('ou_aw', '统计');
    const card = await eventually(() => cards('ou_aw').slice(before)[0], 10_000, 'the 统计 card');
    const text = JSON.stringify(card.content);
    expect(text).toContain(
      '**群众举报** 共 **4** 件：受理 2，不予受理 1（不属于安全生产事项 1），属实 1，不属实 1，待处理 1',
    );
    expect(text).toContain('来源：单位二维码 1，乡镇海报二维码 2，举报网页 1；实名 1，匿名 3');
    expect(text).toContain('答复用时：中位 2 个工作日，最长 5 个工作日（已答复 3 件）');
    expect(text).toContain('举报奖励：1 件，共 500.00 元，已发放 1 件 500.00 元');
  });
});
