/**
 * 查 in chat, end to end against the Feishu simulator (issue #20 points 1–3): the form, the unit and checklist picks,
 * the paged checklist card, submitting (JC numbers, the trail), failed items → prefilled report forms → hazards
 * linked to the inspection, 立查立改 → hazards closed at once (no reminders), self-inspection, photos, and the
 * refusals (a stranger's click, someone outside the unit's scope, a companion who is not an inspector).
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/clock.js';
import {
  enterprises,
  hazardEvents,
  hazardPhotos,
  hazards,
  inspectionEvents,
  inspectionItems,
  inspections,
  reminderSteps,
} from '../../src/db/schema/index.js';
import { CARD_MAX_BYTES } from '../../src/dev/feishu-sim/card-validator.js';
import { createCalendar } from '../../src/domain/calendar.js';
import { elementsOf, type Json, openReportForm, titleOf } from '../support/chat.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'inspections-test-admin-token-0123456789';
const calendar = createCalendar();

const PEOPLE = [
  { code: 'insp', name: '县检查员', openId: 'ou_insp', roles: [{ role: 'inspector', scope: 'county' }] },
  { code: 'tinsp', name: '镇检查员', openId: 'ou_tinsp', roles: [{ role: 'inspector', scope: 'region:town-01' }] },
  { code: 'oinsp', name: '外镇检查员', openId: 'ou_oinsp', roles: [{ role: 'inspector', scope: 'region:town-02' }] },
  { code: 'boss', name: '企业老板', openId: 'ou_boss', roles: [] },
  { code: 'safe', name: '安全员', openId: 'ou_safe', roles: [] },
  { code: 'cl', name: '县长', openId: 'ou_cl', roles: [{ role: 'county_leader', scope: 'county' }] },
  { code: 'dl', name: '局长', openId: 'ou_dl', roles: [{ role: 'department_leader', scope: 'department:yjj' }] },
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
    { code: 'e004', name: '河西燃气站', region: 'town-02', sectors: ['燃气'], principal: 'boss' },
  ],
};

/** The county's checklists, imported through the admin API. */
const CHECKLISTS = [
  {
    code: 'wh-01',
    name: '危险化学品企业重大隐患排查',
    sector: '危险化学品',
    items: [
      {
        code: '1',
        text: '主要负责人和安全生产管理人员依法经考核合格',
        basis: '安监总管三〔2017〕121号 第一条',
        major: true,
      },
      { code: '2', text: '特种作业人员持证上岗', basis: '安监总管三〔2017〕121号 第二条', major: true },
      { code: '3', text: '储罐区静电接地完好', basis: 'GB 50160 第6.2条', major: false },
      { code: '4', text: '可燃气体报警装置投用', basis: '安监总管三〔2017〕121号 第十条', major: true },
    ],
  },
  {
    code: 'gm-01',
    name: '工贸企业安全检查',
    sector: '工贸',
    items: [
      { code: '1', text: '砂轮机防护罩齐全', basis: '工贸重大隐患判定标准 第五条', major: false },
      { code: '2', text: '有限空间作业审批', basis: '工贸重大隐患判定标准 第三条', major: false },
    ],
  },
  {
    code: 'rq-01',
    name: '燃气经营场所检查',
    sector: '燃气',
    items: [{ code: '1', text: '钢瓶检验合格', basis: '城镇燃气管理条例 第二十条', major: false }],
  },
  {
    code: 'rq-02',
    name: '燃气管道检查',
    sector: '燃气',
    items: [{ code: '1', text: '管道无泄漏', basis: '城镇燃气管理条例 第三十条', major: false }],
  },
  {
    code: 'tz-60',
    name: '特种设备综合检查',
    sector: '特种设备',
    items: Array.from({ length: 60 }, (_, i) => ({
      code: `${Math.floor(i / 10) + 1}.${(i % 10) + 1}`,
      text: `第${i + 1}项：${'锅炉、压力容器、压力管道、电梯、起重机械等特种设备未经定期检验或检验不合格仍继续使用，安全附件、安全保护装置失效，'.repeat(2)}`,
      basis: `《特种设备安全监察条例》及《特种设备重大事故隐患判定准则》第${i + 1}条`,
      major: i % 5 === 0,
    })),
  },
];

