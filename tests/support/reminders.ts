import { sql } from 'drizzle-orm';
import pino from 'pino';
import type { Clock } from '../../src/clock.js';
import { type Database, openDatabase } from '../../src/db/client.js';
import { rowsOf } from '../../src/db/rows.js';
import { type Service, type StartOptions, startService } from '../../src/server.js';
import type { TestService } from './service.js';

/** The rows of a drizzle `execute` answer, whichever driver (the service's own helper). */
export const rows = rowsOf;

/**
 * A second replica of `first` on the SAME database (its own connection pool on PostgreSQL; the same embedded
 * instance on PGlite) and the same Feishu simulator: for exactly-once tests across replicas.
 */
export async function startReplica(
  first: TestService,
  options: Pick<StartOptions, 'reminders'> & { clock?: Clock } = {},
): Promise<Service> {
  const url = first.testDb.url;
  const database: Database = url
    ? await openDatabase({ databaseUrl: url, dataDir: '' })
    : { ...first.testDb.database, close: async () => {} };
  return startService(first.config, {
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    clock: options.clock ?? first.clock,
    database,
    // No cron tasks, as in startTestService: tests drive the sweeps.
    reminders: { ...options.reminders, scheduler: { cron: false, ...options.reminders?.scheduler } },
  });
}

export const COUNTY_DIRECTORY = {
  regions: [
    { code: 'cty', name: '某县', parent: null },
    // Escalations @mention people in 城关镇's group chat (a sub-region without its own would use this one too).
    { code: 'town-01', name: '城关镇', parent: 'cty', chatId: 'oc_town01_safety' },
    { code: 'town-02', name: '河西镇', parent: 'cty' },
  ],
  departments: [
    { code: 'yjj', name: '县应急管理局', sectors: ['工贸', '危险化学品'] },
    { code: 'scjgj', name: '县市场监管局', sectors: ['特种设备'] },
  ],
  people: [
    { code: 'p-resp', name: '张责任', mobile: '13900000001', openId: 'ou_resp', roles: [] },
    { code: 'p-resp2', name: '吴老板', mobile: '13900000002', openId: 'ou_resp2', roles: [] },
    {
      code: 'p-tlc',
      name: '李分管',
      mobile: '13900000003',
      openId: 'ou_tlc',
      roles: [{ role: 'township_leader_in_charge', scope: 'region:town-01' }],
    },
    {
      code: 'p-tml',
      name: '王书记',
      mobile: '13900000004',
      openId: 'ou_tml',
      roles: [{ role: 'township_main_leader', scope: 'region:town-01' }],
    },
    {
      code: 'p-dl',
      name: '赵局长',
      mobile: '13900000005',
      openId: 'ou_dl',
      roles: [{ role: 'department_leader', scope: 'department:yjj' }],
    },
    {
      code: 'p-cl',
      name: '钱县长',
      mobile: '13900000006',
      openId: 'ou_cl',
      roles: [{ role: 'county_leader', scope: 'county' }],
    },
    {
      code: 'p-tlc2',
      name: '周分管',
      mobile: '13900000007',
      openId: 'ou_tlc2',
      roles: [{ role: 'township_leader_in_charge', scope: 'region:town-02' }],
    },
    {
      code: 'p-insp',
      name: '孙检查',
      mobile: '13900000008',
      openId: 'ou_insp',
      roles: [{ role: 'inspector', scope: 'county' }],
    },
  ],
  enterprises: [
    {
      code: 'e001',
      name: '某某化工有限公司',
      region: 'town-01',
      sectors: ['危险化学品'],
      department: 'yjj',
      principal: 'p-resp',
    },
    {
      code: 'e002',
      name: '河西电梯维保站',
      region: 'town-02',
      sectors: ['特种设备'],
      department: 'scjgj',
      principal: 'p-resp2',
    },
  ],
};

export const COUNTY_OPEN_IDS = COUNTY_DIRECTORY.people.map((p) => p.openId);

let sequence = 0;

export interface TestHazard {
  enterprise?: string;
  grade?: 'general' | 'major';
  status?: 'reported' | 'rectifying' | 'pending_verification' | 'closed';
  deadline: string;
  reportedAt: string;
  acknowledgedAt?: string | null;
  supervision?: 'none' | 'township' | 'county';
}

/** Inserts a hazard row as the report service would (assigned to the unit's principal); answers its code and id. */
export async function insertHazard(db: Database['db'], h: TestHazard): Promise<{ id: number; code: string }> {
  sequence += 1;
  const code = `YH-2026-${String(900000 + sequence).padStart(6, '0')}`;
  const [row] = rows<{ id: number }>(
    await db.execute(sql`
      insert into hazards (code, year, sequence, enterprise_id, region_id, department_id, sector, grade, status,
        description, location, measures, standard, deadline, deadline_set_at, responsible_id, reporter_id,
        supervision, reported_at, assigned_at, acknowledged_at)
      select ${code}, 2026, ${900000 + sequence}, e.id, e.region_id, e.department_id, '危险化学品', ${h.grade ?? 'general'},
        ${h.status ?? 'rectifying'}, '储罐区可燃气体报警器失效', '储罐区', '更换报警器', '报警器检定合格',
        ${h.deadline}::date, ${h.reportedAt}::timestamptz, e.principal_id,
        (select id from people where code = 'p-insp'), ${h.supervision ?? (h.grade === 'major' ? 'county' : 'none')},
        ${h.reportedAt}::timestamptz, ${h.reportedAt}::timestamptz, ${h.acknowledgedAt ?? null}::timestamptz
      from enterprises e where e.code = ${h.enterprise ?? 'e001'}
      returning id`),
  );
  return { id: Number(row!.id), code };
}
