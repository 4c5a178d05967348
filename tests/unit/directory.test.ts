import { describe, expect, it } from 'vitest';
import { BOT_NOT_IN_GROUP, checkTownshipChats } from '../../src/directory/check-chats.js';
import { checkCreditCode, checkMobile } from '../../src/directory/field-checks.js';
import type { DirectoryInput } from '../../src/directory/model.js';
import { parseJson, parseTables } from '../../src/directory/parse-input.js';
import { resolveOpenIds } from '../../src/directory/resolve-open-ids.js';
import { pickLeaders } from '../../src/directory/responsibility.js';
import { escapeCell, type RawTable, unescapeCell } from '../../src/directory/spreadsheet-cells.js';
import type { StoredPerson, StoredRegion } from '../../src/directory/state.js';
import { validateReferences } from '../../src/directory/validate.js';
import { emptyDirectoryState as emptyState } from '../support/directory-state.js';

const table = (name: string, rows: string[][]): RawTable => ({
  name,
  headers: rows[0]!,
  rows: rows.slice(1).map((cells, i) => ({ row: i + 2, cells: cells.map((c) => (c === '' ? undefined : c)) })),
  problems: [],
});

describe('field checks', () => {
  it('accepts real unified social credit codes and names the expected check character otherwise', () => {
    expect(checkCreditCode('91440300708461136T')).toEqual({ ok: true, value: '91440300708461136T' });
    expect(checkCreditCode('91350100m000100y43')).toEqual({ ok: true, value: '91350100M000100Y43' });
    const wrong = checkCreditCode('91440300708461136A');
    expect(wrong.ok).toBe(false);
    expect(!wrong.ok && wrong.reason).toContain('应为 T');
    expect(checkCreditCode('9144030070846113').ok).toBe(false);
    expect(checkCreditCode('91440300708461136I').ok).toBe(false);
  });

  it('normalises mainland mobiles and rejects anything else', () => {
    expect(checkMobile('+86 138-0000-0001')).toEqual({ ok: true, value: '13800000001' });
    expect(checkMobile('12800000001').ok).toBe(false);
    expect(checkMobile('1380000000').ok).toBe(false);
    expect(checkMobile('0571-88888888').ok).toBe(false);
  });

  it('escapes formula-looking text for export and reads the escaped form back unchanged', () => {
    for (const text of ['=1+1', '+86', '-2', '@SUM(A1)']) {
      expect(escapeCell(text)).toBe(`'${text}`);
      expect(unescapeCell(escapeCell(text))).toBe(text);
    }
    expect(escapeCell('城关镇')).toBe('城关镇');
    expect(unescapeCell("'普通文本")).toBe("'普通文本");
  });
});

