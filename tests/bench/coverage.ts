// `npm run bench:coverage`: inspection-plan coverage on PostgreSQL (TEST_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres; a fresh database of its own, dropped after). 10,000 units in 20
// townships under 5 departments, 200,000 inspections over the past year (one in six a self-inspection, which plans do
// not count), generated set-based; 20 plans of mixed frequencies (4 of them 双随机 samples) imported through
// PUT /api/admin/plans. Then times GET /api/coverage for the county (bar ≤ 300 ms p50) and for one township
// (bar ≤ 100 ms p50), 30 runs each after warm-ups, and the same through coverageReport / toInspectFor directly.
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { toLocal } from '../../src/domain/local-time.js';
import { coverageReport, toInspectFor } from '../../src/inspections/coverage.js';
import { resolveNamedScope } from '../../src/ledger/scope.js';
import { startService } from '../../src/server.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { describeMachine, describePressure, percentile, readPressure } from './machine.js';

const UNITS = 10_000;
const TOWNSHIPS = 20;
const INSPECTIONS = 200_000;
const RUNS = 30;
const ADMIN = 'bench-coverage-admin-token-0123456789';
const READER = 'bench-coverage-reader-token-0123456789';

const DEPARTMENTS = [
  { code: 'yjj', name: '县应急管理局', sectors: ['工贸', '危险化学品'] },
  { code: 'scjgj', name: '县市场监督管理局', sectors: ['特种设备'] },
  { code: 'xfj', name: '县消防救援大队', sectors: ['消防'] },
  { code: 'zjj', name: '县住房和城乡建设局', sectors: ['燃气', '建筑施工'] },
  { code: 'jtj', name: '县交通运输局', sectors: ['交通运输'] },
];
const SECTORS = ['工贸', '危险化学品', '特种设备', '消防', '燃气', '建筑施工', '交通运输'];

async function seed(sql: pg.Client, today: string): Promise<void> {
  await sql.query(`insert into regions (code, name, level) values ('county', '某某县', 1)`);
  await sql.query(`
    insert into regions (code, name, parent_id, level)
    select 'town-' || lpad(t::text, 2, '0'), '第' || t || '镇', (select id from regions where code = 'county'), 2
    from generate_series(1, ${TOWNSHIPS}) t`);
  for (const d of DEPARTMENTS) {
    await sql.query('insert into departments (code, name, sectors) values ($1, $2, $3)', [d.code, d.name, d.sectors]);
  }
  await sql.query(`
    insert into people (code, name, open_id)
    select 'p' || n, '人员' || n, 'ou_' || n from generate_series(1, 200) n`);
  // Each unit one sector (every 7th a second one), its department the one supervising its first sector.
  await sql.query(
    `
    with s as (select $1::text[] as sectors)
    insert into enterprises (code, name, region_id, sectors, department_id, principal_id)
    select 'e' || lpad(n::text, 5, '0'), '企业' || n || '有限公司',
      (select id from regions where code = 'town-' || lpad((1 + n % ${TOWNSHIPS})::text, 2, '0')),
      case when n % 7 = 0 then array[s.sectors[1 + n % 7], s.sectors[1 + (n / 7) % 7]] else array[s.sectors[1 + n % 7]] end,
      (select id from departments d where s.sectors[1 + n % 7] = any(d.sectors)),
      (select min(id) from people) + n % 200
    from generate_series(0, ${UNITS - 1}) n cross join s`,
    [SECTORS],
  );
  await sql.query(`insert into checklists (code, name, sector) values ('bench-01', '基准检查表', '工贸')`);
  // Dates spread over the past 365 days; 92% of the units get about 22 inspections each, the rest none.
  await sql.query(`
    with e as (select id, region_id, department_id, sectors[1] as sector, row_number() over (order by id) - 1 as k
               from enterprises),
    c as (select id, code, name from checklists limit 1),
    p as (select min(id) as first from people)
    insert into inspections (code, year, sequence, status, enterprise_id, region_id, department_id, sector, kind,
      checklist_id, checklist_code, checklist_name, checklist_version, inspector_id, date, pass_count,
      started_at, submitted_at)
    select 'JC-B-' || lpad(g::text, 7, '0'), 2000 + g % 2, g, 'submitted', e.id, e.region_id, e.department_id, e.sector,
      (array['routine','campaign','unannounced','reinspection','routine','self'])[1 + g % 6],
      c.id, c.code, c.name, 1, p.first + g % 200, d.day, 20,
      d.day::timestamp + interval '9 hours', d.day::timestamp + interval '11 hours'
    from generate_series(1, ${INSPECTIONS}) g
    join e on e.k = (g::bigint * 7919) % ${Math.round(UNITS * 0.92)}
    cross join c cross join p
    cross join lateral (select ('${today}'::date - (g * 37 % 365))::date as day) d`);
  await sql.query('vacuum analyze');
}

