/**
 * Queueing an SMS: the one call the reminder and hazard code makes, inside the transaction of the change the SMS is
 * about (like every outgoing message: the SMS exists if and only if the change does).
 */
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { enqueueSmsRow } from '../feishu/outbox.js';
import type { SmsTemplateParams } from './gateway.js';
import { normalizeMobile, SmsInputError } from './render.js';

export interface QueuedSms {
  /** The mobile, as in the directory (spaces, dashes, +86 tolerated). */
  phone: string;
  /** The template's values: renderSmsParams(…) (render.ts). */
  params: SmsTemplateParams;
  /** A business key to find the message later, e.g. `hazard:YH-2026-000001:sms:p002`. */
  topic?: string;
}

/** True when an SMS gateway is configured (SMS_PROVIDER): otherwise people without Feishu need another way. */
export function isSmsEnabled(config: Pick<Config, 'SMS_PROVIDER'>): boolean {
  return config.SMS_PROVIDER !== undefined;
}

/**
 * Queues one SMS; returns its outbox row id (also the gateway's OutId). Throws SmsInputError, queuing nothing, for a
 * number that is not a mainland mobile or values that are not the template's: check a directory mobile with
 * normalizeMobile first where the rest of the transaction must go on without the SMS.
 */
export async function enqueueSms(db: Db, sms: QueuedSms): Promise<string> {
  const phone = normalizeMobile(sms.phone);
  if (!phone.ok) throw new SmsInputError(phone.reason);
  for (const key of ['code', 'unit', 'action', 'deadline'] as const) {
    const value = sms.params[key];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new SmsInputError(`短信模板变量 ${key} 不能为空（请用 renderSmsParams 生成）`);
    }
  }
  if (sms.params.link !== undefined && (typeof sms.params.link !== 'string' || sms.params.link === '')) {
    throw new SmsInputError('短信模板变量 link 应为链接的路径（请用 renderSmsParams 生成）');
  }
  return enqueueSmsRow(db, { phone: phone.phone, params: { ...sms.params }, topic: sms.topic });
}
