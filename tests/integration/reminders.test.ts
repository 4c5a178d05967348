import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { SweepResult } from '../../src/reminders/sweep/index.js';
import { type Service, startService } from '../../src/server.js';
import { COUNTY_DIRECTORY, COUNTY_OPEN_IDS, insertHazard, rows, startReplica } from '../support/reminders.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the API's JSON answers as a user would, field by field.
type Json = any;

const TOKEN = 'reminders-test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const TOWN_CHAT = 'oc_town01_safety';

async function setUp(service: TestService): Promise<void> {
  for (const person of COUNTY_DIRECTORY.people) service.sim.addUser({ openId: person.openId, name: person.name });
  service.sim.addChat({ chatId: TOWN_CHAT, name: '城关镇安全生产群', memberOpenIds: COUNTY_OPEN_IDS });
  const response = await fetch(`${service.url}/api/admin/directory`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify(COUNTY_DIRECTORY),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

async function sweep(service: { url: string }, body: object): Promise<Json> {
  const response = await fetch(`${service.url}/api/admin/sweep`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  expect(response.status, JSON.stringify(answer)).toBe(200);
  return answer;
}

/** The steps of one hazard in a sweep answer, as `step → sorted recipient open_ids`. */
function stepsOf(answer: Json, code: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of answer.steps.filter((s: Json) => s.hazard === code)) {
    out[s.step] = s.to.map((t: Json) => t.openId).sort();
  }
  return out;
}

/** The township group a region is bound to (`regions.chat_id`). */
async function chatOf(service: TestService, code: string): Promise<string | null> {
  const db = service.testDb.database.db;
  return rows<{ chat_id: string | null }>(await db.execute(sql`select chat_id from regions where code = ${code}`))[0]!
    .chat_id;
}

/** Cards the bot delivered to `openId` about hazard `code`. */
const cardsAbout = (service: TestService, openId: string, code: string) =>
  service.sim.messages({ to: openId }).filter((m) => m.rawContent.includes(code));

describe('reminders and escalation (督办提醒与升级)', () => {
  let service: TestService;
  const clock = new ManualClock('2026-03-01T00:00:00Z');

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: TOKEN }, { clock });
    await setUp(service);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('refuses a bad body or a missing token, changing nothing', async () => {
    const noToken = await fetch(`${service.url}/api/admin/sweep`, { method: 'POST', body: '{}' });
    expect(noToken.status).toBe(401);
    for (const body of [{ at: 'tomorrow' }, { dryRun: 'yes' }, { at: '2026-03-01T09:00:00' }, { extra: 1 }]) {
      const response = await fetch(`${service.url}/api/admin/sweep`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
      const answer = (await response.json()) as Json;
      expect(answer.error.code).toBe('invalid_request');
      expect(answer.error.message).toMatch(/^请求体有误：(at|dryRun|请求体)：/);
      expect(answer.error.message).toMatch(/at|dryRun|extra/);
    }
    const notJson = await fetch(`${service.url}/api/admin/sweep`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"at":',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as Json).error).toMatchObject({
      code: 'invalid_json',
      message: expect.stringMatching(/^请求体不是有效的 JSON（.+）$/),
    });
  });

  it('walks the whole default ladder of a general hazard, each step once, deferring quiet hours', async () => {
    const { code, id } = await insertHazard(service.testDb.database.db, {
      deadline: '2026-03-09',
      reportedAt: '2026-03-02T10:00:00+08:00',
    });
    const at = (iso: string) => sweep(service, { at: iso });

    expect(stepsOf(await at('2026-03-02T10:05:00+08:00'), code)).toEqual({});
    expect(stepsOf(await at('2026-03-03T10:00:00+08:00'), code)).toEqual({ 'unacknowledged-24h': ['ou_resp'] });
    // Nothing due: answered from one index-only count, without a batch — unless a transaction elsewhere in the
    // cluster (another test file's database) held the last sweep's horizon below the hazard's change, in which case
    // the hazard is read once more as changed, and still sends nothing.
    const [held] = rows<{ held: boolean }>(
      await service.testDb.database.db.execute(sql`
        select h.changed_xid >= s.changed_since as held from hazards h, reminder_sweep_state s where h.id = ${id}`),
    );
    const quiet = await at('2026-03-03T10:05:00+08:00');
    expect(stepsOf(quiet, code)).toEqual({});
    expect([quiet.batches, quiet.counts.hazards]).toEqual(held?.held ? [1, 1] : [0, 0]);
    expect(stepsOf(await at('2026-03-06T09:00:00+08:00'), code)).toEqual({ 'due-in-3d': ['ou_resp'] });
    expect(stepsOf(await at('2026-03-08T09:00:00+08:00'), code)).toEqual({ 'due-in-1d': ['ou_resp'] });
    // The deadline passes at midnight, inside quiet hours: the general hazard waits for 07:30.
    const dry = await sweep(service, { at: '2026-03-10T00:05:00+08:00', dryRun: true });
    expect(stepsOf(dry, code)).toEqual({});
    expect(stepsOf(await at('2026-03-10T07:29:00+08:00'), code)).toEqual({});
    const overdue = await at('2026-03-10T07:30:00+08:00');
    expect(stepsOf(overdue, code)).toEqual({ 'overdue-0d': ['ou_resp', 'ou_tlc'] });
    const mention = overdue.steps.find((s: Json) => s.hazard === code);
    expect(mention).toMatchObject({ channel: 'mention', chatId: TOWN_CHAT, urgent: false });
    expect(stepsOf(await at('2026-03-13T07:30:00+08:00'), code)).toEqual({
      'overdue-3d': ['ou_dl', 'ou_resp', 'ou_tlc', 'ou_tml'],
    });
    const seven = await at('2026-03-17T07:30:00+08:00');
    expect(stepsOf(seven, code)).toEqual({ 'overdue-7d': ['ou_cl', 'ou_dl', 'ou_resp', 'ou_tlc', 'ou_tml'] });
    expect(seven.counts.escalations).toBe(1);
    expect(stepsOf(await at('2026-03-20T07:30:00+08:00'), code)).toEqual({});
    // Counted per step and channel (and escalations per level), as the ladder went.
    const sent = await service.deps.metrics.registry.getSingleMetricAsString('reminder_steps_sent_total');
    expect(sent).toMatch(/reminder_steps_sent_total\{step="overdue-0d",channel="mention"\} [1-9]/);
    expect(sent).toMatch(/reminder_steps_sent_total\{step="overdue-7d",channel="urgent"\} [1-9]/);
    const escalated = await service.deps.metrics.registry.getSingleMetricAsString('reminder_escalations_total');
    expect(escalated).toMatch(/reminder_escalations_total\{level="county"\} [1-9]/);

    // The hazard came under county supervision, with an audit row by the system.
    const [hazard] = rows<{ supervision: string; version: number }>(
      await service.testDb.database.db.execute(sql`select supervision, version from hazards where id = ${id}`),
    );
    expect(hazard?.supervision).toBe('county');
    const events = rows<{ type: string; actor_id: number | null; details: Json }>(
      await service.testDb.database.db.execute(
        sql`select type, actor_id, details from hazard_events where hazard_id = ${id}`,
      ),
    );
    expect(events).toEqual([
      expect.objectContaining({
        type: 'supervision_raised',
        actor_id: null,
        details: expect.objectContaining({ to: 'county' }),
      }),
    ]);

    // What people saw: 6 cards for the responsible person, urgent from 3 days overdue; one @mention in the group.
    const mine = await eventually(
      () => {
        const cards = cardsAbout(service, 'ou_resp', code);
        return cards.length === 6 && cards.filter((c) => c.urgents.length > 0).length === 2 ? cards : null;
      },
      10_000,
      'six cards to the responsible person, the last two urgent',
    );
    expect(mine.filter((c) => c.urgents.length > 0).map((c) => c.content.header.title.content)).toEqual([
      '督办升级：隐患已超期 3 天',
      '督办升级：隐患已超期 7 天',
    ]);
    const county = await eventually(() => cardsAbout(service, 'ou_cl', code).find((c) => c.urgents.length > 0));
    expect(county.content.header.title.content).toContain('已超期 7 天');
    expect(county.rawContent).toContain('县级督办');
    // The card names the unit, the responsible person and who was told (read from the sweep's caches, not the claim).
    expect(county.rawContent).toContain('**单位**：某某化工有限公司');
    expect(county.rawContent).toContain('**整改责任人**：张责任');
    expect(county.rawContent).toMatch(/\*\*通知对象\*\*：[^"]*张责任（整改责任人）/);
    expect(county.urgents[0]?.userIds).toEqual(['ou_cl']);
    const group = await eventually(() =>
      service.sim.messages({ to: TOWN_CHAT }).filter((m) => m.rawContent.includes(code)),
    );
    expect(group.length).toBeGreaterThanOrEqual(1);
    expect(group[0]!.rawContent).toContain('<at id=ou_tlc></at>');
  });

  it('tells the county at once of a major hazard, even at night, and again with urgency when it is overdue', async () => {
    const { code } = await insertHazard(service.testDb.database.db, {
      grade: 'major',
      deadline: '2026-04-10',
      reportedAt: '2026-04-01T23:00:00+08:00',
      acknowledgedAt: '2026-04-01T23:30:00+08:00',
    });
    const reported = await sweep(service, { at: '2026-04-01T23:05:00+08:00' });
    expect(stepsOf(reported, code)).toEqual({ 'major-reported': ['ou_cl', 'ou_dl', 'ou_tml'] });
    expect(reported.steps.find((s: Json) => s.hazard === code).urgent).toBe(true);
    const overdue = await sweep(service, { at: '2026-04-11T00:01:00+08:00' });
    expect(stepsOf(overdue, code)).toEqual({ 'major-overdue': ['ou_cl'] });
    expect(stepsOf(await sweep(service, { at: '2026-04-11T07:30:00+08:00' }), code)).toEqual({
      'overdue-0d': ['ou_resp', 'ou_tlc'],
    });
  });

  it('stops the not-acknowledged reminder once acknowledged, and every reminder once closed', async () => {
    const db = service.testDb.database.db;
    const acknowledged = await insertHazard(db, { deadline: '2026-05-20', reportedAt: '2026-05-04T10:00:00+08:00' });
    const closed = await insertHazard(db, { deadline: '2026-05-20', reportedAt: '2026-05-04T10:00:00+08:00' });
    await db.execute(sql`update hazards set acknowledged_at = '2026-05-04T12:00:00+08:00', version = version + 1
      where id = ${acknowledged.id}`);
    await db.execute(sql`update hazards set status = 'closed', closed_at = '2026-05-04T12:00:00+08:00',
      version = version + 1 where id = ${closed.id}`);
    const day = await sweep(service, { at: '2026-05-05T10:30:00+08:00' });
    expect(stepsOf(day, acknowledged.code)).toEqual({});
    expect(stepsOf(day, closed.code)).toEqual({});
    const later = await sweep(service, { at: '2026-05-30T10:30:00+08:00', dryRun: true });
    expect(stepsOf(later, acknowledged.code)).toMatchObject({ 'overdue-7d': expect.any(Array) });
    expect(stepsOf(later, closed.code)).toEqual({});
    const [stored] = rows<{ n: number }>(
      await db.execute(sql`select count(*)::int as n from reminder_steps where hazard_id = ${closed.id}`),
    );
    expect(stored!.n).toBe(0);
  });

  it('moves every future step when an extension is approved', async () => {
    const db = service.testDb.database.db;
    const { id, code } = await insertHazard(db, {
      deadline: '2026-06-10',
      reportedAt: '2026-06-01T10:00:00+08:00',
      acknowledgedAt: '2026-06-01T11:00:00+08:00',
    });
    expect(stepsOf(await sweep(service, { at: '2026-06-07T09:00:00+08:00' }), code)).toEqual({
      'due-in-3d': ['ou_resp'],
    });
    await db.execute(sql`update hazards set deadline = '2026-06-30', deadline_set_at = '2026-06-08T15:00:00+08:00',
      version = version + 1 where id = ${id}`);
    expect(stepsOf(await sweep(service, { at: '2026-06-09T09:00:00+08:00' }), code)).toEqual({});
    expect(stepsOf(await sweep(service, { at: '2026-06-11T07:30:00+08:00' }), code)).toEqual({});
    expect(stepsOf(await sweep(service, { at: '2026-06-27T09:00:00+08:00' }), code)).toEqual({
      'due-in-3d': ['ou_resp'],
    });
    expect(stepsOf(await sweep(service, { at: '2026-07-01T07:30:00+08:00' }), code)).toEqual({
      'overdue-0d': ['ou_resp', 'ou_tlc'],
    });
  });

  it('sends what a change in quiet hours made due once they end (a rectification sent back at night)', async () => {
    const db = service.testDb.database.db;
    // Rectified before its deadline passed, so no overdue step while it waited for verification.
    const { id, code } = await insertHazard(db, {
      deadline: '2026-10-20',
      reportedAt: '2026-10-12T10:00:00+08:00',
      acknowledgedAt: '2026-10-12T10:30:00+08:00',
      status: 'pending_verification',
    });
    expect(stepsOf(await sweep(service, { at: '2026-10-21T10:00:00+08:00' }), code)).toEqual({});
    // Sent back at 23:00: overdue since the 21st, but quiet hours hold the step until 07:30.
    await db.execute(sql`update hazards set status = 'rectifying', version = version + 1 where id = ${id}`);
    expect(stepsOf(await sweep(service, { at: '2026-10-21T23:30:00+08:00' }), code)).toEqual({});
    expect(stepsOf(await sweep(service, { at: '2026-10-22T07:30:00+08:00' }), code)).toEqual({
      'overdue-0d': ['ou_resp', 'ou_tlc'],
    });
    expect(stepsOf(await sweep(service, { at: '2026-10-22T07:35:00+08:00' }), code)).toEqual({});
  });

  it("waits for a sweep that holds the row, and takes it over once that sweep's lease has run out", async () => {
    const db = service.testDb.database.db;
    const { code } = await insertHazard(db, {
      deadline: '2026-11-10',
      reportedAt: '2026-11-02T10:00:00+08:00',
      acknowledgedAt: '2026-11-02T10:30:00+08:00',
    });
    // A sweep that died holding the row: its lease (database time) runs out in 2 s.
    await db.execute(sql`update reminder_sweep_state
      set running_owner = 'a-dead-replica', running_until = now() + interval '2 seconds'`);
    const started = Date.now();
    const result = await sweep(service, { at: '2026-11-11T09:00:00+08:00' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(stepsOf(result, code)).toEqual({ 'overdue-0d': ['ou_resp', 'ou_tlc'] });
    const [row] = rows<{ running_owner: string | null }>(
      await db.execute(sql`select running_owner from reminder_sweep_state`),
    );
    expect(row!.running_owner).toBeNull();
  });

  it('answers a dry run without changing anything', async () => {
    const db = service.testDb.database.db;
    const { code } = await insertHazard(db, { deadline: '2026-07-20', reportedAt: '2026-07-10T10:00:00+08:00' });
    // Everything a sweep writes: step rows, outbox rows, and how far it has got.
    const count = async () =>
      rows<{ n: string }>(
        await db.execute(sql`select (select count(*) from reminder_steps) || ' ' || (select count(*) from outbox)
          || ' ' || (select s::text from reminder_sweep_state s) as n`),
      )[0]!.n;
    const before = await count();
    const dry = await sweep(service, { at: '2026-07-11T10:30:00+08:00', dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(stepsOf(dry, code)).toEqual({ 'unacknowledged-24h': ['ou_resp'] });
    expect(dry.steps.find((s: Json) => s.hazard === code).to).toEqual([{ name: '张责任', openId: 'ou_resp' }]);
    expect(await count()).toBe(before);
    const real = await sweep(service, { at: '2026-07-11T10:30:00+08:00' });
    expect(stepsOf(real, code)).toEqual({ 'unacknowledged-24h': ['ou_resp'] });
    expect(await count()).not.toBe(before);
    const [mine] = rows<{ steps: number; messages: number }>(
      await db.execute(sql`select count(distinct rs.step_key)::int as steps, count(o.id)::int as messages
        from reminder_steps rs join hazards h on h.id = rs.hazard_id left join outbox o on o.id = any(rs.outbox_ids)
        where h.code = ${code}`),
    );
    expect(mine).toEqual({ steps: 1, messages: 1 });
  });

  it('tells each person once per batch: one list card for all of their hazards, not one card each', async () => {
    const db = service.testDb.database.db;
    const codes: string[] = [];
    for (let n = 0; n < 12; n++) {
      const h = await insertHazard(db, {
        enterprise: 'e001',
        deadline: '2026-07-28',
        reportedAt: '2026-07-25T10:00:00+08:00',
        acknowledgedAt: '2026-07-25T10:30:00+08:00',
      });
      codes.push(h.code);
    }
    const result = await sweep(service, { at: '2026-07-29T09:00:00+08:00' });
    for (const code of codes) expect(Object.keys(stepsOf(result, code))).toEqual(['overdue-0d']);
    const mine = `{${codes.join(',')}}`;
    // (Hazards of earlier tests in this file may be due too, and share the cards.)
    const sent = rows<{ target: string; content: Json; ours: number; all: number }>(
      await db.execute(sql`select o.target, o.content,
          (select count(*) from reminder_steps rs join hazards h on h.id = rs.hazard_id
            where o.id = any(rs.outbox_ids) and h.code = any(${mine}::text[]))::int as ours,
          (select count(*) from reminder_steps rs where o.id = any(rs.outbox_ids))::int as all
        from outbox o where o.id in (select unnest(rs.outbox_ids) from reminder_steps rs
          join hazards h on h.id = rs.hazard_id where h.code = any(${mine}::text[]))
        order by o.target`),
    );
    // The responsible person, the township leader in charge and town-01's group chat: one card each.
    expect(sent.map((m) => [m.target, m.ours])).toEqual([
      [TOWN_CHAT, 12],
      ['ou_resp', 12],
      ['ou_tlc', 12],
    ]);
    const chat = sent[0]!;
    const text = JSON.stringify(chat.content);
    expect(text).toMatch(/督办升级：\d+ 项隐患已超期/);
    expect(text).toContain(`本次督办共 **${chat.all}** 项`);
    expect(text).toContain(`另有 ${chat.all - 10} 项`);
    expect(text).toContain('<at id=ou_resp></at>');
    expect(text).toContain('"action":"list","filter":"overdue"');
    expect(text).toContain('某某化工有限公司'); // each listed hazard names its unit
    // Delivered as one message that names the first hazards.
    await eventually(() => cardsAbout(service, 'ou_resp', codes[0]!).length === 1, 10_000, 'the list card delivered');
    expect(cardsAbout(service, 'ou_resp', codes[0]!)[0]!.content.header.title.content).toMatch(/项隐患已超期/);
  });

  it('sends each leader one digest card for their scope, once a day', async () => {
    const db = service.testDb.database.db;
    await insertHazard(db, { enterprise: 'e002', deadline: '2026-08-01', reportedAt: '2026-07-25T10:00:00+08:00' });
    clock.set('2026-08-03T08:30:00+08:00');
    const slot = new Date('2026-08-03T08:30:00+08:00');
    expect(await service.deps.reminders.scheduler.runSlot('digest', slot)).toBe(true);
    expect(await service.deps.reminders.scheduler.runSlot('digest', slot)).toBe(false);
    const digests = (openId: string) =>
      service.sim.messages({ to: openId }).filter((m) => m.rawContent.includes('每日隐患督办简报（2026-08-03）'));
    for (const leader of ['ou_tlc', 'ou_tml', 'ou_dl', 'ou_cl', 'ou_tlc2']) {
      await eventually(() => digests(leader).length === 1, 10_000, `the digest of ${leader}`);
    }
    expect(digests('ou_resp')).toHaveLength(0);
    const town2 = digests('ou_tlc2')[0]!;
    expect(town2.content.header.subtitle.content).toContain('河西镇');
    expect(town2.rawContent).toContain('已超期 **1** 条');
    expect(town2.rawContent).toContain('"action":"list"');
    const county = digests('ou_cl')[0]!;
    expect(county.content.header.subtitle.content).toContain('全县');
    expect(county.rawContent).not.toContain('已超期 **0** 条');
    // A second run the same day sends nothing more.
    await service.deps.reminders.digest({ at: new Date('2026-08-03T09:00:00+08:00') });
    expect(digests('ou_cl')).toHaveLength(1);
  });

  it('works every open hazard out again when a start finds other reminder settings (here: no quiet hours)', async () => {
    const db = service.testDb.database.db;
    await insertHazard(db, { deadline: '2026-09-20', reportedAt: '2026-09-10T10:00:00+08:00' });
    await sweep(service, { at: '2026-09-11T10:00:00+08:00' });
    // The sweep's horizon: every hazard changed at or after it is evaluated again by the next sweep ('0': all).
    const horizon = async () =>
      rows<{ since: string }>(await db.execute(sql`select changed_since::text as since from reminder_sweep_state`))[0]!
        .since;
    const swept = await horizon();
    expect(swept).not.toBe('0');
    // Same settings: a start leaves the sweep's progress alone.
    const same = await startReplica(service, { reminders: { scheduler: { cron: false, catchUpOnStart: false } } });
    await same.shutdown();
    expect(await horizon()).toBe(swept);
    // Quiet hours off: the start re-arms the hazard for the catch-up sweep (left off here, so it can be seen).
    const other = await startService(
      { ...service.config, QUIET_HOURS: null },
      {
        logger: pino({ level: 'silent' }),
        clock: service.clock,
        database: { ...service.testDb.database, close: async () => {} },
        reminders: { scheduler: { cron: false, catchUpOnStart: false } },
      },
    );
    await eventually(async () => (await horizon()) === '0' || undefined, 10_000, 'the re-armed hazards');
    await other.shutdown();
  });

  it('查看详情 on a reminder sends each clicker the living card of their part: 提交整改 to the responsible, 发表意见 to a leader', async () => {
    const { code } = await insertHazard(service.testDb.database.db, {
      deadline: '2026-07-20',
      reportedAt: '2026-07-15T10:00:00+08:00',
      acknowledgedAt: '2026-07-15T11:00:00+08:00',
    });
    const overdue = await sweep(service, { at: '2026-07-21T09:00:00+08:00' });
    expect(stepsOf(overdue, code)).toEqual({ 'overdue-0d': ['ou_resp', 'ou_tlc'] });
    const reminderTo = (openId: string) =>
      eventually(() => cardsAbout(service, openId, code).find((m) => m.rawContent.includes('"hazard.show"')));
    const living = async (openId: string, messageId: string) => {
      const before = cardsAbout(service, openId, code).length;
      const answer = (await service.sim.clickCard(openId, messageId, { value: { action: 'hazard.show', code } }))
        .body as Json;
      expect(answer.toast.type).toBe('success');
      const card = await eventually(() => cardsAbout(service, openId, code)[before], 10_000, `the card to ${openId}`);
      expect(card.content.header.title.content).toContain(code);
      return JSON.stringify(card.content);
    };
    expect(await living('ou_resp', (await reminderTo('ou_resp')).messageId)).toContain('"提交整改"');
    // In the township group, the leader clicking gets a card of their own, one-to-one.
    const inGroup = await eventually(() =>
      service.sim.messages({ to: TOWN_CHAT, msgType: 'interactive' }).find((m) => m.rawContent.includes(code)),
    );
    const leaders = await living('ou_tlc', inGroup.messageId);
    expect(leaders).toContain('"发表意见"');
    expect(leaders).not.toContain('"提交整改"');
    // Someone who may not see the hazard (a leader of another township, in the same group) learns nothing.
    const refused = (
      await service.sim.clickCard('ou_tlc2', inGroup.messageId, { value: { action: 'hazard.show', code } })
    ).body as Json;
    expect(refused.toast).toEqual({ type: 'error', content: `没有找到您可以查看的隐患 ${code}` });
    // Nothing was queued for them (the toast is the whole answer), so nothing can arrive later either.
    const queued = rows<{ n: number }>(
      await service.testDb.database.db.execute(
        sql`select count(*)::int as n from outbox where target = 'ou_tlc2' and content::text like ${`%${code}%`}`,
      ),
    );
    expect(queued[0]!.n).toBe(0);
  });

  it('绑定: a township leader makes a group its escalation group from inside it; others are told who may', async () => {
    const GROUP = 'oc_town02_new';
    service.sim.addChat({ chatId: GROUP, name: '河西镇安全生产群', memberOpenIds: COUNTY_OPEN_IDS });
    const db = service.testDb.database.db;
    const answer = async (openId: string, text: string, chatId?: string) => {
      const delivery = await service.sim.sendText(openId, text, chatId ? { chatId } : {});
      return eventually(
        () => service.sim.messages({ msgType: 'text' }).find((m) => m.parentId === delivery.messageId),
        10_000,
        `the answer to ${text}`,
      );
    };
    expect((await answer('ou_resp', '绑定 河西镇', GROUP)).content.text).toContain('只有管理员或河西镇的乡镇领导');
    expect((await answer('ou_tlc2', '绑定 不存在镇', GROUP)).content.text).toContain('没有“不存在镇”');
    expect((await answer('ou_tlc2', '绑定 河西镇')).content.text).toContain('请在乡镇安全生产工作群里 @我');
    expect(await chatOf(service, 'town-02')).toBeNull();
    // 城关镇's leader may not bind 河西镇 either.
    expect((await answer('ou_tlc', '绑定 town-02', GROUP)).content.text).toContain('只有管理员或河西镇');
    expect((await answer('ou_tlc2', '绑定 河西镇', GROUP)).content.text).toContain('已将本群设为河西镇的督办群');
    expect(await chatOf(service, 'town-02')).toBe(GROUP);
    expect((await answer('ou_tlc2', '绑定 town-02', GROUP)).content.text).toContain('本群已是河西镇的督办群');
    // Importing the directory again (河西镇 without a 群聊ID) keeps the group bound in chat.
    const reimport = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(COUNTY_DIRECTORY),
    });
    expect(reimport.status).toBe(200);
    expect(await chatOf(service, 'town-02')).toBe(GROUP);

    // The next overdue step of a 河西镇 unit @mentions its leader in that group.
    const { code } = await insertHazard(db, {
      enterprise: 'e002',
      deadline: '2026-10-12',
      reportedAt: '2026-10-08T10:00:00+08:00',
      acknowledgedAt: '2026-10-08T11:00:00+08:00',
    });
    const overdue = await sweep(service, { at: '2026-10-13T09:00:00+08:00' });
    expect(overdue.steps.find((s: Json) => s.hazard === code)).toMatchObject({ channel: 'mention', chatId: GROUP });
    const posted = await eventually(() =>
      service.sim.messages({ to: GROUP, msgType: 'interactive' }).find((m) => m.rawContent.includes(code)),
    );
    expect(posted.rawContent).toContain('<at id=ou_tlc2></at>');
  });

  it('a bot removed from a township group unbinds it and tells that township; added to a group, it says how to bind', async () => {
    const GROUP = 'oc_town02_removed';
    service.sim.addChat({ chatId: GROUP, name: '河西镇安全生产群', memberOpenIds: COUNTY_OPEN_IDS });
    const db = service.testDb.database.db;
    const textsTo = (to: string) => service.sim.messages({ to, msgType: 'text' }).map((m) => m.content.text as string);
    const bind = await service.sim.sendText('ou_tlc2', '绑定 河西镇', { chatId: GROUP });
    await eventually(() => service.sim.messages({ msgType: 'text' }).find((m) => m.parentId === bind.messageId));
    expect(await chatOf(service, 'town-02')).toBe(GROUP);
    const toldBefore = { tlc2: textsTo('ou_tlc2').length, tlc: textsTo('ou_tlc').length };

    await service.sim.changeBotMembership(GROUP, 'ou_tlc2', false);
    await eventually(async () => (await chatOf(service, 'town-02')) === null || undefined, 10_000, '河西镇 unbound');
    const told = await eventually(() => textsTo('ou_tlc2').slice(toldBefore.tlc2).at(0), 10_000, 'the leader told');
    expect(told).toContain('机器人已被移出「河西镇安全生产群」');
    expect(told).toContain('绑定 河西镇');
    // Another township's group and leaders are not touched.
    expect(await chatOf(service, 'town-01')).toBe(TOWN_CHAT);
    expect(textsTo('ou_tlc').length).toBe(toldBefore.tlc);

    // Escalations still reach the people, just not that group.
    const groupPosts = service.sim.messages({ to: GROUP }).length;
    const { code } = await insertHazard(db, {
      enterprise: 'e002',
      deadline: '2026-10-20',
      reportedAt: '2026-10-16T10:00:00+08:00',
      acknowledgedAt: '2026-10-16T11:00:00+08:00',
    });
    const overdue = await sweep(service, { at: '2026-10-21T09:00:00+08:00' });
    expect(overdue.steps.find((s: Json) => s.hazard === code)).toMatchObject({ channel: 'mention', chatId: null });
    await eventually(() => cardsAbout(service, 'ou_tlc2', code).length === 1, 10_000, 'the card to the leader');
    expect(service.sim.messages({ to: GROUP }).length).toBe(groupPosts);

    // Added back, the bot says how to bind; in a group the directory already binds, it says whose group it is.
    const before = textsTo(GROUP).length;
    await service.sim.changeBotMembership(GROUP, 'ou_tlc2', true);
    const welcome = await eventually(() => textsTo(GROUP).at(before), 10_000, 'the welcome');
    // Added by 河西镇's leader: the exact command for their township.
    expect(welcome).toContain('@我 发送「绑定 河西镇」');
    const bound = textsTo(TOWN_CHAT).length;
    await service.sim.changeBotMembership(TOWN_CHAT, 'ou_tlc', true);
    const known = await eventually(() => textsTo(TOWN_CHAT).at(bound), 10_000, 'the welcome in a bound group');
    expect(known).toContain('本群是城关镇的督办群');
  });

  it('a 群聊ID imported for a group the bot is not in is unbound at the first refused send, and the leaders told', async () => {
    const NO_BOT = 'oc_town02_without_bot';
    service.sim.addChat({ chatId: NO_BOT, name: '河西镇工作群', memberOpenIds: COUNTY_OPEN_IDS, botIsMember: false });
    const db = service.testDb.database.db;
    const directory = {
      ...COUNTY_DIRECTORY,
      regions: COUNTY_DIRECTORY.regions.map((r) => (r.code === 'town-02' ? { ...r, chatId: NO_BOT } : r)),
    };
    const imported = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(directory),
    });
    expect(imported.status).toBe(200);
    // The import says so at once (the binding is kept: the admin may add the bot next).
    const report = (await imported.json()) as Json;
    expect(report.unreachableChats).toEqual([
      { region: 'town-02', name: '河西镇', chatId: NO_BOT, reason: expect.stringContaining('机器人不在该群中') },
    ]);
    expect(await chatOf(service, 'town-02')).toBe(NO_BOT);
    const toldBefore = service.sim.messages({ to: 'ou_tlc2', msgType: 'text' }).length;

    const { code } = await insertHazard(db, {
      enterprise: 'e002',
      deadline: '2026-10-26',
      reportedAt: '2026-10-22T10:00:00+08:00',
      acknowledgedAt: '2026-10-22T11:00:00+08:00',
    });
    const overdue = await sweep(service, { at: '2026-10-27T09:00:00+08:00' });
    expect(overdue.steps.find((s: Json) => s.hazard === code)).toMatchObject({ chatId: NO_BOT });
    await eventually(async () => (await chatOf(service, 'town-02')) === null || undefined, 10_000, '河西镇 unbound');
    const told = await eventually(
      () => service.sim.messages({ to: 'ou_tlc2', msgType: 'text' }).at(toldBefore)?.content.text as string,
      10_000,
      'the leader told',
    );
    expect(told).toContain(`机器人不在河西镇的督办群（群聊ID ${NO_BOT}）中`);
    expect(told).toContain('绑定 河西镇');
    // The person still got the step's card one-to-one; nothing reached the group.
    expect(cardsAbout(service, 'ou_tlc2', code)).toHaveLength(1);
    expect(service.sim.messages({ to: NO_BOT })).toHaveLength(0);
    const failed = await service.deps.metrics.registry.getSingleMetricAsString('feishu_outbox_failed_total');
    expect(failed).toMatch(/code="230002"\} [1-9]/);
  });
});

describe('working-day deadlines (法定工作日, 调休)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService(
      { ADMIN_TOKEN: TOKEN, DEADLINE_DAY_COUNTING: 'working' },
      { clock: new ManualClock('2026-02-01T00:00:00Z') },
    );
    await setUp(service);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('counts across the Spring Festival holiday, with the make-up Saturday as a working day', async () => {
    const db = service.testDb.database.db;
    // Deadline Tuesday 24 Feb, right after the 15–23 Feb holiday; Saturday 14 Feb is a make-up working day.
    const before = await insertHazard(db, {
      deadline: '2026-02-24',
      reportedAt: '2026-02-09T10:00:00+08:00',
      acknowledgedAt: '2026-02-09T11:00:00+08:00',
    });
    // 3 working days before: Thursday 12 Feb; 1 working day before: the make-up Saturday, not the holiday Monday.
    expect(stepsOf(await sweep(service, { at: '2026-02-12T09:00:00+08:00' }), before.code)).toEqual({
      'due-in-3d': ['ou_resp'],
    });
    expect(stepsOf(await sweep(service, { at: '2026-02-13T09:00:00+08:00' }), before.code)).toEqual({});
    expect(stepsOf(await sweep(service, { at: '2026-02-14T09:00:00+08:00' }), before.code)).toEqual({
      'due-in-1d': ['ou_resp'],
    });
    // Deadline Friday 13 Feb: 3 working days overdue is the end of Wednesday 25 Feb (14th, 24th, 25th).
    const after = await insertHazard(db, {
      deadline: '2026-02-13',
      reportedAt: '2026-02-10T10:00:00+08:00',
      acknowledgedAt: '2026-02-10T11:00:00+08:00',
    });
    const holiday = await sweep(service, { at: '2026-02-17T07:30:00+08:00' });
    expect(stepsOf(holiday, after.code)).toEqual({ 'overdue-0d': ['ou_resp', 'ou_tlc'] });
    expect(stepsOf(await sweep(service, { at: '2026-02-25T23:59:00+08:00' }), after.code)).toEqual({});
    expect(stepsOf(await sweep(service, { at: '2026-02-26T07:30:00+08:00' }), after.code)).toEqual({
      'overdue-3d': ['ou_dl', 'ou_resp', 'ou_tlc', 'ou_tml'],
    });
  });

  it('does not send a step that another path sent while the batch was worked out, and leaves it off the cards', async () => {
    const db = service.testDb.database.db;
    const overdue = {
      deadline: '2026-12-30',
      reportedAt: '2026-12-26T10:00:00+08:00',
      acknowledgedAt: '2026-12-26T10:30:00+08:00',
    };
    const [a, b] = [
      await insertHazard(db, { ...overdue, enterprise: 'e002' }),
      await insertHazard(db, { ...overdue, enterprise: 'e002' }),
    ];
    // A's step row appears after the sweep read A (another path sent it): the batch's one-statement write fails on
    // its key, and the batch is written again, without A's step.
    const result = await service.deps.reminders.sweep({
      at: new Date('2026-12-31T09:00:00+08:00'),
      beforeWrite: async () => {
        await db.execute(sql`insert into reminder_steps (hazard_id, step_key, sent_at)
          values (${a!.id}, 'overdue-0d@2026-12-30', '2026-12-31T00:00:00+08:00') on conflict do nothing`);
      },
    });
    expect(stepsOf(result, a!.code)).toEqual({});
    expect(Object.keys(stepsOf(result, b!.code))).toEqual(['overdue-0d']);
    const carriersOf = async (id: number) =>
      rows<{ outbox_ids: string[] }>(
        await db.execute(sql`select outbox_ids::text[] as outbox_ids from reminder_steps
          where hazard_id = ${id} and step_key = 'overdue-0d@2026-12-30'`),
      ).map((r) => r.outbox_ids);
    expect(await carriersOf(a!.id)).toEqual([[]]);
    const carriers = (await carriersOf(b!.id))[0]!;
    expect(carriers.length).toBeGreaterThan(0);
    const contents = rows<{ content: Json }>(
      await db.execute(sql`select content from outbox where id = any(${`{${carriers.join(',')}}`}::uuid[])`),
    ).map((r) => JSON.stringify(r.content));
    expect(contents).toHaveLength(carriers.length);
    for (const content of contents) {
      expect(content).toContain(b!.code);
      expect(content).not.toContain(a!.code);
    }
  });
});

