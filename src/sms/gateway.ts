/**
 * The SMS channel's transport contract: what the outbox sender asks of an SMS gateway (Alibaba Cloud in production,
 * the fake in tests and sandbox mode). A gateway never throws from `send`: every outcome is a value, so that the
 * sender decides about retries in one place.
 */

/**
 * The values of the county's registered template's `${var}` slots (docs/deploy.md): the hazard's number, the unit,
 * what is asked, the deadline and, for the link template, the link's path. Made by renderSmsParams (render.ts).
 */
export interface SmsTemplateParams {
  code: string;
  unit: string;
  action: string;
  deadline: string;
  /** The path of the hazard's link after the site's fixed address (the template holds the address itself). */
  link?: string;
}

export interface SmsRequest {
  /** An 11-digit mainland mobile (normalised when queued). */
  phone: string;
  params: SmsTemplateParams;
  /** Our id of the message (the outbox row id): Alibaba Cloud's OutId, found again in its receipts. */
  outId: string;
}

/**
 * Why a send did not go out:
 * - `transient`: not sent, or refused for now (network, 5xx, throttling, per-number flow control): retry later;
 * - `permanent`: refused for good (bad number, unapproved signature or template, credentials, balance): give up;
 * - `unknown`: the request may have reached the gateway but no answer came (a read timeout). SendSms is not
 *   idempotent, so before sending again the sender asks the receipts (findSent) whether it went out.
 */
export type SmsFailureKind = 'transient' | 'permanent' | 'unknown';

export interface SmsFailure {
  ok: false;
  kind: SmsFailureKind;
  /** The gateway's code (e.g. isv.MOBILE_NUMBER_ILLEGAL), or a network error code (ECONNREFUSED, ReadTimeout). */
  code: string;
  message: string;
  /** How long the gateway asked us to wait, when it said. */
  retryAfterMs?: number;
}

export type SmsSendResult = { ok: true; bizId: string | null } | SmsFailure;

export interface SmsReceiptQuery {
  phone: string;
  outId: string;
  /** When the attempt whose outcome is unknown began. */
  since: Date;
}

export type SmsReceipt = { found: true; bizId: string | null } | { found: false };

export interface SmsGateway {
  /** For logs and metrics: `aliyun`, `fake`. */
  readonly name: string;
  /** Sends one SMS. Never throws: failures are values (see SmsFailureKind). */
  send(request: SmsRequest): Promise<SmsSendResult>;
  /**
   * Whether a message with this outId reached the gateway for this phone since `since` (its send receipts). Throws
   * when the receipts cannot be read now (the sender retries the question, never the send, until they can).
   */
  findSent(query: SmsReceiptQuery): Promise<SmsReceipt>;
}
