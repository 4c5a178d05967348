import { describe, expect, it } from 'vitest';
import { SendRateLimiter } from '../../src/feishu/rate-limiter.js';

/** Drives the limiter as fast as it allows for `seconds` of simulated time, to `recipients` round-robin. */
function simulate(seconds: number, recipients: number) {
  let now = 0;
  const limiter = new SendRateLimiter(() => now);
  const sentAt: number[] = [];
  let i = 0;
  while (now < seconds * 1000) {
    const result = limiter.tryAcquire(`ou_${i % recipients}`);
    if (result.ok) {
      sentAt.push(now);
      i++;
    } else {
      now += result.reason === 'recipient' ? 1 : result.waitMs;
      i++;
    }
  }
  return sentAt;
}

function maxInWindow(times: number[], windowMs: number): number {
  let max = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

describe('SendRateLimiter', () => {
  it('sustains at least 950 messages a minute while never exceeding 1000 in any 60 s or 50 in any 1 s', () => {
    const sent = simulate(300, 200);
    expect(sent.length / 5).toBeGreaterThanOrEqual(950);
    expect(maxInWindow(sent, 60_000)).toBeLessThanOrEqual(1000);
    expect(maxInWindow(sent, 1000)).toBeLessThanOrEqual(50);
  });

  it('never sends more than 5 a second to one recipient, with a quarter second of slack for the way there', () => {
    const sent = simulate(20, 1);
    expect(maxInWindow(sent, 1000)).toBeLessThanOrEqual(5);
    expect(maxInWindow(sent, 1250)).toBeLessThanOrEqual(5);
    expect(sent.length).toBeGreaterThanOrEqual(79);
  });

  it('stops for as long as Feishu asks after a 429', () => {
    let now = 0;
    const limiter = new SendRateLimiter(() => now);
    limiter.pauseFor(2000);
    const first = limiter.tryAcquire('ou_a');
    expect(first.ok).toBe(false);
    now = 1900;
    expect(limiter.tryAcquire('ou_a').ok).toBe(false);
    now = 2100;
    expect(limiter.tryAcquire('ou_a').ok).toBe(true);
  });
});
