/**
 * Feishu's send limits, enforced by the one outbox sender that holds leadership (so one limit covers all replicas):
 * per app ≤ 50/s and ≤ 1000/min; per user or chat ≤ 5/s.
 *
 * The app limit is a token bucket of CAPACITY tokens refilled at RATE per second. In any 60-second window it lets
 * through at most CAPACITY + 60·RATE = 30 + 960 = 990 messages, and in any second at most 30 + 16 = 46: under both
 * of Feishu's limits however its windows are aligned, while sustaining 960 messages a minute.
 */
export const APP_BUCKET_CAPACITY = 30;
export const APP_RATE_PER_SECOND = 16;
const RECIPIENT_LIMIT_PER_SECOND = 5;
/**
 * Feishu counts a person's messages by when they arrive, we by when we send them; a request that waits a little on
 * the way can land in the same second as a later one that did not. Five per 1.25 s keeps a quarter second of slack.
 */
const RECIPIENT_WINDOW_MS = 1250;

export class SendRateLimiter {
  private tokens: number;
  private refilledAt: number;
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly capacity = APP_BUCKET_CAPACITY,
    private readonly ratePerSecond = APP_RATE_PER_SECOND,
  ) {
    this.tokens = capacity;
    this.refilledAt = now();
  }

  /**
   * Takes a permit for one message to `recipient` if both limits allow it now; otherwise returns how many
   * milliseconds to wait, and takes nothing.
   */
  tryAcquire(recipient: string): { ok: true } | { ok: false; waitMs: number; reason: 'app' | 'recipient' } {
    const now = this.now();
    this.refill(now);
    const sent = (this.recent.get(recipient) ?? []).filter((t) => now - t < RECIPIENT_WINDOW_MS);
    if (sent.length >= RECIPIENT_LIMIT_PER_SECOND) {
      this.recent.set(recipient, sent);
      return { ok: false, waitMs: Math.ceil(RECIPIENT_WINDOW_MS - (now - sent[0]!)) + 1, reason: 'recipient' };
    }
    if (this.tokens < 1) {
      return { ok: false, waitMs: Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000), reason: 'app' };
    }
    this.tokens -= 1;
    sent.push(now);
    this.recent.set(recipient, sent);
    if (this.recent.size > 10_000) this.forgetIdle(now);
    return { ok: true };
  }

  /** How many app permits are free now, and if none, how long until the next one. */
  available(): { permits: number; waitMs: number } {
    this.refill(this.now());
    const permits = Math.floor(this.tokens);
    return { permits, waitMs: permits > 0 ? 0 : Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000) };
  }

  /** Feishu said 429: stop sending until it says we may. */
  pauseFor(ms: number): void {
    this.refill(this.now());
    this.tokens = Math.min(this.tokens, 0) - (ms / 1000) * this.ratePerSecond;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.ratePerSecond);
    this.refilledAt = now;
  }

  private forgetIdle(now: number): void {
    for (const [recipient, times] of this.recent) {
      if (times.every((t) => now - t >= RECIPIENT_WINDOW_MS)) this.recent.delete(recipient);
    }
  }
}
