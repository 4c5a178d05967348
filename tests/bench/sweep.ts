// `npm run bench:sweep`: the reminder sweep over 1,000,000 open hazards, all due, on PostgreSQL.
// A fresh database of its own (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres), dropped after.
// Bar (engineering.md): all claimed and written to the outbox in ≤ 20 s, batches ≤ 250 ms; an empty sweep ≤ 10 ms.
// BENCH_HAZARDS (default 1000000), BENCH_BATCH (hazards per batch, default: the sweep's own), BENCH_CONCURRENCY (default 2),
// BENCH_SCENARIO: `unacknowledged` (default: assigned 2 days ago, not acknowledged → one card to the responsible
// person) or `overdue` (deadline passed yesterday → card + @ to the responsible person and the township leader);
// BENCH_SOURCE: `changed` (default: the hazards are new to the sweep, read as changed ones) or `catchup` (a sweep
// saw them all the evening before their step fell due: read by the step's range, as after downtime).
// After the full sweep, the same run times a bare set-based INSERT … SELECT of the same rows (see below) and prints
// the sweep's time as a multiple of it: how far the sweep is from what PostgreSQL alone needs to write its output.
import { sql } from 'drizzle-orm';
import { type Db, openDatabase } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { rowsOf } from '../../src/db/rows.js';
import { createCalendar, DEFAULT_POLICY } from '../../src/domain/index.js';
import { DEFAULT_BATCH, ReminderSweep } from '../../src/reminders/sweep/index.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { cpuSecondsOf, describeMachine, describePressure, percentile, readPressure } from './machine.js';

const HAZARDS = Number(process.env.BENCH_HAZARDS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_BATCH ?? DEFAULT_BATCH);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 2);
const SCENARIO = process.env.BENCH_SCENARIO === 'overdue' ? 'overdue' : 'unacknowledged';
const SOURCE = process.env.BENCH_SOURCE === 'catchup' ? 'catchup' : 'changed';
const TOWNSHIPS = 20;
const ENTERPRISES = 2000;
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The server's WAL insert position: what a sweep writes to WAL is most of what it costs. */
async function walPosition(db: Db): Promise<string> {
  const rows = rowsOf<{ lsn: string }>(await db.execute(sql`select pg_current_wal_insert_lsn()::text as lsn`));
  return rows[0]!.lsn;
}

async function walBytesSince(db: Db, since: string): Promise<number> {
  const rows = rowsOf<{ bytes: string }>(
    await db.execute(sql`select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), ${since}::pg_lsn)::text as bytes`),
  );
  return Number(rows[0]!.bytes);
}

const at = new Date('2026-06-15T10:00:00+08:00');
console.log(`bench:sweep on ${describeMachine()}`);
console.log(
  `${HAZARDS.toLocaleString()} open hazards, scenario ${SCENARIO}, read as ${SOURCE}, batches of ${BATCH}, ${CONCURRENCY} in flight`,
);

