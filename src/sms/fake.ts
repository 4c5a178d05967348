/**
 * An SMS gateway that sends nothing: it records what it was asked to send (tests read it; sandbox mode logs it) and
 * can be told to fail the next sends, the way Alibaba Cloud can (transient, permanent, or an answer lost after the
 * message went out).
 */
import type { Logger } from 'pino';
import type { SmsFailureKind, SmsGateway, SmsReceipt, SmsReceiptQuery, SmsRequest, SmsSendResult } from './gateway.js';
import { maskMobile } from './render.js';

export interface FakeSms extends SmsRequest {
  bizId: string;
  at: Date;
}

export interface FakeFailure {
  kind: SmsFailureKind;
  code?: string;
  message?: string;
  retryAfterMs?: number;
  /** For `unknown`: the message did go out, only the answer was lost (the receipts show it). */
  delivered?: boolean;
}

export class FakeSmsGateway implements SmsGateway {
  readonly name = 'fake';
  /** Messages that went out, in order. */
  readonly sent: FakeSms[] = [];
  /** Every send asked for, failed ones included. */
  readonly calls: SmsRequest[] = [];
  readonly receiptQueries: SmsReceiptQuery[] = [];
  private readonly failures: FakeFailure[] = [];
  private receiptFailures = 0;
  private next = 1;

  constructor(private readonly logger?: Logger) {}

  /** The next `times` sends fail this way. */
  failNext(failure: FakeFailure, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(failure);
  }

  /** The next `times` receipt queries fail (the receipts cannot be read now). */
  failReceipts(times = 1): void {
    this.receiptFailures += times;
  }

  /** The messages sent to one number. */
  to(phone: string): FakeSms[] {
    return this.sent.filter((m) => m.phone === phone);
  }

  async send(request: SmsRequest): Promise<SmsSendResult> {
    this.calls.push(structuredClone(request));
    const failure = this.failures.shift();
    if (failure?.kind === 'unknown' && failure.delivered) this.record(request);
    if (failure) {
      return {
        ok: false,
        kind: failure.kind,
        code: failure.code ?? `fake.${failure.kind}`,
        message: failure.message ?? `模拟的${failure.kind}失败`,
        ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
      };
    }
    const sms = this.record(request);
    return { ok: true, bizId: sms.bizId };
  }

  async findSent(query: SmsReceiptQuery): Promise<SmsReceipt> {
    this.receiptQueries.push(query);
    if (this.receiptFailures > 0) {
      this.receiptFailures--;
      throw new Error('模拟的回执查询失败');
    }
    const sms = this.sent.find((m) => m.outId === query.outId && m.phone === query.phone);
    return sms ? { found: true, bizId: sms.bizId } : { found: false };
  }

  private record(request: SmsRequest): FakeSms {
    const sms = { ...structuredClone(request), bizId: `fake-biz-${this.next++}`, at: new Date() };
    this.sent.push(sms);
    this.logger?.info(
      { phone: maskMobile(request.phone), params: request.params, outId: request.outId },
      '沙箱模式：短信没有真正发出（SMS not sent: sandbox gateway）',
    );
    return sms;
  }
}
