/**
 * The SMS channel through the running service: SMS queued in a transaction reach the (fake) gateway through the
 * outbox sender, within the daily budget counted in the database, retried when the gateway fails for now, checked
 * against the receipts when an answer was lost, given up with a reason when it refuses for good.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/clock.js';
import { outbox } from '../../src/db/schema/index.js';
import { chargeSmsBudget } from '../../src/sms/budget.js';
import { FakeSmsGateway } from '../../src/sms/fake.js';
import {
  enqueueSms,
  renderSmsParams,
  SmsInputError,
  type SmsTemplateParams,
  smsBudgetDay,
  smsBudgetUsage,
} from '../../src/sms/index.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const SMS_ENV = {
  SMS_PROVIDER: 'aliyun',
  SMS_ACCESS_KEY_ID: 'LTAI-test',
  SMS_ACCESS_KEY_SECRET: 'test-secret',
  SMS_SIGN_NAME: '某某县应急管理局',
  SMS_TEMPLATE_CODE: 'SMS_100',
  SMS_DAILY_BUDGET: '3',
};

function params(code: string): SmsTemplateParams {
  return renderSmsParams({
    hazardCode: code,
    unitName: '红星机械厂',
    deadline: '2026-06-01',
    ask: '请确认接收并按措施整改',
    link: null,
  });
}

type Row = typeof outbox.$inferSelect;

describe('SMS through the outbox', () => {
  let service: TestService;
  let gateway: FakeSmsGateway;
  let clock: ManualClock;
  const db = () => service.deps.database.db;
  const kick = () => service.deps.outboxSender.kick();
  const today = () => smsBudgetDay(clock.now(), 'Asia/Shanghai');

  async function rowOf(id: string): Promise<Row> {
    const [row] = await db().select().from(outbox).where(eq(outbox.id, id));
    return row!;
  }
  async function settled(id: string, status = 'sent'): Promise<Row> {
    return eventually(
      async () => {
        const row = await rowOf(id);
        return row.status === status ? row : null;
      },
      15_000,
      `SMS ${id} to be ${status}`,
    );
  }
  async function queue(phone: string, code: string): Promise<string> {
    return db().transaction((tx) => enqueueSms(tx, { phone, params: params(code), topic: `hazard:${code}:sms` }));
  }
  async function metric(name: string): Promise<string> {
    return service.deps.metrics.registry.getSingleMetricAsString(name);
  }

  beforeAll(async () => {
    gateway = new FakeSmsGateway();
    service = await startTestService(SMS_ENV, { sms: { gateway, confirmDelayMs: 200 } });
    clock = service.clock as ManualClock;
  });
  afterAll(async () => service.stop());
  // Each test on a day of its own: the budget (3 a day) is per local day.
  beforeEach(() => clock.advance(24 * 3_600_000));

  it('sends an SMS queued in a transaction: the number, the template values, our id as OutId, the BizId kept', async () => {
    const id = await queue('+86 138-0000-0001', 'YH-2026-000001');
    kick();
    const row = await settled(id);
    expect(gateway.to('13800000001')).toHaveLength(1);
    const sms = gateway.to('13800000001')[0]!;
    expect(sms).toMatchObject({ outId: id, params: params('YH-2026-000001') });
    expect(row).toMatchObject({
      kind: 'sms',
      receiveIdType: 'mobile',
      target: '13800000001',
      messageId: sms.bizId,
      attempts: 0,
      smsBudgetDay: today(),
      topic: 'hazard:YH-2026-000001:sms',
    });
    expect(await smsBudgetUsage(db(), today())).toEqual({ used: 1, refused: 0 });
    expect(await metric('sms_sent_total')).toMatch(/sms_sent_total [1-9]/);
  });

  it('queues nothing when the transaction rolls back, or for a number that is not a mobile', async () => {
    const before = gateway.calls.length;
    await expect(
      db().transaction(async (tx) => {
        await enqueueSms(tx, { phone: '13800000002', params: params('YH-2026-000002') });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await expect(enqueueSms(db(), { phone: '010-12345678', params: params('YH-2026-000002') })).rejects.toThrow(
      SmsInputError,
    );
    await expect(
      enqueueSms(db(), { phone: '13800000002', params: { ...params('YH-2026-000002'), unit: '' } }),
    ).rejects.toThrow(/unit/);
    const rows = await db().select().from(outbox).where(eq(outbox.target, '13800000002'));
    expect(rows).toEqual([]);
    kick();
    await new Promise((r) => setTimeout(r, 300));
    expect(gateway.calls.length).toBe(before);
  });

  it('retries a transient failure until the SMS goes, charging the budget once', async () => {
    gateway.failNext({ kind: 'transient', code: 'isp.SYSTEM_ERROR' }, 2);
    const id = await queue('13800000003', 'YH-2026-000003');
    kick();
    const row = await settled(id);
    expect(row.attempts).toBe(2);
    expect(gateway.calls.filter((c) => c.outId === id)).toHaveLength(3);
    expect(gateway.to('13800000003')).toHaveLength(1);
    expect(await smsBudgetUsage(db(), today())).toEqual({ used: 1, refused: 0 });
    expect(await metric('sms_retries_total')).toMatch(/reason="transient"\} [2-9]/);
  });

  it('asks the receipts after a lost answer: a message that went out is not sent again', async () => {
    gateway.failNext({ kind: 'unknown', code: 'ReadTimeout', delivered: true });
    const id = await queue('13800000004', 'YH-2026-000004');
    kick();
    const row = await settled(id);
    expect(gateway.calls.filter((c) => c.outId === id)).toHaveLength(1);
    expect(gateway.to('13800000004')).toHaveLength(1);
    expect(gateway.receiptQueries.filter((q) => q.outId === id)).toHaveLength(1);
    expect(row.smsUnconfirmedSince).toBeNull();
  });

  it('sends again when the receipts show the lost attempt never went, and waits while they cannot be read', async () => {
    gateway.failNext({ kind: 'unknown', code: 'ReadTimeout' });
    gateway.failReceipts(1);
    const id = await queue('13800000005', 'YH-2026-000005');
    kick();
    const row = await settled(id);
    expect(gateway.calls.filter((c) => c.outId === id)).toHaveLength(2);
    expect(gateway.to('13800000005')).toHaveLength(1);
    expect(gateway.receiptQueries.filter((q) => q.outId === id)).toHaveLength(2);
    expect(row.attempts).toBe(2);
    expect(await smsBudgetUsage(db(), today())).toEqual({ used: 1, refused: 0 });
  });

  it('gives up at once on a permanent refusal, with the reason on the row and in the metrics', async () => {
    gateway.failNext({ kind: 'permanent', code: 'isv.MOBILE_NUMBER_ILLEGAL', message: '非法手机号' });
    const id = await queue('13800000006', 'YH-2026-000006');
    kick();
    const row = await settled(id, 'failed');
    expect(row.lastError).toContain('isv.MOBILE_NUMBER_ILLEGAL');
    expect(row.lastError).toContain('非法手机号');
    expect(gateway.to('13800000006')).toHaveLength(0);
    expect(await metric('sms_failed_total')).toMatch(/code="isv.MOBILE_NUMBER_ILLEGAL"\} 1/);
  });

  it('sends no more than the daily budget: the rest is marked over budget, logged and counted; the next day sends', async () => {
    const phones = ['13900000001', '13900000002', '13900000003', '13900000004'];
    const ids = await db().transaction(async (tx) => {
      const queued: string[] = [];
      for (const [i, phone] of phones.entries()) {
        queued.push(await enqueueSms(tx, { phone, params: params(`YH-2026-00010${i}`) }));
      }
      return queued;
    });
    kick();
    const rows = await eventually(async () => {
      const all = await Promise.all(ids.map(rowOf));
      return all.every((r) => r.status !== 'pending') ? all : null;
    });
    const sent = rows.filter((r) => r.status === 'sent');
    const refused = rows.filter((r) => r.status === 'over_budget');
    expect(sent).toHaveLength(3);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.lastError).toBe(
      `超出每日短信预算（SMS_DAILY_BUDGET=3，${today()} 已发 3 条），未发送（over the daily SMS budget）`,
    );
    expect(refused[0]!.smsBudgetDay).toBeNull();
    expect(gateway.to(refused[0]!.target)).toHaveLength(0);
    for (const row of sent) expect(gateway.to(row.target)).toHaveLength(1);
    expect(await smsBudgetUsage(db(), today())).toEqual({ used: 3, refused: 1 });
    expect(await metric('sms_over_budget_total')).toMatch(/sms_over_budget_total 1/);
    expect(await metric('sms_budget_used')).toMatch(/sms_budget_used 3/);

    // Local midnight (Asia/Shanghai) starts a new budget.
    clock.advance(24 * 3_600_000);
    const next = await queue(refused[0]!.target, 'YH-2026-000110');
    kick();
    await settled(next);
    expect(await smsBudgetUsage(db(), today())).toEqual({ used: 1, refused: 0 });

    // /metrics shows the three SMS counters.
    const text = await (await fetch(`${service.url}/metrics`)).text();
    for (const name of ['sms_sent_total', 'sms_failed_total', 'sms_over_budget_total']) expect(text).toContain(name);
  });

  it('counts the budget in the database: concurrent charges stop exactly at the budget', async () => {
    const day = '2031-01-01';
    const charges = await Promise.all(Array.from({ length: 12 }, () => chargeSmsBudget(db(), day, 5)));
    expect(charges.filter((c) => c.charged)).toHaveLength(5);
    expect(
      charges
        .filter((c) => c.charged)
        .map((c) => c.used)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5]);
    expect(await smsBudgetUsage(db(), day)).toEqual({ used: 5, refused: 7 });
  });
});

describe('SMS with no gateway configured', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => service.stop());

  it('gives a queued SMS up with the reason rather than leaving it pending', async () => {
    const db = service.deps.database.db;
    const id = await enqueueSms(db, { phone: '13800000009', params: params('YH-2026-000009') });
    service.deps.outboxSender.kick();
    const row = await eventually(async () => {
      const [r] = await db.select().from(outbox).where(eq(outbox.id, id));
      return r?.status === 'failed' ? r : null;
    });
    expect(row.lastError).toContain('未开启短信（SMS_PROVIDER 未设置）');
    expect(row.smsBudgetDay).toBeNull();
    // Counted just after the row is written: waited for, not read at once.
    await eventually(
      async () =>
        /code="not_configured"\} 1/.test(
          await service.deps.metrics.registry.getSingleMetricAsString('sms_failed_total'),
        ),
      5_000,
      'sms_failed_total{code="not_configured"} 1',
    );
  });
});
