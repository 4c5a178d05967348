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
import net from 'node:net';
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
  /** GET sends no body (`body` is not called); POST by default. */
  method?: 'GET' | 'POST';
  /** Stops sending once this settles (e.g. while an upload runs); `seconds` is then the longest the loop runs. */
  stopWhen?: Promise<unknown>;
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
  const pool = new ConnectionPool(new URL(options.url), options.method ?? 'POST');
  const timeoutMs = options.timeoutMs ?? 10_000;
  let total = Math.round(options.rate * (options.warmupSeconds + options.seconds));
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
      const body = options.method === 'GET' ? '' : options.body(n);
      const sentAt = performance.now();
      const counted = n > measuredFrom;
      if (counted) lags.push(sentAt - scheduledAt);
      pool.send(body, timeoutMs, (outcome) => {
        if (counted) {
          if (outcome.kind === 'answer') {
            latencies.push(performance.now() - sentAt);
            if (outcome.status !== 200) non2xx += 1;
          }
          if (outcome.kind === 'error') errors += 1;
          if (outcome.kind === 'timeout') timeouts += 1;
        }
        if (outcome.kind === 'answer' && outcome.status === 200) options.onAnswer?.(outcome.body);
        settle();
      });
    };
    let next = 1;
    const stop = () => {
      total = Math.max(next - 1, measuredFrom);
      if (settled >= total) resolve();
    };
    options.stopWhen?.then(stop, stop);
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
  pool.close();

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

type Outcome = { kind: 'answer'; status: number; body: string } | { kind: 'error' } | { kind: 'timeout' };

/**
 * Keep-alive HTTP/1.1 connections driven by hand: one request at a time on each, a new connection when all are
 * busy. node:http's client spends enough CPU per request to show in the figures when it shares the cores of the
 * service it measures; this costs a fraction of that, so the figures are the service's, not the generator's. It speaks only what the
 * bot answers: a status line, headers with Content-Length, a body.
 */
class ConnectionPool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly head: string;

  constructor(
    private readonly url: URL,
    private readonly method: 'GET' | 'POST',
  ) {
    this.head =
      method === 'GET'
        ? `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n\r\n`
        : `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
          'Content-Type: application/json\r\nConnection: keep-alive\r\nContent-Length: ';
  }

  send(body: string, timeoutMs: number, done: (outcome: Outcome) => void): void {
    const connection = this.idle.pop() ?? this.open();
    const request = this.method === 'GET' ? this.head : `${this.head}${Buffer.byteLength(body)}\r\n\r\n${body}`;
    connection.request(request, timeoutMs, (outcome) => {
      if (outcome.kind === 'answer' && connection.reusable) this.idle.push(connection);
      else this.drop(connection);
      done(outcome);
    });
  }

  close(): void {
    for (const connection of this.all) connection.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }

  private open(): Connection {
    const connection = new Connection(net.connect(Number(this.url.port), this.url.hostname));
    connection.socket.on('close', () => this.drop(connection));
    this.all.add(connection);
    return connection;
  }

  private drop(connection: Connection): void {
    connection.socket.destroy();
    this.all.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
  }
}

class Connection {
  reusable = true;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: ((outcome: Outcome) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('error', () => this.finish({ kind: 'error' }));
    socket.on('close', () => this.finish({ kind: 'error' }));
  }

  request(bytes: string, timeoutMs: number, done: (outcome: Outcome) => void): void {
    this.pending = done;
    this.timer = setTimeout(() => this.finish({ kind: 'timeout' }), timeoutMs);
    this.socket.write(bytes);
  }

  private parse(): void {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
    if (Number.isNaN(length)) {
      this.finish({ kind: 'error' }); // chunked or no length: not what the bot answers
      return;
    }
    if (this.buffer.length < end + 4 + length) return;
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    if (/\r\nconnection: *close/i.test(head)) this.reusable = false;
    this.finish({ kind: 'answer', status: Number(head.slice(9, 12)), body });
  }

  private finish(outcome: Outcome): void {
    const done = this.pending;
    if (!done) return;
    this.pending = undefined;
    clearTimeout(this.timer);
    if (outcome.kind !== 'answer') this.reusable = false;
    done(outcome);
  }
}
