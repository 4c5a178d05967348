import { describe, expect, it } from 'vitest';
import { validateCard } from '../../src/dev/feishu-sim/index.js';
import type { PersonRecord } from '../../src/directory/lookup.js';
import { createCalendar } from '../../src/domain/calendar.js';
import { DEFAULT_POLICY } from '../../src/domain/escalation-policy.js';
import type { CardLinks } from '../../src/hazards/cards/detail-link.js';
import type { UnitResponsibility } from '../../src/reminders/recipients.js';
import {
  composeMessages,
  dueStepsOf,
  effectsToApply,
  fallbackNote,
  type PlannedStep,
  planSteps,
  type Resolved,
  recipientsOf,
  stepRows,
} from '../../src/reminders/sweep/compose.js';
import type { ScheduledHazard } from '../../src/reminders/sweep/sources.js';

const calendar = createCalendar();
const at = (local: string) => calendar.atLocalTime(local.slice(0, 10), local.slice(11));

let nextId = 0;
const person = (code: string, openId: string | null = `ou_${code}`): PersonRecord => ({
  id: ++nextId,
  code,
  name: code,
  openId,
});

const boss = person('boss');
const tlc = person('tlc');
const tml = person('tml');
const dl = person('dl');
const cl = person('cl');
const aqw = person('aqw');
const offline = person('offline', null);

const unit: UnitResponsibility = {
  enterpriseName: '某某化工有限公司',
  principal: boss,
  safetyOfficer: null,
  townshipLeaderInCharge: [tlc],
  townshipMainLeader: [tml],
  departmentLeader: [dl],
  countyLeaders: [cl],
  countySafetyOffice: [aqw],
  inspectors: [],
  chatId: 'oc_town',
};
const resolved: Resolved = { unit, responsible: boss, reporter: null };

function hazard(overrides: Partial<ScheduledHazard> = {}): ScheduledHazard {
  return {
    id: ++nextId,
    code: `YH-2026-${String(nextId).padStart(6, '0')}`,
    enterpriseId: 1,
    regionId: 1,
    departmentId: 1,
    description: '储罐区可燃气体报警器失效',
    grade: 'general',
    status: 'rectifying',
    reportedAt: at('2026-05-11 10:00'),
    assignedAt: at('2026-05-11 10:00'),
    acknowledgedAt: at('2026-05-11 11:00'),
    deadline: '2026-05-18',
    deadlineSetAt: at('2026-05-11 10:00'),
    rectifiedAt: null,
    supervision: 'none',
    responsibleId: boss.id,
    reporterId: null,
    sent: new Set(),
    ...overrides,
  };
}

const plan = (
  hazards: ScheduledHazard[],
  now: string,
  who: Resolved = resolved,
  links: CardLinks = undefined,
): PlannedStep[] => {
  const context = { policy: DEFAULT_POLICY, calendar, at: at(now), links };
  return planSteps(dueStepsOf(hazards, context), () => who, context);
};