describe('查: inspections in chat', () => {
  let service: TestService;
  const db = () => service.deps.database.db;
  const today = () => calendar.localDate(service.clock.now());
  const cards = (openId: string) => service.sim.messages({ to: openId, msgType: 'interactive' });
  const texts = (openId: string) => service.sim.messages({ to: openId, msgType: 'text' });
  const cardText = (card: Json) => JSON.stringify(card);
  const FORM_TITLES = ['开始检查', '企业自查'];

  /** 检查 (or the menu) as `openId`: the form's message. */
  async function openForm(openId: string, via: 'text' | 'menu' = 'text') {
    const before = cards(openId).length;
    if (via === 'text') await service.sim.sendText(openId, '检查');
    else await service.sim.clickMenu(openId, 'inspect');
    return eventually(
      () =>
        cards(openId)
          .slice(before)
          .find((m) => FORM_TITLES.includes(titleOf(m.content))),
      10_000,
      `the inspection form to ${openId}`,
    );
  }
  /** A click as `openId` on a card of theirs; answers the delivery (body: toast and card). */
  const click = (openId: string, messageId: string, value: Json, formValue?: Record<string, string | string[]>) =>
    service.sim.clickCard(openId, messageId, { value, formValue });
  /** 开始检查 with `formValue` on a new form: the form's message and the delivery. */
  async function start(openId: string, formValue: Record<string, string | string[]>) {
    const form = await openForm(openId);
    const delivery = await click(openId, form.messageId, { action: 'inspection.start' }, formValue);
    return { messageId: form.messageId, delivery, body: delivery.body as Json };
  }
  /** The checklist card's item codes, its button's value and text. */
  function pageOf(card: Json) {
    const selects = elementsOf(card).filter((e) => e.tag === 'select_static' && String(e.name).startsWith('item_'));
    const button = elementsOf(card).find((e) => e.tag === 'button' && e.form_action_type === 'submit');
    return {
      codes: selects.map((s) => String(s.name).slice('item_'.length)),
      chosen: Object.fromEntries(selects.map((s) => [String(s.name).slice(5), s.initial_option])),
      value: button.behaviors[0].value,
      text: button.text.content as string,
    };
  }
  /** Submits the card's page with an answer for each item (`answer` may leave some out) and `extra` fields. */
  async function answerPage(
    openId: string,
    messageId: string,
    card: Json,
    answer: (code: string) => string | undefined,
    extra: Record<string, string> = {},
  ) {
    const page = pageOf(card);
    const formValue: Record<string, string> = { ...extra };
    for (const code of page.codes) {
      const result = answer(code);
      if (result) formValue[`item_${code}`] = result;
    }
    const delivery = await click(openId, messageId, page.value, formValue);
    expect(delivery.cardUpdate?.applied, JSON.stringify(delivery.cardUpdate)).toBe(true);
    return delivery.body as Json;
  }
  /** Fills every page and submits: answers the summary's body and each page's card. */
  async function complete(
    openId: string,
    messageId: string,
    first: Json,
    answer: (code: string) => string,
    findings = '',
  ) {
    let card = first;
    const seen: Json[] = [first];
    for (let i = 0; i < 20; i++) {
      const page = pageOf(card);
      const body = await answerPage(openId, messageId, card, answer, page.text === '提交检查' ? { findings } : {});
      if (page.text === '提交检查') return { body, seen };
      card = body.card.data;
      seen.push(card);
    }
    throw new Error('the checklist never ended');
  }
  const inspectionByCode = async (code: string) =>
    (await db().select().from(inspections).where(eq(inspections.code, code)))[0]!;
  const codeOf = (body: Json) => /JC-\d{4}-\d{6}/.exec(titleOf(body.card?.data))?.[0];
  const inspectionIdOf = (card: Json) => pageOf(card).value.inspection as number;

  /** A click on a card forwarded to someone else (the simulator's own chats would not show it to them). */
  const forwardedClick = async (openId: string, messageId: string, value: Json, formValue?: Json) => {
    const delivery = await service.sim.deliver({
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
        action: { value, tag: 'button', ...(formValue ? { form_value: formValue } : {}) },
        host: 'im_message',
        context: { open_message_id: messageId, open_chat_id: 'oc_p2p_forwarded' },
      },
    });
    return delivery.body as Json;
  };

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
    // The county's own set replaces the shipped default one (so the sectors below have exactly these).
    const imported = await fetch(`${service.url}/api/admin/checklists`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ checklists: CHECKLISTS }),
    });
    expect(imported.status, await imported.text()).toBe(200);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('the form: 检查 or the menu, one form with the fields of interface.md, privately from a group', async () => {
    const form = await openForm('ou_insp');
    expect(titleOf(form.content)).toBe('开始检查');
    expect(elementsOf(form.content).filter((e) => e.tag === 'form')).toHaveLength(1);
    const fields = elementsOf(form.content).filter((e) => e.name && e.tag !== 'button' && e.tag !== 'form');
    expect(fields.map((e) => [e.name, e.tag])).toEqual([
      ['enterprise', 'input'],
      ['kind', 'select_static'],
      ['checklist', 'select_static'],
      ['companions', 'multi_select_person'],
      ['date', 'date_picker'],
    ]);
    const field = (name: string) => fields.find((e) => e.name === name);
    expect(field('kind').options.map((o: Json) => o.text.content)).toEqual([
      '日常检查',
      '专项检查',
      '四不两直',
      '复查',
    ]);
    expect(field('checklist').options.map((o: Json) => o.text.content)).toContain(
      '危险化学品 · 危险化学品企业重大隐患排查',
    );
    // The companions offered are inspectors, never the asker, leaders or the unit's people.
    const offered = field('companions').options.map((o: Json) => o.value);
    expect(offered.sort()).toEqual(['ou_oinsp', 'ou_tinsp']);
    expect(field('date').initial_date).toBe(today());
    expect(elementsOf(form.content).find((e) => e.tag === 'button').text.content).toBe('开始检查');

    // The town inspector is offered the county inspector and not the other township's.
    const townForm = await openForm('ou_tinsp', 'menu');
    const townOffered = elementsOf(townForm.content).find((e) => e.name === 'companions');
    expect(townOffered.options.map((o: Json) => o.value)).toEqual(['ou_insp']);

    // In a group: the form goes one-to-one, the group only hears that.
    service.sim.addChat({ chatId: 'oc_team', name: '检查组', memberOpenIds: ['ou_insp', 'ou_tinsp'] });
    const before = cards('ou_insp').length;
    await service.sim.sendText('ou_insp', '检查', { chatId: 'oc_team', mentionBot: true });
    const privately = await eventually(() =>
      cards('ou_insp')
        .slice(before)
        .find((m) => titleOf(m.content) === '开始检查'),
    );
    expect(privately.chatId).not.toBe('oc_team');
    await eventually(() =>
      service.sim
        .messages({ to: 'oc_team', msgType: 'text' })
        .find((m) => m.content.text.includes('已通过单聊向您发送检查表单')),
    );
    expect(service.sim.messages({ to: 'oc_team', msgType: 'interactive' })).toEqual([]);

    // Someone who may not inspect is told why.
    const n = cards('ou_cl').length;
    await service.sim.sendText('ou_cl', '检查');
    const refusal = await eventually(() => cards('ou_cl')[n]);
    expect(titleOf(refusal.content)).toBe('暂不能检查');
    expect(cardText(refusal.content)).toContain('只有检查员');
  });

  it('a clean inspection: the unit by name, its sector picks the checklist, submitted as JC-… with 未发现隐患; twice is once', async () => {
    const { messageId, body } = await start('ou_insp', { enterprise: '城关化工有限公司', kind: 'routine' });
    expect(body.toast.type, JSON.stringify(body)).toBe('success');
    const card = body.card.data;
    expect(titleOf(card)).toBe('检查表｜城关化工有限公司');
    expect(pageOf(card).codes).toEqual(['1', '2', '3', '4']);
    expect(pageOf(card).text).toBe('提交检查');
    const id = inspectionIdOf(card);
    const [open] = await db().select().from(inspections).where(eq(inspections.id, id));
    expect(open).toMatchObject({ status: 'open', code: null, kind: 'routine', checklistCode: 'wh-01', date: today() });
    // 四不两直: starting told nobody.
    expect(cards('ou_boss')).toEqual([]);

    const answer = (code: string) => (code === '4' ? 'na' : 'pass');
    const page = pageOf(card);
    const formValue: Record<string, string> = { findings: '现场管理规范' };
    for (const code of page.codes) formValue[`item_${code}`] = answer(code);
    const submitted = await click('ou_insp', messageId, page.value, formValue);
    const summary = submitted.body as Json;
    expect(summary.toast.type).toBe('success');
    const code = codeOf(summary)!;
    expect(code).toMatch(new RegExp(`^JC-${today().slice(0, 4)}-\\d{6}$`));
    expect(cardText(summary.card.data)).toContain('未发现隐患');
    expect(cardText(summary.card.data)).toContain('合格 3 · 不合格 0 · 立查立改 0 · 不适用 1');
    expect(cardText(summary.card.data)).toContain('现场管理规范');
    // The message now shows the summary.
    expect(titleOf(service.sim.message(messageId)?.content)).toBe(`检查已提交 ${code}`);

    const row = await inspectionByCode(code);
    expect(row).toMatchObject({ status: 'submitted', passCount: 3, failCount: 0, fixedOnSiteCount: 0, naCount: 1 });
    expect(row.findings).toBe('现场管理规范');
    const items = await db().select().from(inspectionItems).where(eq(inspectionItems.inspectionId, row.id));
    expect(items.map((i) => [i.code, i.result, i.text.length > 0]).sort()).toEqual([
      ['1', 'pass', true],
      ['2', 'pass', true],
      ['3', 'pass', true],
      ['4', 'na', true],
    ]);
    const trail = await db().select().from(inspectionEvents).where(eq(inspectionEvents.inspectionId, row.id));
    expect(trail.map((e) => e.type)).toEqual(['started', 'submitted']);
    expect(await db().$count(hazards, eq(hazards.inspectionId, row.id))).toBe(0);

    // The same card submitted again: one inspection, the summary again.
    const again = await click('ou_insp', messageId, page.value, formValue);
    expect((again.body as Json).toast.content).toContain('该检查已提交');
    expect(codeOf(again.body)).toBe(code);
    expect(await db().$count(inspections, eq(inspections.status, 'submitted'))).toBe(1);
    const counter = await db().execute(sql`select last_sequence from inspection_counters`);
    expect((counter as Json).rows.map((r: Json) => Number(r.last_sequence))).toEqual([Number(code.slice(-6))]);
  });

  it('a failed item: a pick among units, then a prefilled report form; reported, the hazard is linked to the inspection', async () => {
    const { messageId, body } = await start('ou_insp', { enterprise: '机械', kind: 'campaign' });
    expect(titleOf(body.card.data)).toBe('请选择被检查单位');
    const pick = elementsOf(body.card.data).find(
      (e) => e.tag === 'button' && e.text.content.startsWith('城关机械一厂'),
    );
    expect(pick.behaviors[0].value).toMatchObject({
      action: 'inspection.pickUnit',
      enterprise: 'e002',
      kind: 'campaign',
    });
    const picked = (await click('ou_insp', messageId, pick.behaviors[0].value)).body as Json;
    expect(titleOf(picked.card.data)).toBe('检查表｜城关机械一厂');

    const before = cards('ou_insp').length;
    const { body: summary } = await complete('ou_insp', messageId, picked.card.data, (code) =>
      code === '2' ? 'fail' : 'pass',
    );
    const code = codeOf(summary)!;
    expect(cardText(summary.card.data)).toContain('1 张隐患上报表已发给您');
    const form = await eventually(() =>
      cards('ou_insp')
        .slice(before)
        .find((m) => titleOf(m.content) === '上报检查发现的隐患｜城关机械一厂'),
    );
    const field = (name: string) => elementsOf(form.content).find((e) => e.name === name);
    expect(field('enterprise').default_value).toBe('城关机械一厂');
    expect(field('sector').initial_option).toBe('工贸');
    expect(field('level').initial_option).toBe('general');
    expect(field('description').default_value).toBe('有限空间作业审批');
    // Not a major item: its basis is not on the 判定依据 list, so it comes as 其他 with the item's text.
    expect(field('basis').initial_option).toBe('other');
    expect(field('basis_other').default_value).toBe('工贸重大隐患判定标准 第三条');
    expect(cardText(form.content)).toContain('检查表第 2 项（不合格）');
    const submit = elementsOf(form.content).find((e) => e.tag === 'button' && e.form_action_type === 'submit');
    const values = {
      enterprise: '城关机械一厂',
      sector: '工贸',
      level: 'general',
      description: '有限空间作业无审批',
      location: '污水池',
      measures: '建立审批制度',
      standard: '审批记录齐全',
      basis: 'other',
      basis_other: '工贸重大隐患判定标准 第三条',
    };
    // The unit is the inspected one: another name is refused beside its field.
    const moved = (
      await click('ou_insp', form.messageId, submit.behaviors[0].value, { ...values, enterprise: '城关机械二厂' })
    ).body as Json;
    expect(moved.toast.type).toBe('error');
    expect(cardText(moved.card.data)).toContain('单位不能更改');
    const reported = (await click('ou_insp', form.messageId, submit.behaviors[0].value, values)).body as Json;
    expect(reported.toast.type, JSON.stringify(reported.toast)).toBe('success');
    const hazardCode = /YH-\d{4}-\d{6}/.exec(titleOf(reported.card.data))![0];

    const inspection = await inspectionByCode(code);
    const [hazard] = await db().select().from(hazards).where(eq(hazards.code, hazardCode));
    expect(hazard).toMatchObject({
      source: 'inspection',
      inspectionId: inspection.id,
      fixedOnSite: false,
      status: 'rectifying',
      basis: '工贸重大隐患判定标准 第三条',
      basisCode: 'other',
    });
    const [item] = await db()
      .select()
      .from(inspectionItems)
      .where(and(eq(inspectionItems.inspectionId, inspection.id), eq(inspectionItems.code, '2')));
    expect(item!.hazardId).toBe(hazard!.id);
    const trail = await db().select().from(inspectionEvents).where(eq(inspectionEvents.inspectionId, inspection.id));
    expect(trail.at(-1)).toMatchObject({ type: 'hazard_linked', details: { item: '2', hazard: hazardCode } });
    // From here it is an ordinary hazard: the unit is told.
    await eventually(() => cards('ou_boss').find((m) => titleOf(m.content).includes(hazardCode)));
    // The summary, asked again, shows what became of the failed item.
    const again = (
      await click('ou_insp', messageId, { action: 'inspection.submit', inspection: inspection.id, page: 0 })
    ).body as Json;
    expect(cardText(again.card.data)).toContain(`已上报：${hazardCode}`);
  });

  it('立查立改 with a photo, submitted by a companion: a hazard closed at once, no reminder steps even after a sweep', async () => {
    const { messageId, body } = await start('ou_insp', {
      enterprise: '城关化工有限公司',
      kind: 'unannounced',
      checklist: 'wh-01',
      companions: ['ou_tinsp'],
    });
    const card = body.card.data;
    expect(cardText(card)).toContain('检查人：县检查员、镇检查员');
    const photo = Buffer.from('fake-jpeg-bytes-of-a-fixed-alarm');
    const textsBefore = texts('ou_insp').length;
    await service.sim.sendImage('ou_insp', photo);
    const reply = await eventually(() => texts('ou_insp')[textsBefore]);
    expect(reply.content.text).toContain('照片已附到正在进行的检查（城关化工有限公司，共 1 张）');
    const id = inspectionIdOf(card);
    expect(await db().$count(hazardPhotos, eq(hazardPhotos.inspectionId, id))).toBe(1);
    // A report opened after that is what the inspector is doing now: the next photo goes to it.
    (service.clock as ManualClock).advance(60_000);
    await openReportForm(service.sim, 'ou_insp');
    const toReport = texts('ou_insp').length;
    await service.sim.sendImage('ou_insp', Buffer.from('fake-jpeg-bytes-of-something-else'));
    expect((await eventually(() => texts('ou_insp')[toReport])).content.text).toContain('照片已附到正在填写的上报中');
    expect(await db().$count(hazardPhotos, eq(hazardPhotos.inspectionId, id))).toBe(1);

    // The companion submits from the card forwarded to them.
    const page = pageOf(card);
    const formValue: Record<string, string> = {};
    for (const code of page.codes) formValue[`item_${code}`] = code === '4' ? 'fixed_on_site' : 'pass';
    const summary = await forwardedClick('ou_tinsp', messageId, page.value, formValue);
    expect(summary.toast.type, JSON.stringify(summary)).toBe('success');
    const code = codeOf(summary)!;
    const hazardCode = /YH-\d{4}-\d{6}/.exec(cardText(summary.card.data))![0];
    expect(cardText(summary.card.data)).toContain(`1 项立查立改已登记销号：${hazardCode}`);
    expect(cardText(summary.card.data)).toContain(`1 张（随立查立改隐患 ${hazardCode} 登记）`);

    const inspection = await inspectionByCode(code);
    expect(inspection.companionIds).toHaveLength(1);
    const [hazard] = await db().select().from(hazards).where(eq(hazards.code, hazardCode));
    expect(hazard).toMatchObject({
      status: 'closed',
      grade: 'major',
      source: 'inspection',
      inspectionId: inspection.id,
      fixedOnSite: true,
      deadline: today(),
      supervision: 'none',
      responsibleId: null,
    });
    expect(hazard!.closedAt).not.toBeNull();
    const trail = await db().select().from(hazardEvents).where(eq(hazardEvents.hazardId, hazard!.id));
    expect(trail.map((e) => e.type)).toEqual(['reported', 'closed']);
    expect(cardText(trail)).toContain('立查立改');
    const photos = await db().select().from(hazardPhotos).where(eq(hazardPhotos.hazardId, hazard!.id));
    expect(photos.map((p) => [p.inspectionId, p.content.equals(photo)])).toEqual([[inspection.id, true]]);
    // A major hazard would buzz the county leaders at once (policy step on: reported); this one is closed already.
    expect(await db().$count(reminderSteps, eq(reminderSteps.hazardId, hazard!.id))).toBe(0);
    const sweep = await fetch(`${service.url}/api/admin/sweep`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ at: new Date(service.clock.now().getTime() + 60 * 86_400_000).toISOString() }),
    });
    expect(sweep.status, await sweep.clone().text()).toBe(200);
    const swept = (await sweep.json()) as Json;
    expect(swept.steps.filter((s: Json) => s.hazard === hazardCode)).toEqual([]);
    expect(await db().$count(reminderSteps, eq(reminderSteps.hazardId, hazard!.id))).toBe(0);
    for (const openId of ['ou_cl', 'ou_dl', 'ou_boss']) {
      expect(cards(openId).filter((m) => m.rawContent.includes(hazardCode))).toEqual([]);
    }
  });

  it('self-inspection by the unit principal: only 企业自查, their unit prefilled; a failed item becomes a self_inspection hazard', async () => {
    const form = await openForm('ou_boss');
    expect(titleOf(form.content)).toBe('企业自查');
    const kind = elementsOf(form.content).find((e) => e.name === 'kind');
    expect(kind.options.map((o: Json) => o.value)).toEqual(['self']);
    expect(elementsOf(form.content).find((e) => e.name === 'companions')).toBeUndefined();
    // The principal answers for several units here, so none is prefilled; a government kind is refused.
    const refused = (
      await click(
        'ou_boss',
        form.messageId,
        { action: 'inspection.start' },
        {
          enterprise: '城关化工有限公司',
          kind: 'routine',
        },
      )
    ).body as Json;
    expect(refused.toast.type).toBe('error');
    expect(cardText(refused.card.data)).toContain('单位人员只能进行“企业自查”');
    const started = (
      await click(
        'ou_boss',
        form.messageId,
        { action: 'inspection.start' },
        {
          enterprise: '城关化工有限公司',
          kind: 'self',
        },
      )
    ).body as Json;
    expect(started.toast.type, JSON.stringify(started)).toBe('success');
    const before = cards('ou_boss').length;
    const { body: summary } = await complete('ou_boss', form.messageId, started.card.data, (code) =>
      code === '3' ? 'fail' : 'pass',
    );
    const code = codeOf(summary)!;
    expect(cardText(summary.card.data)).toContain('企业自查');
    const inspection = await inspectionByCode(code);
    expect(inspection.kind).toBe('self');
    const reportForm = await eventually(() =>
      cards('ou_boss')
        .slice(before)
        .find((m) => titleOf(m.content) === '上报检查发现的隐患｜城关化工有限公司'),
    );
    const submit = elementsOf(reportForm.content).find((e) => e.tag === 'button' && e.form_action_type === 'submit');
    const reported = (
      await click('ou_boss', reportForm.messageId, submit.behaviors[0].value, {
        enterprise: '城关化工有限公司',
        sector: '危险化学品',
        level: 'general',
        description: '储罐区静电接地断开',
        location: '2 号罐',
        measures: '恢复接地',
        standard: '接地电阻不大于 10 欧',
      })
    ).body as Json;
    expect(reported.toast.type, JSON.stringify(reported.toast)).not.toBe('error');
    const hazardCode = /YH-\d{4}-\d{6}/.exec(titleOf(reported.card.data))![0];
    const [hazard] = await db().select().from(hazards).where(eq(hazards.code, hazardCode));
    expect(hazard).toMatchObject({ source: 'self_inspection', inspectionId: inspection.id });

    // The safety officer answers for this unit alone: it is filled in for them.
    const safeForm = await openForm('ou_safe');
    expect(elementsOf(safeForm.content).find((e) => e.name === 'enterprise').default_value).toBe('城关化工有限公司');

    // An inspector may not record a 企业自查 (a forged value: the form never offers it to them).
    const { body } = await start('ou_insp', { enterprise: '城关化工有限公司', kind: 'self' });
    expect(body.toast.type).toBe('error');
    expect(cardText(body.card.data)).toContain('检查员不能选择“企业自查”');
  });

  it('refusals: outside the scope, a companion who is not an inspector, a day in the future, a stranger on a forwarded card', async () => {
    const countBefore = await db().$count(inspections);
    const outside = (await start('ou_oinsp', { enterprise: '城关化工有限公司', kind: 'routine' })).body;
    expect(outside.toast.type).toBe('error');
    expect(outside.toast.content).toContain('不在您的检查范围内');
    expect(outside.card).toBeUndefined();

    const companion = (
      await start('ou_insp', { enterprise: '城关化工有限公司', kind: 'routine', companions: ['ou_boss'] })
    ).body;
    expect(companion.toast.type).toBe('error');
    expect(cardText(companion.card.data)).toContain('同行检查人须为检查员：企业老板 不是检查员');
    // Everything typed is kept.
    expect(elementsOf(companion.card.data).find((e) => e.name === 'enterprise').default_value).toBe('城关化工有限公司');

    const tomorrow = calendar.addDays(today(), 1).date;
    const future = (
      await start('ou_insp', { enterprise: '城关化工有限公司', kind: 'routine', date: `${tomorrow} +0800` })
    ).body;
    expect(cardText(future.card.data)).toContain('检查日期不能晚于今天');
    expect(await db().$count(inspections)).toBe(countBefore);

    // A stranger, and an inspector who is not on it, click the forwarded checklist card: nothing changes.
    const { messageId, body } = await start('ou_tinsp', { enterprise: '城关化工有限公司', kind: 'routine' });
    const page = pageOf(body.card.data);
    const all = Object.fromEntries(page.codes.map((c) => [`item_${c}`, 'pass']));
    for (const openId of ['ou_stranger', 'ou_oinsp', 'ou_insp']) {
      const answer = await forwardedClick(openId, messageId, page.value, all);
      expect(answer.toast.type).toBe('warning');
      expect(answer.card).toBeUndefined();
    }
    const id = page.value.inspection as number;
    const [row] = await db().select().from(inspections).where(eq(inspections.id, id));
    expect(row!.status).toBe('open');
    const answered = await db()
      .select()
      .from(inspectionItems)
      .where(and(eq(inspectionItems.inspectionId, id), sql`${inspectionItems.result} <> 'pending'`));
    expect(answered).toEqual([]);
  });

  it('missing answers are named and kept; the same start again continues; a new one drops an unanswered one', async () => {
    const { messageId, body } = await start('ou_tinsp', { enterprise: '城关化工有限公司', kind: 'routine' });
    expect(body.toast.content).toContain('继续未完成的检查');
    const id = inspectionIdOf(body.card.data);
    const partial = await answerPage('ou_tinsp', messageId, body.card.data, (code) =>
      code === '1' ? 'fail' : code === '3' ? 'na' : undefined,
    );
    expect(partial.toast.type).toBe('warning');
    expect(cardText(partial.card.data)).toContain('还有 2 项未选择检查结果：第 1 页 第 2、4 项');
    expect(pageOf(partial.card.data).chosen).toMatchObject({ '1': 'fail', '3': 'na' });
    const stored = await db().select().from(inspectionItems).where(eq(inspectionItems.inspectionId, id));
    expect(Object.fromEntries(stored.map((i) => [i.code, i.result]))).toEqual({
      '1': 'fail',
      '2': 'pending',
      '3': 'na',
      '4': 'pending',
    });

    // A different inspection started now: this one has answers, so it stays open; an unanswered one is abandoned.
    const other = await start('ou_tinsp', { enterprise: '城关机械一厂', kind: 'routine' });
    const otherId = inspectionIdOf(other.body.card.data);
    const third = await start('ou_tinsp', { enterprise: '城关机械二厂', kind: 'routine' });
    expect(inspectionIdOf(third.body.card.data)).not.toBe(otherId);
    const statuses = await db()
      .select({ id: inspections.id, status: inspections.status })
      .from(inspections)
      .where(sql`${inspections.id} in (${id}, ${otherId})`);
    expect(Object.fromEntries(statuses.map((s) => [s.id, s.status]))).toEqual({ [id]: 'open', [otherId]: 'abandoned' });
    const late = (await click('ou_tinsp', other.messageId, pageOf(other.body.card.data).value, {})).body as Json;
    expect(late.toast.content).toContain('已作废');

    // Feishu sends what each select shows: the kept answers, and the two chosen now.
    const chosen = pageOf(partial.card.data).chosen;
    const done = await answerPage('ou_tinsp', messageId, partial.card.data, (code) => chosen[code] ?? 'pass');
    expect(done.toast.type).toBe('success');
    const row = await inspectionByCode(codeOf(done)!);
    expect(row).toMatchObject({ passCount: 2, failCount: 1, naCount: 1 });
  });

  it('pages a 60-item checklist: every card under 30 KB, 下一页 keeps answers and names what is missing', async () => {
    const { messageId, body } = await start('ou_insp', {
      enterprise: '城关化工有限公司',
      kind: 'routine',
      checklist: 'tz-60',
    });
    expect(body.toast.type, JSON.stringify(body)).toBe('success');
    const first = body.card.data;
    expect(first.header.subtitle.content).toMatch(/^第 1\/\d 页$/);
    const pages = Number(/\/(\d)/.exec(first.header.subtitle.content)![1]);
    expect(pages).toBeGreaterThan(1);
    expect(pageOf(first).text).toBe('下一页');
    // 下一页 with one item left out: the page comes back naming it, with the rest kept.
    const [skipped, ...rest] = pageOf(first).codes;
    const incomplete = await answerPage('ou_insp', messageId, first, (code) => (code === skipped ? undefined : 'pass'));
    expect(incomplete.toast.type).toBe('warning');
    expect(cardText(incomplete.card.data)).toContain(`还有 1 项未选择检查结果：第 1 页 第 ${skipped} 项`);
    expect(pageOf(incomplete.card.data).chosen[rest[0]!]).toBe('pass');
    const { body: summary, seen } = await complete('ou_insp', messageId, incomplete.card.data, (code) =>
      code === '6.1' ? 'fixed_on_site' : code === '3.3' ? 'na' : 'pass',
    );
    expect(seen).toHaveLength(pages);
    for (const card of seen) expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThanOrEqual(CARD_MAX_BYTES);
    expect(summary.toast.type).toBe('success');
    const row = await inspectionByCode(codeOf(summary)!);
    expect(row).toMatchObject({ passCount: 58, failCount: 0, fixedOnSiteCount: 1, naCount: 1, checklistCode: 'tz-60' });
    const items = await db().select().from(inspectionItems).where(eq(inspectionItems.inspectionId, row.id));
    expect(items).toHaveLength(60);
  });

  it('a checklist pick when the sector has several, and a unit the directory does not know', async () => {
    const { messageId, body } = await start('ou_insp', { enterprise: '河西燃气站', kind: 'routine' });
    expect(titleOf(body.card.data)).toBe('请选择检查表');
    const buttons = elementsOf(body.card.data).filter((e) => e.tag === 'button');
    expect(buttons.map((b) => b.text.content)).toEqual(['燃气 · 燃气经营场所检查', '燃气 · 燃气管道检查']);
    const started = (await click('ou_insp', messageId, buttons[1].behaviors[0].value)).body as Json;
    expect(titleOf(started.card.data)).toBe('检查表｜河西燃气站');
    const [row] = await db()
      .select()
      .from(inspections)
      .where(eq(inspections.id, inspectionIdOf(started.card.data)));
    expect(row!.checklistCode).toBe('rq-02');

    const unknown = await start('ou_tinsp', { enterprise: '城关新开五金店', kind: 'routine', checklist: 'gm-01' });
    expect(titleOf(unknown.body.card.data)).toBe('请选择被检查单位');
    const register = elementsOf(unknown.body.card.data).find(
      (e) => e.tag === 'button' && e.form_action_type === 'submit',
    );
    const created = (await click('ou_tinsp', unknown.messageId, register.behaviors[0].value, { township: 'town-01' }))
      .body as Json;
    expect(created.toast.type, JSON.stringify(created)).toBe('success');
    expect(titleOf(created.card.data)).toBe('检查表｜城关新开五金店');
    const [unit] = await db().select().from(enterprises).where(eq(enterprises.name, '城关新开五金店'));
    expect(unit!.verified).toBe(false);
  });
});