/** 20 plans: per department and sector monthly / quarterly, 4 samples, township plans, a campaign `once`. */
function plans(year: number) {
  const from = `${year}-01-01`;
  const to = `${year}-12-31`;
  const list: Record<string, unknown>[] = [
    { code: 'wh-m', name: '危化每月', owner: 'department:yjj', every: 'month', units: { sectors: ['危险化学品'] } },
    { code: 'gm-q', name: '工贸每季', owner: 'department:yjj', every: 'quarter', units: { sectors: ['工贸'] } },
    {
      code: 'gm-s',
      name: '工贸双随机',
      owner: 'department:yjj',
      every: 'month',
      units: { sectors: ['工贸'] },
      sample: { share: 0.1 },
    },
    { code: 'tz-q', name: '特种设备每季', owner: 'department:scjgj', every: 'quarter' },
    { code: 'tz-s', name: '特种设备双随机', owner: 'department:scjgj', every: 'month', sample: { count: 50 } },
    { code: 'xf-y', name: '消防每年', owner: 'department:xfj', every: 'year' },
    { code: 'xf-s', name: '消防双随机', owner: 'department:xfj', every: 'quarter', sample: { share: 0.2 } },
    { code: 'rq-m', name: '燃气每月', owner: 'department:zjj', every: 'month', units: { sectors: ['燃气'] } },
    { code: 'jz-q', name: '建筑施工每季', owner: 'department:zjj', every: 'quarter', units: { sectors: ['建筑施工'] } },
    { code: 'jt-y', name: '交通运输每年', owner: 'department:jtj', every: 'year' },
    { code: 'jt-s', name: '交通双随机', owner: 'department:jtj', every: 'month', sample: { count: 30 } },
    {
      code: 'camp-once',
      name: '秋季专项',
      owner: 'department:yjj',
      every: 'once',
      from: `${year}-09-01`,
      to: `${year}-12-31`,
      units: { sectors: ['危险化学品'] },
    },
  ];
  for (let t = 1; list.length < 20; t++) {
    const town = `town-${String(t).padStart(2, '0')}`;
    list.push({
      code: `${town}-y`,
      name: `第${t}镇全覆盖`,
      owner: `region:${town}`,
      every: t % 2 ? 'year' : 'quarter',
    });
  }
  return list.map((p) => ({ from, to, units: {}, ...p }));
}