describe('recipientsOf', () => {
  const roles = (got: ReturnType<typeof recipientsOf>) =>
    got.recipients.map((r) => [r.person.code, r.role, ...(r.insteadOf ? [r.insteadOf] : [])]);

  it('tells each person once, named by the first of their roles, in the order of the step', () => {
    const both: UnitResponsibility = { ...unit, townshipMainLeader: [tlc, tml] };
    const got = recipientsOf(
      { who: ['responsible', 'township_leader_in_charge', 'township_main_leader'] },
      { ...resolved, unit: both },
    );
    expect(roles(got)).toEqual([
      ['boss', 'responsible'],
      ['tlc', 'township_leader_in_charge'],
      ['tml', 'township_main_leader'],
    ]);
    expect(got.fallbacks).toEqual([]);
  });

  it('falls back up the chain for a role nobody holds, and records it', () => {
    const got = recipientsOf({ who: ['enterprise_safety_officer', 'reporter'] }, resolved);
    expect(roles(got)).toEqual([
      ['boss', 'enterprise_principal', 'enterprise_safety_officer'],
      ['tlc', 'township_leader_in_charge', 'reporter'],
    ]);
    expect(got.fallbacks.map((f) => [f.role, f.missing.length, f.toldRole])).toEqual([
      ['enterprise_safety_officer', 0, 'enterprise_principal'],
      ['reporter', 0, 'township_leader_in_charge'],
    ]);
  });

  it('a responsible person without Feishu or deactivated falls back to the unit, then to the township (属地)', () => {
    const guo = person('guo', null);
    const toUnit = recipientsOf({ who: ['responsible'] }, { ...resolved, responsible: guo });
    expect(roles(toUnit)).toEqual([['boss', 'enterprise_principal', 'responsible']]);
    expect(fallbackNote(toUnit.fallbacks[0]!)).toBe('整改责任人guo尚未加入飞书，已改为通知企业主要负责人boss');

    const gone = { ...boss, active: false };
    const toTownship = recipientsOf(
      { who: ['responsible'] },
      { unit: { ...unit, principal: offline }, responsible: gone, reporter: null },
    );
    expect(roles(toTownship)).toEqual([['tlc', 'township_leader_in_charge', 'responsible']]);
    expect(fallbackNote(toTownship.fallbacks[0]!)).toBe(
      '整改责任人boss已停用，已改为通知乡镇分管领导tlc，请其转告单位',
    );
  });

  it('a township without leaders goes to the county; a department without a leader too', () => {
    const bare: UnitResponsibility = {
      ...unit,
      townshipLeaderInCharge: [],
      townshipMainLeader: [],
      departmentLeader: [],
    };
    const got = recipientsOf(
      { who: ['township_leader_in_charge', 'township_main_leader', 'department_leader'] },
      { ...resolved, unit: bare },
    );
    expect(roles(got)).toEqual([['cl', 'county_leader', 'township_leader_in_charge']]);
    expect(got.fallbacks.map((f) => [f.role, f.toldRole])).toEqual([
      ['township_leader_in_charge', 'county_leader'],
      ['township_main_leader', 'county_leader'],
      ['department_leader', 'county_leader'],
    ]);
    expect(fallbackNote(got.fallbacks[1]!)).toBe('乡镇主要领导空缺，已改为通知县领导cl');
  });

  it('reaches 县安委办 when a step names it, and the county leaders when the office is empty', () => {
    expect(roles(recipientsOf({ who: ['county_safety_office'] }, resolved))).toEqual([['aqw', 'county_safety_office']]);
    const none = recipientsOf(
      { who: ['county_safety_office'] },
      { ...resolved, unit: { ...unit, countySafetyOffice: [] } },
    );
    expect(roles(none)).toEqual([['cl', 'county_leader', 'county_safety_office']]);
    expect(fallbackNote(none.fallbacks[0]!)).toBe('县安委办空缺，已改为通知县领导cl');
  });

  it('with nobody up the chain either, tells nobody and says so', () => {
    const empty: UnitResponsibility = {
      ...unit,
      principal: null,
      townshipLeaderInCharge: [],
      townshipMainLeader: [],
      departmentLeader: [],
      countyLeaders: [offline],
    };
    const got = recipientsOf({ who: ['department_leader'] }, { ...resolved, unit: empty });
    expect(got.recipients).toEqual([]);
    expect(got.fallbacks).toEqual([{ role: 'department_leader', missing: [], toldRole: null, told: [] }]);
    expect(fallbackNote(got.fallbacks[0]!)).toBe('行业主管部门负责人空缺，上级也无人可通知，请管理员完善组织名录');
  });
});

