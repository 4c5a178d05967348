/**
 * The Alibaba Cloud adapter through the real SDK against a loopback stand-in of the SMS API: what it sends, how it
 * reads each kind of answer, the receipts; then the running service sending a queued SMS through it.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../../src/db/schema/index.js';
import { AliyunSmsGateway } from '../../src/sms/aliyun.js';
import { enqueueSms, renderSmsParams } from '../../src/sms/index.js';
import { type AliyunSmsServer, startAliyunSmsServer } from '../support/aliyun-sms-server.js';
import { eventually, startTestService } from '../support/service.js';

const params = renderSmsParams({
  hazardCode: 'YH-2026-000042',
  unitName: '红星机械厂',
  deadline: '2026-06-01',
  ask: '请确认接收并按措施整改',
  link: 'https://yh.example.gov.cn/s/YH-2026-000042?k=abc',
});

describe('the Alibaba Cloud SMS adapter', () => {
  let server: AliyunSmsServer;
  let gateway: AliyunSmsGateway;
  const make = (extra: Partial<ConstructorParameters<typeof AliyunSmsGateway>[0]> = {}) =>
    new AliyunSmsGateway({
      accessKeyId: 'LTAI-test-key-id',
      accessKeySecret: 'test-secret',
      signName: '某某县应急管理局',
      templateCode: 'SMS_100',
      endpoint: server.url,
      readTimeoutMs: 400,
      connectTimeoutMs: 400,
      ...extra,
    });

  beforeAll(async () => {
    server = await startAliyunSmsServer();
    gateway = make();
  });
  afterAll(async () => server.close());

  it('sends SendSms signed, with the signature, the template and its values as JSON, OutId = our id', async () => {
    const result = await gateway.send({ phone: '13800000001', params, outId: 'row-1' });
    expect(result).toEqual({ ok: true, bizId: server.sent.at(-1)!.bizId });
    const call = server.calls.at(-1)!;
    expect(call.action).toBe('SendSms');
    expect(call.headers.authorization).toMatch(/^ACS3-HMAC-SHA256 Credential=LTAI-test-key-id,/);
    expect(call.headers.authorization).not.toContain('test-secret');
    expect(server.sent.at(-1)).toMatchObject({
      phone: '13800000001',
      signName: '某某县应急管理局',
      templateCode: 'SMS_100',
      outId: 'row-1',
      // Without a link template the link is left out: the plain template has no ${link} slot.
      params: {
        code: 'YH-2026-000042',
        unit: '红星机械厂',
        action: '请确认接收并按措施整改',
        deadline: '2026年6月1日',
      },
    });
    expect(server.sent.at(-1)!.params).not.toHaveProperty('link');
  });

  it('uses the link template, with the link path, when one is configured', async () => {
    const withLink = make({ linkTemplateCode: 'SMS_200' });
    await withLink.send({ phone: '13800000002', params, outId: 'row-2' });
    expect(server.sent.at(-1)).toMatchObject({
      templateCode: 'SMS_200',
      params: { link: 's/YH-2026-000042?k=abc' },
    });
    const { link: _, ...plain } = params;
    await withLink.send({ phone: '13800000002', params: plain, outId: 'row-3' });
    expect(server.sent.at(-1)!.templateCode).toBe('SMS_100');
  });

  it('reads business errors in the answer: a bad number is permanent, per-number flow control transient', async () => {
    server.script(
      'SendSms',
      { body: { Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: '非法手机号', RequestId: 'r' } },
      { body: { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发分钟级流控Permits:1', RequestId: 'r' } },
    );
    expect(await gateway.send({ phone: '13800000003', params, outId: 'e1' })).toMatchObject({
      ok: false,
      kind: 'permanent',
      code: 'isv.MOBILE_NUMBER_ILLEGAL',
    });
    expect(await gateway.send({ phone: '13800000003', params, outId: 'e2' })).toMatchObject({
      ok: false,
      kind: 'transient',
      retryAfterMs: 60_000,
    });
  });

  it('reads HTTP errors: 5xx and throttling are transient, a bad key permanent', async () => {
    server.script(
      'SendSms',
      { status: 503, body: { Code: 'ServiceUnavailable', Message: 'busy', RequestId: 'r' } },
      { status: 400, body: { Code: 'Throttling.User', Message: 'slow down', RequestId: 'r' } },
      { status: 404, body: { Code: 'InvalidAccessKeyId.NotFound', Message: 'no such key', RequestId: 'r' } },
    );
    expect(await gateway.send({ phone: '13800000004', params, outId: 'h1' })).toMatchObject({ kind: 'transient' });
    expect(await gateway.send({ phone: '13800000004', params, outId: 'h2' })).toMatchObject({
      kind: 'transient',
      code: 'Throttling.User',
    });
    expect(await gateway.send({ phone: '13800000004', params, outId: 'h3' })).toMatchObject({
      kind: 'permanent',
      code: 'InvalidAccessKeyId.NotFound',
    });
  });

  it('a refused connection surely did not send (transient); a timeout or a dropped answer may have (unknown)', async () => {
    const closed = await startAliyunSmsServer();
    const nowhere = make({ endpoint: closed.url });
    await closed.close();
    expect(await nowhere.send({ phone: '13800000005', params, outId: 'n1' })).toMatchObject({
      kind: 'transient',
      code: 'ECONNREFUSED',
    });
    server.script('SendSms', { hangMs: 1500, thenSend: true }, { drop: true });
    // The request was written: whichever of the SDK's timers fires first, the outcome is unknown.
    expect(await gateway.send({ phone: '13800000005', params, outId: 'n2' })).toMatchObject({
      kind: 'unknown',
      code: expect.stringMatching(/^(Read|Connect)Timeout$/),
    });
    expect(await gateway.send({ phone: '13800000005', params, outId: 'n3' })).toMatchObject({ kind: 'unknown' });
  });

  it('finds in the receipts a message whose answer was lost, and not one that never went', async () => {
    const since = new Date(Date.now() - 5000);
    expect(await gateway.findSent({ phone: '13800000005', outId: 'n2', since })).toEqual({ found: true, bizId: null });
    expect(await gateway.findSent({ phone: '13800000005', outId: 'n3', since })).toEqual({ found: false });
    const query = server.calls.at(-1)!;
    expect(query.action).toBe('QuerySendDetails');
    expect(query.query).toMatchObject({ PhoneNumber: '13800000005', PageSize: '50', CurrentPage: '1' });
    server.script('QuerySendDetails', { body: { Code: 'isp.SYSTEM_ERROR', Message: 'x', RequestId: 'r' } });
    await expect(gateway.findSent({ phone: '13800000005', outId: 'n3', since })).rejects.toThrow(/isp.SYSTEM_ERROR/);
  });
});

describe('the running service with SMS_PROVIDER=aliyun', () => {
  it('sends a queued SMS through the SDK to the configured endpoint and keeps the BizId', async () => {
    const server = await startAliyunSmsServer();
    const service = await startTestService({
      SMS_PROVIDER: 'aliyun',
      SMS_ACCESS_KEY_ID: 'LTAI-service-key',
      SMS_ACCESS_KEY_SECRET: 'service-secret',
      SMS_SIGN_NAME: '某某县应急管理局',
      SMS_TEMPLATE_CODE: 'SMS_300',
      SMS_ENDPOINT: server.url,
    });
    try {
      const db = service.deps.database.db;
      const id = await db.transaction((tx) => enqueueSms(tx, { phone: '139 0000 0009', params, topic: 'sms:test' }));
      service.deps.outboxSender.kick();
      const row = await eventually(async () => {
        const [r] = await db.select().from(outbox).where(eq(outbox.id, id));
        return r?.status === 'sent' ? r : null;
      });
      expect(server.sent).toHaveLength(1);
      expect(server.sent[0]).toMatchObject({ phone: '13900000009', templateCode: 'SMS_300', outId: id });
      expect(row.messageId).toBe(server.sent[0]!.bizId);
    } finally {
      await service.stop();
      await server.close();
    }
  });
});
