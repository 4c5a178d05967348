// Issue 20 point 4: checklists through the real service — the shipped defaults after start, imports in JSON, XLSX and
// CSV (replace or merge), every problem listed and nothing applied on error, versions bumped only by a change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHECKLISTS } from '../../src/inspections/checklists/default-set.js';
import { CHECKLIST_COLUMNS } from '../../src/inspections/checklists/model.js';
import {
  type ChecklistsJson,
  checklistsForSectors,
  checklistWithItems,
  ensureDefaultChecklists,
  listChecklists,
} from '../../src/inspections/checklists/store.js';
import { buildXlsx, readXlsxSheets } from '../fixtures/directory/sample.js';
import { startTestService, type TestService } from '../support/service.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the API's JSON answers as a user would, field by field.
const json = (response: Response): Promise<any> => response.json();

const TOKEN = 'checklists-test-admin-token-0123456789';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const HEADERS = CHECKLIST_COLUMNS.map((c) => c.header);
const DEFAULT_CODES = ['default-gm', 'default-whp', 'default-xf', 'default-rq', 'default-tzsb'];

/** Two county checklists in the import's JSON form. */
const countyChecklists = () => ({
  checklists: [
    {
      code: 'wh-01',
      name: '危险化学品企业重大隐患排查',
      sector: '危险化学品',
      items: [
        { code: '1', text: '主要负责人经考核合格', basis: '安监总管三〔2017〕121号 第一条', major: true },
        { code: '2', text: '特种作业人员持证上岗', basis: '安监总管三〔2017〕121号 第二条', major: true },
        { code: '3', text: '应急预案已制定并演练', basis: '《安全生产法》第八十一条', major: false },
      ],
    },
    {
      code: 'xf-01',
      name: '消防检查',
      sector: '消防',
      items: [{ code: '1', text: '疏散通道畅通', basis: '《消防法》第二十八条', major: false }],
    },
  ],
});