describe('planSteps', () => {
  it('plans the 3-days-overdue step for the chain, its card counting the days, @ in the township group', () => {
    const [step, ...rest] = plan([hazard({ sent: new Set(['overdue-0d@2026-05-18']) })], '2026-05-22 08:00');
    expect(rest).toEqual([]);
    expect(step!.swept).toMatchObject({
      step: 'overdue-3d',
      key: 'overdue-3d@2026-05-18',
      channel: 'urgent',
      urgent: true,
      chatId: 'oc_town',
      to: ['boss', 'tlc', 'tml', 'dl'].map((code) => ({ name: code, openId: `ou_${code}` })),
    });
    expect(step!.card).toMatchObject({ overdueDays: 3, daysLeft: null, enterpriseName: '某某化工有限公司' });
  });

  it('counts a recipient without a Feishu account as unreachable and tells the chain instead, on the card', () => {
    const [step] = plan([hazard({ sent: new Set(['overdue-0d@2026-05-18']) })], '2026-05-22 08:00', {
      unit: { ...unit, principal: null, townshipLeaderInCharge: [], townshipMainLeader: [], departmentLeader: [] },
      responsible: offline,
      reporter: null,
    });
    expect(step!.unreachable).toBe(1);
    expect(step!.openIds).toEqual(['ou_cl']);
    expect(step!.swept.delivered).toBe(true);
    expect(step!.swept.fallbacks.map((f) => [f.role, f.toldRole, f.missing.map((m) => m.reason)])).toEqual([
      ['responsible', 'county_leader', ['尚未加入飞书']],
      ['township_leader_in_charge', 'county_leader', []],
      ['township_main_leader', 'county_leader', []],
      ['department_leader', 'county_leader', []],
    ]);
    const card = JSON.stringify(composeMessages([step!], '2026-05-22T00:00:00.000Z')[0]!.message.content);
    expect(card).toContain('cl（县领导，代整改责任人）');
    expect(card).toContain('未能直接通知');
    expect(card).toContain('整改责任人offline尚未加入飞书，已改为通知县领导cl，请其转告单位');
  });

  it('never @s a group for nobody, and records a step nobody could be told of as undelivered', () => {
    const nobody: UnitResponsibility = {
      ...unit,
      principal: null,
      townshipLeaderInCharge: [],
      townshipMainLeader: [],
      departmentLeader: [],
      countyLeaders: [],
    };
    const [step] = plan([hazard({ sent: new Set(['overdue-0d@2026-05-18']) })], '2026-05-22 08:00', {
      unit: nobody,
      responsible: offline,
      reporter: null,
    });
    expect(step!.openIds).toEqual([]);
    expect(step!.swept.chatId).toBeNull();
    expect(step!.swept.delivered).toBe(false);
    expect(composeMessages([step!], '2026-05-22T00:00:00.000Z')).toEqual([]);
    const [row] = JSON.parse(stepRows([step!], []));
    expect(row).toMatchObject({ k: 'overdue-3d@2026-05-18', d: false, f: step!.swept.fallbacks });
  });

  it('with a web view, every reminder card links each hazard to its page (查看详情); without, none does', () => {
    const links = { publicUrl: 'https://yh.example.gov.cn' };
    const sent = new Set(['overdue-0d@2026-05-18']);
    const hazards = [hazard({ sent }), hazard({ sent })];
    const planned = plan(hazards, '2026-05-22 08:00', resolved, links);
    const pages = hazards.map((h) => `https://yh.example.gov.cn/web/hazards/${h.code}`);
    expect(planned.map((p) => p.card.detailUrl)).toEqual(pages);
    const composed = composeMessages(planned, '2026-05-22T00:00:00.000Z');
    expect(composed.length).toBeGreaterThan(0);
    for (const c of composed) {
      // One person's list card and the township group's: each hazard's page, as a link on its item.
      const card = JSON.stringify(c.message.content);
      for (const page of pages) expect(card).toContain(`[查看详情](${page})`);
      expect(validateCard(c.message.content)).toBeNull();
    }
    const [single] = composeMessages(planned.slice(0, 1), 'x');
    expect(JSON.stringify(single!.message.content)).toContain(`"default_url":"${pages[0]}"`);
    const without = composeMessages(plan(hazards, '2026-05-22 08:00'), 'x');
    for (const c of without) expect(JSON.stringify(c.message.content)).not.toContain('/web/hazards/');
  });

  it('asks for county supervision only where the hazard is below it', () => {
    const sent = new Set(['overdue-0d@2026-05-18', 'overdue-3d@2026-05-18']);
    const [below] = plan([hazard({ sent })], '2026-05-26 08:00');
    const [already] = plan([hazard({ sent, supervision: 'county' })], '2026-05-26 08:00');
    expect(below!.swept.step).toBe('overdue-7d');
    expect(effectsToApply(below!)).toEqual([{ type: 'raise_supervision', level: 'county' }]);
    expect(effectsToApply(already!)).toEqual([]);
  });
});

