// `npm run bench:ledger`: the read side over 1,000,000 hazards on PostgreSQL (TEST_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres; a fresh database of its own, dropped after). Generates the hazards
// set-based (INSERT … SELECT generate_series), then times GET /api/stats for the county (bar ≤ 500 ms; with the
// campaign's measures), GET /api/campaign.xlsx and a
// 100,000-row GET /api/ledger.xlsx (bar ≤ 10 s), sampling the process RSS during the export to show memory stays flat.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { startService } from '../../src/server.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { describeMachine, percentile } from './machine.js';

const HAZARDS = 1_000_000;
const TOWNSHIPS = 10;
const ENTERPRISES = 2000;
const TOKEN = 'bench-ledger-reader-token-0123456789';

// A collection before each memory sample: what is measured is live memory, not how lazily V8 returns pages.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function seed(sql: pg.Client): Promise<void> {
  await sql.query(`insert into regions (code, name, level) values ('county', '某某县', 1)`);
  await sql.query(`
    insert into regions (code, name, parent_id, level)
    select 'town-' || lpad(t::text, 2, '0'), '第' || t || '镇', (select id from regions where code = 'county'), 2
    from generate_series(1, ${TOWNSHIPS}) t`);
  await sql.query(
    `insert into departments (code, name, sectors) values ('yjj', '县应急管理局', '{工贸,危险化学品}'), ('scjgj', '县市场监督管理局', '{特种设备}')`,
  );
  await sql.query(`
    insert into people (code, name, open_id)
    select 'p' || n, '人员' || n, 'ou_' || n from generate_series(1, 100) n`);
  await sql.query(`
    insert into enterprises (code, name, region_id, sectors, department_id, principal_id)
    select 'e' || n, '企业' || n || '有限公司',
      (select id from regions where code = 'town-' || lpad((1 + n % ${TOWNSHIPS})::text, 2, '0')),
      '{工贸}', (select min(id) from departments), (select min(id) from people) + n % 100
    from generate_series(0, ${ENTERPRISES - 1}) n`);
  await sql.query(`
    with e as (select id, region_id, department_id, row_number() over (order by id) - 1 as k from enterprises),
    p as (select min(id) as first from people)
    insert into hazards (code, year, sequence, enterprise_id, region_id, department_id, sector, grade, status,
      description, location, measures, standard, deadline, deadline_set_at, responsible_id, reporter_id,
      rectification, supervision, suspended, reported_at, closed_at, closed_by_id)
    select 'YH-' || (2026 - g % 2) || '-' || lpad(g::text, 7, '0'), 2026 - g % 2, g, e.id, e.region_id, e.department_id,
      (array['工贸','危险化学品','特种设备','消防','燃气','建筑施工','交通运输','其他'])[1 + g % 8],
      case when g % 20 = 0 then 'major' else 'general' end,
      s.status,
      '隐患描述第' || g || '号：现场发现安全防护设施缺失，需要按照规范整改',
      '车间' || (g % 50) || '号', '按规范整改并加装防护', '符合国家标准要求',
      (r.at + interval '15 days')::date, r.at, p.first + g % 100, p.first + (g + 7) % 100,
      case when s.status in ('pending_verification', 'closed') then '已整改完毕' end,
      case when g % 20 = 0 and s.status <> 'closed' then 'county' else 'none' end,
      g % 100 = 0 and s.status <> 'closed',
      r.at,
      case when s.status = 'closed' then r.at + interval '10 days' end,
      case when s.status = 'closed' then p.first + (g + 3) % 100 end
    from generate_series(1, ${HAZARDS}) g
    cross join p
    join e on e.k = g % ${ENTERPRISES}
    cross join lateral (select (array['reported','rectifying','pending_verification','closed','closed','closed'])[1 + g % 6] as status) s
    cross join lateral (select now() - (g % 730) * interval '1 day' - (g % 1440) * interval '1 minute' as at) r`);
  await sql.query(`vacuum analyze`);
}