describe('checklists (检查表) through the admin API', () => {
  let service: TestService;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const db = () => service.deps.database.db;

  const putJson = (body: unknown, query = '') =>
    fetch(`${service.url}/api/admin/checklists${query}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const upload = (files: { name: string; data: Buffer | string; type?: string }[], query = '') => {
    const form = new FormData();
    for (const file of files) form.append('file', new Blob([file.data], { type: file.type ?? XLSX }), file.name);
    return fetch(`${service.url}/api/admin/checklists${query}`, { method: 'PUT', headers: auth, body: form });
  };
  const stored = async (query = ''): Promise<ChecklistsJson> =>
    json(await fetch(`${service.url}/api/admin/checklists${query}`, { headers: auth }));
  const byCode = async () => new Map((await stored()).checklists.map((c) => [c.code, c]));

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('starts with the shipped default set: five sectors, active, version 1, items in order', async () => {
    const all = await stored();
    expect(all.checklists.map((c) => [c.code, c.sector, c.source, c.active, c.version])).toEqual(
      [...DEFAULT_CHECKLISTS]
        .sort((a, b) => (a.sector < b.sector ? -1 : a.sector > b.sector ? 1 : 0))
        .map((c) => [c.code, c.sector, 'default', true, 1]),
    );
    expect(all.checklists.find((c) => c.code === 'default-whp')!.items).toEqual(
      DEFAULT_CHECKLISTS.find((c) => c.code === 'default-whp')!.items,
    );

    // The reads the inspection flow uses.
    const forUnit = await checklistsForSectors(db(), ['消防', '危险化学品', '建筑施工']);
    expect(forUnit.map((c) => [c.sector, c.code])).toEqual([
      ['危险化学品', 'default-whp'],
      ['消防', 'default-xf'],
    ]);
    expect(forUnit[0]).toMatchObject({ source: 'default', active: true, version: 1, itemCount: 23 });
    expect(await checklistsForSectors(db(), [])).toEqual([]);
    const whp = await checklistWithItems(db(), 'default-whp');
    expect(whp).toMatchObject({ code: 'default-whp', sector: '危险化学品', version: 1, active: true });
    expect(whp!.items.map((i) => i.position)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(whp!.items[0]).toEqual({
      code: '1',
      position: 1,
      text: DEFAULT_CHECKLISTS[0]!.items[0]!.text,
      basis: '安监总管三〔2017〕121号 第一条',
      major: true,
    });
    expect(await checklistWithItems(db(), 'nope')).toBeUndefined();
    expect((await listChecklists(db(), { sector: '燃气', activeOnly: true })).map((c) => c.code)).toEqual([
      'default-rq',
    ]);
  });

  it('brings the defaults in use up to date at start-up: a changed one gets a new version, the others not', async () => {
    expect(await ensureDefaultChecklists(db(), new Date())).toBe('unchanged');
    const corrected = DEFAULT_CHECKLISTS.map((c) =>
      c.code === 'default-xf'
        ? { ...c, items: c.items.map((i, n) => (n === 0 ? { ...i, text: `${i.text}。` } : i)) }
        : c,
    );
    expect(await ensureDefaultChecklists(db(), new Date(), corrected)).toBe('refreshed');
    const after = await byCode();
    expect(after.get('default-xf')).toMatchObject({ version: 2, source: 'default' });
    expect(after.get('default-xf')!.items[0]!.text).toMatch(/。$/);
    expect(after.get('default-whp')!.version).toBe(1);
    // Back to the set this release ships (a third version: versions only go up).
    expect(await ensureDefaultChecklists(db(), new Date())).toBe('refreshed');
    expect((await byCode()).get('default-xf')!.version).toBe(3);
  });

  it('refuses the routes without the admin token', async () => {
    expect((await fetch(`${service.url}/api/admin/checklists`)).status).toBe(401);
    const put = await fetch(`${service.url}/api/admin/checklists`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(countyChecklists()),
    });
    expect(put.status).toBe(401);
    expect((await stored()).checklists.every((c) => c.source === 'default')).toBe(true);
  });

  it('lists every problem of a bad file with sheet, row and column, and changes nothing', async () => {
    const before = await stored();
    const data = await buildXlsx({
      检查表: [
        [...HEADERS, '备注'],
        ['wh-01', '危化检查', '危险化学品', '1', '内容一', '依据一', '是', ''],
        ['wh-01', '', '', '1', '内容二', '', '也许', ''],
        ['gm-01', '工贸检查', '冶金', 'A 1', '内容三', '依据三', '否', ''],
      ],
      填写说明: [['填写说明'], ['这一页不会被导入']],
    });
    const response = await upload([{ name: '检查表.xlsx', data }]);
    const body = await json(response);
    expect(response.status).toBe(400);
    expect(body.error.code).toBe('invalid_checklists');
    expect(body.error.message).toBe('检查表有 6 处问题，未导入任何内容；请按 details 逐条修改后重新导入');
    expect(
      body.error.details.map((d: { sheet: string; row: number; column: string }) => [d.sheet, d.row, d.column]),
    ).toEqual([
      ['检查表', 1, '备注'],
      ['检查表', 3, '条目编码'],
      ['检查表', 3, '依据条款'],
      ['检查表', 3, '是否重大隐患'],
      ['检查表', 4, '行业'],
      ['检查表', 4, '条目编码'],
    ]);
    expect(body.error.details[0].reason).toBe(`未知的列“备注”；检查表可用的列：${HEADERS.join('、')}`);
    expect(await stored()).toEqual(before);
  });

  it('names at most 100 problems and counts the rest', async () => {
    const items = Array.from({ length: 150 }, (_, i) => ({ code: `${i}`, text: '', basis: '依据' }));
    const response = await putJson({ checklists: [{ code: 'big', name: '大表', sector: '工贸', items }] });
    const body = await json(response);
    expect(response.status).toBe(400);
    expect(body.error.details).toHaveLength(100);
    expect(body.error.details[0]).toEqual({
      sheet: 'checklists',
      row: 1,
      column: 'checklists[0].items[0].text',
      reason: '缺少检查内容',
    });
    expect(body.error.message).toBe(
      '检查表有 150 处问题，未导入任何内容；请按 details 逐条修改后重新导入（details 列出前 100 处，另有 50 处问题未列出）',
    );
  });

  it('replaces the set with a JSON import: the defaults become inactive, never deleted', async () => {
    const response = await putJson(countyChecklists());
    const report = await json(response);
    expect(response.status, JSON.stringify(report)).toBe(200);
    expect(report).toEqual({ mode: 'replace', created: 2, updated: 0, unchanged: 0, deactivated: 5, items: 4 });
    const after = await byCode();
    expect([...after.keys()].sort()).toEqual([...DEFAULT_CODES, 'wh-01', 'xf-01'].sort());
    for (const code of DEFAULT_CODES) expect(after.get(code)).toMatchObject({ active: false, source: 'default' });
    expect(after.get('wh-01')).toMatchObject({ active: true, source: 'county', version: 1 });
    expect((await checklistsForSectors(db(), ['危险化学品', '消防'])).map((c) => c.code)).toEqual(['wh-01', 'xf-01']);
    // An inactive checklist can still be read (inspections made with it point at it).
    expect(await checklistWithItems(db(), 'default-whp')).toMatchObject({ active: false });
    expect((await stored('?active=true')).checklists.map((c) => c.code)).toEqual(['wh-01', 'xf-01']);
    // A later start neither brings the defaults back nor touches them.
    expect(await ensureDefaultChecklists(db(), new Date())).toBe('unchanged');
    expect((await byCode()).get('default-whp')).toMatchObject({ active: false, version: 1 });
  });

  it('bumps the version of a changed checklist only; the same import twice changes nothing', async () => {
    const again = await json(await putJson(countyChecklists()));
    expect(again).toEqual({ mode: 'replace', created: 0, updated: 0, unchanged: 2, deactivated: 0, items: 4 });
    const changed = countyChecklists();
    changed.checklists[0]!.items[2]!.text = '应急预案已制定，每年至少演练一次';
    changed.checklists[0]!.items.push({ code: '4', text: '新增条目', basis: '依据', major: false });
    const report = await json(await putJson(changed));
    expect(report).toEqual({ mode: 'replace', created: 0, updated: 1, unchanged: 1, deactivated: 0, items: 5 });
    const wh = await checklistWithItems(db(), 'wh-01');
    expect(wh).toMatchObject({ version: 2 });
    expect(wh!.items.map((i) => [i.code, i.position, i.text])).toEqual([
      ['1', 1, '主要负责人经考核合格'],
      ['2', 2, '特种作业人员持证上岗'],
      ['3', 3, '应急预案已制定，每年至少演练一次'],
      ['4', 4, '新增条目'],
    ]);
    expect((await checklistWithItems(db(), 'xf-01'))!.version).toBe(1);
    // Reordering is a change too: the card lists items in this order.
    changed.checklists[0]!.items.reverse();
    expect(await json(await putJson(changed))).toMatchObject({ updated: 1, unchanged: 1 });
    expect((await checklistWithItems(db(), 'wh-01'))!.items.map((i) => i.code)).toEqual(['4', '3', '2', '1']);
    expect((await checklistWithItems(db(), 'wh-01'))!.version).toBe(3);
  });

  it('merges an XLSX workbook: adds and replaces the listed checklists, deactivates nothing', async () => {
    const data = await buildXlsx({
      检查表: [
        HEADERS,
        ['tz-01', '电梯检查', '特种设备', '1', '电梯检验合格', 'GB 45067-2024 5.6.1', 'Y'],
        ['', '', '', '2', '门锁回路未短接', 'GB 45067-2024 5.6.4', 'true'],
        ['xf-01', '消防检查', '消防', '1', '疏散通道畅通', '《消防法》第二十八条', '0'],
        ['xf-01', '', '', '2', '消火栓未被遮挡', '《消防法》第二十八条', ''],
      ],
    });
    const response = await upload([{ name: '检查表.xlsx', data }], '?mode=merge');
    const report = await json(response);
    expect(response.status, JSON.stringify(report)).toBe(200);
    expect(report).toEqual({ mode: 'merge', created: 1, updated: 1, unchanged: 0, deactivated: 0, items: 4 });
    const after = await byCode();
    expect(after.get('wh-01')).toMatchObject({ active: true, version: 3 });
    expect(after.get('tz-01')).toMatchObject({ active: true, version: 1, sector: '特种设备', source: 'county' });
    expect(after.get('tz-01')!.items.map((i) => i.major)).toEqual([true, true]);
    expect(after.get('xf-01')).toMatchObject({ version: 2 });
    expect(after.get('xf-01')!.items.map((i) => [i.code, i.major])).toEqual([
      ['1', false],
      ['2', false],
    ]);
  });

  it('accepts CSV, as a raw body and as an uploaded file', async () => {
    const csv = [
      HEADERS.join(','),
      'rq-01,燃气检查,燃气,1,持有燃气经营许可证,建城规〔2023〕4号 第四条第（一）项,是',
    ].join('\r\n');
    const raw = await fetch(`${service.url}/api/admin/checklists?mode=merge`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'text/csv', 'x-file-name': 'gas' },
      body: `\uFEFF${csv}`,
    });
    const report = await json(raw);
    expect(raw.status, JSON.stringify(report)).toBe(200);
    expect(report).toMatchObject({ created: 1, items: 1 });
    expect(await checklistWithItems(db(), 'rq-01')).toMatchObject({ sector: '燃气', items: [{ major: true }] });
    const file = await upload(
      [{ name: '燃气.csv', data: `${csv}\r\n,,,2,入户检查有记录,《城镇燃气管理条例》,否`, type: 'text/csv' }],
      '?mode=merge',
    );
    expect(await json(file)).toMatchObject({ updated: 1, items: 2 });
    expect((await checklistWithItems(db(), 'rq-01'))!.version).toBe(2);
    // A bad CSV names its file.
    const bad = await upload([{ name: '燃气.csv', data: 'a,b\n1,2', type: 'text/csv' }], '?mode=merge');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.details[0]).toMatchObject({ sheet: '燃气.csv', row: 1 });
  });

  it('takes its own export back unchanged', async () => {
    const exported = await stored();
    const county = { checklists: exported.checklists.filter((c) => c.source === 'county') };
    const report = await json(await putJson(county, '?mode=merge'));
    expect(report).toMatchObject({ created: 0, updated: 0, unchanged: county.checklists.length });
    // Imported by the county, a default checklist becomes the county's own (and is no longer refreshed at start-up).
    const whp = exported.checklists.find((c) => c.code === 'default-whp')!;
    expect(await json(await putJson({ checklists: [whp] }, '?mode=merge'))).toMatchObject({ updated: 1 });
    expect((await byCode()).get('default-whp')).toMatchObject({ source: 'county', active: false, version: 1 });
  });

  it('offers a template with the headers and two example rows, which imports as it is', async () => {
    const response = await fetch(`${service.url}/api/admin/checklists/template.xlsx`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(XLSX);
    const data = Buffer.from(await response.arrayBuffer());
    const sheets = await readXlsxSheets(data);
    expect(sheets.检查表![0]).toEqual(HEADERS);
    expect(sheets.检查表).toHaveLength(3);
    const imported = await fetch(`${service.url}/api/admin/checklists?mode=merge`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': XLSX },
      body: data,
    });
    const report = await json(imported);
    expect(imported.status, JSON.stringify(report)).toBe(200);
    expect(report).toMatchObject({ items: 2 });
  });

  it('refuses a wrong mode and a body of another type, in our error format', async () => {
    const mode = await putJson(countyChecklists(), '?mode=append');
    expect(mode.status).toBe(400);
    expect((await json(mode)).error.code).toBe('invalid_request');
    const xml = await fetch(`${service.url}/api/admin/checklists`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/xml' },
      body: '<checklists/>',
    });
    expect(xml.status).toBe(415);
    expect((await json(xml)).error.message).toMatch(/^检查表只接受 JSON/);
    const text = await fetch(`${service.url}/api/admin/checklists`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: JSON.stringify(countyChecklists()),
    });
    expect(text.status).toBe(415);
  });
});
