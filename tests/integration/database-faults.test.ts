/**
 * The database goes away and comes back — its backends terminated (a pooler reset, a failover), the server
 * restarted — and the service rides through: the process stays up, events that could not be stored are answered
 * 5xx so Feishu sends them again, `/readyz` says 503 while the server is away, connections are made anew, and every
 * event is answered exactly once. The service runs as its own process, as in production. PostgreSQL only.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { type FeishuSim, startFeishuSim } from '../../src/dev/feishu-sim/index.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { type RunningProcess, spawnService, waitUntilReady } from '../support/process.js';
import { eventually } from '../support/service.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../support/throwaway-cluster.js';

const serverUrl = process.env.TEST_DATABASE_URL;
const USERS = 20;

/**
 * `count` texts from the users, `spacingMs` apart, each delivered as Feishu does: again after an answer other than
 * 200, until it is acknowledged. Answers the user messages' ids, how many deliveries were refused on the way, and
 * the slowest answer to a delivery (Feishu gives up on an answer after 3 s).
 */
async function chatter(sim: FeishuSim, count: number, spacingMs: number) {
  const ids: string[] = [];
  let refused = 0;
  let slowest = 0;
  const timed = async <T>(delivery: Promise<T>) => {
    const started = performance.now();
    const answer = await delivery;
    slowest = Math.max(slowest, performance.now() - started);
    return answer;
  };
  const deliveries: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    deliveries.push(
      (async () => {
        const first = await timed(sim.sendText(`ou_user_${i % USERS}`, `你好 ${i}`));
        ids.push(first.messageId!);
        let delivery = first;
        const deadline = Date.now() + 60_000;
        while (delivery.status !== 200) {
          refused += 1;
          if (Date.now() > deadline) throw new Error(`event ${first.eventId} never acknowledged`);
          await new Promise((resolve) => setTimeout(resolve, 200));
          delivery = await timed(sim.deliver(first.envelope!));
        }
      })(),
    );
    await new Promise((resolve) => setTimeout(resolve, spacingMs));
  }
  await Promise.all(deliveries);
  return { ids, refused: () => refused, slowest: () => slowest };
}

/** Every user message answered, and answered once (the bot's replies name their parent message). */
async function expectEachAnsweredOnce(sim: FeishuSim, ids: string[]) {
  const answersTo = () => {
    const counts = new Map<string, number>();
    for (const m of sim.messages()) {
      if (m.senderType === 'app' && m.parentId) counts.set(m.parentId, (counts.get(m.parentId) ?? 0) + 1);
    }
    return counts;
  };
  await eventually(() => ids.every((id) => answersTo().has(id)) || undefined, 60_000, 'an answer to every message');
  // A little longer: a second answer to any of them would show up now.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const counts = answersTo();
  expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]);
}

async function startBot(databaseUrl: string) {
  const sim = await startFeishuSim();
  for (let i = 0; i < USERS; i++) sim.addUser({ openId: `ou_user_${i}`, name: `用户${i}` });
  const proc = await spawnService({
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    FEISHU_APP_ID: sim.appId,
    FEISHU_APP_SECRET: sim.appSecret,
    FEISHU_BASE_URL: sim.url,
    FEISHU_VERIFICATION_TOKEN: sim.verificationToken,
  });
  await waitUntilReady(proc, 60_000);
  sim.setBotUrl(`${proc.url}/feishu/events`);
  return { sim, proc };
}

const readyz = async (proc: RunningProcess) => (await fetch(`${proc.url}/readyz`)).status;

