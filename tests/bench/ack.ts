// `npm run bench:ack`: the Feishu event ack path (verify the token + durable dedupe + 200) under a fixed request rate.
// The service runs as its own process (as in production); this process sends the events, evenly spaced and without
// waiting for answers (open loop, see open-loop.ts), after a 3 s warm-up at the same rate, and also plays Feishu's
// Open Platform (the simulator) for the replies the events cause.
// Bars (engineering.md): PostgreSQL p99 ≤ 15 ms at 1,000 req/s for 60 s, no errors; PGlite p99 ≤ 50 ms at 200 req/s.
// Besides latency it prints what the service says of itself (rows per group-commit INSERT, GC, event-loop delay),
// PostgreSQL commits and rows per event, CPU per side, and the box's pressure (PSI) over the run: on a shared box the
// percentiles say as much about the neighbours as about us. SERVICE_NODE_ARGS passes flags to the service's node.
// BENCH_DURATION=seconds shortens the runs; BENCH_ONLY=postgres|pglite runs one; BENCH_RATE overrides PostgreSQL's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startFeishuSim } from '../../src/dev/feishu-sim/index.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { spawnService, waitUntilReady } from '../support/process.js';
import { cpuSecondsOf, cpuSecondsOfPid, describeMachine, describePressure, readPressure } from './machine.js';
import { runOpenLoop } from './open-loop.js';

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

  // CPU over the whole run, warm-up included: what each side of the socket costs per event.
  const statsBefore = await databaseStats(database);
  const pressureBefore = readPressure();
  const cpuBefore = {
    service: cpuSecondsOfPid(proc.child.pid!),
    postgres: cpuSecondsOf('postgres'),
    bench: process.cpuUsage(),
  };
  const result = await runOpenLoop({
    url: `${proc.url}/feishu/events`,
    rate,
    seconds: duration,
    warmupSeconds: 3,
    body: () => body(),
  });
  const cpu = {
    service: cpuSecondsOfPid(proc.child.pid!) - cpuBefore.service,
    postgres: label === 'postgres' ? cpuSecondsOf('postgres') - cpuBefore.postgres : 0,
    bench: (() => {
      const used = process.cpuUsage(cpuBefore.bench);
      return (used.user + used.system) / 1e6;
    })(),
  };
  const pressure = describePressure(pressureBefore, readPressure());
  const stats = await databaseStats(database);
  // One scrape: prom-client resets its event-loop delay histogram at each.
  const metricsText = await (await fetch(`${proc.url}/metrics`)).text();
  const serverP99 = serverSideP99(metricsText);
  const inside = serviceInsides(metricsText, duration + 3);
  proc.child.kill('SIGTERM');
  await proc.exited;
  await sim.close();

  const errors = result.errors + result.timeouts + result.non2xx;
  const { p50, p90, p99, max } = result.latencyMs;
  console.log(
    `${label.padEnd(10)} server side (the service's own request histogram, whole run): 99% of acks within ${serverP99}`,
  );
  console.log(
    `${label.padEnd(10)} ${rate} req/s × ${duration} s: sent ${result.sent}, p50 ${p50} ms, p90 ${p90} ms, ` +
      `p99 ${p99} ms, max ${max} ms, errors ${errors} (non-2xx ${result.non2xx}, timeouts ${result.timeouts}); ` +
      `the generator sent late by ≤ ${result.sendLagMs.p99} ms (p99) — ` +
      `bar p99 ≤ ${barMs} ms: ${p99 <= barMs && errors === 0 ? 'MET' : 'MISSED'}`,
  );
  console.log(`${label.padEnd(10)} inside the service (whole run): ${inside}`);
  if (stats && statsBefore) {
    const per = (n: number) => (n / (result.sent * ((duration + 3) / duration))).toFixed(2);
    console.log(
      `${label.padEnd(10)} PostgreSQL per event (whole run): ${per(stats.commits - statsBefore.commits)} commits, ` +
        `${per(stats.inserted - statsBefore.inserted)} rows inserted, ${per(stats.updated - statsBefore.updated)} updated`,
    );
  }
  console.log(`${label.padEnd(10)} box load during the run (other processes included): ${pressure}`);
  const seconds = duration + 3;
  const share = (s: number) => `${s.toFixed(1)} s (${Math.round((100 * s) / seconds)}% of a core)`;
  console.log(
    `${label.padEnd(10)} CPU over the run with warm-up: service ${share(cpu.service)}` +
      (label === 'postgres' ? `, PostgreSQL ${share(cpu.postgres)}` : '') +
      `, this generator and simulator ${share(cpu.bench)}; the box has 2 × ${seconds} s`,
  );
}

