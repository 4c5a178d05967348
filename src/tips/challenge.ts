/**
 * The proof-of-work challenge asked after repeated tips from one address: a random id, its expiry and the work asked
 * (leading zero bits), signed with the server's secret (HMAC-SHA256) so any replica can check it without storing it.
 * The page's script (assets.ts) finds a nonce so that SHA-256(challenge + nonce) starts with that many zero bits; the
 * server checks the signature, the expiry and the work. That a challenge is used once is the caller's part (it counts
 * the id in the shared rate-limit store). No I/O here.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ChallengeSettings {
  secret: string;
  /** Leading zero bits asked of SHA-256(challenge + nonce). */
  bits: number;
  /** How long a challenge may be answered. */
  ttlMs: number;
}

const sign = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('base64url');

export function issueChallenge(settings: ChallengeSettings, now: Date): string {
  const body = `${randomBytes(16).toString('base64url')}.${now.getTime() + settings.ttlMs}.${settings.bits}`;
  return `${body}.${sign(settings.secret, body)}`;
}

export function leadingZeroBits(digest: Buffer): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

export type ChallengeCheck =
  | { ok: true; id: string; expiresAt: number }
  | { ok: false; reason: 'missing' | 'forged' | 'expired' | 'work' };

/** Checks a challenge and its nonce as sent back with a tip. */
export function checkChallenge(
  settings: Pick<ChallengeSettings, 'secret' | 'bits'>,
  challenge: string | undefined,
  nonce: string | undefined,
  now: Date,
): ChallengeCheck {
  if (!challenge || !nonce) return { ok: false, reason: 'missing' };
  const parts = challenge.split('.');
  if (parts.length !== 4 || nonce.length > 32) return { ok: false, reason: 'forged' };
  const [id, expires, bits, mac] = parts as [string, string, string, string];
  const expected = Buffer.from(sign(settings.secret, `${id}.${expires}.${bits}`));
  const given = Buffer.from(mac);
  // The work asked must be what the server asks today (a signed easier challenge from an old setting is not enough).
  if (given.length !== expected.length || !timingSafeEqual(given, expected) || Number(bits) < settings.bits) {
    return { ok: false, reason: 'forged' };
  }
  if (Number(expires) <= now.getTime()) return { ok: false, reason: 'expired' };
  const digest = createHash('sha256')
    .update(challenge + nonce, 'utf8')
    .digest();
  if (leadingZeroBits(digest) < Number(bits)) return { ok: false, reason: 'work' };
  return { ok: true, id, expiresAt: Number(expires) };
}

/** Finds a nonce for a challenge (what the page's script does, for tests, the demo and the bench). */
export function solveChallenge(challenge: string): string {
  const bits = Number(challenge.split('.')[2]);
  for (let n = 0; ; n++) {
    const digest = createHash('sha256')
      .update(challenge + String(n), 'utf8')
      .digest();
    if (leadingZeroBits(digest) >= bits) return String(n);
  }
}
