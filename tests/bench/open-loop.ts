/**
 * An open-loop HTTP load generator: request i leaves at start + i / rate, whether or not earlier ones have been
 * answered, and its latency runs from the moment it is written to the moment its answer has been read. That is
 * how Feishu delivers events — spread over time, independent of how fast we answer — and it cannot hide a slow
 * answer by sending less (coordinated omission).
 *
 * Why not autocannon here: its `overallRate` releases each second's quota at the top of the second, so "1,000
 * req/s" arrives as bursts of as many requests as it has connections, and the latency measured is mostly those
 * bursts queueing. It also spends the shared CPU on its own bookkeeping. We report how late this generator itself
 * sent (send lag), so a run where the load generator could not keep up shows it.
 */
import http from 'node:http';
import { percentile } from './machine.js';

export interface OpenLoopOptions {
  url: string;
  /** Requests per second, evenly spaced. */
  rate: number;
  /** Seconds measured. */
  seconds: number;
  /** Seconds at the same rate before measuring (connections opened, code warmed up); not counted. */
  warmupSeconds: number;
  /** The body of request number n (1-based, warm-up included). */
  body: (n: number) => string;
  /** A request not answered within this many ms counts as a timeout. */
  timeoutMs?: number;
  /** Called with the body of every 200 answer (warm-up included), e.g. to check what the service answered. */
  onAnswer?: (body: string) => void;
}

export interface OpenLoopResult {
  sent: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** How late requests left compared with their schedule (the generator's own delay). */
  sendLagMs: { p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const url = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const total = Math.round(options.rate * (options.warmupSeconds + options.seconds));
  const measuredFrom = Math.round(options.rate * options.warmupSeconds);
  const latencies: number[] = [];
  const lags: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let settled = 0;

  const start = performance.now();
  await new Promise<void>((resolve) => {
    const settle = () => {
      settled += 1;
      if (settled === total) resolve();
    };
    const fire = (n: number, scheduledAt: number) => {
      const body = options.body(n);
      const sentAt = performance.now();
      const counted = n > measuredFrom;
      if (counted) lags.push(sentAt - scheduledAt);
      let done = false;
      const finish = (outcome: 'ok' | 'non2xx' | 'error' | 'timeout') => {
        if (done) return;
        done = true;
        if (counted) {
          if (outcome === 'ok' || outcome === 'non2xx') latencies.push(performance.now() - sentAt);
          if (outcome === 'non2xx') non2xx += 1;
          if (outcome === 'error') errors += 1;
          if (outcome === 'timeout') timeouts += 1;
        }
        settle();
      };
      const request = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          if (options.onAnswer) response.on('data', (chunk: Buffer) => chunks.push(chunk));
          else response.resume();
          response.on('end', () => {
            if (response.statusCode === 200) options.onAnswer?.(Buffer.concat(chunks).toString('utf8'));
            finish(response.statusCode === 200 ? 'ok' : 'non2xx');
          });
        },
      );
      request.setTimeout(timeoutMs, () => {
        finish('timeout');
        request.destroy();
      });
      request.on('error', () => finish('error'));
      request.end(body);
    };
    let next = 1;
    // Wake every millisecond and send everything whose time has come (a timer per request would cost more).
    const tick = () => {
      const now = performance.now();
      while (next <= total) {
        const scheduledAt = start + ((next - 1) * 1000) / options.rate;
        if (scheduledAt > now) break;
        fire(next, scheduledAt);
        next += 1;
      }
      if (next <= total) setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();

  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    sent: total - measuredFrom,
    latencyMs: {
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.at(-1) ?? 0),
    },
    sendLagMs: { p99: round(percentile(lags, 99)), max: round(lags.at(-1) ?? 0) },
    non2xx,
    errors,
    timeouts,
  };
}