describe('reading the spreadsheet form', () => {
  it('recognises sheets by name or header, accepts English headers, and reads one role per row', () => {
    const { input, issues } = parseTables([
      table('regions', [
        ['code', 'name', 'parent'],
        ['town-01', '城关镇', ''],
      ]),
      table('Sheet2', [
        ['人员编码', '姓名*', '手机号（必填）', '角色', '范围'],
        ['p1', '张三', '13800000001', '检查员', '全县'],
        ['p1', '', '', 'township_leader_in_charge', '区域:town-01'],
      ]),
    ]);
    expect(issues).toEqual([]);
    expect(input.present).toEqual(['regions', 'people']);
    expect(input.regions).toMatchObject([{ code: 'town-01', name: '城关镇', parent: null }]);
    expect(input.people).toHaveLength(1);
    expect(input.people[0]!.roles.map((r) => [r.role, r.scope])).toEqual([
      ['inspector', { kind: 'county' }],
      ['township_leader_in_charge', { kind: 'region', code: 'town-01' }],
    ]);
  });

  it('with keepIssues, keeps the first problems in file order, counts every other, and lets the rows go', () => {
    const sheets = () => [
      table('人员', [
        ['人员编码', '姓名', '手机号', '角色', '范围'],
        ...Array.from({ length: 300 }, (_, i) => [`p${i}`, `某${i}`, '123', '', '']),
      ]),
      // 企业 without its required 所属乡镇: named once on its header, never once a row.
      table('企业', [['企业编码', '企业名称'], ...Array.from({ length: 50 }, (_, i) => [`e${i}`, ''])]),
    ];
    const all = parseTables(sheets());
    const tables = sheets();
    const kept = parseTables(tables, { keepIssues: 20 });
    expect(all.issues).toHaveLength(300 + 1 + 50 + 50); // a bad mobile a person; 所属乡镇 once; 名称 and 负责人 a unit
    expect(kept.issues).toEqual(all.issues.slice(0, 20));
    expect(kept.omittedIssues).toBe(all.issues.length - 20);
    expect(kept.input.rejected.people).toHaveLength(300);
    expect(tables.map((t) => t.rows.length)).toEqual([0, 0]);
  });

  it('reports every field problem with sheet, row and column, including a missing column', () => {
    const { issues } = parseTables([
      table('人员', [
        ['人员编码', '姓名', '手机号', '角色', '范围'],
        ['p1', '张三', '1380000', '队长', 'county'],
        ['p1', '李四', '', '', ''],
        ['p2', '王五', '', '乡镇主要领导', 'department:yjj'],
      ]),
      table('企业', [
        ['企业编码', '企业名称'],
        ['e1', '某厂'],
      ]),
    ]);
    expect(issues.map((i) => [i.sheet, i.row, i.column])).toEqual([
      ['人员', 2, '手机号'],
      ['人员', 2, '角色'],
      // p1's first row is rejected, but its further row is still compared with what could be read of it.
      ['人员', 3, '姓名'],
      ['人员', 4, '范围'],
      // A missing column is named once; the rows are still read for their other problems.
      ['企业', 1, '所属乡镇'],
      ['企业', 2, '主要负责人'],
    ]);
    expect(issues[1]!.reason).toContain('未知角色“队长”');
    expect(issues[2]!.reason).toContain('与第 2 行的信息不一致（“李四” ≠ “张三”）');
    expect(issues[3]!.reason).toContain('region:<编码>');
  });

  it('refuses a JSON body that is not the directory', () => {
    expect(parseJson([]).issues[0]!.reason).toContain('JSON 对象');
    expect(parseJson({ regons: [] }).issues.map((i) => i.reason)).toEqual([
      expect.stringContaining('未知的列表“regons”'),
    ]);
    expect(parseJson({}).issues[0]!.reason).toContain('没有找到可导入的表');
  });
});

