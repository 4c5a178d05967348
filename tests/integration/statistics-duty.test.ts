/**
 * The statistics duty end to end (issue 21, point 7): on the send day the scheduler's statistics slot sends each
 * unit's 统计分析表 to its principal once (two replicas, a second run), a principal outside Feishu is relayed to the
 * township, 确认 by a stranger is refused and by the principal recorded, the township's 统计 and /api/stats list the
 * unconfirmed, the reminder goes to the unconfirmed only, and the county's file leaves a deactivated township out.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { Service } from '../../src/server.js';
import { FakeSmsGateway } from '../../src/sms/fake.js';
import { COUNTY_DIRECTORY, COUNTY_OPEN_IDS, insertHazard, rows, startReplica } from '../support/reminders.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read cards and JSON answers as a user would.
type Json = any;

const ADMIN = 'statistics-duty-admin-token-0123456789';
const READER = 'statistics-duty-reader-token-0123456789';
const DIRECTORY = {
  ...COUNTY_DIRECTORY,
  people: [...COUNTY_DIRECTORY.people, { code: 'p-nofs', name: '孙老板', roles: [] }],
  enterprises: [
    ...COUNTY_DIRECTORY.enterprises,
    // Its principal has no Feishu account and no SMS gateway is configured: the township is asked to relay.
    { code: 'e003', name: '城关五金店', region: 'town-01', sectors: ['工贸'], department: 'yjj', principal: 'p-nofs' },
  ],
};
// 09:00 on 5 October 2026 in Shanghai: the send day of the third quarter's tables.
const SEND_SLOT = new Date('2026-10-05T01:00:00Z');

describe('the statistics duty (统计分析表)', () => {
  let service: TestService;
  let replica: Service;
  const clock = new ManualClock(new Date('2026-10-05T00:30:00Z'));
  const dutyCards = (openId: string) =>
    service.sim
      .messages({ to: openId, msgType: 'interactive' })
      .filter((m) => JSON.stringify(m.content).includes('2026年第三季度隐患排查治理统计分析表'));
  const text = (m: Json) => JSON.stringify(m.content);
  const click = async (openId: string, card: { messageId: string; chatId: string }, value: Json) => {
    // A click by someone the card was not sent to (a forwarded card): delivered as Feishu would.
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
        action: { value, tag: 'button' },
        host: 'im_message',
        context: { open_message_id: card.messageId, open_chat_id: card.chatId },
      },
    });
    return delivery.body as Json;
  };

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: ADMIN, API_TOKENS: `dash:${READER}` }, { clock });
    for (const person of COUNTY_DIRECTORY.people) service.sim.addUser({ openId: person.openId, name: person.name });
    service.sim.addChat({ chatId: 'oc_town01_safety', name: '城关镇安全生产群', memberOpenIds: COUNTY_OPEN_IDS });
    const imported = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(DIRECTORY),
    });
    expect(imported.status, await imported.clone().text()).toBe(200);
    const db = service.testDb.database.db;
    await insertHazard(db, { deadline: '2026-08-20', reportedAt: '2026-08-01T02:00:00Z' });
    const major = await insertHazard(db, {
      grade: 'major',
      deadline: '2026-12-31',
      reportedAt: '2026-09-01T02:00:00Z',
    });
    // Listed (挂牌督办) by the county's safety office, as the listing action records it.
    await db.execute(sql`
      update hazards set listing_authority = 'county_safety_office', listed_at = '2026-09-02T02:00:00Z'
      where id = ${major.id}`);
    // Found in the second quarter: open at the end of the third, not counted as found in it.
    await insertHazard(db, { deadline: '2026-07-01', reportedAt: '2026-06-01T02:00:00Z' });
    replica = await startReplica(service, { reminders: { scheduler: { cron: false, catchUpOnStart: false } } });
  });

  afterAll(async () => {
    await replica?.shutdown();
    await service?.stop();
  });

  it('sends each principal their unit’s table once at 09:00 on the send day, whatever the replicas and runs', async () => {
    // Before 09:00 nothing is due to be claimed; at 09:00 two replicas race for the day's slot: one runs it.
    clock.set(SEND_SLOT);
    const slot = service.deps.reminders.scheduler.statisticsSlot();
    expect(slot.toISOString()).toBe(SEND_SLOT.toISOString());
    const claims = await Promise.all([
      service.deps.reminders.scheduler.runSlot('statistics', slot),
      replica.deps.reminders.scheduler.runSlot('statistics', slot),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    // A second run of the duty (a retried slot, another day of the window) sends nothing again.
    const again = (await service.deps.reminders.statisticsDuty({ at: SEND_SLOT })) as Json[];
    expect(again).toEqual([{ period: '2026Q3', cards: 0, sms: 0, relayed: 0, unreachable: 0, reminded: 0 }]);

    const mine = await eventually(() => (dutyCards('ou_resp').length > 0 ? dutyCards('ou_resp') : undefined));
    const other = await eventually(() => (dutyCards('ou_resp2').length > 0 ? dutyCards('ou_resp2') : undefined));
    const relay = await eventually(() => dutyCards('ou_tlc').find((m) => text(m).includes('城关五金店')));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dutyCards('ou_resp')).toHaveLength(1);
    expect(dutyCards('ou_resp2')).toHaveLength(1);
    expect(mine[0]!.content.header.subtitle.content).toBe('某某化工有限公司 · 2026-10-15 前报送');
    // The unit's figures for the quarter: one general and one major found, none rectified; three open at its end.
    expect(text(mine[0])).toContain('排查 **1** 项，已整改 **0** 项，整改率 **0.0%**');
    expect(text(mine[0])).toContain('挂牌督办 **1** 项');
    expect(text(mine[0])).toContain('**期末未整改**：3 项');
    expect(text(mine[0])).toContain('资金投入本系统未记录');
    expect(text(mine[0])).toContain('"确认"');
    // A unit without hazards: zeros, and "—" where a rate has no base.
    expect(text(other[0])).toContain('排查 **0** 项，已整改 **0** 项，整改率 **—**');
    // The principal outside Feishu: the township's leader in charge is asked to get the paper table signed.
    expect(text(relay)).toContain('孙老板');
    expect(text(relay)).toContain('纸质统计分析表上签字');
    expect(text(relay)).not.toContain('"确认"');
    const [row] = rows<{ n: number }>(
      await service.testDb.database.db.execute(
        sql`select count(*)::int as n from statistics_confirmations where period = '2026Q3'`,
      ),
    );
    expect(Number(row!.n)).toBe(3);
  });

  it('records 确认 by the principal as the signature; a stranger is told who may; a second click says 已确认', async () => {
    const card = dutyCards('ou_resp')[0]!;
    const value = { action: 'statistics.confirm', unit: 'e001', period: '2026Q3' };
    const stranger = await click('ou_tlc', card, value);
    expect(stranger.toast.content).toBe('只有某某化工有限公司的主要负责人张责任可以确认本表');
    clock.set(new Date('2026-10-06T02:15:00Z'));
    const signed = (await service.sim.clickCard('ou_resp', card.messageId, { value })).body as Json;
    expect(signed.toast).toMatchObject({ type: 'success' });
    expect(JSON.stringify(signed.card)).toContain('已确认**：张责任，2026-10-06 10:15');
    const twice = (await service.sim.clickCard('ou_resp', card.messageId, { value })).body as Json;
    expect(twice.toast.content).toBe('已确认（张责任，2026-10-06 10:15）');
    const [row] = rows<{ confirmed_at: string; name: string }>(
      await service.testDb.database.db.execute(sql`
        select s.confirmed_at, p.name from statistics_confirmations s join people p on p.id = s.confirmed_by_id
        join enterprises e on e.id = s.enterprise_id where e.code = 'e001' and s.period = '2026Q3'`),
    );
    expect(row!.name).toBe('张责任');
    expect(new Date(row!.confirmed_at).toISOString()).toBe('2026-10-06T02:15:00.000Z');
  });

  it('shows the township who has not confirmed, in 统计 and in GET /api/stats', async () => {
    const before = service.sim.messages({ to: 'ou_tlc' }).length;
    await service.sim.sendText('ou_tlc', '统计');
    const card = await eventually(() => service.sim.messages({ to: 'ou_tlc' }).slice(before).at(-1));
    expect(text(card)).toContain(
      '本季度统计分析表**（2026年第三季度，2026-10-15 前报送）：已确认 1/2，未确认：城关五金店（未加入飞书）',
    );
    const response = await fetch(`${service.url}/api/stats?scope=region:town-01`, {
      headers: { authorization: `Bearer ${READER}` },
    });
    const body: Json = await response.json();
    expect(body.statisticsDuty).toEqual({
      period: { key: '2026Q3', label: '2026年第三季度', from: '2026-07-01', to: '2026-09-30', due: '2026-10-15' },
      total: 2,
      confirmed: 1,
      unconfirmed: [{ code: 'e003', name: '城关五金店', principal: '孙老板', channel: 'relay' }],
    });
    const county: Json = await (
      await fetch(`${service.url}/api/stats?period=2026Q3`, { headers: { authorization: `Bearer ${READER}` } })
    ).json();
    expect(county.statisticsDuty).toMatchObject({ total: 3, confirmed: 1 });
    expect(county.statisticsDuty.unconfirmed.map((u: Json) => u.code)).toEqual(['e002', 'e003']);
  });

  it('reminds the unconfirmed principals 3 days before the due date, once', async () => {
    clock.set(new Date('2026-10-12T01:00:00Z'));
    expect(
      await service.deps.reminders.scheduler.runSlot('statistics', service.deps.reminders.scheduler.statisticsSlot()),
    ).toBe(true);
    await service.deps.reminders.statisticsDuty({ at: new Date('2026-10-13T01:00:00Z') });
    const reminder = await eventually(() => dutyCards('ou_resp2').find((m) => text(m).includes('提醒：本表尚未确认')));
    expect(text(reminder)).toContain('2026-10-15 前签字报送');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dutyCards('ou_resp2')).toHaveLength(2);
    expect(dutyCards('ou_resp')).toHaveLength(1);
  });

  it('hands the county’s table upward without a deactivated township, the directory’s root as the unit', async () => {
    await service.testDb.database.db.execute(sql`update regions set active = false where code = 'town-02'`);
    const response = await fetch(`${service.url}/api/stats.xlsx?period=2026Q3`, {
      headers: { authorization: `Bearer ${READER}` },
    });
    expect(response.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getCell('A1').value).toBe('某县2026年第三季度隐患排查治理情况统计分析表');
    expect(sheet.getCell('A2').value).toBe('填报单位：某县');
    expect(sheet.getCell('J2').value).toEqual(new Date('2026-10-12T00:00:00Z'));
    expect((sheet.getRow(5).values as unknown[]).slice(1, 11)).toEqual([1, '城关镇', 1, 0, 0, 1, 0, 0, 1, 3]);
    expect(sheet.getCell('E5').numFmt).toBe('0.0%');
    expect(sheet.getCell('B6').value).toBe('合计');
    expect(sheet.getCell('B7').value).toBeNull();
    expect(sheet.pageSetup).toMatchObject({ orientation: 'landscape', fitToWidth: 1, printTitlesRow: '3:4' });
  });
});

describe('the statistics duty for a principal outside Feishu, with SMS', () => {
  let service: TestService;
  const gateway = new FakeSmsGateway();

  beforeAll(async () => {
    service = await startTestService(
      {
        ADMIN_TOKEN: ADMIN,
        SMS_PROVIDER: 'aliyun',
        SMS_ACCESS_KEY_ID: 'LTAI-test',
        SMS_ACCESS_KEY_SECRET: 'test-secret',
        SMS_SIGN_NAME: '某某县应急管理局',
        SMS_TEMPLATE_CODE: 'SMS_100',
      },
      { clock: new ManualClock(new Date('2027-01-20T01:00:00Z')), sms: { gateway, confirmDelayMs: 50 } },
    );
    for (const person of COUNTY_DIRECTORY.people) service.sim.addUser({ openId: person.openId, name: person.name });
    const directory = {
      ...DIRECTORY,
      people: [...COUNTY_DIRECTORY.people, { code: 'p-nofs', name: '孙老板', mobile: '13900000099', roles: [] }],
    };
    const imported = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(directory),
    });
    expect(imported.status, await imported.clone().text()).toBe(200);
  });
  afterAll(async () => service?.stop());

  it('sends the annual table on 20 January: by SMS to the principal outside Feishu, cards to the others', async () => {
    const results = (await service.deps.reminders.statisticsDuty()) as Json[];
    expect(results).toEqual([{ period: '2026', cards: 2, sms: 1, relayed: 0, unreachable: 0, reminded: 0 }]);
    const sms = await eventually(() => gateway.sent.find((s) => s.phone === '13900000099'));
    expect(sms.params).toMatchObject({ code: '2026', unit: '城关五金店', deadline: '2027年1月31日' });
    const annual = await eventually(() =>
      service.sim
        .messages({ to: 'ou_resp', msgType: 'interactive' })
        .find((m) => JSON.stringify(m.content).includes('2026年度隐患排查治理统计分析表')),
    );
    expect(annual.content.header.subtitle.content).toBe('某某化工有限公司 · 2027-01-31 前报送');
    // Nobody is asked to relay: the principal has the SMS; the unit stays unconfirmed in the lists.
    expect(
      service.sim.messages({ to: 'ou_tlc' }).filter((m) => JSON.stringify(m.content).includes('城关五金店')),
    ).toEqual([]);
  });
});