async function main(): Promise<void> {
  const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const { url, drop } = await createFreshPostgresDatabase(serverUrl);
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    console.log(`machine: ${describeMachine()}`);
    const config = loadConfig({
      DATABASE_URL: url,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      API_TOKENS: `bench:${TOKEN}`,
    });
    // Migrated and seeded before the service starts: in sandbox mode (no FEISHU_APP_ID) it loads its sample county
    // into an empty directory, and the seed's regions would then collide with it.
    const migrating = await openDatabase({ databaseUrl: url, dataDir: '' });
    await applyMigrations(migrating);
    await migrating.close();
    let started = performance.now();
    await seed(sql);
    const {
      rows: [{ n } = { n: 0 }],
    } = await sql.query<{ n: number }>('select count(*)::int as n from hazards');
    console.log(
      `generated ${n.toLocaleString()} hazards (set-based, with vacuum analyze) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    // The reminder cron stays off so no sweep competes with the measurements.
    service = await startService(config, {
      logger: pino({ level: 'silent' }),
      reminders: { scheduler: { cron: false, catchUpOnStart: false } },
    });
    const {
      rows: [version],
    } = await sql.query('show server_version');
    console.log(`PostgreSQL ${version?.server_version}`);

    const get = (path: string) => fetch(`${service!.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });

    // --- /api/stats for the county ---------------------------------------------------------------------------
    const times: number[] = [];
    for (let i = 0; i < 12; i++) {
      started = performance.now();
      const response = await get('/api/stats');
      const body = (await response.json()) as { totals: { total: number; overdue: number } };
      if (response.status !== 200 || body.totals.total !== HAZARDS)
        throw new Error(`stats answered ${response.status}`);
      if (i >= 2) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    console.log(
      `GET /api/stats (county, ${HAZARDS.toLocaleString()} hazards), 10 runs after 2 warm-ups: median ${percentile(times, 50).toFixed(0)} ms, ` +
        `p90 ${percentile(times, 90).toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms (bar ≤ 500 ms)`,
    );
    started = performance.now();
    await get('/api/stats?scope=region:town-01');
    console.log(`GET /api/stats?scope=region:town-01: ${(performance.now() - started).toFixed(0)} ms`);
    started = performance.now();
    const rankings = await get('/api/campaign.xlsx');
    await rankings.arrayBuffer();
    console.log(`GET /api/campaign.xlsx (通报晾晒, county): ${(performance.now() - started).toFixed(0)} ms`);
    started = performance.now();
    await get('/api/stats?period=2026Q1');
    console.log(
      `GET /api/stats?period=2026Q1 (statutory table, county): ${(performance.now() - started).toFixed(0)} ms`,
    );

    // --- the ledger export -----------------------------------------------------------------------------------
    // Timed without forced collections; the live memory comes from a second export that forces one every 250 ms
    // (each a full GC of this process, service included: over a 100,000-row export they added about 3 s).
    const exportOnce = async (query: string, sampleLive: boolean) => {
      const samples: number[] = [];
      const live: number[] = [];
      const timer = setInterval(() => samples.push(process.memoryUsage().rss), 50);
      const liveTimer = setInterval(() => {
        if (!sampleLive) return;
        gc();
        const usage = process.memoryUsage();
        live.push(usage.heapUsed + usage.external + usage.arrayBuffers);
      }, 250);
      const rssBefore = process.memoryUsage().rss;
      const begun = performance.now();
      const response = await get(`/api/ledger.xlsx?${query}`);
      if (response.status !== 200) throw new Error(`ledger answered ${response.status}: ${await response.text()}`);
      let bytes = 0;
      let firstByteMs = 0;
      for await (const chunk of response.body!) {
        if (bytes === 0) firstByteMs = performance.now() - begun;
        bytes += (chunk as Uint8Array).length;
      }
      const ms = performance.now() - begun;
      clearInterval(timer);
      clearInterval(liveTimer);
      samples.push(process.memoryUsage().rss);
      return { ms, firstByteMs, bytes, rssBefore, samples, live };
    };
    const {
      rows: [{ rows } = { rows: 0 }],
    } = await sql.query<{ rows: number }>(
      `select count(*)::int as rows from hazards h join regions r on r.id = h.region_id where r.code = 'town-01'`,
    );
    const {
      rows: [{ rows: small } = { rows: 0 }],
    } = await sql.query<{ rows: number }>(`
      select count(*)::int as rows from hazards h join regions r on r.id = h.region_id
      where r.code = 'town-01' and h.sector = '工贸'`);
    for (const [label, query, count] of [
      ['small', 'township=town-01&sector=工贸', small],
      ['large', 'township=town-01', rows],
    ] as const) {
      gc();
      const result = await exportOnce(encodeURI(query), false);
      gc();
      const sampled = await exportOnce(encodeURI(query), true);
      const peak = Math.max(...result.samples);
      const quarter = Math.floor(result.samples.length / 4);
      const middle = result.samples.slice(quarter, -quarter || undefined);
      console.log(
        `GET /api/ledger.xlsx?${query} (${label}): ${count.toLocaleString()} rows, ${mib(result.bytes)} xlsx in ${(result.ms / 1000).toFixed(2)} s ` +
          `(first byte ${result.firstByteMs.toFixed(0)} ms${label === 'large' ? '; bar ≤ 10 s' : ''}); RSS before ${mib(result.rssBefore)}, ` +
          `peak ${mib(peak)}, 2nd–3rd quarter of the export ${mib(Math.min(...middle))}–${mib(Math.max(...middle))} ` +
          `(${result.samples.length} samples)`,
      );
      console.log(
        `  again with a forced GC every 250 ms (${(sampled.ms / 1000).toFixed(2)} s), live memory (heap + external after ` +
          `each): ${sampled.live.map((b) => (b / 2 ** 20).toFixed(0)).join(' ')} MiB`,
      );
    }
  } finally {
    await service?.shutdown().catch(() => {});
    await sql.end();
    // LEDGER_BENCH_KEEP=1 keeps the database for EXPLAIN sessions (drop it by hand afterwards).
    if (process.env.LEDGER_BENCH_KEEP) console.log(`kept ${url}`);
    else await drop();
  }
}

await main();