describe('composeMessages', () => {
  it('one card per person and one per group for all of their steps in a batch, buzzed when any is urgent', () => {
    const sent = new Set(['overdue-0d@2026-05-18']);
    const planned = plan([hazard({ sent }), hazard({ sent, deadline: '2026-05-19' })], '2026-05-22 08:00');
    const ids = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'];
    const composed = composeMessages(planned, '2026-05-22T00:00:00.000Z', () => ids.shift()!);
    const byTarget = Object.fromEntries(
      composed.map((c) => [
        Object.values(c.message.to)[0],
        { steps: c.steps.length, urgent: !!c.message.urgentOpenIds },
      ]),
    );
    // The hazard due 05-19 is not yet 3 days overdue on 05-22: only its overdue-0d step (a mention) is due.
    expect(planned.map((p) => p.swept.key)).toEqual(['overdue-3d@2026-05-18', 'overdue-0d@2026-05-19']);
    expect(byTarget).toEqual({
      ou_boss: { steps: 2, urgent: true },
      ou_tlc: { steps: 2, urgent: true },
      ou_tml: { steps: 1, urgent: true },
      ou_dl: { steps: 1, urgent: true },
      oc_town: { steps: 2, urgent: false },
    });
    const group = composed.find((c) => 'chatId' in c.message.to)!;
    expect(JSON.stringify(group.message.content)).toContain('<at id=ou_boss></at>');
  });

  it('urgent_sms / urgent_phone: the person’s card carries which (phone wins) and the steps that asked; groups never', () => {
    const sent = new Set(['overdue-0d@2026-05-18']);
    const planned = plan([hazard({ sent }), hazard({ sent, deadline: '2026-05-19' })], '2026-05-22 08:00');
    const on = (step: PlannedStep, channel: 'urgent_sms' | 'urgent_phone'): PlannedStep => ({
      ...step,
      swept: { ...step.swept, channel, urgent: true },
    });
    const extraOf = (steps: PlannedStep[]) =>
      Object.fromEntries(
        composeMessages(steps, '2026-05-22T00:00:00.000Z').map((c) => [
          Object.values(c.message.to)[0],
          (c.message as { urgentExtra?: unknown }).urgentExtra ?? null,
        ]),
      );
    const [first, second] = planned as [PlannedStep, PlannedStep];
    const mixed = extraOf([on(first, 'urgent_sms'), on(second, 'urgent_phone')]);
    expect(mixed.ou_boss).toEqual({ channel: 'phone', steps: [{ hazard: second.swept.hazard, step: 'overdue-0d' }] });
    expect(mixed.ou_tml).toEqual({ channel: 'sms', steps: [{ hazard: first.swept.hazard, step: 'overdue-3d' }] });
    expect(mixed.oc_town).toBeNull();
    // The default policy's channels: no SMS or phone.
    expect(Object.values(extraOf(planned)).every((x) => x === null)).toBe(true);
  });

  it('names the carriers of each step in its row, grouped by key and messages', () => {
    const planned = plan([hazard({ sent: new Set(['overdue-0d@2026-05-18']) })], '2026-05-22 08:00');
    const composed = composeMessages(
      planned,
      'x',
      (() => {
        let n = 0;
        return () => `m${++n}`;
      })(),
    );
    expect(JSON.parse(stepRows(planned, composed))).toEqual([
      { k: 'overdue-3d@2026-05-18', o: ['m1', 'm2', 'm3', 'm4', 'm5'], h: [planned[0]!.hazard.id] },
    ]);
  });
});