function summary(label: string, times: number[], bar: string): string {
  const sorted = [...times].sort((a, b) => a - b);
  return (
    `${label}: ${times.length} runs after warm-ups: p50 ${percentile(sorted, 50).toFixed(0)} ms, ` +
    `p99 ${percentile(sorted, 99).toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms${bar}`
  );
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return times;
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
      ADMIN_TOKEN: ADMIN,
      API_TOKENS: `bench:${READER}`,
    });
    const {
      rows: [version],
    } = await sql.query('show server_version');
    console.log(`PostgreSQL ${version?.server_version}`);
    const today = toLocal(new Date(), config.BOT_TIMEZONE).date;

    // Migrated and seeded before the service starts: in sandbox mode it would load its sample county into an empty
    // directory.
    const migrating = await openDatabase({ databaseUrl: url, dataDir: '' });
    await applyMigrations(migrating);
    await migrating.close();
    let started = performance.now();
    await seed(sql, today);
    service = await startService(config, {
      logger: pino({ level: 'silent' }),
      reminders: { scheduler: { cron: false, catchUpOnStart: false } },
    });
    const db = service.deps.database.db;
    const {
      rows: [counts],
    } = await sql.query<{ units: number; inspections: number; covered: number }>(`
      select (select count(*)::int from enterprises) as units, (select count(*)::int from inspections) as inspections,
        (select count(distinct enterprise_id)::int from inspections) as covered`);
    console.log(
      `generated ${counts!.units.toLocaleString()} units, ${counts!.inspections.toLocaleString()} inspections ` +
        `(${counts!.covered.toLocaleString()} units inspected at all) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const put = await fetch(`${service.url}/api/admin/plans`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ plans: plans(Number(today.slice(0, 4))) }),
    });
    if (put.status !== 200) throw new Error(`plans import answered ${put.status}: ${await put.text()}`);
    console.log(`imported 20 plans: ${JSON.stringify(await put.json())}`);

    const get = async (path: string) => {
      const response = await fetch(`${service!.url}${path}`, { headers: { authorization: `Bearer ${READER}` } });
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
      return response.json() as Promise<{
        plans: { code: string; counts: Record<string, number> }[];
        totals: Record<string, number>;
      }>;
    };
    started = performance.now();
    const first = await get('/api/coverage');
    console.log(`first GET /api/coverage (makes the 4 draws): ${(performance.now() - started).toFixed(0)} ms`);
    console.log(`county totals: ${JSON.stringify(first.totals)}`);
    const pairs = first.plans.reduce((n, p) => n + p.counts.units!, 0);
    console.log(`${first.plans.length} plans, ${pairs.toLocaleString()} (plan, unit) pairs`);

    const pressure = readPressure();
    console.log(
      summary('GET /api/coverage (county)', await time(RUNS, () => get('/api/coverage')), ' (bar ≤ 300 ms p50)'),
    );
    console.log(
      summary(
        'GET /api/coverage?scope=region:town-05 (one township)',
        await time(RUNS, () => get('/api/coverage?scope=region:town-05')),
        ' (bar ≤ 100 ms p50)',
      ),
    );
    console.log(
      summary(
        'GET /api/coverage?scope=region:town-05&units=1 (with the unit lists)',
        await time(RUNS, () => get('/api/coverage?scope=region:town-05&units=1')),
        '',
      ),
    );
    console.log(
      summary(
        'GET /api/coverage?plan=wh-m&units=1 (county, one plan, its units)',
        await time(RUNS, () => get('/api/coverage?plan=wh-m&units=1')),
        '',
      ),
    );
    const county = await resolveNamedScope(db, { kind: 'county' });
    const town = await resolveNamedScope(db, { kind: 'region', code: 'town-05' });
    const department = await resolveNamedScope(db, { kind: 'department', code: 'yjj' });
    console.log(
      summary(
        'coverageReport (county, in process)',
        await time(RUNS, () => coverageReport(db, { scope: county, date: today })),
        '',
      ),
    );
    console.log(
      summary(
        'coverageReport (township, in process)',
        await time(RUNS, () => coverageReport(db, { scope: town, date: today })),
        '',
      ),
    );
    const list = await toInspectFor(db, town, today, { limit: 20 });
    console.log(
      summary(
        `toInspectFor (township, ${list.total} units due or overdue, first 20)`,
        await time(RUNS, () => toInspectFor(db, town, today, { limit: 20 })),
        '',
      ),
    );
    console.log(
      summary(
        'toInspectFor (department yjj, first 20)',
        await time(RUNS, () => toInspectFor(db, department, today, { limit: 20 })),
        '',
      ),
    );
    console.log(describePressure(pressure, readPressure()));
  } finally {
    await service?.shutdown().catch(() => {});
    await sql.end();
    if (process.env.COVERAGE_BENCH_KEEP) console.log(`kept ${url}`);
    else await drop();
  }
}

await main();
