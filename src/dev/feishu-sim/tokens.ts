import { randomHex } from './crypto.js';

const REISSUE_BELOW_MS = 30 * 60 * 1000;

/** tenant_access_tokens issued by the simulator; expiry runs on real time so the sim clock can jump freely. */
export class TokenBook {
  private current: { token: string; expiresAtMs: number } | undefined;
  private readonly valid = new Map<string, number>();

  constructor(private readonly ttlSeconds: number) {}

  /** Like Feishu: the same token until less than 30 minutes remain, then a new one (the old stays valid). */
  issue(): { token: string; expire: number } {
    const nowMs = Date.now();
    if (this.current && this.current.expiresAtMs - nowMs >= REISSUE_BELOW_MS) {
      return { token: this.current.token, expire: Math.floor((this.current.expiresAtMs - nowMs) / 1000) };
    }
    const token = `t-sim-${randomHex(20)}`;
    const expiresAtMs = nowMs + this.ttlSeconds * 1000;
    this.current = { token, expiresAtMs };
    this.valid.set(token, expiresAtMs);
    return { token, expire: this.ttlSeconds };
  }

  isValid(token: string): boolean {
    const expiresAtMs = this.valid.get(token);
    return expiresAtMs !== undefined && expiresAtMs > Date.now();
  }

  invalidateAll(): void {
    this.valid.clear();
    this.current = undefined;
  }
}