describe('the 复查 clock’s cards', () => {
  const insp = person('insp');
  const withVerifier: Resolved = { ...resolved, reporter: insp };
  // Submitted Friday 05-15 16:00 (deadline 05-18 not yet passed, then passed: the cards never speak of it).
  const waiting = (sent: string[] = []) =>
    hazard({
      status: 'pending_verification',
      rectifiedAt: at('2026-05-15 16:00'),
      reporterId: insp.id,
      sent: new Set(sent),
    });
  const key = (id: string) => `${id}@${at('2026-05-15 16:00').toISOString()}`;
  const contentOf = (step: PlannedStep) =>
    composeMessages([step], 'x').map((c) => ({ to: c.message.to, card: JSON.stringify(c.message.content) }));

  it('asks the verifier to go, saying since when and how many working days the rectification has waited', () => {
    const [step, ...rest] = plan([waiting()], '2026-05-21 07:30', withVerifier);
    expect(rest).toEqual([]);
    expect(step!.swept).toMatchObject({ step: 'verify-reminder', key: key('verify-reminder'), channel: 'card' });
    const [message, ...others] = contentOf(step!);
    expect(others).toEqual([]);
    expect(message!.to).toEqual({ openId: 'ou_insp' });
    expect(message!.card).toContain('复查提醒：整改已等待验收 3 个工作日');
    expect(message!.card).toContain('整改已于 2026-05-15 提交，已等待验收 3 个工作日，请尽快到现场复查。');
    expect(message!.card).not.toContain('整改期限');
  });

  it('tells the leaders who has not verified, with an @ in the township group', () => {
    const [step] = plan([waiting([key('verify-reminder')])], '2026-05-23 07:30', withVerifier);
    expect(step!.swept).toMatchObject({ step: 'verify-overdue', channel: 'mention', chatId: 'oc_town' });
    expect(step!.openIds).toEqual(['ou_tlc', 'ou_dl']);
    const messages = contentOf(step!);
    expect(messages.map((m) => m.to)).toEqual([{ openId: 'ou_tlc' }, { openId: 'ou_dl' }, { chatId: 'oc_town' }]);
    for (const { card } of messages) {
      expect(card).toContain('复查超时：整改已等待验收 5 个工作日');
      expect(card).toContain(
        '整改已于 2026-05-15 提交，已等待验收 5 个工作日，验收人insp尚未复查，请督促其尽快到现场复查。',
      );
    }
    expect(messages[2]!.card).toContain('<at id=ou_tlc></at> <at id=ou_dl></at>');
  });

  it('lists a verifier’s waiting rectifications on one card, each with its wait, and SMS says the same', () => {
    const other = { ...waiting(), rectifiedAt: at('2026-05-14 09:00') };
    const planned = plan([waiting(), other], '2026-05-21 07:30', withVerifier);
    expect(planned.map((p) => p.swept.step)).toEqual(['verify-reminder', 'verify-reminder']);
    const [list, ...others] = composeMessages(planned, 'x');
    expect(others).toEqual([]);
    const card = JSON.stringify(list!.message.content);
    expect(card).toContain('整改已于 2026-05-15 提交，已等待验收 3 个工作日｜复查提醒');
    expect(card).toContain('整改已于 2026-05-14 提交，已等待验收 4 个工作日｜复查提醒');
    expect(card).toContain('请验收人尽快到现场复查');
    expect(card).not.toContain('期限 2026-05-18');

    // A verifier outside Feishu, with SMS on: the SMS asks the same.
    const context = {
      policy: DEFAULT_POLICY,
      calendar,
      at: at('2026-05-21 07:30'),
      reach: { sms: true },
      links: undefined,
    };
    const bySms = { ...withVerifier, reporter: { ...insp, openId: null, mobile: '13900000009' } };
    const [sms] = composeMessages(
      planSteps(dueStepsOf([waiting()], context), () => bySms, context),
      'x',
    );
    expect(sms!.message).toMatchObject({
      msgType: 'sms',
      to: { mobile: '13900000009' },
      content: { action: '整改已提交3个工作日，请尽快复查' },
    });
  });
});
