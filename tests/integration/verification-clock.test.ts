/**
 * The 复查 clock (issue #21 point 5), through chat on the real service: a submitted rectification waits for the
 * verifier, who is reminded after 3 working days; after 5 the township leader in charge and the department leader
 * are told, with an @ in the township group; acceptance ends it. A policy file without these steps sends none.
 * One clock per service, moving forward only (the sweep's progress does too).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { hazards, reminderSteps } from '../../src/db/schema/index.js';
import { sampleReportForm } from '../../src/dev/sample-county.js';
import { DEFAULT_POLICY_JSON } from '../../src/domain/index.js';
import { type Json, reportThroughChat, titleOf } from '../support/chat.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'verification-clock-test-admin-token-0123';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const TOWN_CHAT = 'oc_town01_verify';

const PEOPLE = [
  { code: 'insp', name: '县检查员', openId: 'ou_insp', roles: [{ role: 'inspector', scope: 'county' }] },
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

/** A local (Asia/Shanghai) wall-clock time as an ISO instant. */
const at = (text: string) => `${text.replace(' ', 'T')}:00+08:00`;
const cardText = (card: Json) => JSON.stringify(card);

/** A service with the county above, its clock, and what the tests do through it. */
function county(env: Record<string, string> = {}) {
  let service: TestService;
  const clock = new ManualClock(at('2026-05-14 10:00'));
  const db = () => service.deps.database.db;
  const cards = (to: string) => service.sim.messages({ to, msgType: 'interactive' });
  const hazardRow = async (code: string) => (await db().select().from(hazards).where(eq(hazards.code, code)))[0]!;
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
  const cardAbout = (openId: string, code: string, title: string) =>
    eventually(
      () =>
        cards(openId)
          .filter((m) => titleOf(m.content).includes(code) && titleOf(m.content).includes(title))
          .at(-1),
      10_000,
      `a card "${title}" about ${code} to ${openId}`,
    );
  /** The steps of one hazard in a sweep at a local time, as `step → sorted recipients`, and the sweep's answer. */
  async function sweepAt(text: string, code: string) {
    const response = await fetch(`${service.url}/api/admin/sweep`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ at: at(text) }),
    });
    const answer = (await response.json()) as Json;
    expect(response.status, JSON.stringify(answer)).toBe(200);
    const steps: Record<string, string[]> = {};
    for (const s of answer.steps.filter((s: Json) => s.hazard === code)) {
      steps[s.step] = s.to.map((t: Json) => t.openId).sort();
    }
    return { steps, answer };
  }
  /**
   * Reported on Thursday 2026-05-14 at 10:00 by the county inspector (the unit's principal is assigned), the
   * rectification submitted at 11:00: answers the code and the inspector's 请验收 card.
   */
  async function reportAndSubmit() {
    clock.set(at('2026-05-14 10:00'));
    const reported = await reportThroughChat(service.sim, 'ou_insp', sampleReportForm('2026-05-29'));
    const code = reported.code!;
    expect(code, JSON.stringify(reported.body)).toBeTruthy();
    const notice = await cardAbout('ou_boss', code, '整改通知');
    clock.set(at('2026-05-14 11:00'));
    const submitted = await click(
      'ou_boss',
      notice.messageId,
      { action: 'hazard.submitRectification', code },
      { rectification: '已恢复静电接地，检测 4 欧' },
    );
    expect(submitted.toast.content).toContain('整改已提交');
    expect((await hazardRow(code)).status).toBe('pending_verification');
    return { code, verify: await cardAbout('ou_insp', code, '请验收') };
  }

  const setUp = async () => {
    service = await startTestService({ ADMIN_TOKEN: TOKEN, ...env }, { clock });
    for (const p of PEOPLE) service.sim.addUser({ openId: p.openId, name: p.name });
    service.sim.addChat({ chatId: TOWN_CHAT, name: '城关镇安全生产群', memberOpenIds: PEOPLE.map((p) => p.openId) });
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(DIRECTORY),
    });
    expect(response.status, await response.text()).toBe(200);
  };
  return {
    setUp,
    stop: () => service?.stop(),
    clock,
    get service() {
      return service;
    },
    cards,
    click,
    hazardRow,
    stepKeys,
    sweepAt,
    reportAndSubmit,
  };
}

