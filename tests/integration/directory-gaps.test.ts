/**
 * The directory's gaps (名录缺口, issue #18): the roles a reminder addresses that resolve to nobody the bot can reach,
 * listed by GET /api/admin/directory/gaps and counted in the county leaders' digest until the directory is completed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertHazard } from '../support/reminders.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the API's JSON answers as a user would, field by field.
type Json = any;

const TOKEN = 'gaps-test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

const person = (code: string, name: string, n: number, openId: string | null, roles: object[] = []) => ({
  code,
  name,
  mobile: `139000001${String(n).padStart(2, '0')}`,
  ...(openId ? { openId } : {}),
  roles,
});

/**
 * 河西镇 has no township leaders, 县市场监管局 no leader, and 化工二厂's principal is not in Feishu (no open_id, and a
 * mobile the tenant does not know). 城关村 sits under 城关镇, whose leaders answer for it: no gap there.
 */
const GAPPY = {
  regions: [
    { code: 'cty', name: '某县', parent: null },
    { code: 'town-01', name: '城关镇', parent: 'cty' },
    { code: 'town-02', name: '河西镇', parent: 'cty' },
    { code: 'vil-01', name: '城关村', parent: 'town-01' },
  ],
  departments: [
    { code: 'yjj', name: '县应急管理局', sectors: ['工贸', '危险化学品'] },
    { code: 'scjgj', name: '县市场监管局', sectors: ['特种设备'] },
  ],
  people: [
    person('p-resp', '张责任', 1, 'ou_resp'),
    person('p-resp2', '吴老板', 2, 'ou_resp2'),
    person('p-nofs', '郑厂长', 3, null),
    person('p-tlc', '李分管', 4, 'ou_tlc', [{ role: 'township_leader_in_charge', scope: 'region:town-01' }]),
    person('p-tml', '王书记', 5, 'ou_tml', [{ role: 'township_main_leader', scope: 'region:town-01' }]),
    person('p-dl', '赵局长', 6, 'ou_dl', [{ role: 'department_leader', scope: 'department:yjj' }]),
    person('p-cl', '钱县长', 7, 'ou_cl', [{ role: 'county_leader', scope: 'county' }]),
    person('p-insp', '孙检查', 8, 'ou_insp', [{ role: 'inspector', scope: 'county' }]),
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
    {
      code: 'e003',
      name: '化工二厂',
      region: 'town-01',
      sectors: ['危险化学品'],
      department: 'yjj',
      principal: 'p-nofs',
    },
    { code: 'e004', name: '城关村机修店', region: 'vil-01', sectors: ['工贸'], department: 'yjj', principal: 'p-resp' },
  ],
};

/** The same directory completed: 河西镇's leaders, 市场监管局's leader, and 郑厂长 found in Feishu. */
const COMPLETE = {
  ...GAPPY,
  people: [
    ...GAPPY.people.map((p) => (p.code === 'p-nofs' ? { ...p, openId: 'ou_nofs' } : p)),
    person('p-tlc2', '周分管', 9, 'ou_tlc2', [{ role: 'township_leader_in_charge', scope: 'region:town-02' }]),
    person('p-tml2', '陈镇长', 10, 'ou_tml2', [{ role: 'township_main_leader', scope: 'region:town-02' }]),
    person('p-dl2', '冯局长', 11, 'ou_dl2', [{ role: 'department_leader', scope: 'department:scjgj' }]),
  ],
};

