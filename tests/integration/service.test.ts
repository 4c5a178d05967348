import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.js';

describe('the service foundation', () => {
  let service: TestService;
  let slowStarted: () => void;
  const slowRequestArrived = new Promise<void>((resolve) => {
    slowStarted = resolve;
  });

  beforeAll(async () => {
    service = await startTestService(
      {},
      {
        // A route that takes 600 ms, to prove shutdown lets in-flight requests finish.
        configure: (app) => {
          app.get('/test/slow', async () => {
            slowStarted();
            await sleep(600);
            return { done: true };
          });
        },
      },
    );
  });
  afterAll(async () => {
    await service.stop();
  });

  it('answers liveness without touching the database', async () => {
    const response = await fetch(`${service.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('is ready once migrations are applied and says which database it uses', async () => {
    const response = await fetch(`${service.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready' });
    const applied = await service.deps.database.db.execute(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    expect(
      (applied as unknown as { rows?: { n: number }[] }).rows?.[0]?.n ?? (applied as unknown as { n: number }[])[0]?.n,
    ).toBeGreaterThan(0);
  });

  it('exposes default metrics and a request histogram by route', async () => {
    await fetch(`${service.url}/healthz`);
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} \d+/);
  });

  it('answers unknown routes with a 404 in the error format', async () => {
    const response = await fetch(`${service.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: 'not_found', message: '没有这个接口：GET /nope（no route GET /nope）' },
    });
  });

  it('answers odd requests with the usual error body: a long path parameter, a raw non-ASCII query, a big body', async () => {
    const { connect } = await import('node:net');
    // Raw bytes on a socket, as a careless client sends them: fetch and node:http would encode the URL for us.
    const raw = (path: string, body?: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(service.url);
        const socket = connect(Number(url.port), url.hostname);
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk;
        });
        socket.on('error', reject);
        socket.on('end', () => {
          const [head = '', ...rest] = text.split('\r\n\r\n');
          resolve({ status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n') });
        });
        const lines = [`${body ? 'POST' : 'GET'} ${path} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close'];
        for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
        if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
        socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), Buffer.from(body ?? '')]));
      });
    const longParam = await raw(`/api/hazards/${'Y'.repeat(500)}`, undefined, { authorization: 'Bearer x' });
    expect(longParam.status).toBeGreaterThanOrEqual(400);
    expect(longParam.status).toBeLessThan(500);
    expect(JSON.parse(longParam.body)).toMatchObject({
      error: { code: expect.any(String), message: expect.any(String) },
    });

    const nonAscii = await raw('/api/hazards?enterprise=城关化工');
    expect(nonAscii.status).toBeGreaterThanOrEqual(400);
    expect(nonAscii.status).toBeLessThan(500);
    expect(JSON.parse(nonAscii.body)).toMatchObject({ error: { code: expect.any(String) } });

    const big = await raw('/feishu/events', JSON.stringify({ padding: 'x'.repeat(1_100_000) }), {
      'content-type': 'application/json',
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({
      error: { code: 'body_too_large', message: expect.stringContaining('请求体过大') },
    });
  });

  it('finishes in-flight requests on shutdown, then refuses new ones', async () => {
    const inFlight = fetch(`${service.url}/test/slow`);
    await slowRequestArrived;
    const stopping = service.shutdown();
    // While closing, readiness is gone (the route answers 503 or the connection is refused).
    const readiness = await fetch(`${service.url}/readyz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(readiness);
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    await stopping;
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
  });
});