describe.skipIf(!serverUrl)('when PostgreSQL goes away (PostgreSQL only)', () => {
  describe('its backends terminated in the middle of traffic', () => {
    let database: { url: string; drop(): Promise<void> };
    let bot: Awaited<ReturnType<typeof startBot>>;
    let admin: pg.Client;
    beforeAll(async () => {
      database = await createFreshPostgresDatabase(serverUrl!);
      bot = await startBot(database.url);
      admin = new pg.Client({ connectionString: serverUrl! });
      await admin.connect();
    });
    afterAll(async () => {
      if (process.env.DEBUG_FAULTS) console.log(bot?.proc.output());
      bot?.proc.child.kill('SIGTERM');
      await bot?.proc.exited;
      await bot?.sim.close();
      await admin?.end();
      await database?.drop();
    });

    it('stays up, makes its connections anew and answers every event once', async () => {
      const name = new URL(database.url).pathname.slice(1);
      const terminate = async () =>
        (
          await admin.query(
            `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
            [name],
          )
        ).rows;
      const traffic = chatter(bot.sim, 200, 15);
      let terminated = 0;
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 400));
        terminated += (await terminate()).length;
      }
      const { ids, slowest } = await traffic;
      expect(terminated).toBeGreaterThan(5);
      expect(slowest()).toBeLessThan(3000);
      await expectEachAnsweredOnce(bot.sim, ids);
      // Idle too: the outbox sender's and the sweep's own connections are terminated as well.
      await terminate();
      await new Promise((resolve) => setTimeout(resolve, 6000));
      expect(bot.proc.child.exitCode).toBeNull();
      expect(await readyz(bot.proc)).toBe(200);
      const after = await chatter(bot.sim, 5, 10);
      await expectEachAnsweredOnce(bot.sim, after.ids);
      expect(bot.proc.output()).not.toContain('shutting down after an error');
      expect(bot.proc.output()).not.toContain("reading 'write'");
      // Failed inserts were logged (the terminated backends), without the events they carried: neither the
      // Verification Token nor the people's words reach the log.
      expect(bot.proc.output()).not.toContain(bot.sim.verificationToken);
      expect(bot.proc.output()).not.toMatch(/你好 \d+/);
    }, 120_000);
  });

  describe('the server restarted (a throwaway cluster of its own)', () => {
    let cluster: ThrowawayCluster | null;
    let bot: Awaited<ReturnType<typeof startBot>>;
    beforeAll(async () => {
      cluster = await startThrowawayCluster();
      if (cluster) bot = await startBot(cluster.url);
    }, 60_000);
    afterAll(async () => {
      if (process.env.DEBUG_FAULTS) console.log(bot?.proc.output());
      bot?.proc.child.kill('SIGTERM');
      await bot?.proc.exited;
      await bot?.sim.close();
      await cluster?.destroy();
    });

    it('answers 503 while it is away, takes events again once it is back, and answers each once', async (context) => {
      if (!cluster) return context.skip();
      const before = await chatter(bot.sim, 20, 10);
      await expectEachAnsweredOnce(bot.sim, before.ids);

      await cluster.stop();
      await eventually(async () => (await readyz(bot.proc)) === 503 || undefined, 10_000, '/readyz 503');
      // Events arriving while the server is down are refused (5xx), and Feishu sends them again.
      const during = chatter(bot.sim, 20, 50);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(bot.proc.child.exitCode).toBeNull();
      await cluster.start();
      const { ids, refused, slowest } = await during;
      expect(refused()).toBeGreaterThan(0);
      // Refused at once, not left waiting for a server that is not there.
      expect(slowest()).toBeLessThan(3000);
      await eventually(async () => (await readyz(bot.proc)) === 200 || undefined, 30_000, '/readyz 200');
      await expectEachAnsweredOnce(bot.sim, ids);
      expect(bot.proc.child.exitCode).toBeNull();
      expect(bot.proc.output()).not.toContain('shutting down after an error');
    }, 120_000);
  });

  it('closes within seconds even while a statement is still running (a server that does not answer)', async () => {
    const { url, drop } = await createFreshPostgresDatabase(serverUrl!);
    try {
      const database = await openDatabase({ databaseUrl: url, dataDir: '' });
      await database.ping();
      const stuck = database.db.execute(sql`select pg_sleep(20)`).then(
        () => 'finished',
        () => 'failed',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = performance.now();
      await database.close();
      const closedIn = performance.now() - started;
      expect(closedIn).toBeGreaterThan(4000);
      expect(closedIn).toBeLessThan(8000);
      // Its connection was dropped: the statement failed rather than hanging on.
      expect(await stuck).toBe('failed');
    } finally {
      await drop();
    }
  }, 30_000);
});
