// `npm run bench:directory`: imports a generated directory of 10,000 enterprises and 20,000 people into PostgreSQL
// (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres; a fresh database of its own, dropped
// after) and prints the figures. The bar (engineering.md): ≤ 15 s for the import, from the xlsx bytes to commit.
// The file is read and checked as PUT /api/admin/directory does it: in a worker thread (directory/check-upload.ts).
import { cpus, totalmem } from 'node:os';
import pg from 'pg';
import { openDatabase } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { checkDirectoryUploadInWorker } from '../../src/directory/check-upload.js';
import { importDirectory } from '../../src/directory/import.js';
import type { ResolveUserIds } from '../../src/directory/resolve-open-ids.js';
import { loadDirectoryState } from '../../src/directory/state.js';
import { buildXlsx, creditCode, ENTERPRISE_HEADERS, PEOPLE_HEADERS } from '../fixtures/directory/sample.js';

const ENTERPRISES = 10_000;
const PEOPLE = 20_000;
const TOWNSHIPS = 25;
const BAR_MS = 15_000;

function generate() {
  const regions = [
    ['区域编码', '区域名称', '上级区域'],
    ['county', '某某县', ''],
  ];
  for (let t = 1; t <= TOWNSHIPS; t++) regions.push([`town-${t}`, `第${t}镇`, 'county']);
  const departments = [
    ['部门编码', '部门名称', '监管行业'],
    ['yjj', '县应急管理局', '工贸、危险化学品'],
    ['scjgj', '县市场监督管理局', '特种设备'],
    ['zjj', '县住房和城乡建设局', '建筑施工、燃气'],
  ];
  const people = [PEOPLE_HEADERS];
  for (let n = 1; n <= PEOPLE; n++) {
    const code = `p${n}`;
    // Half the people come with their open_id, half are looked up by mobile (by a local stand-in for Feishu).
    const openId = n % 2 === 0 ? `ou_${n}` : '';
    const [role, scope] =
      n <= TOWNSHIPS
        ? ['乡镇分管领导', `region:town-${n}`]
        : n <= 2 * TOWNSHIPS
          ? ['乡镇主要领导', `region:town-${n - TOWNSHIPS}`]
          : n <= 400
            ? ['检查员', `region:town-${(n % TOWNSHIPS) + 1}`]
            : ['', ''];
    people.push([code, `人员${n}`, `13${String(n).padStart(9, '0')}`, '', openId, role!, scope!]);
  }
  const enterprises = [ENTERPRISE_HEADERS];
  for (let e = 1; e <= ENTERPRISES; e++) {
    enterprises.push([
      `e${e}`,
      `企业${e}有限公司`,
      creditCode(e),
      `town-${(e % TOWNSHIPS) + 1}`,
      e % 3 === 0 ? '危险化学品' : '工贸',
      e % 3 === 0 ? 'yjj' : e % 3 === 1 ? 'scjgj' : 'zjj',
      `p${401 + ((2 * (e - 1)) % (PEOPLE - 400))}`,
      `p${402 + ((2 * (e - 1)) % (PEOPLE - 401))}`,
      `第${(e % TOWNSHIPS) + 1}镇工业园${e}号`,
    ]);
  }
  return { 区域: regions, 部门: departments, 人员: people, 企业: enterprises };
}

const standInFeishu: ResolveUserIds = async ({ mobiles = [] }) => ({
  byMobile: new Map(mobiles.map((m) => [m, `ou_m${m}`])),
  byEmail: new Map(),
});

async function main(): Promise<void> {
  const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `hazard_bench_directory_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir: '' });
  try {
    await applyMigrations(database);
    const cpu = cpus();
    console.log(
      `machine: ${cpu.length} cores, ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}`,
    );
    const { rows: server } = await admin.query('show server_version');
    console.log(`PostgreSQL ${server[0]?.server_version}`);

    const xlsx = await buildXlsx(generate());
    console.log(
      `directory: ${ENTERPRISES} enterprises, ${PEOPLE} people, ${TOWNSHIPS} townships; xlsx ${(xlsx.length / 2 ** 20).toFixed(1)} MiB`,
    );

    const run = async (label: string) => {
      const started = performance.now();
      const before = await loadDirectoryState(database.db);
      // A copy each time: the worker is handed the buffer, which leaves it empty here.
      const checked = await checkDirectoryUploadInWorker([{ name: 'bench.xlsx', data: Buffer.from(xlsx) }], {
        state: before,
        mode: 'replace',
      });
      if (!checked.ok) throw new Error(`rejected: ${JSON.stringify(checked.issues.slice(0, 5))}`);
      const parsedAt = performance.now();
      const result = await importDirectory(database.db, checked.parsed, {
        mode: 'replace',
        resolveUserIds: standInFeishu,
        now: new Date(),
        before,
      });
      const done = performance.now();
      if (!result.ok) throw new Error(`rejected: ${JSON.stringify(result.issues.slice(0, 5))}`);
      const { report } = result;
      const total = done - started;
      console.log(
        `${label}: ${(total / 1000).toFixed(2)} s total (read and check xlsx in a worker ${((parsedAt - started) / 1000).toFixed(2)} s, ` +
          `validate + write ${((done - parsedAt) / 1000).toFixed(2)} s) — enterprises +${report.enterprises.created} ` +
          `~${report.enterprises.updated} =${report.enterprises.unchanged}, people +${report.people.created} ` +
          `~${report.people.updated} =${report.people.unchanged}, roles +${report.roles.created}; ` +
          `${total <= BAR_MS ? 'within' : 'OVER'} the ${BAR_MS / 1000} s bar`,
      );
    };
    await run('first import (everything new)');
    await run('same file again (no-op)');
  } finally {
    await database.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

await main();
