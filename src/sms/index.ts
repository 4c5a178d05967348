/**
 * The SMS channel for people outside Feishu (product.md, 提醒与升级): the gateway the configuration names, and the
 * calls the rest of the code makes. The reminder code renders the values (renderSmsParams) and queues the SMS in
 * its transaction (enqueueSms); the outbox sender delivers them (delivery.ts) within SMS_DAILY_BUDGET.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { AliyunSmsGateway } from './aliyun.js';
import { FakeSmsGateway } from './fake.js';
import type { SmsGateway } from './gateway.js';

export { smsBudgetDay, smsBudgetUsage } from './budget.js';
export { enqueueSms, isSmsEnabled, type QueuedSms } from './enqueue.js';
export type { SmsGateway, SmsTemplateParams } from './gateway.js';
export { maskMobile, normalizeMobile, renderSmsParams, SmsInputError, type SmsNotice } from './render.js';

/**
 * The gateway for this configuration: none when SMS are off; in sandbox mode (no Feishu app) one that only logs,
 * so that trying the service never sends a real SMS; otherwise Alibaba Cloud.
 */
export function createSmsGateway(config: Config, options: { sandbox: boolean; logger: Logger }): SmsGateway | null {
  if (config.SMS_PROVIDER === undefined) return null;
  if (options.sandbox) return new FakeSmsGateway(options.logger);
  return new AliyunSmsGateway({
    accessKeyId: config.SMS_ACCESS_KEY_ID!,
    accessKeySecret: config.SMS_ACCESS_KEY_SECRET!,
    signName: config.SMS_SIGN_NAME!,
    templateCode: config.SMS_TEMPLATE_CODE!,
    linkTemplateCode: config.SMS_LINK_TEMPLATE_CODE,
    endpoint: config.SMS_ENDPOINT,
  });
}
