/**
 * Alibaba Cloud 短信服务 through its official SDK (@alicloud/dysmsapi20170525): SendSms with the approved signature,
 * the template code and the template's values as a JSON string; QuerySendDetails to read receipts when an attempt's
 * outcome is unknown. The one place that imports the SDK. Facts behind the choices: feishu-web-groups-sms.md §7a.
 */
import Dysmsapi, { QuerySendDetailsRequest, SendSmsRequest } from '@alicloud/dysmsapi20170525';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { addCalendarDays, toLocal } from '../domain/local-time.js';
import type { SmsFailure, SmsGateway, SmsReceipt, SmsReceiptQuery, SmsRequest, SmsSendResult } from './gateway.js';

// The package is CommonJS with `exports.default = Client`: Node's default import is the whole exports object, while
// vite (the tests) unwraps it to the class. Either way, the class:
type ClientClass = typeof Dysmsapi.default;
const loaded = Dysmsapi as unknown as ClientClass | { default: ClientClass };
const DysmsapiClient: ClientClass = typeof loaded === 'function' ? loaded : loaded.default;
type Client = InstanceType<ClientClass>;

export const ALIYUN_DEFAULT_ENDPOINT = 'dysmsapi.aliyuncs.com';
/** Receipts and SendDate are kept on Beijing time whatever BOT_TIMEZONE says. */
const ALIYUN_TIME_ZONE = 'Asia/Shanghai';

export interface AliyunSmsOptions {
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  templateCode: string;
  /** The template with the link (its site address fixed, `${link}` its path); unset = SMS go without the link. */
  linkTemplateCode?: string;
  /** A host (dysmsapi.aliyuncs.com) or an http(s) URL with a port (a local fake). */
  endpoint?: string;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
}

/** `http://127.0.0.1:9000` → http + 127.0.0.1:9000; a bare host → https + host. */
export function parseSmsEndpoint(endpoint: string | undefined): { protocol: 'http' | 'https'; host: string } {
  const value = (endpoint ?? ALIYUN_DEFAULT_ENDPOINT).trim().replace(/\/+$/, '');
  const match = /^(https?):\/\/(.+)$/.exec(value);
  if (match) return { protocol: match[1] as 'http' | 'https', host: match[2]! };
  return { protocol: 'https', host: value };
}

export class AliyunSmsGateway implements SmsGateway {
  readonly name = 'aliyun';
  private readonly client: Client;

  constructor(private readonly options: AliyunSmsOptions) {
    const { protocol, host } = parseSmsEndpoint(options.endpoint);
    this.client = new DysmsapiClient(
      new $OpenApiUtil.Config({
        accessKeyId: options.accessKeyId,
        accessKeySecret: options.accessKeySecret,
        endpoint: host,
        protocol,
        // Alibaba Cloud asks for ≥ 1 s on mainland SMS. The SDK's "connect" timeout is the socket's idle timeout, so
        // it bounds the wait for the answer too: both alike. Its own retries stay off (retryOptions unset): the
        // outbox retries, and only what surely did not send or the receipts say did not.
        connectTimeout: options.connectTimeoutMs ?? 10_000,
        readTimeout: options.readTimeoutMs ?? 10_000,
      }),
    );
  }

  async send(request: SmsRequest): Promise<SmsSendResult> {
    const { link, ...plain } = request.params;
    const withLink = link !== undefined && this.options.linkTemplateCode !== undefined;
    try {
      const response = await this.client.sendSms(
        new SendSmsRequest({
          phoneNumbers: request.phone,
          signName: this.options.signName,
          templateCode: withLink ? this.options.linkTemplateCode : this.options.templateCode,
          templateParam: JSON.stringify(withLink ? { ...plain, link } : plain),
          outId: request.outId,
        }),
      );
      return classifyAliyunAnswer(response.body ?? {});
    } catch (error) {
      return classifyAliyunError(error);
    }
  }

