/**
 * 群众举报 (issue #23 points 3 and 5): the answer clock (10 working days, each policy step once, stopped by the
 * answer, changed by a policy file), the reward the county safety office records, and the tips in the statistics.
 * One service per describe, its clock moving forward only.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { tips } from '../../src/db/schema/index.js';
import { DEFAULT_POLICY_JSON } from '../../src/domain/escalation-policy.js';
import { type Json, titleOf } from '../support/chat.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'tip-clock-admin-token-0123456789';
const READER = 'tip-clock-county-reader-0123456789';
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
    { ADMIN_TOKEN: TOKEN, API_TOKENS: `county:${READER}`, COUNTY_NAME: '某县', ...env },
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

    // The card: code, place, the wait and what to do; never the tipster.
    const card = await eventually(
      () =>
        service.sim
          .messages({ to: 'ou_tinsp', msgType: 'interactive' })
          .find((m) => titleOf(m.content) === `举报答复提醒｜${codes.town}`),
      10_000,
      'the reminder card',
    );
    const text = JSON.stringify(card.content);
    expect(text).toContain('城关镇工业园 3 号仓库');
    expect(text).toContain('已等待**：7 个工作日');
    expect(text).toContain('2026-12-21');
    expect(text).toContain('请尽快受理核查');
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
    const urgent = await eventually(
      () =>
        service.sim
          .messages({ to: 'ou_aw', msgType: 'interactive' })
          .filter((m) => titleOf(m.content).startsWith('举报答复提醒')),
      10_000,
      'the county office cards',
    );
    expect(urgent.length).toBe(2);
    expect(JSON.stringify(urgent[0]!.content)).toContain('已超过答复期限');
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
