import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryJson } from '../../src/directory/export.js';
import { resolveResponsibility } from '../../src/directory/responsibility.js';
import { createUnverifiedEnterprise } from '../../src/directory/unverified.js';
import {
  buildXlsx,
  creditCode,
  ENTERPRISE_HEADERS,
  mobile,
  PEOPLE_HEADERS,
  REGION_HEADERS,
  readXlsxSheets,
  sampleCounty,
} from '../fixtures/directory/sample.js';
import { startTestService, type TestService } from '../support/service.js';
import { buildZip } from '../support/zip.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the API's JSON answers as a user would, field by field.
const json = (response: Response): Promise<any> => response.json();

const TOKEN = 'directory-test-admin-token-0123456789';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

describe('the directory (组织名录) through the admin API', () => {
  let service: TestService;
  const auth = { authorization: `Bearer ${TOKEN}` };

  const upload = (files: { name: string; data: Buffer | string; type?: string }[], query = '') => {
    const form = new FormData();
    for (const file of files) form.append('file', new Blob([file.data], { type: file.type ?? XLSX }), file.name);
    return fetch(`${service.url}/api/admin/directory${query}`, { method: 'PUT', headers: auth, body: form });
  };
  const putJson = (body: unknown, query = '') =>
    fetch(`${service.url}/api/admin/directory${query}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const directory = async (): Promise<DirectoryJson> =>
    (await fetch(`${service.url}/api/admin/directory`, { headers: auth })).json() as Promise<DirectoryJson>;
  const batchGetIdCalls = () => service.sim.calls.filter((c) => c.api === 'contact.batch_get_id');

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: TOKEN });
    // 35 of the 40 people are in the company's Feishu; p036…p040 are not.
    for (let n = 1; n <= 35; n++)
      service.sim.addUser({ openId: `ou_person_${n}`, name: `人员${n}`, mobile: mobile(n) });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('refuses the admin routes without the right bearer token', async () => {
    const none = await fetch(`${service.url}/api/admin/directory`);
    expect(none.status).toBe(401);
    expect((await json(none)).error).toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/^管理令牌缺失或不正确/),
    });
    const wrong = await fetch(`${service.url}/api/admin/directory/template.xlsx`, {
      headers: { authorization: `Bearer ${TOKEN}x` },
    });
    expect(wrong.status).toBe(401);
    const upload = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ regions: [{ code: 'x', name: 'x' }] }),
    });
    expect(upload.status).toBe(401);
    expect((await directory()).regions).toEqual([]);
  });

  it('imports an XLSX of 3 townships, 2 departments, 20 enterprises and 40 people, resolving mobiles in Feishu', async () => {
    const response = await upload([{ name: '名录.xlsx', data: await buildXlsx(sampleCounty()) }]);
    const report = await json(response);
    expect(response.status, JSON.stringify(report)).toBe(200);
    expect(report.regions).toEqual({ created: 3, updated: 0, unchanged: 0, deactivated: 0 });
    expect(report.departments).toEqual({ created: 2, updated: 0, unchanged: 0, deactivated: 0 });
    expect(report.people).toEqual({ created: 40, updated: 0, unchanged: 0, deactivated: 0 });
    expect(report.enterprises).toEqual({ created: 20, updated: 0, unchanged: 0, deactivated: 0 });
    // 10 leaders' and inspectors' roles, plus p002's second role.
    expect(report.roles).toEqual({ created: 11, removed: 0, unchanged: 0 });
    expect(report.changed).toBe(true);

    // The five people Feishu does not know are listed with the reason, and the import still went through.
    expect(report.unresolved.map((u: { code: string }) => u.code)).toEqual(['p036', 'p037', 'p038', 'p039', 'p040']);
    expect(report.unresolved[0]).toMatchObject({ name: '人员36', mobile: mobile(36) });
    expect(report.unresolved[0].reason).toContain('手机号未在飞书通讯录中找到');
    const calls = batchGetIdCalls();
    expect(calls).toHaveLength(1);
    expect((calls[0]!.body as { mobiles: string[] }).mobiles).toHaveLength(40);

    const stored = await directory();
    expect(stored.regions.map((r) => [r.code, r.chatId])).toEqual([
      ['town-01', 'oc_town01_safety'],
      ['town-02', null],
      ['town-03', null],
    ]);
    const p001 = stored.people.find((p) => p.code === 'p001')!;
    expect(p001).toMatchObject({ name: '人员1', mobile: mobile(1), openId: 'ou_person_1' });
    expect(stored.people.find((p) => p.code === 'p040')!.openId).toBeNull();
    expect(stored.people.find((p) => p.code === 'p002')!.roles).toEqual([
      { role: 'inspector', scope: 'county' },
      { role: 'inspector', scope: 'department:yjj' },
    ]);
    expect(stored.enterprises.find((e) => e.code === 'e003')).toMatchObject({
      name: '企业3有限公司',
      creditCode: creditCode(3),
      region: 'town-01',
      sectors: ['工贸'],
      department: 'yjj',
      principal: 'p013',
      safetyOfficer: 'p034',
      verified: true,
    });
  });

  it('changes nothing when the same file is imported again, and looks up only the still unknown people', async () => {
    service.sim.calls.length = 0;
    const response = await upload([{ name: '名录.xlsx', data: await buildXlsx(sampleCounty()) }]);
    const report = await json(response);
    expect(response.status).toBe(200);
    expect(report.changed).toBe(false);
    expect(report.regions).toEqual({ created: 0, updated: 0, unchanged: 3, deactivated: 0 });
    expect(report.people).toEqual({ created: 0, updated: 0, unchanged: 40, deactivated: 0 });
    expect(report.enterprises).toEqual({ created: 0, updated: 0, unchanged: 20, deactivated: 0 });
    expect(report.roles).toEqual({ created: 0, removed: 0, unchanged: 11 });
    expect((batchGetIdCalls()[0]!.body as { mobiles: string[] }).mobiles).toEqual([36, 37, 38, 39, 40].map(mobile));
  });

  it('keeps a township group set before when a file leaves it empty; 无 removes it', async () => {
    const chatOf = async (code: string) => (await directory()).regions.find((r) => r.code === code)?.chatId;
    expect(await chatOf('town-01')).toBe('oc_town01_safety');
    // An admin's own sheet without the column (or with the cell empty) does not undo a 绑定 made in the group.
    const kept = await putJson({ regions: [{ code: 'town-01', name: '城关镇', parent: null }] }, '?mode=merge');
    expect(kept.status).toBe(200);
    expect(await chatOf('town-01')).toBe('oc_town01_safety');
    const removed = await putJson(
      { regions: [{ code: 'town-01', name: '城关镇', parent: null, chatId: '无' }] },
      '?mode=merge',
    );
    expect((await json(removed)).regions).toMatchObject({ updated: 1 });
    expect(await chatOf('town-01')).toBeNull();
    await putJson(
      { regions: [{ code: 'town-01', name: '城关镇', parent: null, chatId: 'oc_town01_safety' }] },
      '?mode=merge',
    );
    expect(await chatOf('town-01')).toBe('oc_town01_safety');
  });

  it('resolves who answers for an enterprise along the chain of responsibility', async () => {
    const chain = await resolveResponsibility(service.testDb.database.db, 'e003');
    expect(chain?.responsible).toEqual({ code: 'p013', name: '人员13', openId: 'ou_person_13' });
    expect(chain?.townshipLeaderInCharge.map((p) => p.code)).toEqual(['p005']);
    expect(chain?.townshipMainLeader.map((p) => p.code)).toEqual(['p008']);
    expect(chain?.departmentLeader.map((p) => p.code)).toEqual(['p003']);
    expect(chain?.countyLeaders.map((p) => p.code)).toEqual(['p001']);
    expect(chain?.inspectors.map((p) => p.code)).toEqual(['p002']);
    const officer = await resolveResponsibility(service.testDb.database.db, 'e003', { responsible: 'safety_officer' });
    expect(officer?.responsible?.code).toBe('p034');
    expect(await resolveResponsibility(service.testDb.database.db, 'nope')).toBeNull();
  });

  it('rejects a file with six different errors, listing all six with sheet and row, and applies nothing', async () => {
    const before = await directory();
    const county = sampleCounty();
    county.区域.push(['town-02', '白鹤镇（重复）', '', '']); // row 5: duplicate code
    county.区域[3]![3] = '石桥乡安全生产群'; // row 4: the group's name instead of its chat_id
    county.人员[2]![2] = '1380000'; // p002's first row (row 3): malformed mobile
    county.企业[2]![2] = `${creditCode(2).slice(0, 17)}${creditCode(2).endsWith('0') ? '1' : '0'}`; // row 3: bad check digit
    county.企业[5]![3] = 'town-09'; // row 6: unknown township
    county.企业[8]![6] = ''; // row 9: no principal
    county.企业[1]![1] = '新名字'; // a valid change, which must not be applied either
    const response = await upload([{ name: '名录.xlsx', data: await buildXlsx(county) }]);
    const body = await json(response);
    expect(response.status).toBe(400);
    expect(body.error.code).toBe('invalid_directory');
    expect(body.error.message).toContain('6 处问题');
    const details = body.error.details as { sheet: string; row: number; column?: string; reason: string }[];
    expect(details.map((d) => [d.sheet, d.row, d.column])).toEqual([
      ['区域', 4, '群聊ID'],
      ['区域', 5, '区域编码'],
      ['人员', 3, '手机号'],
      ['企业', 3, '统一社会信用代码'],
      ['企业', 6, '所属乡镇'],
      ['企业', 9, '主要负责人'],
    ]);
    expect(details[0]!.reason).toContain('以 oc_ 开头');
    expect(details[1]!.reason).toContain('town-02 重复');
    expect(details[2]!.reason).toContain('11 位');
    expect(details[3]!.reason).toContain('校验位');
    expect(details[4]!.reason).toContain('town-09');
    expect(details[5]!.reason).toContain('主要负责人');
    expect(await directory()).toEqual(before);
  });

  it('reports a region cycle, an unknown role and a role over an unknown scope in a JSON import', async () => {
    const response = await putJson(
      {
        regions: [
          { code: 'a', name: '甲', parent: 'b' },
          { code: 'b', name: '乙', parent: 'a' },
        ],
        people: [
          {
            code: 'p900',
            name: '王五',
            mobile: '13900009000',
            roles: [
              { role: 'mayor', scope: 'county' },
              { role: 'inspector', scope: 'region:nowhere' },
              { role: 'township_main_leader', scope: 'county' },
            ],
          },
        ],
      },
      '?mode=merge',
    );
    const body = await json(response);
    expect(response.status).toBe(400);
    const reasons = (body.error.details as { sheet: string; reason: string }[]).map((d) => `${d.sheet}: ${d.reason}`);
    expect(reasons).toHaveLength(4);
    expect(reasons[0]).toMatch(/^regions: 区域的上下级关系成环：a → b → a/);
    expect(reasons.some((r) => r.startsWith('people: 未知角色“mayor”'))).toBe(true);
    expect(reasons.some((r) => r.includes('未知区域 nowhere'))).toBe(true);
    expect(reasons.some((r) => r.includes('的范围应为 region:<编码>'))).toBe(true);
  });

  it('names every problem of a row, in JSON and in an XLSX, and applies nothing (issue 17 point 7)', async () => {
    const before = await directory();
    type Detail = { sheet: string; row: number; column?: string; reason: string };
    const where = (details: Detail[]) => details.map((d) => `${d.sheet} ${d.row} ${d.column}`);
    const badCredit = `${creditCode(1).slice(0, 17)}${creditCode(1).endsWith('0') ? '1' : '0'}`;

    const fromJson = await putJson(
      {
        people: [
          { code: 'p001', name: '人员1', mobile: '1380000', roles: [{ role: 'inspector', scope: 'region:nowhere' }] },
        ],
        enterprises: [
          { code: 'e001', name: '企业1有限公司', region: 'town-09', department: 'nodept', principal: 'p404' },
        ],
      },
      '?mode=merge',
    );
    const jsonBody = await json(fromJson);
    expect(fromJson.status).toBe(400);
    const jsonDetails = jsonBody.error.details as Detail[];
    expect(where(jsonDetails)).toEqual([
      'people 1 mobile',
      'people 1 roles[0].scope',
      'enterprises 1 region',
      'enterprises 1 department',
      'enterprises 1 principal',
    ]);
    expect(jsonDetails[1]!.reason).toBe('角色范围中的未知区域 nowhere：名录和本文件中都没有');

    const county = sampleCounty();
    county.人员[1] = ['p001', '人员1', '1380000', '', '', '县领导', 'region:nowhere'];
    county.企业[1] = ['e001', '企业1有限公司', badCredit, 'town-09', '工贸', 'nodept', 'p404', '', '工业园1号'];
    const fromXlsx = await upload([{ name: '名录.xlsx', data: await buildXlsx(county) }]);
    const xlsxBody = await json(fromXlsx);
    expect(fromXlsx.status).toBe(400);
    expect(xlsxBody.error.message).toContain('6 处问题');
    expect(where(xlsxBody.error.details)).toEqual([
      '人员 2 手机号',
      '人员 2 范围',
      '企业 2 统一社会信用代码',
      '企业 2 所属乡镇',
      '企业 2 主管部门',
      '企业 2 主要负责人',
    ]);
    expect(await directory()).toEqual(before);
  });

  it('refuses unknown columns and fields rather than reading them as empty, and answers a name with its code', async () => {
    const before = await directory();
    expect(before.people.filter((p) => p.mobile).length).toBeGreaterThan(30);
    type Detail = { sheet: string; row: number; column?: string; reason: string };

    // A merge whose 手机号 header was renamed: without the refusal every mobile would be blanked.
    const county = sampleCounty();
    county.人员[0] = county.人员[0]!.map((h) => (h === '手机号' ? '移动电话' : h));
    const renamed = await upload([{ name: '名录.xlsx', data: await buildXlsx({ 人员: county.人员 }) }], '?mode=merge');
    expect(renamed.status).toBe(400);
    const renamedDetails = (await json(renamed)).error.details as Detail[];
    expect(renamedDetails[0]).toMatchObject({ sheet: '人员', row: 1, column: '移动电话' });
    expect(renamedDetails[0]!.reason).toMatch(/^未知的列“移动电话”；人员表可用的列：人员编码、姓名、手机号/);

    // The same mistake in JSON: `手机` for `mobile`.
    const misnamed = await putJson({ people: [{ code: 'p011', name: '人员11', 手机: '13900000011' }] }, '?mode=merge');
    expect(misnamed.status).toBe(400);
    const misnamedDetails = (await json(misnamed)).error.details as Detail[];
    expect(misnamedDetails).toEqual([
      expect.objectContaining({ sheet: 'people', row: 1, column: '手机', reason: expect.stringContaining('mobile') }),
    ]);

    // A township written by its name where its code belongs.
    const byName = await putJson(
      { enterprises: [{ code: 'e001', name: '企业1有限公司', region: '城关镇', principal: '人员11' }] },
      '?mode=merge',
    );
    expect(byName.status).toBe(400);
    const byNameDetails = (await json(byName)).error.details as Detail[];
    expect(byNameDetails.map((d) => d.reason)).toEqual([
      expect.stringContaining('“城关镇”是名称，请填写它的编码 town-01'),
      expect.stringContaining('“人员11”是名称，请填写它的编码 p011'),
    ]);
    expect(await directory()).toEqual(before);
  });

  it('a merge never blanks a field whose column or key it does not have', async () => {
    const before = await directory();
    const p011 = before.people.find((p) => p.code === 'p011')!;
    expect(p011.mobile).toBeTruthy();
    // A sheet of just codes and names (no 手机号 column), and JSON without `mobile`: names change, mobiles stay.
    const sheet = await upload(
      [
        {
          name: '名录.xlsx',
          data: await buildXlsx({
            人员: [
              ['人员编码', '姓名'],
              ['p011', '人员11（改）'],
            ],
          }),
        },
      ],
      '?mode=merge',
    );
    expect(sheet.status, JSON.stringify(await json(sheet.clone()))).toBe(200);
    let after = (await directory()).people.find((p) => p.code === 'p011')!;
    expect(after).toMatchObject({ name: '人员11（改）', mobile: p011.mobile, openId: p011.openId });
    const fromJson = await putJson({ people: [{ code: 'p011', name: '人员11' }] }, '?mode=merge');
    expect(fromJson.status).toBe(200);
    after = (await directory()).people.find((p) => p.code === 'p011')!;
    expect(after).toMatchObject({ name: '人员11', mobile: p011.mobile, openId: p011.openId });
  });

  it('refuses a zip bomb and a sheet claiming three million rows at once, before inflating them', async () => {
    const before = await directory();
    const bomb = buildZip([{ name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(256 * 1024 * 1024) }]);
    const liar = buildZip([
      {
        name: 'xl/worksheets/sheet1.xml',
        data: Buffer.from('<worksheet><dimension ref="A1:I3000000"/><sheetData/></worksheet>'),
      },
    ]);
    for (const [name, data, reason] of [
      ['bomb.xlsx', bomb, /压缩比异常/],
      ['liar.xlsx', liar, /声明有 3,000,000 行，超过上限 100,000 行/],
    ] as const) {
      const started = performance.now();
      const response = await upload([{ name, data }]);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(response.status).toBe(400);
      const details = (await json(response)).error.details as { sheet: string; reason: string }[];
      expect(details[0]).toEqual({ sheet: name, row: 0, reason: expect.stringMatching(reason) });
    }
    const rows = `编码,名称\n${'x,y\n'.repeat(100_001)}`;
    const csv = await upload([{ name: '区域.csv', data: rows, type: 'text/csv' }]);
    expect(csv.status).toBe(400);
    expect(JSON.stringify(await json(csv))).toContain('超过上限 100,000 行');
    expect(await directory()).toEqual(before);
  });

  it('says which types it takes when sent something else', async () => {
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: '城关镇',
    });
    expect(response.status).toBe(415);
    const body = await json(response);
    expect(body.error.code).toBe('unsupported_media_type');
    expect(body.error.message).toContain('组织名录只接受 JSON（application/json）、xlsx');
  });

  it('lists the first 100 problems of a bad file and counts the rest', async () => {
    const people = Array.from({ length: 130 }, (_, i) => ({ code: `q${i}`, name: `某${i}`, mobile: '123' }));
    const response = await putJson({ people }, '?mode=merge');
    const body = await json(response);
    expect(response.status).toBe(400);
    expect(body.error.message).toContain('名录有 130 处问题');
    expect(body.error.message).toContain('details 列出前 100 处，另有 30 处问题未列出');
    expect(body.error.details).toHaveLength(100);
    expect(body.error.details[99]).toMatchObject({ sheet: 'people', row: 100, column: 'mobile' });
  });

  it('reads formula-looking cells as text, never as formulas, and escapes them on export', async () => {
    const county = sampleCounty();
    county.企业[1]![1] = '=HYPERLINK("http://evil.example","点我")';
    county.企业[1]![8] = '@SUM(1+1)';
    county.人员[20]![1] = '-2+3';
    const cells: Record<string, unknown[][]> = { ...county };
    // A real formula cell: its stored result is what counts, the formula is never run.
    cells.企业![2]![8] = { formula: 'CONCAT("工业园","2号")', result: '工业园2号' };
    const response = await upload([{ name: '名录.xlsx', data: await buildXlsx(cells as never) }]);
    expect(response.status, JSON.stringify(await json(response.clone()))).toBe(200);
    const stored = await directory();
    expect(stored.enterprises.find((e) => e.code === 'e001')).toMatchObject({
      name: '=HYPERLINK("http://evil.example","点我")',
      address: '@SUM(1+1)',
    });
    expect(stored.enterprises.find((e) => e.code === 'e002')!.address).toBe('工业园2号');

    const exported = await fetch(`${service.url}/api/admin/directory/export.xlsx`, { headers: auth });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toBe(XLSX);
    const data = Buffer.from(await exported.arrayBuffer());
    const sheets = await readXlsxSheets(data);
    const e001 = sheets.企业!.find((row) => row[0] === 'e001')!;
    expect(e001[1]).toBe('\'=HYPERLINK("http://evil.example","点我")');
    expect(e001[8]).toBe("'@SUM(1+1)");
    expect(sheets.人员!.find((row) => row[1]?.includes('2+3'))?.[1]).toBe("'-2+3");

    // The export is the same directory: importing it back in full changes nothing.
    const again = await upload([{ name: 'export.xlsx', data }]);
    const report = await json(again);
    expect(again.status, JSON.stringify(report)).toBe(200);
    expect(report.changed).toBe(false);
  });

  it('accepts the same lists as CSV files, and deactivates what a full import no longer lists', async () => {
    const county = sampleCounty();
    const csv = (rows: string[][]) =>
      rows.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\r\n');
    county.企业.splice(20, 1); // e020 is gone from the list
    county.人员 = county.人员.filter((row) => row[0] !== 'p038');
    const files = Object.entries(county).map(([name, rows]) => ({
      name: `${name}.csv`,
      data: `\uFEFF${csv(rows)}`,
      type: 'text/csv',
    }));
    const response = await upload(files);
    const report = await json(response);
    expect(response.status, JSON.stringify(report)).toBe(200);
    expect(report.enterprises).toMatchObject({ created: 0, deactivated: 1 });
    expect(report.people).toMatchObject({ created: 0, deactivated: 1 });
    const stored = await directory();
    expect(stored.enterprises.map((e) => e.code)).not.toContain('e020');
    expect(stored.people.map((p) => p.code)).not.toContain('p038');
    // Deactivated, not deleted: a listed again entry comes back as an update.
    const back = await upload([{ name: '名录.xlsx', data: await buildXlsx(sampleCounty()) }]);
    const backReport = await json(back);
    expect(backReport.enterprises).toMatchObject({ created: 0, updated: 1, deactivated: 0 });
    expect(backReport.people).toMatchObject({ created: 0, updated: 1, deactivated: 0 });
  });

  it('lists units reported in the field, keeps them through full imports, and confirms or merges them', async () => {
    const db = service.testDb.database.db;
    const workshop = await createUnverifiedEnterprise(db, {
      name: '路边小作坊',
      regionCode: 'town-02',
      reportedBy: 'p002',
    });
    const shop = await createUnverifiedEnterprise(db, { name: '五金店', regionCode: 'town-03' });
    expect(workshop.created).toBe(true);
    expect(workshop.code).toMatch(/^UV-\d{6}$/);
    expect(await createUnverifiedEnterprise(db, { name: '路边小作坊', regionCode: 'town-02' })).toEqual({
      ...workshop,
      created: false,
    });
    const full = await upload([{ name: '名录.xlsx', data: await buildXlsx(sampleCounty()) }]);
    expect((await json(full)).enterprises.deactivated).toBe(0);
    // An inspector scoped to the workshop, to see the reference move on merge.
    const scoped = await putJson(
      {
        people: [
          {
            code: 'p039',
            name: '人员39',
            mobile: mobile(39),
            roles: [{ role: 'inspector', scope: `enterprise:${workshop.code}` }],
          },
        ],
      },
      '?mode=merge',
    );
    expect(scoped.status).toBe(200);

    const listed = await json(await fetch(`${service.url}/api/admin/directory/unverified`, { headers: auth }));
    expect(listed.enterprises).toMatchObject([
      {
        code: workshop.code,
        name: '路边小作坊',
        region: { code: 'town-02', name: '白鹤镇' },
        reportedBy: { code: 'p002' },
      },
      { code: shop.code, name: '五金店', reportedBy: null },
    ]);

    const post = (path: string, body?: unknown) =>
      fetch(`${service.url}/api/admin/directory/unverified/${path}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    expect((await post(`${workshop.code}/merge`, { into: 'e404' })).status).toBe(404);
    const merged = await post(`${workshop.code}/merge`, { into: 'e001' });
    expect(merged.status).toBe(200);
    expect(await json(merged)).toMatchObject({ into: { code: 'e001' }, moved: { roleAssignments: 1 } });
    const confirmed = await post(`${shop.code}/confirm`);
    expect(confirmed.status).toBe(200);
    expect((await post(`${shop.code}/confirm`)).status).toBe(409);

    const after = await json(await fetch(`${service.url}/api/admin/directory/unverified`, { headers: auth }));
    expect(after.enterprises).toEqual([]);
    const stored = await directory();
    expect(stored.people.find((p) => p.code === 'p039')!.roles).toEqual([
      { role: 'inspector', scope: 'enterprise:e001' },
    ]);
    expect(stored.enterprises.find((e) => e.code === shop.code)).toMatchObject({ verified: true, region: 'town-03' });
    expect(stored.enterprises.map((e) => e.code)).not.toContain(workshop.code);
  });

  it('offers a template with headers and an example row per sheet, which imports as it is', async () => {
    const response = await fetch(`${service.url}/api/admin/directory/template.xlsx`, { headers: auth });
    expect(response.status).toBe(200);
    const data = Buffer.from(await response.arrayBuffer());
    const sheets = await readXlsxSheets(data);
    expect(Object.keys(sheets)).toEqual(['区域', '部门', '人员', '企业', '填写说明']);
    expect(sheets.区域![0]).toEqual(REGION_HEADERS);
    expect(sheets.人员![0]).toEqual(PEOPLE_HEADERS);
    expect(sheets.企业![0]!.slice(0, ENTERPRISE_HEADERS.length)).toEqual(ENTERPRISE_HEADERS);
    expect(sheets.企业).toHaveLength(2);
    // Sent as a raw xlsx body this time (curl --data-binary), not multipart.
    const imported = await fetch(`${service.url}/api/admin/directory?mode=merge`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': XLSX },
      body: data,
    });
    expect(imported.status, JSON.stringify(await json(imported.clone()))).toBe(200);
  });
});

describe('the admin API without ADMIN_TOKEN', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('answers 503 admin_disabled, even with a token', async () => {
    const response = await fetch(`${service.url}/api/admin/directory/unverified`, {
      headers: { authorization: 'Bearer anything-at-all-1234' },
    });
    expect(response.status).toBe(503);
    expect((await json(response)).error).toMatchObject({
      code: 'admin_disabled',
      message: expect.stringMatching(/^管理接口未启用：设置 ADMIN_TOKEN 后可用/),
    });
  });
});