const fresh = await createFreshPostgresDatabase(serverUrl);
const database = await openDatabase({ databaseUrl: fresh.url, dataDir: '', poolSize: CONCURRENCY + 2 });
try {
  await applyMigrations(database);
  const db = database.db;
  const t0 = performance.now();
  await db.execute(sql`insert into regions (code, name, level) values ('cty', '某县', 1)`);
  await db.execute(sql`
    insert into regions (code, name, parent_id, level)
    select 'town-' || n, '乡镇' || n, (select id from regions where code = 'cty'), 2 from generate_series(1, ${TOWNSHIPS}) n`);
  await db.execute(sql`insert into departments (code, name, sectors) values ('yjj', '县应急管理局', '{工贸}')`);
  await db.execute(sql`
    insert into people (code, name, open_id) select 'p' || n, '人员' || n, 'ou_bench_' || n
    from generate_series(1, ${ENTERPRISES + TOWNSHIPS + 1}) n`);
  await db.execute(sql`
    insert into role_assignments (person_id, role, scope_kind, scope_id)
    select p.id, 'township_leader_in_charge', 'region', r.id from regions r
    join people p on p.code = 'p' || (${ENTERPRISES} + substring(r.code from 6)::int) where r.code like 'town-%'`);
  await db.execute(sql`
    insert into enterprises (code, name, region_id, department_id, principal_id)
    select 'e' || n, '企业' || n, (select id from regions where code = 'town-' || (1 + n % ${TOWNSHIPS})),
      (select id from departments where code = 'yjj'), (select id from people where code = 'p' || n)
    from generate_series(1, ${ENTERPRISES}) n`);
  const deadline = SCENARIO === 'overdue' ? '2026-06-13' : '2026-06-30';
  const acknowledged = SCENARIO === 'overdue' ? sql`'2026-06-01T11:00:00+08:00'::timestamptz` : sql`null`;
  await db.execute(sql`
    insert into hazards (code, year, sequence, enterprise_id, region_id, department_id, sector, grade, status,
      description, location, measures, standard, deadline, deadline_set_at, responsible_id, reporter_id,
      reported_at, assigned_at, acknowledged_at)
    select 'YH-2026-' || lpad(n::text, 7, '0'), 2026, n, e.id, e.region_id, e.department_id, '工贸', 'general',
      'rectifying', '配电箱未接地，电缆老化', '车间', '更换电缆并接地', '验收合格', ${deadline}::date,
      '2026-06-01T10:00:00+08:00', e.principal_id, e.principal_id,
      '2026-06-01T10:00:00+08:00', '2026-06-13T09:00:00+08:00', ${acknowledged}
    from generate_series(1, ${HAZARDS}) n join enterprises e on e.code = 'e' || (1 + n % ${ENTERPRISES})`);
  if (SOURCE === 'catchup') {
    // As a sweep at 23:00 the day before leaves it: every hazard evaluated, every step swept up to then.
    const before = '2026-06-13T23:00:00+08:00';
    await db.execute(sql`update reminder_sweep_state set changed_since = pg_snapshot_xmin(pg_current_snapshot()),
      swept_at = ${before}::timestamptz,
      steps_swept_until = (select jsonb_object_agg(id, ${before}::timestamptz) from unnest(${`{${DEFAULT_POLICY.steps.map((s) => s.id).join(',')}}`}::text[]) id)`);
  }
  await db.execute(sql`vacuum analyze`);
  console.log(`setup: ${Math.round((performance.now() - t0) / 1000)} s (hazards inserted set-based)`);

  const sweep = new ReminderSweep({
    db,
    kind: 'postgres',
    policy: DEFAULT_POLICY,
    calendar: createCalendar(),
    // No web view, as the figures in docs/benchmarks.md were measured (PUBLIC_URL adds a 查看详情 link to each card).
    links: undefined,
  });
  const walBefore = await walPosition(db);
  const serverCpuBefore = cpuSecondsOf('postgres');
  const nodeCpuBefore = process.cpuUsage();
  const pressureBefore = readPressure();
  const full = await sweep.run({ at, batchSize: BATCH, concurrency: CONCURRENCY, maxListed: 0 });
  const nodeCpu = process.cpuUsage(nodeCpuBefore);
  const serverCpu = cpuSecondsOf('postgres') - serverCpuBefore;
  const pressure = describePressure(pressureBefore, readPressure());
  const walBytes = await walBytesSince(db, walBefore);
  const outbox = await db.execute<{ n: number }>(sql`select count(*)::int as n from outbox`);
  const steps = await db.execute<{ n: number }>(sql`select count(*)::int as n from reminder_steps`);
  console.log(
    `full sweep: ${(full.durationMs / 1000).toFixed(1)} s for ${full.counts.hazards.toLocaleString()} hazards → ` +
      `${full.counts.steps.toLocaleString()} steps, ${full.counts.messages.toLocaleString()} outbox rows ` +
      `(${Math.round(full.counts.hazards / (full.durationMs / 1000)).toLocaleString()} hazards/s); ` +
      `${full.batches} batches, slowest ${full.slowestBatchMs} ms; then vacuum ${((full.tidyMs ?? 0) / 1000).toFixed(1)} s; ` +
      `WAL written ${(walBytes / 2 ** 20).toFixed(0)} MiB (${Math.round(walBytes / Math.max(1, full.counts.hazards))} bytes per hazard)`,
  );
  console.log(
    `  phases (ms, summed over batches and loops): ${Object.entries(full.phases)
      .map(([k, v]) => `${k} ${Math.round(v)}`)
      .join(', ')}`,
  );
  console.log(
    `  CPU, sweep and vacuum: this process ${((nodeCpu.user + nodeCpu.system) / 1e6).toFixed(1)} s, ` +
      `PostgreSQL (its processes on this box) ${serverCpu.toFixed(1)} s; box load during the sweep (other processes ` +
      `included): ${pressure}`,
  );
  console.log(
    `  stored: ${rowsOf<{ n: number }>(steps)[0]?.n} reminder_steps, ${rowsOf<{ n: number }>(outbox)[0]?.n} outbox rows`,
  );

  // The floor to read the sweep against: the same rows written by PostgreSQL alone, set-based, with nothing
  // composed. ONE statement copies every step row the sweep wrote and every outbox row it wrote (the same cards,
  // byte for byte) into scratch tables made LIKE reminder_steps and outbox INCLUDING ALL — logged, with the same
  // keys and indexes, so the WAL and index work are the same as the sweep's.
  await db.execute(sql`create table bench_bare_steps (like reminder_steps including all)`);
  await db.execute(sql`create table bench_bare_outbox (like outbox including all)`);
  const bareWalBefore = await walPosition(db);
  const bareServerCpuBefore = cpuSecondsOf('postgres');
  const bareStarted = performance.now();
  const bare = rowsOf<{ steps: number; messages: number }>(
    await db.execute(sql`
      with steps as (
        insert into bench_bare_steps (hazard_id, step_key, sent_at, outbox_ids)
        select hazard_id, step_key, sent_at, outbox_ids from reminder_steps
        returning 1
      ), messages as (
        insert into bench_bare_outbox (id, kind, receive_id_type, target, msg_type, content, urgent_open_ids, topic)
        select gen_random_uuid(), kind, receive_id_type, target, msg_type, content, urgent_open_ids, topic from outbox
        returning 1
      )
      select (select count(*) from steps)::int as steps, (select count(*) from messages)::int as messages`),
  )[0]!;
  const bareMs = performance.now() - bareStarted;
  const bareServerCpu = cpuSecondsOf('postgres') - bareServerCpuBefore;
  const bareWal = await walBytesSince(db, bareWalBefore);
  console.log(
    `bare INSERT … SELECT (one statement, the same ${bare.steps.toLocaleString()} step rows and ` +
      `${bare.messages.toLocaleString()} outbox rows copied into tables LIKE reminder_steps / outbox INCLUDING ALL): ` +
      `${(bareMs / 1000).toFixed(1)} s, PostgreSQL CPU ${bareServerCpu.toFixed(1)} s, WAL ${(bareWal / 2 ** 20).toFixed(0)} MiB`,
  );
  console.log(
    `sweep / bare = ${(full.durationMs / bareMs).toFixed(1)}× (time); PostgreSQL CPU ${(serverCpu / Math.max(0.01, bareServerCpu)).toFixed(1)}×` +
      ` (the sweep's includes its vacuum); WAL ${(walBytes / Math.max(1, bareWal)).toFixed(1)}×`,
  );
  await db.execute(sql`drop table bench_bare_steps, bench_bare_outbox`);

  const empties: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const empty = await sweep.run({
      at: new Date(at.getTime() + i * 1000),
      batchSize: BATCH,
      concurrency: CONCURRENCY,
    });
    empties.push(performance.now() - t);
    if (empty.counts.hazards !== 0) throw new Error(`an empty sweep claimed ${empty.counts.hazards} hazards`);
  }
  empties.sort((a, b) => a - b);
  console.log(
    `empty sweep over ${HAZARDS.toLocaleString()} open hazards: median ${percentile(empties, 50).toFixed(2)} ms, ` +
      `max ${empties.at(-1)!.toFixed(2)} ms (20 runs)`,
  );
  console.log(
    `bar: full ≤ 20 s ${full.durationMs <= 20_000 ? 'met' : 'MISSED'}, batches ≤ 250 ms ${full.slowestBatchMs <= 250 ? 'met' : 'MISSED'}, ` +
      `empty ≤ 10 ms ${empties.at(-1)! <= 10 ? 'met' : 'MISSED'}`,
  );
} finally {
  await database.close();
  await fresh.drop();
}