describe('two replicas on one database', () => {
  let first: TestService;
  let second: Service;
  let crashing: Service;
  const clock = new ManualClock('2026-09-01T00:00:00Z');

  beforeAll(async () => {
    first = await startTestService(
      { ADMIN_TOKEN: TOKEN },
      { clock, reminders: { sweep: { batchSize: 7 }, scheduler: { takeoverIntervalMs: 100 } } },
    );
    await setUp(first);
    second = await startReplica(first, {
      reminders: { sweep: { batchSize: 5 }, scheduler: { takeoverIntervalMs: 100 } },
    });
    crashing = await startReplica(first, {
      reminders: { sweep: { batchSize: 4, failAfterBatches: 2 }, scheduler: { takeoverIntervalMs: 60_000 } },
    });
  });
  afterAll(async () => {
    await crashing?.shutdown();
    await second?.shutdown();
    await first?.stop();
  });

  it('sends every step exactly once when both sweep the same slot at the same time', async () => {
    const db = first.testDb.database.db;
    const codes: string[] = [];
    for (let n = 0; n < 60; n++) {
      const h = await insertHazard(db, {
        enterprise: n % 2 ? 'e001' : 'e002',
        deadline: '2026-09-05',
        reportedAt: '2026-09-01T10:00:00+08:00',
        acknowledgedAt: '2026-09-01T10:30:00+08:00',
      });
      codes.push(h.code);
    }
    const at = new Date('2026-09-06T07:30:00+08:00');
    clock.set(at);
    const results = await Promise.all([
      first.deps.reminders.scheduler.runSlot('sweep', at),
      second.deps.reminders.scheduler.runSlot('sweep', at),
      first.deps.reminders.sweep({ at }),
      second.deps.reminders.sweep({ at }),
      first.deps.reminders.sweep({ at }),
    ]);
    expect(results.slice(0, 2).filter(Boolean)).toHaveLength(1);
    const steps = rows<{ step_key: string; n: number }>(
      await db.execute(sql`select rs.step_key, count(*)::int as n from reminder_steps rs join hazards h on h.id = rs.hazard_id
        where h.code = any(${`{${codes.join(',')}}`}::text[]) group by rs.step_key`),
    );
    expect(steps).toEqual([{ step_key: 'overdue-0d@2026-09-05', n: 60 }]);
    // Each hazard reaches its responsible person and township leader in charge, and the 30 of town-01 are
    // @mentioned in its group chat (town-02 has none): 60 × 2 + 30 (hazard, recipient) pairs, each once.
    const told = rows<{ code: string; target: string; n: number }>(
      await db.execute(sql`select h.code, o.target, count(*)::int as n
        from reminder_steps rs join hazards h on h.id = rs.hazard_id join outbox o on o.id = any(rs.outbox_ids)
        where h.code = any(${`{${codes.join(',')}}`}::text[]) and rs.step_key = 'overdue-0d@2026-09-05'
        group by h.code, o.target`),
    );
    expect(told).toHaveLength(60 * 2 + 30);
    expect(told.filter((t) => t.n !== 1)).toEqual([]);
    // …in list cards: however the sweeps split the hazards, far fewer messages than (hazard, recipient) pairs.
    const messages = rows<{ n: number }>(
      await db.execute(sql`select count(distinct o.id)::int as n from reminder_steps rs
        join outbox o on o.id = any(rs.outbox_ids) where rs.step_key = 'overdue-0d@2026-09-05'`),
    )[0]!.n;
    expect(messages).toBeLessThan(40);
  });

  it('finishes a sweep that a replica dropped mid-way, through the other replica, within the lease', async () => {
    const db = first.testDb.database.db;
    for (let n = 0; n < 30; n++) {
      await insertHazard(db, {
        deadline: '2026-09-20',
        reportedAt: '2026-09-15T10:00:00+08:00',
        acknowledgedAt: '2026-09-15T10:30:00+08:00',
      });
    }
    const at = new Date('2026-09-21T07:30:00+08:00');
    clock.set(at);
    await expect(crashing.deps.reminders.scheduler.runSlot('sweep', at)).rejects.toThrow(/interrupted/);
    const sent = async () =>
      rows<{ n: number }>(
        await db.execute(sql`select count(*)::int as n from reminder_steps where step_key = 'overdue-0d@2026-09-20'`),
      )[0]!.n;
    // Interrupted after two batches of 4; on PostgreSQL the second loop finishes the batch it had started, so 8 or 12.
    const before = await sent();
    expect([8, 12]).toContain(before);
    // The lease (30 s) runs out; the other replicas' takeover check picks the slot up.
    clock.advance(31_000);
    await eventually(async () => (await sent()) === 30, 10_000, 'the takeover to finish the sweep');
    await eventually(async () => {
      const [slot] = rows<{ finished_at: string | null; attempts: number }>(
        await db.execute(
          sql`select finished_at, attempts from scheduler_slots where job = 'sweep' and slot = ${at.toISOString()}::timestamptz`,
        ),
      );
      return slot?.finished_at !== null && slot?.attempts === 2;
    });
  });

  // Two connections: PGlite has one, and a sweep would wait for the open transaction.
  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'evaluates a hazard whose transaction committed only after a sweep had read its range',
    async () => {
      const db = first.testDb.database.db;
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let inserted: { id: number; code: string } | undefined;
      // Overdue since 2026-09-26 00:00, inside the stretch the next sweep reads: but not yet committed.
      const writer = db.transaction(async (tx) => {
        inserted = await insertHazard(tx as unknown as typeof db, {
          deadline: '2026-09-25',
          reportedAt: '2026-09-20T10:00:00+08:00',
          acknowledgedAt: '2026-09-20T10:30:00+08:00',
        });
        await held;
      });
      const { code } = await eventually(() => inserted, 10_000, 'the insert');
      const stepsFor = (result: SweepResult) => result.steps.filter((s) => s.hazard === code).map((s) => s.step);
      const unseen = await first.deps.reminders.sweep({ at: new Date('2026-09-26T09:00:00+08:00') });
      expect(stepsFor(unseen)).toEqual([]);
      release();
      await writer;
      // The next sweep reads a stretch of five minutes, which the hazard's step is not in; the hazard counts as
      // changed since the first sweep's horizon, so it is evaluated as it stands.
      const next = await first.deps.reminders.sweep({ at: new Date('2026-09-26T09:05:00+08:00') });
      expect(stepsFor(next)).toEqual(['overdue-0d']);
    },
  );
});
