/**
 * Feishu's documented limits for the message APIs: per app ≤ 50 requests in a fixed 1-second window and ≤ 1000 in
 * any 60 seconds; per recipient (user or chat) and per patched message ≤ 5 per second. Rejected requests do not count.
 */

export interface RateLimitVerdict {
  /** The limit that was hit, for x-ogw-ratelimit-limit. */
  limit: number;
  /** Whole seconds until a retry can pass, for x-ogw-ratelimit-reset. */
  resetSeconds: number;
  scope: 'app-second' | 'app-minute' | 'key-second';
}

export const APP_PER_SECOND = 50;
export const APP_PER_MINUTE = 1000;
export const PER_KEY_PER_SECOND = 5;

export class RateLimiter {
  private secondWindow = -1;
  private secondCount = 0;
  private readonly minute: number[] = [];
  private readonly perKey = new Map<string, number[]>();

  /** Checks the app limits and, when given, one per-key limit; counts the request only if all pass. */
  take(nowMs: number, key?: string): RateLimitVerdict | null {
    const window = Math.floor(nowMs / 1000);
    if (window !== this.secondWindow) {
      this.secondWindow = window;
      this.secondCount = 0;
    }
    if (this.secondCount >= APP_PER_SECOND) {
      return { limit: APP_PER_SECOND, resetSeconds: 1, scope: 'app-second' };
    }
    while (this.minute.length > 0 && this.minute[0]! <= nowMs - 60_000) this.minute.shift();
    if (this.minute.length >= APP_PER_MINUTE) {
      const resetMs = this.minute[0]! + 60_000 - nowMs;
      return { limit: APP_PER_MINUTE, resetSeconds: Math.max(1, Math.ceil(resetMs / 1000)), scope: 'app-minute' };
    }
    let keyHits: number[] | undefined;
    if (key !== undefined) {
      keyHits = this.perKey.get(key) ?? [];
      while (keyHits.length > 0 && keyHits[0]! <= nowMs - 1000) keyHits.shift();
      if (keyHits.length >= PER_KEY_PER_SECOND) {
        return { limit: PER_KEY_PER_SECOND, resetSeconds: 1, scope: 'key-second' };
      }
    }
    this.secondCount++;
    this.minute.push(nowMs);
    if (key !== undefined && keyHits) {
      keyHits.push(nowMs);
      this.perKey.set(key, keyHits);
    }
    if (this.perKey.size > 10_000) this.prune(nowMs);
    return null;
  }

  private prune(nowMs: number): void {
    for (const [key, hits] of this.perKey) {
      if ((hits[hits.length - 1] ?? 0) <= nowMs - 1000) this.perKey.delete(key);
    }
  }
}
