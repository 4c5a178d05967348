/**
 * The public tip page's defences against abuse (issue #23 point 6), in front of POST /tip:
 * - per client address (request.ip: see TRUST_PROXY) and per phone, @fastify/rate-limit's counters kept in our own
 *   database (rate-limit-store.ts), so every replica shares one limit; past a limit the tip is answered 429 and
 *   nothing is stored;
 * - after `challengeAfter` attempts from one address within an hour, a proof-of-work challenge (src/tips/challenge.ts)
 *   must come back answered; a challenge is good once (its id counted in the same store).
 */
import { randomBytes } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { type ChallengeSettings, checkChallenge, issueChallenge } from '../tips/challenge.js';
import { databaseRateLimitStore, hitRateLimit, readRateLimit } from './rate-limit-store.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export interface TipGuardSettings {
  perAddressHour: number;
  perPhoneDay: number;
  challengeAfter: number;
  challengeBits: number;
  /** Signs challenges; null = one made for this process (then replicas do not accept each other's). */
  secret: string | null;
}

export const DEFAULT_TIP_GUARD: TipGuardSettings = {
  perAddressHour: 10,
  perPhoneDay: 5,
  challengeAfter: 2,
  challengeBits: 16,
  secret: null,
};

export type TipLimitVerdict = { ok: true } | { ok: false; message: string; retryAfterSeconds: number };
export type ChallengeVerdict = { ok: true } | { ok: false; message: string };

/** Retry-after in Chinese ("约 23 分钟后"). */
const after = (seconds: number) =>
  seconds >= 3600 ? `约 ${Math.ceil(seconds / 3600)} 小时后` : `约 ${Math.max(1, Math.ceil(seconds / 60))} 分钟后`;

export async function createTipGuard(
  app: FastifyInstance,
  options: { db: Db; clock: Clock; logger: Pick<Logger, 'warn'>; settings: TipGuardSettings },
) {
  const { db, clock, settings } = options;
  await app.register(rateLimit, { global: false, store: databaseRateLimitStore(db, clock) });
  if (!settings.secret) {
    options.logger.warn('TIP_SECRET (or SESSION_SECRET) unset: tip challenges are signed per process');
  }
  const challenge: ChallengeSettings = {
    secret: settings.secret ?? randomBytes(32).toString('base64url'),
    bits: settings.challengeBits,
    ttlMs: HOUR,
  };
  const phoneOf = new WeakMap<FastifyRequest, string>();
  const attemptOf = new WeakMap<FastifyRequest, number>();
  const byAddress = app.createRateLimit({
    max: settings.perAddressHour,
    timeWindow: HOUR,
    keyGenerator: (request) => addressKey(request),
  });
  const byPhone = app.createRateLimit({
    max: settings.perPhoneDay,
    timeWindow: DAY,
    keyGenerator: (request) => `tip:phone:${phoneOf.get(request) ?? ''}`,
  });
  // The challenge follows the address's attempts in the hour (the same atomic count as its limit), not its stored
  // tips: a burst sent at once cannot all slip in before the first is stored.
  const addressKey = (request: FastifyRequest) => `tip:addr:${request.ip}`;

  const verdict = (
    result: { isExceeded?: boolean; ttlInSeconds?: number } | object,
    message: string,
  ): TipLimitVerdict =>
    'isExceeded' in result && result.isExceeded
      ? {
          ok: false,
          message: `${message}，请${after((result as { ttlInSeconds: number }).ttlInSeconds)}再试`,
          retryAfterSeconds: (result as { ttlInSeconds: number }).ttlInSeconds,
        }
      : { ok: true };

  return {
    /** Counts this request against its address's hourly limit. */
    async checkAddress(request: FastifyRequest): Promise<TipLimitVerdict> {
      const result = await byAddress(request);
      if ('remaining' in result) attemptOf.set(request, settings.perAddressHour - result.remaining);
      return verdict(result, `同一网络提交举报过于频繁（每小时最多 ${settings.perAddressHour} 次）`);
    },
    /** Counts this tip against its phone's daily limit (no phone: no limit). */
    async checkPhone(request: FastifyRequest, phone: string | null): Promise<TipLimitVerdict> {
      if (!phone) return { ok: true };
      phoneOf.set(request, phone.replace(/^\+?86[- ]?/, '').replace(/-/g, ''));
      return verdict(await byPhone(request), `同一电话号码今天的举报已达 ${settings.perPhoneDay} 次`);
    },
    /** A challenge for this address's next tip, or null when it needs none. */
    async challengeFor(request: FastifyRequest): Promise<string | null> {
      const { current } = await readRateLimit(db, addressKey(request), clock.now());
      return current >= settings.challengeAfter ? issueChallenge(challenge, clock.now()) : null;
    },
    /** Checks the answered challenge when this address must answer one; a good answer is spent. */
    async checkChallenge(
      request: FastifyRequest,
      sent: { challenge?: string | undefined; nonce?: string | undefined },
    ): Promise<ChallengeVerdict> {
      const now = clock.now();
      // This request's place among the address's attempts (counted by checkAddress; the limit's remaining can be 0).
      const attempt = attemptOf.get(request) ?? (await readRateLimit(db, addressKey(request), now)).current;
      if (attempt <= settings.challengeAfter) return { ok: true };
      const check = checkChallenge(challenge, sent.challenge, sent.nonce, now);
      if (!check.ok) {
        const messages = {
          missing: '短时间内多次举报，需要完成一次安全验证（由浏览器自动完成，需启用 JavaScript）',
          forged: '安全验证无效，请按页面提示重新提交',
          expired: '安全验证已过期，请重新提交',
          work: '安全验证未通过，请重新提交',
        } as const;
        return { ok: false, message: messages[check.reason] };
      }
      const used = await hitRateLimit(db, `tip:pow:${check.id}`, Math.max(1, check.expiresAt - now.getTime()), now);
      if (used.current > 1) return { ok: false, message: '这次安全验证已经用过，请重新提交' };
      return { ok: true };
    },
  };
}

export type TipGuard = Awaited<ReturnType<typeof createTipGuard>>;
