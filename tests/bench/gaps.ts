// `npm run bench:gaps`: the directory's gaps (GET /api/admin/directory/gaps, src/reminders/gaps.ts) over a county of
// 10,000 units and 20,000 people, on PostgreSQL (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres, a
// fresh database of its own, dropped after) or, with BENCH_PGLITE=1, on the embedded database in a temporary folder.
// Bar (issue #18): under a second. BENCH_HAZARDS open hazards (default 200,000) spread over the units. The policy
// addresses every role, so every unit's principal and safety officer are looked at too (the worst case).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { DEFAULT_POLICY, RECIPIENTS } from '../../src/domain/index.js';
import { findDirectoryGaps } from '../../src/reminders/gaps.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { describeMachine, percentile } from './machine.js';

const UNITS = 10_000;
const PEOPLE = 20_000;
const TOWNSHIPS = 25;
const HAZARDS = Number(process.env.BENCH_HAZARDS ?? 200_000);
const RUNS = 10;
const pglite = process.env.BENCH_PGLITE === '1';
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

console.log(`bench:gaps on ${describeMachine()}, ${pglite ? 'PGlite' : 'PostgreSQL'}`);
console.log(
  `${UNITS.toLocaleString()} units, ${PEOPLE.toLocaleString()} people, ${HAZARDS.toLocaleString()} open hazards`,
);

const dataDir = pglite ? mkdtempSync(path.join(tmpdir(), 'bench-gaps-')) : '';
const fresh = pglite ? undefined : await createFreshPostgresDatabase(serverUrl);
const database = await openDatabase({ databaseUrl: fresh?.url, dataDir });
try {
  await applyMigrations(database);
  const db = database.db;
  await db.execute(sql`insert into regions (code, name, level) values ('cty', '某县', 1)`);
  await db.execute(sql`
    insert into regions (code, name, parent_id, level)
    select 'town-' || n, '乡镇' || n, (select id from regions where code = 'cty'), 2 from generate_series(1, ${TOWNSHIPS}) n`);
  await db.execute(sql`
    insert into departments (code, name) select 'd' || n, '部门' || n from generate_series(1, 20) n`);
  // Every third person is not in Feishu.
  await db.execute(sql`
    insert into people (code, name, open_id)
    select 'p' || n, '人员' || n, case when n % 3 = 0 then null else 'ou_' || n end from generate_series(1, ${PEOPLE}) n`);
  // Leaders for every township but the last five, for every department but two, and two county leaders.
  await db.execute(sql`
    insert into role_assignments (person_id, role, scope_kind, scope_id)
    select p.id, role, 'region', r.id from regions r
    cross join (values ('township_leader_in_charge', 1), ('township_main_leader', 2)) v(role, k)
    join people p on p.code = 'p' || (substring(r.code from 6)::int * 2 + v.k)
    where r.code like 'town-%' and substring(r.code from 6)::int <= ${TOWNSHIPS - 5}`);
  await db.execute(sql`
    insert into role_assignments (person_id, role, scope_kind, scope_id)
    select p.id, 'department_leader', 'department', d.id from departments d
    join people p on p.code = 'p' || (100 + substring(d.code from 2)::int) where substring(d.code from 2)::int <= 18`);
  await db.execute(sql`
    insert into role_assignments (person_id, role, scope_kind, scope_id)
    select id, 'county_leader', 'county', 0 from people where code in ('p200', 'p201')`);
  await db.execute(sql`
    insert into enterprises (code, name, region_id, department_id, principal_id, safety_officer_id)
    select 'e' || n, '企业' || n, (select id from regions where code = 'town-' || (1 + n % ${TOWNSHIPS})),
      (select id from departments where code = 'd' || (1 + n % 20)),
      (select id from people where code = 'p' || (1000 + n % 19000)),
      case when n % 4 = 0 then null else (select id from people where code = 'p' || (1001 + (n * 7) % 19000)) end
    from generate_series(1, ${UNITS}) n`);
  await db.execute(sql`
    insert into hazards (code, year, sequence, enterprise_id, region_id, department_id, sector, grade, status,
      description, location, measures, standard, deadline, deadline_set_at, responsible_id, reporter_id,
      reported_at, assigned_at)
    select 'YH-2026-' || lpad(n::text, 7, '0'), 2026, n, e.id, e.region_id, e.department_id, '工贸', 'general',
      'rectifying', '配电箱未接地', '车间', '接地', '验收合格', '2026-06-30'::date,
      '2026-06-01T10:00:00+08:00', e.principal_id, e.principal_id, '2026-06-01T10:00:00+08:00', '2026-06-01T10:00:00+08:00'
    from generate_series(1, ${HAZARDS}) n join enterprises e on e.code = 'e' || (1 + n % ${UNITS})`);
  await db.execute(sql`analyze`);

  const policy = { steps: [{ ...DEFAULT_POLICY.steps[0]!, who: [...RECIPIENTS] }] };
  const times: number[] = [];
  let total = 0;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    total = (await findDirectoryGaps(db, policy)).total;
    times.push(performance.now() - started);
  }
  const first = times[0]!;
  const warm = times.slice(1).sort((a, b) => a - b);
  console.log(`${total.toLocaleString()} gaps`);
  console.log(
    `first ${first.toFixed(0)} ms; then p50 ${percentile(warm, 50).toFixed(0)} ms, max ${warm.at(-1)!.toFixed(0)} ms ` +
      `(bar: 1,000 ms)`,
  );
} finally {
  await database.close();
  await fresh?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
