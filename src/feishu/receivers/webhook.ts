import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { errorBody } from '../../http/errors.js';
import type { Metrics } from '../../metrics.js';
import { decryptEvent, isSignatureValid, safeEqual } from '../crypto.js';
import type { FeishuDispatcher } from '../dispatcher.js';
import { EventTooDeepError, MAX_EVENT_DEPTH, nestsDeeperThan } from '../event-json.js';
import { type FeishuEnvelope, MalformedEventError } from '../events.js';
import { EventNotStoredError } from '../inbound-batcher.js';

export interface WebhookOptions {
  encryptKey: string | undefined;
  verificationToken: string | undefined;
  dispatcher: FeishuDispatcher;
  metrics: Metrics;
  logger: Logger;
  now: () => Date;
}

/** Feishu signs with its own clock; more than five minutes off is a replay or a forgery. */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/**
 * Without an Encrypt Key nothing signs a request: anyone who saw one event could send it again. A copy sent while its
 * event_id is still stored is dropped as a duplicate; so events older than this — well inside the 72 hours events are
 * kept, and past Feishu's last retry (15 s, 5 min, 1 h, 6 h) — are refused. Only the token-only mode needs it.
 */
export const TOKEN_ONLY_REPLAY_WINDOW_MS = 24 * 3600 * 1000;

class Rejected extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * POST /feishu/events and /feishu/cards. The body is kept raw: the signature covers the exact bytes Feishu sent, so it
 * must be checked before any parsing (the SDK's dispatcher re-serialises the parsed body, which is not the same).
 */
export async function registerWebhookRoutes(app: FastifyInstance, options: WebhookOptions): Promise<void> {
  await app.register(async (scope) => {
    // Only inside this scope: JSON stays a raw string here and is parsed by us after the signature check.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(/^application\/json\b/i, { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );

    const handle = async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        const answer = await receive(request, options);
        return reply.code(200).send(answer);
      } catch (error) {
        if (error instanceof Rejected) {
          options.metrics.inboundEvents.inc({ type: 'unknown', outcome: 'rejected' });
          options.logger.warn({ code: error.code, reason: error.message, ip: request.ip }, 'Feishu request rejected');
          return reply.code(error.status).send(errorBody(error.code, error.message));
        }
        if (error instanceof MalformedEventError) {
          return reply.code(400).send(errorBody('malformed_event', error.message));
        }
        if (error instanceof EventNotStoredError) {
          // The database is away or stuck: Feishu sends the event again on a non-200 answer. The reason only, not the
          // statement: its parameters carry the message's text.
          options.metrics.inboundEvents.inc({ type: 'unknown', outcome: 'not_stored' });
          options.logger.warn({ reason: error.reason }, '事件未能保存，已答复 503，飞书稍后重发（event not stored）');
          return reply.code(503).send(errorBody('event_not_stored', error.message));
        }
        throw error;
      }
    };
    scope.post('/feishu/events', handle);
    scope.post('/feishu/cards', handle);
  });
}

async function receive(request: FastifyRequest, options: WebhookOptions): Promise<unknown> {
  const rawBody = request.body;
  if (typeof rawBody !== 'string' || rawBody.length === 0) {
    throw new Rejected(400, 'invalid_json', '请求体必须是 JSON 对象（the body must be a JSON object）');
  }
  refuseDeepNesting(rawBody);
  let body = parseObject(rawBody);
  const encrypted = typeof body.encrypt === 'string' ? body.encrypt : undefined;

  if (encrypted !== undefined) {
    if (!options.encryptKey)
      throw new Rejected(
        400,
        'encryption_not_configured',
        '请求体已加密，但服务未设置 FEISHU_ENCRYPT_KEY：请把开发者后台的 Encrypt Key 配置给服务（encrypted body but no FEISHU_ENCRYPT_KEY）',
      );
    let decrypted: string;
    try {
      decrypted = decryptEvent(options.encryptKey, encrypted);
    } catch {
      throw undecryptable();
    }
    refuseDeepNesting(decrypted);
    try {
      body = parseObject(decrypted);
    } catch {
      // Garbage that happened to unpad: the key is wrong.
      throw undecryptable();
    }
  }

  // The URL check carries no signature headers; answering it proves we hold the key (or the token).
  if (body.type === 'url_verification') {
    if (typeof body.challenge !== 'string')
      throw new Rejected(
        400,
        'malformed_event',
        'url_verification 请求缺少 challenge（url_verification without a challenge）',
      );
    if (encrypted === undefined && !tokenMatches(body.token, options)) {
      throw new Rejected(
        401,
        'invalid_token',
        'Verification Token 不一致：请核对 FEISHU_VERIFICATION_TOKEN 与开发者后台一致（the verification token does not match）',
      );
    }
    return { challenge: body.challenge };
  }

  if (options.encryptKey) {
    verifySignature(request, rawBody, options.encryptKey, options.now());
  } else {
    const envelope = body as FeishuEnvelope;
    if (!tokenMatches(envelope.header?.token ?? envelope.token, options)) {
      throw new Rejected(
        401,
        'invalid_token',
        'Verification Token 不一致：请核对 FEISHU_VERIFICATION_TOKEN 与开发者后台一致（the verification token does not match）',
      );
    }
    if (options.verificationToken) refuseReplay(body, options.now());
  }
  return options.dispatcher.receive(body as FeishuEnvelope);
}

