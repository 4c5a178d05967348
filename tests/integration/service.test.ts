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
