// `npm run bench:ack`: the Feishu event ack path (verify the token + durable dedupe + 200) under a fixed request rate.
// The service runs as its own process (as in production); this process drives it with autocannon and also plays
// Feishu's Open Platform (the simulator) for the replies the events cause.
// Bars (engineering.md): PostgreSQL p99 ≤ 25 ms at 1,000 req/s for 60 s, no errors; PGlite p99 ≤ 50 ms at 200 req/s.
// BENCH_DURATION=seconds shortens the runs; BENCH_ONLY=postgres|pglite runs one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startFeishuSim } from '../../src/dev/feishu-sim/index.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { spawnService, waitUntilReady } from '../support/process.js';
import { describeMachine } from './machine.js';

const duration = Number(process.env.BENCH_DURATION ?? 60);
// BENCH_EVENT=unhandled sends an event type the bot does not handle: the ack path alone, with no work behind it.
const eventType = process.env.BENCH_EVENT === 'unhandled' ? 'im.chat.updated_v1' : 'im.message.receive_v1';
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function run(label: string, rate: number, barMs: number, database: Record<string, string>) {
  const sim = await startFeishuSim();
  const users = 500;
  for (let i = 0; i < users; i++) sim.addUser({ openId: `ou_bench_${i}`, name: `用户${i}` });
  const proc = await spawnService({
    ...database,
    LOG_LEVEL: 'warn',
    FEISHU_APP_ID: sim.appId,
    FEISHU_APP_SECRET: sim.appSecret,
    FEISHU_BASE_URL: sim.url,
    FEISHU_VERIFICATION_TOKEN: sim.verificationToken,
  });
  await waitUntilReady(proc, 60_000);
  sim.setBotUrl(`${proc.url}/feishu/events`);

  let n = 0;
  // Every request is a new text message from one of 500 people: a new event_id and a new message_id each time.
  const body = () => {
    n++;
    return JSON.stringify({
      schema: '2.0',
      header: {
        event_id: `bench-${label}-${n}-${Date.now()}`,
        event_type: eventType,
        create_time: String(Date.now()),
        token: sim.verificationToken,
        app_id: sim.appId,
        tenant_key: 'bench',
      },
      event: {
        sender: { sender_id: { open_id: `ou_bench_${n % users}` }, sender_type: 'user', tenant_key: 'bench' },
        message: {
          message_id: `om_bench_${label}_${n}_${Date.now()}`,
          chat_id: `oc_p2p_ou_bench_${n % users}`,
          chat_type: 'p2p',
          message_type: 'text',
          content: JSON.stringify({ text: '今天的隐患情况怎么样' }),
          create_time: String(Date.now()),
        },
      },
    });
  };

  const result = await autocannon({
    url: `${proc.url}/feishu/events`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: Math.min(100, Math.max(10, rate / 10)),
    overallRate: rate,
    duration,
    requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
  });
  const serverP99 = await serverSideP99(proc.url);
  proc.child.kill('SIGTERM');
  await proc.exited;
  await sim.close();

  const errors = result.errors + result.timeouts + result.non2xx;
  const p99 = result.latency.p99;
  console.log(
    `${label.padEnd(10)} server side (the service's own request histogram, without the load generator's delays): ` +
      `99% of acks within ${serverP99}`,
  );
  console.log(
    `${label.padEnd(10)} ${rate} req/s × ${duration} s: sent ${result.requests.total}, ` +
      `p50 ${result.latency.p50} ms, p90 ${result.latency.p90} ms, p99 ${p99} ms, max ${result.latency.max} ms, ` +
      `errors ${errors} (non-2xx ${result.non2xx}, timeouts ${result.timeouts}) — bar p99 ≤ ${barMs} ms: ${p99 <= barMs && errors === 0 ? 'MET' : 'MISSED'}`,
  );
}

/**
 * The service's histogram of /feishu/events durations: the smallest bucket holding 99% of the answers. autocannon's
 * own figures include the time its requests wait in the load generator, which shares the two cores.
 */
async function serverSideP99(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = [
    ...text.matchAll(
      /http_request_duration_seconds_bucket\{le="([^"]+)",method="POST",route="\/feishu\/events",status_code="200"\} (\d+)/g,
    ),
  ].map((m) => ({ le: m[1]!, n: Number(m[2]) }));
  const total = buckets.find((b) => b.le === '+Inf')?.n ?? 0;
  const bucket = buckets.find((b) => b.n >= total * 0.99);
  return bucket ? (bucket.le === '+Inf' ? 'over 5 s' : `${Number(bucket.le) * 1000} ms`) : 'n/a';
}

console.log(`bench:ack on ${describeMachine()}; events: ${eventType} (each text answered by the bot)`);
const only = process.env.BENCH_ONLY;
if (only !== 'pglite') {
  const fresh = await createFreshPostgresDatabase(serverUrl);
  try {
    await run('postgres', 1000, 25, { DATABASE_URL: fresh.url });
  } finally {
    await fresh.drop();
  }
}
if (only !== 'postgres') {
  const dir = mkdtempSync(path.join(tmpdir(), 'hazard-bot-bench-'));
  try {
    await run('pglite', 200, 50, { DATA_DIR: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