/** An event from outside the replay window (token-only mode): its creation time is in the envelope. */
function refuseReplay(body: Record<string, unknown>, now: Date): void {
  const header = body.header as { create_time?: unknown } | undefined;
  // Schema 2.0 says when the event was made in header.create_time — in ms, or in µs for card callbacks; 1.0 in
  // seconds (ts).
  const raw = header?.create_time !== undefined ? Number(header.create_time) : Number(body.ts) * 1000;
  const createdAt = raw > 1e14 ? raw / 1000 : raw;
  if (Number.isFinite(createdAt) && Math.abs(now.getTime() - createdAt) <= TOKEN_ONLY_REPLAY_WINDOW_MS) return;
  throw new Rejected(
    401,
    'stale_event',
    '事件的创建时间（create_time）缺失或超出 24 小时，疑为重放，已拒收；请设置 FEISHU_ENCRYPT_KEY 让每个请求都带签名（event outside the replay window）',
  );
}

function tokenMatches(token: unknown, options: WebhookOptions): boolean {
  // With neither key nor token configured nothing could be verified; the config refuses that outside sandbox mode.
  if (!options.verificationToken) return !options.encryptKey;
  return typeof token === 'string' && safeEqual(token, options.verificationToken);
}

function verifySignature(request: FastifyRequest, rawBody: string, encryptKey: string, now: Date): void {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const timestamp = header('x-lark-request-timestamp');
  const nonce = header('x-lark-request-nonce');
  const signature = header('x-lark-signature');
  if (!timestamp || !nonce || !signature)
    throw new Rejected(
      401,
      'unsigned',
      '缺少签名请求头 X-Lark-Signature / X-Lark-Request-Timestamp / X-Lark-Request-Nonce（signature headers are missing）',
    );
  const sentAt = Number(timestamp) * 1000;
  if (!Number.isFinite(sentAt) || Math.abs(now.getTime() - sentAt) > MAX_CLOCK_SKEW_MS) {
    throw new Rejected(
      401,
      'stale_timestamp',
      'X-Lark-Request-Timestamp 与服务器时间相差超过 5 分钟：请检查服务器时钟（timestamp more than 5 minutes off）',
    );
  }
  if (!isSignatureValid({ timestamp, nonce, signature, encryptKey, rawBody })) {
    throw new Rejected(
      401,
      'invalid_signature',
      '签名与请求体不符：请核对 FEISHU_ENCRYPT_KEY（X-Lark-Signature does not match the body）',
    );
  }
}

function undecryptable(): Rejected {
  return new Rejected(
    401,
    'undecryptable',
    '无法用所配置的 Encrypt Key 解密：请核对 FEISHU_ENCRYPT_KEY 与开发者后台一致（the body does not decrypt）',
  );
}

/** Before JSON.parse: a body nested thousands deep is refused without being parsed (or later stored) deeply. */
function refuseDeepNesting(text: string): void {
  if (nestsDeeperThan(text, MAX_EVENT_DEPTH)) throw new Rejected(400, 'too_deep', new EventTooDeepError().message);
}

function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Rejected(400, 'invalid_json', '请求体不是合法的 JSON（the body is not valid JSON）');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Rejected(400, 'invalid_json', '请求体必须是 JSON 对象（the body must be a JSON object）');
  }
  return value as Record<string, unknown>;
}
