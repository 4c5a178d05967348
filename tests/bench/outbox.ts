// `npm run bench:outbox`: sustained sending against the Feishu simulator with Feishu's limits switched on.
// 3,000 messages to 300 people are queued in PostgreSQL, then the service (its own process) sends them; this process
// plays Feishu and counts what arrives per minute and how many requests it answered with 429.
// Bar (engineering.md): ≥ 950 messages/min sustained with no 429. BENCH_DURATION=seconds (default 120) bounds the run.
import { openDatabase } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { startFeishuSim } from '../../src/dev/feishu-sim/index.js';
import { enqueueMessages } from '../../src/feishu/outbox.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { spawnService, waitUntilReady } from '../support/process.js';
import { describeMachine } from './machine.js';

const duration = Number(process.env.BENCH_DURATION ?? 120);
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MESSAGES = 3000;
const USERS = 300;

console.log(`bench:outbox on ${describeMachine()}`);
const sim = await startFeishuSim({ rateLimits: true });
for (let i = 0; i < USERS; i++) sim.addUser({ openId: `ou_out_${i}`, name: `用户${i}` });
const fresh = await createFreshPostgresDatabase(serverUrl);
try {
  const database = await openDatabase({ databaseUrl: fresh.url, dataDir: '' });
  await applyMigrations(database);
  for (let start = 0; start < MESSAGES; start += 500) {
    await enqueueMessages(
      database.db,
      Array.from({ length: Math.min(500, MESSAGES - start) }, (_, k) => ({
        to: { openId: `ou_out_${(start + k) % USERS}` },
        msgType: 'text' as const,
        content: { text: `隐患整改提醒 #${start + k}` },
      })),
    );
  }
  await database.close();

  const proc = await spawnService({
    DATABASE_URL: fresh.url,
    LOG_LEVEL: 'warn',
    FEISHU_APP_ID: sim.appId,
    FEISHU_APP_SECRET: sim.appSecret,
    FEISHU_BASE_URL: sim.url,
    FEISHU_VERIFICATION_TOKEN: sim.verificationToken,
  });
  await waitUntilReady(proc, 60_000);
  const started = Date.now();
  const perSecond: number[] = [];
  let last = 0;
  while (Date.now() - started < duration * 1000 && last < MESSAGES) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = sim.messages().length;
    perSecond.push(now - last);
    last = now;
  }
  proc.child.kill('SIGTERM');
  await proc.exited;

  // Skip the first 5 s (token, leadership, the initial burst) and measure the steady state.
  const steady = perSecond.slice(5);
  const perMinute = (steady.reduce((a, b) => a + b, 0) / steady.length) * 60;
  let maxMinute = 0;
  for (let i = 0; i + 60 <= perSecond.length; i++) {
    maxMinute = Math.max(
      maxMinute,
      perSecond.slice(i, i + 60).reduce((a, b) => a + b, 0),
    );
  }
  const stats = sim.stats();
  console.log(
    `sent ${last} of ${MESSAGES} in ${perSecond.length} s; steady ${Math.round(perMinute)} messages/min; ` +
      `busiest 60 s window ${maxMinute || 'n/a (run shorter than 60 s)'}; peak second ${Math.max(...perSecond)}; ` +
      `429 answers ${stats.rateLimited} — bar ≥ 950/min with no 429: ${perMinute >= 950 && stats.rateLimited === 0 ? 'MET' : 'MISSED'}`,
  );
} finally {
  await sim.close();
  await fresh.drop();
}