describe('the 复查 clock of the default policy', () => {
  const c = county();
  beforeAll(c.setUp);
  afterAll(c.stop);

  it('reminds the verifier after 3 working days, once; tells the leaders after 5 with an @; acceptance ends it', async () => {
    const { code, verify } = await c.reportAndSubmit();
    const submittedAt = new Date(at('2026-05-14 11:00')).toISOString();
    const reminders = () => c.cards('ou_insp').filter((m) => titleOf(m.content).startsWith('复查提醒'));

    // Submitted Thursday. Three calendar days end on Sunday: nothing on Monday; three working days (Friday, Monday,
    // Tuesday) end on Tuesday night, so the reminder goes on Wednesday at the end of quiet hours.
    expect((await c.sweepAt('2026-05-18 09:00', code)).steps).toEqual({});
    expect((await c.sweepAt('2026-05-20 07:29', code)).steps).toEqual({});
    const reminded = await c.sweepAt('2026-05-20 07:30', code);
    expect(reminded.steps).toEqual({ 'verify-reminder': ['ou_insp'] });
    expect(reminded.answer.steps.find((s: Json) => s.hazard === code)).toMatchObject({
      key: `verify-reminder@${submittedAt}`,
      label: '复查提醒',
      channel: 'card',
      chatId: null,
    });
    const reminder = await eventually(() => reminders()[0], 10_000, 'the 复查提醒 card to the verifier');
    expect(titleOf(reminder.content)).toBe('复查提醒：整改已等待验收 3 个工作日');
    expect(cardText(reminder.content)).toContain('整改已于 2026-05-14 提交，已等待验收 3 个工作日，请尽快到现场复查。');
    expect(cardText(reminder.content)).toContain(code);
    // A second sweep sends nothing, and nobody else heard of it.
    expect((await c.sweepAt('2026-05-20 09:00', code)).steps).toEqual({});
    expect(reminders()).toHaveLength(1);
    for (const leader of ['ou_tlc', 'ou_dl', 'ou_tml', 'ou_cl']) {
      expect(c.cards(leader).filter((m) => cardText(m.content).includes('复查'))).toEqual([]);
    }

    // Five working days end on Thursday night: the township leader in charge and the department leader are told,
    // each one-to-one and with an @ in the township group, of the verifier who has not verified.
    expect((await c.sweepAt('2026-05-21 23:00', code)).steps).toEqual({});
    const overdue = await c.sweepAt('2026-05-22 07:30', code);
    expect(overdue.steps).toEqual({ 'verify-overdue': ['ou_dl', 'ou_tlc'] });
    expect(overdue.answer.steps.find((s: Json) => s.hazard === code)).toMatchObject({
      key: `verify-overdue@${submittedAt}`,
      label: '复查超时',
      channel: 'mention',
      chatId: TOWN_CHAT,
    });
    const asked = '整改已于 2026-05-14 提交，已等待验收 5 个工作日，验收人县检查员尚未复查，请督促其尽快到现场复查。';
    for (const leader of ['ou_tlc', 'ou_dl']) {
      const card = await eventually(() =>
        c.cards(leader).find((m) => titleOf(m.content) === '复查超时：整改已等待验收 5 个工作日'),
      );
      expect(cardText(card.content)).toContain(asked);
    }
    const group = await eventually(() =>
      c.service.sim.messages({ to: TOWN_CHAT }).find((m) => m.rawContent.includes(code)),
    );
    expect(group.rawContent).toContain('<at id=ou_tlc></at> <at id=ou_dl></at>');
    expect(cardText(group.content)).toContain(asked);

    // The verifier accepts: closed, and nothing more is sent for it.
    c.clock.set(at('2026-05-22 10:00'));
    const accepted = await c.click('ou_insp', verify.messageId, { action: 'hazard.accept', code });
    expect(accepted.toast.content).toContain('销号');
    expect((await c.hazardRow(code)).status).toBe('closed');
    expect((await c.sweepAt('2026-05-22 10:05', code)).steps).toEqual({});
    expect((await c.sweepAt('2026-06-30 10:00', code)).steps).toEqual({});
    expect(await c.stepKeys(code)).toEqual([`verify-overdue@${submittedAt}`, `verify-reminder@${submittedAt}`]);
    expect(reminders()).toHaveLength(1);
  });
});

describe('a policy file without the 复查 clock', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'verify-policy-'));
  const file = path.join(dir, 'policy.json');
  writeFileSync(
    file,
    JSON.stringify({
      ...DEFAULT_POLICY_JSON,
      steps: DEFAULT_POLICY_JSON.steps.filter((step) => !step.id.startsWith('verify-')),
    }),
  );
  const c = county({ ESCALATION_POLICY_FILE: file });
  beforeAll(c.setUp);
  afterAll(c.stop);

  it('sends no 复查 step however long the rectification waits', async () => {
    const { code } = await c.reportAndSubmit();
    for (const when of ['2026-05-20 07:30', '2026-05-22 07:30', '2026-06-30 10:00']) {
      expect((await c.sweepAt(when, code)).steps, when).toEqual({});
    }
    expect(await c.stepKeys(code)).toEqual([]);
    expect((await c.hazardRow(code)).status).toBe('pending_verification');
  });
});
