import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { inboundEvents } from '../../src/db/schema/index.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { killLeftoverServices, spawnService, waitUntilReady } from '../support/process.js';

describe('the service as a process', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hazard-bot-data-'));
  afterEach(killLeftoverServices);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses an invalid environment naming every bad variable, without a stack trace', async () => {
    const proc = await spawnService({ PORT: 'abc', DATABASE_URL: 'mysql://x/y', FEISHU_EVENT_MODE: 'carrier-pigeon' });
    const code = await proc.exited;
    expect(code).not.toBe(0);
    const output = proc.output();
    expect(output).toContain('PORT');
    expect(output).toContain('DATABASE_URL');
    expect(output).toContain('FEISHU_EVENT_MODE');
    expect(output).not.toMatch(/^\s+at /m);
  });

  it('creates the data dir, keeps data across a restart, and exits 0 on SIGTERM', async () => {
    const dir = path.join(dataDir, 'nested', 'data');
    const first = await spawnService({ DATA_DIR: dir });
    await waitUntilReady(first);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // Write a row while the service is down, then check a restart neither loses it nor re-runs migrations.
    const offline = await openDatabase({ dataDir: dir });
    await offline.db
      .insert(inboundEvents)
      .values({ eventId: 'evt-restart-check', eventType: 'test', payload: {}, status: 'done' });
    await offline.close();

    const second = await spawnService({ DATA_DIR: dir });
    const readyMs = await waitUntilReady(second);
    // The bar is 3 s on an idle dev machine (README); this runs beside the rest of the suite on two cores, where
    // loading the modules alone has taken 2.5–3 s, so it only catches a start-up that has gone badly wrong.
    expect(readyMs).toBeLessThan(10_000);
    const stopStarted = performance.now();
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(performance.now() - stopStarted).toBeLessThan(10_000);

    const after = await openDatabase({ dataDir: dir });
    const rows = await after.db.select().from(inboundEvents);
    await after.close();
    expect(rows.map((r) => r.eventId)).toEqual(['evt-restart-check']);
  }, 60_000);

  it('refuses to open an embedded data dir that another live process holds', async () => {
    const dir = path.join(dataDir, 'shared');
    const first = await spawnService({ DATA_DIR: dir });
    await waitUntilReady(first);
    const second = await spawnService({ DATA_DIR: dir });
    expect(await second.exited).not.toBe(0);
    expect(second.output()).toContain('is in use by process');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  }, 60_000);

  const serverUrl = process.env.TEST_DATABASE_URL;
  it.skipIf(!serverUrl)(
    'two replicas started together against an empty PostgreSQL database both come up; migrations run once',
    async () => {
      const { url, drop } = await createFreshPostgresDatabase(serverUrl as string);
      try {
        const [a, b] = await Promise.all([spawnService({ DATABASE_URL: url }), spawnService({ DATABASE_URL: url })]);
        await Promise.all([waitUntilReady(a), waitUntilReady(b)]);
        const client = postgres(url, { max: 1 });
        const applied = await client`select hash from drizzle.__drizzle_migrations`;
        const tables =
          await client`select count(*)::int as n from information_schema.tables where table_name = 'outbox'`;
        await client.end();
        const { readdirSync } = await import('node:fs');
        const files = readdirSync('drizzle').filter((f) => f.endsWith('.sql'));
        expect(applied.length).toBe(files.length);
        expect(new Set(applied.map((r) => r.hash)).size).toBe(files.length);
        expect(tables[0]?.n).toBe(1);
        a.child.kill('SIGTERM');
        b.child.kill('SIGTERM');
        expect(await a.exited).toBe(0);
        expect(await b.exited).toBe(0);
      } finally {
        await drop();
      }
    },
    60_000,
  );
});