/**
 * The service's histogram of /feishu/events durations: the smallest bucket holding 99% of the answers (a cross-check
 * of the generator's figures from the other side of the socket; it includes the warm-up).
 */
function serverSideP99(text: string): string {
  const buckets = [
    ...text.matchAll(
      /http_request_duration_seconds_bucket\{le="([^"]+)",method="POST",route="\/feishu\/events",status_code="200"\} (\d+)/g,
    ),
  ].map((m) => ({ le: m[1]!, n: Number(m[2]) }));
  const total = buckets.find((b) => b.le === '+Inf')?.n ?? 0;
  const bucket = buckets.find((b) => b.n >= total * 0.99);
  return bucket ? (bucket.le === '+Inf' ? 'over 5 s' : `${Number(bucket.le) * 1000} ms`) : 'n/a';
}

/** The bench database's own transaction and row counters (pg_stat_database; PostgreSQL only). */
async function databaseStats(database: Record<string, string>) {
  if (!database.DATABASE_URL) return undefined;
  const client = new pg.Client({ connectionString: database.DATABASE_URL });
  await client.connect();
  try {
    // Counters reach pg_stat_database within a second of a transaction's end; a fresh snapshot each time.
    await client.query('select pg_stat_clear_snapshot()');
    const {
      rows: [row],
    } = await client.query<{ commits: string; inserted: string; updated: string }>(
      `select xact_commit as commits, tup_inserted as inserted, tup_updated as updated
       from pg_stat_database where datname = current_database()`,
    );
    return { commits: Number(row?.commits), inserted: Number(row?.inserted), updated: Number(row?.updated) };
  } finally {
    await client.end();
  }
}

/**
 * What the service says about itself: how well group commit grouped (rows per INSERT, INSERTs a second), the time
 * its garbage collector took, and how late its event loop ran (prom-client's default metrics, 10 ms resolution).
 */
function serviceInsides(text: string, seconds: number): string {
  const value = (pattern: RegExp) => [...text.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
  const flushes = value(/^feishu_inbound_flush_rows_count (\S+)$/gm);
  const rows = value(/^feishu_inbound_flush_rows_sum (\S+)$/gm);
  const gc = (kind: string) =>
    `${value(new RegExp(`^nodejs_gc_duration_seconds_count\\{kind="${kind}"\\} (\\S+)$`, 'gm'))} ${kind} ` +
    `(${value(new RegExp(`^nodejs_gc_duration_seconds_sum\\{kind="${kind}"\\} (\\S+)$`, 'gm')).toFixed(2)} s)`;
  const lag = (name: string) =>
    `${(value(new RegExp(`^nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'gm')) * 1000).toFixed(1)} ms`;
  return (
    `${flushes} INSERTs (${Math.round(flushes / seconds)}/s) of ${(rows / Math.max(1, flushes)).toFixed(1)} rows on average; ` +
    `GC ${gc('minor')}, ${gc('incremental')}, ${gc('major')}; event-loop delay p99 ${lag('p99')}, max ${lag('max')}`
  );
}

console.log(`bench:ack on ${describeMachine()}; events: ${eventType} (each text answered by the bot)`);
const only = process.env.BENCH_ONLY;
if (only !== 'pglite') {
  const fresh = await createFreshPostgresDatabase(serverUrl);
  try {
    await run('postgres', Number(process.env.BENCH_RATE ?? 1000), 15, { DATABASE_URL: fresh.url });
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