async function putDirectory(service: TestService, directory: object): Promise<void> {
  const response = await fetch(`${service.url}/api/admin/directory`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(directory),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

async function gaps(service: TestService): Promise<Json> {
  const response = await fetch(`${service.url}/api/admin/directory/gaps`, { headers: auth });
  const answer = await response.json();
  expect(response.status, JSON.stringify(answer)).toBe(200);
  return answer;
}

/** Open hazards: 1 at e001, 2 at e002 (and a closed one), 3 at e003 (one awaiting verification), 1 at e004. */
async function insertHazards(service: TestService): Promise<void> {
  const db = service.testDb.database.db;
  const at = { deadline: '2026-08-01', reportedAt: '2026-07-25T10:00:00+08:00' };
  await insertHazard(db, { ...at, enterprise: 'e001' });
  await insertHazard(db, { ...at, enterprise: 'e002' });
  await insertHazard(db, { ...at, enterprise: 'e002', status: 'reported' });
  await insertHazard(db, { ...at, enterprise: 'e002', status: 'closed' });
  await insertHazard(db, { ...at, enterprise: 'e003' });
  await insertHazard(db, { ...at, enterprise: 'e003' });
  await insertHazard(db, { ...at, enterprise: 'e003', status: 'pending_verification' });
  await insertHazard(db, { ...at, enterprise: 'e004' });
}

function addUsers(service: TestService): void {
  for (const p of COMPLETE.people)
    if (p.openId && p.code !== 'p-nofs') service.sim.addUser({ openId: p.openId, name: p.name });
}

describe('the directory gaps (名录缺口) with the default policy', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: TOKEN });
    addUsers(service);
    await putDirectory(service, GAPPY);
    await insertHazards(service);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('refuses the gaps without the admin token', async () => {
    const response = await fetch(`${service.url}/api/admin/directory/gaps`);
    expect(response.status).toBe(401);
  });

  it('lists exactly the township without leaders, the department without a leader and the principal out of Feishu', async () => {
    expect(await gaps(service)).toEqual({
      total: 4,
      gaps: [
        {
          scope: { kind: 'enterprise', code: 'e003', name: '化工二厂' },
          role: 'responsible',
          roleLabel: '整改责任人',
          holders: [{ code: 'p-nofs', name: '郑厂长', reason: 'no_open_id' }],
          openHazards: 3,
        },
        {
          scope: { kind: 'department', code: 'scjgj', name: '县市场监管局' },
          role: 'department_leader',
          roleLabel: '行业主管部门负责人',
          holders: [],
          openHazards: 2,
        },
        {
          scope: { kind: 'region', code: 'town-02', name: '河西镇' },
          role: 'township_leader_in_charge',
          roleLabel: '乡镇分管领导',
          holders: [],
          openHazards: 2,
        },
        {
          scope: { kind: 'region', code: 'town-02', name: '河西镇' },
          role: 'township_main_leader',
          roleLabel: '乡镇主要领导',
          holders: [],
          openHazards: 2,
        },
      ],
    });
  });

  it("names the gaps in the county leader's digest only, and drops the line once the directory is completed", async () => {
    const digestOf = (openId: string, day: string) =>
      service.sim.messages({ to: openId }).filter((m) => m.rawContent.includes(`每日隐患督办简报（${day}）`));
    await service.deps.reminders.digest({ at: new Date('2026-08-03T08:30:00+08:00') });
    for (const leader of ['ou_cl', 'ou_tlc', 'ou_tml', 'ou_dl']) {
      await eventually(() => digestOf(leader, '2026-08-03').length === 1, 10_000, `the digest of ${leader}`);
    }
    const county = digestOf('ou_cl', '2026-08-03')[0]!;
    expect(county.rawContent).toContain('名录缺口 4 处');
    expect(county.rawContent).toContain('请完善组织名录');
    expect(county.rawContent).toContain('GET /api/admin/directory/gaps');
    for (const leader of ['ou_tlc', 'ou_tml', 'ou_dl']) {
      expect(digestOf(leader, '2026-08-03')[0]!.rawContent).not.toContain('名录缺口');
    }

    // The admin completes the directory (a full re-import); the next day's digest says nothing of gaps.
    service.sim.addUser({ openId: 'ou_nofs', name: '郑厂长' });
    await putDirectory(service, COMPLETE);
    expect(await gaps(service)).toEqual({ total: 0, gaps: [] });
    await service.deps.reminders.digest({ at: new Date('2026-08-04T08:30:00+08:00') });
    await eventually(() => digestOf('ou_cl', '2026-08-04').length === 1, 10_000, "the next day's county digest");
    expect(digestOf('ou_cl', '2026-08-04')[0]!.rawContent).not.toContain('名录缺口');
  });
});

describe('the directory gaps under a policy file', () => {
  let service: TestService;

  beforeAll(async () => {
    // A policy that tells the principal and the township leader in charge, and no department or county leader.
    const dir = mkdtempSync(path.join(tmpdir(), 'gaps-policy-'));
    const file = path.join(dir, 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        steps: [
          {
            id: 'overdue',
            who: ['enterprise_principal', 'township_leader_in_charge'],
            when: { after: 'deadline', days: 0 },
            channel: 'card',
          },
        ],
      }),
    );
    service = await startTestService({ ADMIN_TOKEN: TOKEN, ESCALATION_POLICY_FILE: file });
    addUsers(service);
    await putDirectory(service, GAPPY);
    await insertHazards(service);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('counts only the roles the steps address, plus the responsible person every notice addresses', async () => {
    const answer = await gaps(service);
    expect(answer.gaps.map((g: Json) => [g.scope.code, g.role, g.openHazards])).toEqual([
      ['e003', 'responsible', 3],
      ['e003', 'enterprise_principal', 3],
      ['town-02', 'township_leader_in_charge', 2],
    ]);
    expect(answer.gaps[1].holders).toEqual([{ code: 'p-nofs', name: '郑厂长', reason: 'no_open_id' }]);
    expect(answer.total).toBe(3);
  });

  it('names a deactivated responsible person as such, while the unit has a new principal', async () => {
    // 郑厂长 leaves the directory (deactivated by the full import); 化工二厂 names 张责任 as its principal.
    await putDirectory(service, {
      ...GAPPY,
      people: GAPPY.people.filter((p) => p.code !== 'p-nofs'),
      enterprises: GAPPY.enterprises.map((e) => (e.code === 'e003' ? { ...e, principal: 'p-resp' } : e)),
    });
    const answer = await gaps(service);
    expect(answer.gaps.map((g: Json) => [g.scope.code, g.role, g.openHazards])).toEqual([
      ['e003', 'responsible', 3],
      ['town-02', 'township_leader_in_charge', 2],
    ]);
    expect(answer.gaps[0].holders).toEqual([{ code: 'p-nofs', name: '郑厂长', reason: 'inactive' }]);
  });
});