  async findSent(query: SmsReceiptQuery): Promise<SmsReceipt> {
    // The receipts are listed per number and per Beijing date: every date from the attempt to now.
    const first = toLocal(query.since, ALIYUN_TIME_ZONE).date;
    const last = toLocal(new Date(), ALIYUN_TIME_ZONE).date;
    for (let date = first, n = 0; date <= last && n < 3; date = addCalendarDays(date, 1), n++) {
      for (let page = 1; page <= 10; page++) {
        const response = await this.client.querySendDetails(
          new QuerySendDetailsRequest({
            phoneNumber: query.phone,
            sendDate: date.replaceAll('-', ''),
            pageSize: 50,
            currentPage: page,
          }),
        );
        const body = response.body;
        if (body?.code !== 'OK') throw new Error(`QuerySendDetails: ${body?.code} ${body?.message ?? ''}`.trim());
        const details = body.smsSendDetailDTOs?.smsSendDetailDTO ?? [];
        if (details.some((d) => d.outId === query.outId)) return { found: true, bizId: null };
        if (details.length < 50) break;
      }
    }
    return { found: false };
  }
}

/**
 * Codes that mean "not now" rather than "never" (error codes: help.aliyun.com/document_detail/101346.html).
 * Per-number flow control (isv.BUSINESS_LIMIT_CONTROL) is by minute, hour or day: its message says which.
 */
function classifyCode(code: string, message: string): Omit<SmsFailure, 'ok' | 'code' | 'message'> {
  if (code === 'isv.BUSINESS_LIMIT_CONTROL') {
    if (message.includes('天级')) return { kind: 'permanent' };
    return { kind: 'transient', retryAfterMs: message.includes('小时级') ? 3_600_000 : 60_000 };
  }
  if (code.startsWith('Throttling')) return { kind: 'transient' };
  if (code.startsWith('isp.') || code === 'ServiceUnavailable' || code === 'InternalError')
    return { kind: 'transient' };
  return { kind: 'permanent' };
}

/** SendSms's answer: `Code: OK` and a BizId, or a business error in `Code`. */
export function classifyAliyunAnswer(body: { code?: string; message?: string; bizId?: string }): SmsSendResult {
  if (body.code === 'OK') return { ok: true, bizId: body.bizId ?? null };
  const code = body.code ?? 'no_code';
  const message = body.message ?? '';
  return { ok: false, code, message: `${code}：${message}`, ...classifyCode(code, message) };
}

// Errors of the connection before the request could have been written: surely not sent.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/** What a thrown error means: the SDK's HTTP errors carry a status and Alibaba Cloud's code; network errors not. */
export function classifyAliyunError(error: unknown): SmsFailure {
  const e = (error ?? {}) as {
    name?: string;
    code?: unknown;
    message?: string;
    statusCode?: number;
    retryAfter?: number;
  };
  const message = String(e.message ?? error);
  const code = typeof e.code === 'string' && e.code ? e.code : (e.name ?? 'Error');
  if (typeof e.statusCode === 'number') {
    if (e.name === 'ThrottlingError' || code.includes('Throttling')) {
      const retryAfterMs = typeof e.retryAfter === 'number' ? clamp(e.retryAfter, 1000, 600_000) : undefined;
      return { ok: false, kind: 'transient', code, message, ...(retryAfterMs ? { retryAfterMs } : {}) };
    }
    if (e.statusCode >= 500) return { ok: false, kind: 'transient', code, message };
    return { ok: false, code, message, ...classifyCode(code, message) };
  }
  if (NOT_SENT.has(code)) return { ok: false, kind: 'transient', code, message };
  // Anything else may have gone out: a read timeout, a reset, a broken answer, and also the SDK's "ConnectTimeout",
  // which is the socket's idle timeout and fires as well while the written request waits for its answer.
  const timeout = /ReadTimeout|ConnectTimeout/.exec(message)?.[0];
  return { ok: false, kind: 'unknown', code: timeout ?? code, message };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