describe('reference checks', () => {
  const input = (partial: Partial<DirectoryInput>): DirectoryInput => ({ ...parseJson({}).input, ...partial });
  const at = (row: number) => ({ sheet: 'regions', row });

  it('finds a region cycle once and a self-parent separately', () => {
    const issues = validateReferences(
      input({
        present: ['regions'],
        regions: [
          { at: at(1), code: 'a', name: 'A', parent: 'c', chatId: null },
          { at: at(2), code: 'b', name: 'B', parent: 'a', chatId: null },
          { at: at(3), code: 'c', name: 'C', parent: 'b', chatId: null },
          { at: at(4), code: 'd', name: 'D', parent: 'd', chatId: null },
        ],
      }),
      emptyState(),
      'replace',
    );
    expect(issues.map((i) => [i.row, i.reason])).toEqual([
      [4, '区域 d 的上级区域不能是它自己'],
      [1, '区域的上下级关系成环：a → c → b → a'],
    ]);
  });

  it('lets a merge refer to what is stored, but not a full import of that list', () => {
    const state = emptyState();
    const stored: StoredRegion = {
      id: 7,
      code: 'town-09',
      name: '九镇',
      parentId: null,
      level: 1,
      chatId: null,
      active: true,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    state.regions.set('town-09', stored);
    const file = input({
      present: ['regions'],
      regions: [{ at: at(1), code: 'v1', name: '村', parent: 'town-09', chatId: null }],
    });
    expect(validateReferences(file, state, 'merge')).toEqual([]);
    expect(validateReferences(file, state, 'replace')[0]!.reason).toContain('未知区域 town-09');
  });
});

describe('township groups set by an import (群聊ID)', () => {
  const region = (code: string, chatId: string | null | undefined) => ({
    at: { sheet: '区域', row: 2 },
    code,
    name: code,
    parent: null,
    chatId,
  });

  it('asks Feishu once per new group, and names the ones the bot is not in or that could not be checked', async () => {
    const state = emptyState();
    state.regions.set('kept', {
      id: 1,
      code: 'kept',
      name: 'kept',
      parentId: null,
      level: 1,
      chatId: 'oc_kept',
      active: true,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    const asked: string[] = [];
    const isBotInChat = async (chatId: string) => {
      asked.push(chatId);
      if (chatId === 'oc_down') throw new Error('飞书暂时不可用');
      return chatId === 'oc_member';
    };
    const regions = [
      region('kept', 'oc_kept'), // unchanged: not asked
      region('a', 'oc_member'),
      region('b', 'oc_stranger'),
      region('c', 'oc_stranger'), // the same group twice: asked once
      region('d', 'oc_down'),
      region('e', undefined), // keeps its group
      region('f', null), // removes it
    ];
    const found = await checkTownshipChats(regions, state, isBotInChat);
    expect(asked).toEqual(['oc_member', 'oc_stranger', 'oc_down']);
    expect(found.map((c) => [c.region, c.chatId])).toEqual([
      ['b', 'oc_stranger'],
      ['c', 'oc_stranger'],
      ['d', 'oc_down'],
    ]);
    expect(found[0]!.reason).toBe(BOT_NOT_IN_GROUP);
    expect(found[2]!.reason).toContain('无法确认机器人是否在该群中（飞书暂时不可用）');
    // Without a Feishu app there is nobody to ask: nothing is reported.
    expect(await checkTownshipChats(regions, state, undefined)).toEqual([]);
  });
});

describe('open_id resolution', () => {
  const person = (code: string, mobile: string | null) => ({
    at: { sheet: '人员', row: 2 },
    code,
    name: code,
    mobile,
    email: null,
    openId: null,
    roles: [],
    given: new Set(['mobile', 'email', 'openId']),
  });

  it('looks up only people without a known open_id, and lists who was not found and why', async () => {
    const state = emptyState();
    state.people.set('known', {
      id: 1,
      code: 'known',
      name: 'known',
      mobile: '13800000001',
      email: null,
      openId: 'ou_known',
      active: true,
    } as StoredPerson);
    const asked: string[][] = [];
    const result = await resolveOpenIds(
      [
        person('known', '13800000001'),
        person('found', '13800000002'),
        person('missing', '13800000003'),
        person('none', null),
      ],
      state,
      async ({ mobiles = [] }) => {
        asked.push(mobiles);
        return { byMobile: new Map([['13800000002', 'ou_found']]), byEmail: new Map() };
      },
    );
    expect(asked).toEqual([['13800000002', '13800000003']]);
    expect(Object.fromEntries(result.openIds)).toEqual({ known: 'ou_known', found: 'ou_found' });
    expect(result.unresolved.map((u) => [u.code, u.reason])).toEqual([
      ['none', expect.stringContaining('没有手机号或邮箱')],
      ['missing', expect.stringContaining('手机号未在飞书通讯录中找到')],
    ]);
  });

  it('keeps stored open_ids when Feishu cannot be reached, and says so', async () => {
    const result = await resolveOpenIds([person('p', '13800000002')], emptyState(), async () => {
      throw new Error('connect ECONNREFUSED');
    });
    expect(result.keepStored.has('p')).toBe(true);
    expect(result.unresolved[0]!.reason).toContain('飞书通讯录查询失败：connect ECONNREFUSED');
  });
});

describe('who answers for a unit (pickLeaders)', () => {
  const a = (code: string, role: string, scopeKind: string, scopeId: number) =>
    ({ code, name: code, openId: `ou_${code}`, role, scopeKind, scopeId }) as Parameters<typeof pickLeaders>[0][number];

  it('takes township leaders from the nearest region that has them, and everyone else who covers the unit', () => {
    // The unit sits in village 30, under township 20, under county region 10.
    const leaders = pickLeaders(
      [
        a('t-lead', 'township_leader_in_charge', 'region', 20),
        a('c-lead', 'township_leader_in_charge', 'region', 10),
        a('main', 'township_main_leader', 'region', 10),
        a('dept', 'department_leader', 'department', 5),
        a('county', 'county_leader', 'county', 0),
        a('prov', 'county_leader', 'region', 10),
        a('insp', 'inspector', 'region', 20),
        a('insp', 'inspector', 'county', 0),
        a('insp2', 'inspector', 'enterprise', 99),
      ],
      [30, 20, 10],
    );
    expect(leaders.townshipLeaderInCharge.map((p) => p.code)).toEqual(['t-lead']);
    expect(leaders.townshipMainLeader.map((p) => p.code)).toEqual(['main']);
    expect(leaders.departmentLeader.map((p) => p.code)).toEqual(['dept']);
    expect(leaders.countyLeaders.map((p) => p.code)).toEqual(['county', 'prov']);
    expect(leaders.inspectors).toEqual([
      { code: 'insp', name: 'insp', openId: 'ou_insp' },
      { code: 'insp2', name: 'insp2', openId: 'ou_insp2' },
    ]);
  });
});
