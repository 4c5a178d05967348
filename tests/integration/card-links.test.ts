/**
 * 查看详情 (issue 22 point 3), end to end: with PUBLIC_URL, every card the bot sends about a hazard — the reporter's,
 * the unit's notice, the leaders' report-time reminder, the 专班群's pinned card, the 查询 card, and each of them again
 * after a step patches it — opens `<PUBLIC_URL>/web/hazards/<code>`, and the daily digest opens `<PUBLIC_URL>/web/`.
 * Without PUBLIC_URL no card carries a link.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createCalendar } from '../../src/domain/calendar.js';
import { elementsOf, type Json, reportThroughChat, titleOf } from '../support/chat.js';
import { COUNTY_DIRECTORY } from '../support/reminders.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'card-links-test-admin-token-0123456789';
const calendar = createCalendar();
/** A weekday morning in the county: no quiet hours hold the report-time steps back. */
const NOW = new Date('2026-06-10T10:00:00+08:00');
const FORM = {
  enterprise: '某某化工有限公司',
  sector: '危险化学品',
  level: 'major',
  description: '储罐区可燃气体报警器失效',
  location: '储罐区',
  measures: '更换报警器并检定',
  standard: '报警器检定合格',
  deadline: `${calendar.addDays(calendar.localDate(NOW), 10).date} +0800`,
  suspend: 'no',
};

async function start(options: { web: boolean }): Promise<TestService> {
  const service = await startTestService({ ADMIN_TOKEN: TOKEN }, { web: options.web, clock: new ManualClock(NOW) });
  for (const person of COUNTY_DIRECTORY.people) {
    if (person.openId) service.sim.addUser({ openId: person.openId, name: person.name });
  }
  const response = await fetch(`${service.url}/api/admin/directory`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(COUNTY_DIRECTORY),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return service;
}

/** The open_url behaviours of a card's buttons, by the button's text. */
const links = (card: Json): [string, Json][] =>
  elementsOf(card).flatMap((e) =>
    (e.behaviors ?? []).filter((b: Json) => b.type === 'open_url').map((b: Json) => [e.text?.content, b]),
  );
const detailLink = (url: string): [string, Json][] => [
  ['查看详情', { type: 'open_url', default_url: url, pc_url: url, ios_url: url, android_url: url }],
];
/** A reminder's (the sweep's cards): the fallback URL alone, which every client uses. */
const compactLink = (url: string): [string, Json][] => [['查看详情', { type: 'open_url', default_url: url }]];

const interactive = (s: TestService, to: string) => s.sim.messages({ to, msgType: 'interactive' });
const cardAbout = (s: TestService, to: string, code: string, title: string) =>
  eventually(
    () =>
      interactive(s, to).find((m) => titleOf(m.content).includes(title) && JSON.stringify(m.content).includes(code)),
    10_000,
    `the ${title} card to ${to}`,
  );
const digestOf = (s: TestService, to: string) =>
  eventually(
    () => interactive(s, to).find((m) => titleOf(m.content).startsWith('每日隐患督办简报')),
    10_000,
    `the digest of ${to}`,
  );

async function report(s: TestService) {
  const result = await reportThroughChat(s.sim, 'ou_insp', FORM);
  expect(result.code, JSON.stringify(result.body)).toBeTruthy();
  return { code: result.code!, answer: result.body.card.data as Json, form: result.form };
}

describe('查看详情 with the web view (PUBLIC_URL)', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await start({ web: true });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('every card about a hazard opens its page, the digest the overview, on this service', async () => {
    const publicUrl = s.config.PUBLIC_URL!;
    expect(publicUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { code, answer, form } = await report(s);
    const page = `${publicUrl}/web/hazards/${code}`;

    // The reporter's card (the callback's answer), the unit's notice, the leaders' report-time reminder.
    expect(links(answer)).toEqual(detailLink(page));
    const notice = await cardAbout(s, 'ou_resp', code, '整改通知');
    expect(links(notice.content)).toEqual(detailLink(page));
    const major = await cardAbout(s, 'ou_cl', code, '重大事故隐患报告');
    expect(links(major.content)).toEqual(compactLink(page));
    // The living card is still one click away on a reminder.
    expect(elementsOf(major.content).find((e) => e.text?.content === '隐患卡片')?.behaviors).toEqual([
      { type: 'callback', value: { action: 'hazard.show', code } },
    ]);

    // The 专班群's pinned card.
    const group = await eventually(
      () => s.sim.chats().find((c) => c.createdByBot && c.name.includes(code)),
      15_000,
      'the 专班群',
    );
    await eventually(() => group.pinnedMessageIds?.length || undefined, 10_000, 'the pinned card');
    expect(links(s.sim.message(group.pinnedMessageIds![0]!)!.content)).toEqual(detailLink(page));

    // 查询 <编号>.
    await s.sim.sendText('ou_cl', `查询 ${code}`);
    const query = await cardAbout(s, 'ou_cl', code, '隐患详情');
    expect(links(query.content)).toEqual(detailLink(page));

    // A step patches every card: the link stays (here the reporter's form turned card, and the notice).
    const ack = await s.sim.clickCard('ou_resp', notice.messageId, { value: { action: 'hazard.acknowledge', code } });
    expect((ack.body as Json).toast.type).toBe('success');
    expect(links((ack.body as Json).card.data)).toEqual(detailLink(page));
    await eventually(
      () => JSON.stringify(s.sim.message(form.messageId)?.content).includes('已确认接收') || undefined,
      10_000,
      'the reporter’s card patched',
    );
    expect(links(s.sim.message(form.messageId)!.content)).toEqual(detailLink(page));

    // The daily digest: the overview of the leader's scope.
    await s.deps.reminders.digest({ at: NOW });
    const digest = await digestOf(s, 'ou_cl');
    expect(links(digest.content)).toEqual(detailLink(`${publicUrl}/web/`));

    // The links lead to this very service (the pages themselves are the web view's: tests/integration/web-*.test.ts).
    expect(new URL(page).origin).toBe(s.url);
  });
});

describe('查看详情 without a web view', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await start({ web: false });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('no card carries a link: the reminders’ 查看详情 sends the living card, as before', async () => {
    expect(s.config.PUBLIC_URL).toBeUndefined();
    const { code, answer } = await report(s);
    expect(links(answer)).toEqual([]);
    const notice = await cardAbout(s, 'ou_resp', code, '整改通知');
    const major = await cardAbout(s, 'ou_cl', code, '重大事故隐患报告');
    expect(elementsOf(major.content).find((e) => e.text?.content === '查看详情')?.behaviors).toEqual([
      { type: 'callback', value: { action: 'hazard.show', code } },
    ]);
    await s.deps.reminders.digest({ at: NOW });
    const digest = await digestOf(s, 'ou_cl');
    for (const card of [notice, major, digest]) {
      expect(links(card.content)).toEqual([]);
      expect(card.rawContent).not.toContain('/web/');
    }
    // Nothing the bot sent links anywhere.
    expect(s.sim.messages({ msgType: 'interactive' }).filter((m) => m.rawContent.includes('open_url'))).toEqual([]);
  });
});
