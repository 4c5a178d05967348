// Issue 20 point 4: the checklist import, read and checked before anything is written — every problem with its
// sheet, row and column (JSON: its path) — and the shipped default set.
import { describe, expect, it } from 'vitest';
import type { RawTable } from '../../src/directory/spreadsheet-cells.js';
import { SECTORS } from '../../src/domain/index.js';
import { DEFAULT_CHECKLISTS } from '../../src/inspections/checklists/default-set.js';
import { CHECKLIST_COLUMNS, type ParsedChecklists } from '../../src/inspections/checklists/model.js';
import { parseChecklistFiles } from '../../src/inspections/checklists/parse-files.js';
import { parseChecklistJson } from '../../src/inspections/checklists/parse-json.js';
import { parseChecklistTables } from '../../src/inspections/checklists/parse-tables.js';
import { buildXlsx } from '../fixtures/directory/sample.js';

const HEADERS = CHECKLIST_COLUMNS.map((c) => c.header);

/** Every problem as `sheet row column: reason`. */
const problems = (parsed: ParsedChecklists) =>
  parsed.issues.map((i) => `${i.sheet} ${i.row} ${i.column ?? ''}: ${i.reason}`);

const item = (code: string, extra: Record<string, unknown> = {}) => ({
  code,
  text: `检查内容${code}`,
  basis: `某标准 第${code}条`,
  major: false,
  ...extra,
});
const checklist = (code: string, extra: Record<string, unknown> = {}) => ({
  code,
  name: `检查表${code}`,
  sector: '工贸',
  items: [item('1'), item('2')],
  ...extra,
});

/** A sheet as the spreadsheet reader gives it: header row 1, data from row 2. */
function table(name: string, headers: string[], rows: (string | undefined)[][]): RawTable {
  return {
    name,
    headers,
    rows: rows.map((cells, i) => ({ row: i + 2, cells: cells.map((c) => (c === '' ? undefined : c)) })),
    problems: [],
  };
}

describe('the checklist import in JSON', () => {
  it('reads checklists and their items in order, major as given and false when left out', () => {
    const parsed = parseChecklistJson({
      checklists: [
        checklist('wh-01', {
          sector: '危险化学品',
          items: [item('2', { major: true }), { code: 1, text: ' 文本 ', basis: '依据' }],
        }),
      ],
    });
    expect(parsed.issues).toEqual([]);
    expect(parsed.checklists).toEqual([
      {
        code: 'wh-01',
        name: '检查表wh-01',
        sector: '危险化学品',
        active: true,
        items: [
          { code: '2', text: '检查内容2', basis: '某标准 第2条', major: true },
          { code: '1', text: '文本', basis: '依据', major: false },
        ],
      },
    ]);
  });

  it('cites each problem by its path: a missing basis, an unknown sector, a bad item code, a long text', () => {
    const parsed = parseChecklistJson({
      checklists: [
        checklist('a'),
        checklist('b', { sector: '煤矿' }),
        checklist('c', {
          items: [
            item('1'),
            item('2'),
            item('3'),
            item('4'),
            item('5'),
            { code: '6', text: '内容', basis: '' },
            { code: '第7条', text: 'x'.repeat(301), basis: '依据' },
          ],
        }),
      ],
    });
    expect(parsed.checklists).toEqual([]);
    expect(problems(parsed)).toEqual([
      `checklists 2 checklists[1].sector: 行业“煤矿”不在可选范围内；可选：${SECTORS.join('、')}`,
      'checklists 3 checklists[2].items[5].basis: 缺少依据条款',
      'checklists 3 checklists[2].items[6].code: 条目编码“第7条”只能由字母、数字和 . _ - 组成，以字母或数字开头（如 1、2.3、A-1），最多 32 个字符',
      'checklists 3 checklists[2].items[6].text: 检查内容过长：301 个字符，最多 300 个',
    ]);
  });

  it('refuses unknown keys, naming each one and the known ones', () => {
    const parsed = parseChecklistJson({
      checklists: [checklist('a', { 行业: '工贸', items: [{ ...item('1'), 重大: true }] })],
      plans: [],
    });
    expect(problems(parsed)).toEqual([
      'checklists 0 plans: 未知的字段“plans”；可用的字段：checklists',
      'checklists 1 checklists[0].行业: 未知的字段“行业”；检查表可用的字段：code、name、sector、items、active、source、version',
      'checklists 1 checklists[0].items[0].重大: 未知的字段“重大”；条目可用的字段：code、text、basis、major',
    ]);
    expect(parsed.checklists).toEqual([]);
  });

  it('refuses duplicate checklist codes, and duplicate item codes within one checklist (not across checklists)', () => {
    const parsed = parseChecklistJson({
      checklists: [checklist('a'), checklist('b', { items: [item('1'), item('2'), item('1')] }), checklist('a')],
    });
    expect(problems(parsed)).toEqual([
      'checklists 2 checklists[1].items[2].code: 检查表“b”中条目编码“1”重复（checklists[1].items[0].code已有）',
      'checklists 3 checklists[2].code: 检查表编码“a”重复（checklists[0].code已有）',
    ]);
  });

  it('reads 是否重大隐患 as 是/否, Y/N, true/false and 1/0, and refuses anything else', () => {
    const values = [true, false, '是', '否', 'Y', 'n', 'true', 'FALSE', 1, 0, '1', '0', '可能'];
    const parsed = parseChecklistJson({
      checklists: [checklist('a', { items: values.map((major, i) => item(String(i + 1), { major })) })],
    });
    expect(problems(parsed)).toEqual([
      'checklists 1 checklists[0].items[12].major: 是否重大隐患应为 是/否（也可写 Y/N、true/false、1/0），而不是“可能”',
    ]);
    const ok = parseChecklistJson({
      checklists: [checklist('a', { items: values.slice(0, -1).map((major, i) => item(String(i + 1), { major })) })],
    });
    expect(ok.checklists[0]!.items.map((i) => i.major)).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
  });

  it('refuses a checklist without items, values of the wrong type, and a body of the wrong shape', () => {
    expect(problems(parseChecklistJson([]))[0]).toMatch(/^checklists 0 checklists: 请求体应为 JSON 对象/);
    expect(problems(parseChecklistJson({}))).toEqual(['checklists 0 checklists: 缺少 checklists（检查表数组）']);
    expect(problems(parseChecklistJson({ checklists: [] }))).toEqual([
      'checklists 0 checklists: 没有检查表：至少需要一个检查表（含至少一个条目）',
    ]);
    const parsed = parseChecklistJson({
      checklists: [checklist('a', { items: [] }), checklist('b', { name: ['x'], items: 'none' }), 'c'],
    });
    expect(problems(parsed)).toEqual([
      'checklists 1 checklists[0].items: 检查表“a”没有条目：至少需要一个条目',
      'checklists 2 checklists[1].items: items 应为数组',
      'checklists 2 checklists[1].name: 检查表名称应为文本',
      'checklists 2 checklists[1].items: 检查表“b”没有条目：至少需要一个条目',
      'checklists 3 checklists[2]: 应为 JSON 对象（一个检查表）',
    ]);
  });

  it('holds at most 200 items per checklist and 500 checklists', () => {
    const many = Array.from({ length: 201 }, (_, i) => item(String(i + 1)));
    expect(problems(parseChecklistJson({ checklists: [checklist('a', { items: many })] }))).toEqual([
      'checklists 1 checklists[0].items: 检查表“a”的条目过多：201 个，每个检查表最多 200 个；请拆成几个检查表',
    ]);
    expect(parseChecklistJson({ checklists: [checklist('a', { items: many.slice(0, 200) })] }).issues).toEqual([]);
    const lists = Array.from({ length: 501 }, (_, i) => checklist(`c${i}`));
    expect(problems(parseChecklistJson({ checklists: lists }))).toEqual([
      'checklists 0 checklists: 检查表过多：501 个，一次最多导入 500 个',
    ]);
  });

  it('reads back its own export: source and version ignored, active kept', () => {
    const parsed = parseChecklistJson({
      checklists: [checklist('a', { source: 'default', version: 3, active: false })],
    });
    expect(parsed.issues).toEqual([]);
    expect(parsed.checklists[0]).toMatchObject({ code: 'a', active: false });
    expect(problems(parseChecklistJson({ checklists: [checklist('a', { active: 'no' })] }))).toEqual([
      'checklists 1 checklists[0].active: active 应为 true 或 false',
    ]);
  });

  it('refuses a checklist code with spaces', () => {
    expect(problems(parseChecklistJson({ checklists: [checklist('wh 01')] }))).toEqual([
      'checklists 1 checklists[0].code: 检查表编码“wh 01”不能包含空格',
    ]);
  });
});

describe('the checklist import in spreadsheets', () => {
  it('gathers the rows of a checklist, continuing empty 检查表编码, 名称 and 行业 from the row above', () => {
    const parsed = parseChecklistTables([
      table('检查表', HEADERS, [
        ['wh-01', '危化检查', '危险化学品', '1', '内容一', '依据一', '是'],
        ['', '', '', '2', '内容二', '依据二', 'N'],
        ['gm-01', '工贸检查', '工贸', '1', '内容三', '依据三', ''],
        ['wh-01', '危化检查', '', '3', '内容四', '依据四', '1'],
      ]),
    ]);
    expect(parsed.issues).toEqual([]);
    expect(parsed.checklists).toEqual([
      {
        code: 'wh-01',
        name: '危化检查',
        sector: '危险化学品',
        active: true,
        items: [
          { code: '1', text: '内容一', basis: '依据一', major: true },
          { code: '2', text: '内容二', basis: '依据二', major: false },
          { code: '3', text: '内容四', basis: '依据四', major: true },
        ],
      },
      {
        code: 'gm-01',
        name: '工贸检查',
        sector: '工贸',
        active: true,
        items: [{ code: '1', text: '内容三', basis: '依据三', major: false }],
      },
    ]);
  });

  it('lists every problem with its sheet, row and column, in file order', () => {
    const parsed = parseChecklistTables([
      table('检查表', HEADERS, [
        ['wh-01', '危化检查', '危险化学品', '1', '内容一', '依据一', '是'],
        ['wh-01', '危化检查（新）', '危险化学品', '1', '', '依据二', '也许'],
        ['gm 01', '工贸检查', '工贸业', '1', '内容三', '', '否'],
        ['', '', '', '1.2/3', '内容四', '依据四', '否'],
      ]),
    ]);
    expect(problems(parsed)).toEqual([
      '检查表 3 检查表名称: 检查表“wh-01”的检查表名称与检查表 第 2 行不一致（“危化检查（新）” ≠ “危化检查”）；同一检查表的各行应相同或留空',
      '检查表 3 条目编码: 检查表“wh-01”中条目编码“1”重复（检查表 第 2 行已有）',
      '检查表 3 检查内容: 缺少检查内容',
      '检查表 3 是否重大隐患: 是否重大隐患应为 是/否（也可写 Y/N、true/false、1/0），而不是“也许”',
      '检查表 4 检查表编码: 检查表编码“gm 01”不能包含空格',
      `检查表 4 行业: 行业“工贸业”不在可选范围内；可选：${SECTORS.join('、')}`,
      '检查表 4 依据条款: 缺少依据条款',
      '检查表 5 条目编码: 条目编码“1.2/3”只能由字母、数字和 . _ - 组成，以字母或数字开头（如 1、2.3、A-1），最多 32 个字符',
    ]);
    expect(parsed.checklists).toEqual([]);
  });

  it('refuses an unknown column naming it and the known ones, and reports a missing column once, not on every row', () => {
    const headers = [
      '检查表编码',
      '检查表名称',
      '行业',
      '条目编码',
      '检查内容',
      '依据',
      '是否重大隐患（是/否）',
      '备注',
    ];
    const parsed = parseChecklistTables([
      table('Sheet1', headers.slice(0, 7).concat('备注'), [
        ['a', '甲', '工贸', '1', '内容', '依据', '是', '说明'],
        ['a', '', '', '2', '内容', '依据', '否', ''],
      ]),
      table(
        'Sheet2',
        ['检查表编码', '检查表名称', '行业', '条目编码', '检查内容', '是否重大隐患'],
        [
          ['b', '乙', '工贸', '1', '内容', '否'],
          ['b', '', '', '2', '', '否'],
        ],
      ),
    ]);
    expect(problems(parsed)).toEqual([
      `Sheet1 1 备注: 未知的列“备注”；检查表可用的列：${HEADERS.join('、')}`,
      'Sheet2 1 依据条款: 缺少必需的列“依据条款”',
      'Sheet2 3 检查内容: 缺少检查内容',
    ]);
  });

  it('accepts the English keys as headers, leaves a sheet of notes alone and names a CSV file it cannot place', () => {
    const english = ['code', 'name', 'sector', 'item', 'text', 'basis', 'major'];
    const parsed = parseChecklistTables([
      table('填写说明', ['填写说明', ''], [['行业', '工贸、危险化学品']]),
      table('list', english, [['a', '甲', '消防', '1', '内容', '依据', 'true']]),
    ]);
    expect(parsed.issues).toEqual([]);
    expect(parsed.checklists[0]).toMatchObject({ code: 'a', sector: '消防', items: [{ major: true }] });
    expect(problems(parseChecklistTables([table('people.csv', ['姓名', '手机号'], [['张三', '138']])]))).toEqual([
      `people.csv 1 : 无法识别这个文件：表头应为 ${HEADERS.join('、')}`,
      `people.csv 0 : 没有找到检查表：工作表（或 CSV 文件）的表头应为 ${HEADERS.join('、')}`,
    ]);
  });

  it('reports cells the reader could not read (a formula without its value) at their place', () => {
    const sheet = table('检查表', HEADERS, [['a', '甲', '工贸', '1', undefined, '依据', '否']]);
    sheet.problems.push({ row: 2, column: '检查内容', reason: '单元格是没有保存计算结果的公式；请复制后“粘贴为数值”' });
    expect(problems(parseChecklistTables([sheet]))).toEqual([
      '检查表 2 检查内容: 单元格是没有保存计算结果的公式；请复制后“粘贴为数值”',
      '检查表 2 检查内容: 缺少检查内容',
    ]);
  });
});

describe('checklist files', () => {
  it('reads an xlsx workbook and a CSV file (UTF-8 with BOM, as Excel saves it) with the directory’s reader', async () => {
    const xlsx = await buildXlsx({
      检查表: [
        HEADERS,
        ['a', '甲', '工贸', '1', '内容一', '依据一', '是'],
        ['a', '', '', '2', '内容二', '依据二', '否'],
      ],
    });
    const fromXlsx = await parseChecklistFiles([{ name: '检查表.xlsx', data: xlsx }]);
    expect(fromXlsx.issues).toEqual([]);
    expect(fromXlsx.checklists[0]!.items.map((i) => [i.code, i.major])).toEqual([
      ['1', true],
      ['2', false],
    ]);
    const csvText = `${HEADERS.join(',')}\nb,乙,燃气,1,内容,依据,Y\n`;
    const fromCsv = await parseChecklistFiles([{ name: '检查表.csv', data: Buffer.from(`\uFEFF${csvText}`) }]);
    expect(fromCsv.checklists).toEqual([
      {
        code: 'b',
        name: '乙',
        sector: '燃气',
        active: true,
        items: [{ code: '1', text: '内容', basis: '依据', major: true }],
      },
    ]);
  });

  it('names a file it cannot read, and a JSON file sent with others', async () => {
    const broken = await parseChecklistFiles([{ name: 'bad.xlsx', data: Buffer.from('not a zip') }]);
    expect(broken.checklists).toEqual([]);
    expect(broken.issues).toEqual([{ sheet: 'bad.xlsx', row: 0, reason: expect.stringContaining('bad.xlsx') }]);
    const mixed = await parseChecklistFiles([
      { name: 'a.json', data: Buffer.from('{}') },
      { name: 'b.csv', data: Buffer.from('') },
    ]);
    expect(problems(mixed)).toEqual(['a.json 0 : JSON 文件应单独导入，不能与其他文件一起上传']);
    const notJson = await parseChecklistFiles([{ name: 'a.json', data: Buffer.from('{"checklists": [') }]);
    expect(notJson.issues[0]!.reason).toMatch(/^不是有效的 JSON/);
  });
});

describe('the shipped default set', () => {
  it('covers 危险化学品, 工贸, 特种设备, 消防 and 燃气 with 10–25 items each, and passes the import’s own checks', () => {
    const parsed = parseChecklistJson({ checklists: DEFAULT_CHECKLISTS });
    expect(parsed.issues).toEqual([]);
    expect(parsed.checklists).toEqual(DEFAULT_CHECKLISTS);
    expect(DEFAULT_CHECKLISTS.map((c) => c.sector).sort()).toEqual(
      ['工贸', '危险化学品', '消防', '燃气', '特种设备'].sort(),
    );
    for (const c of DEFAULT_CHECKLISTS) {
      expect(c.items.length, c.code).toBeGreaterThanOrEqual(10);
      expect(c.items.length, c.code).toBeLessThanOrEqual(25);
      // Each restates its sector's major-hazard standard, and adds general rules that are not major.
      expect(
        c.items.some((i) => i.major),
        c.code,
      ).toBe(true);
      expect(
        c.items.some((i) => !i.major),
        c.code,
      ).toBe(true);
    }
  });

  it('cites the sector’s standard on every major item', () => {
    const standard: Record<string, RegExp> = {
      危险化学品: /^安监总管三〔2017〕121号 第[一二三四五六七八九十]+条$/,
      工贸: /^应急管理部令第10号 第[一二三四五六七八九十]+条第（[一二三四五六七八九十]+）项$/,
      特种设备: /^GB 45067-2024/,
      消防: /^GB 35181-2025/,
      燃气: /^建城规〔2023〕4号/,
    };
    for (const c of DEFAULT_CHECKLISTS) {
      for (const i of c.items.filter((item) => item.major))
        expect(i.basis, `${c.code} ${i.code}`).toMatch(standard[c.sector]!);
    }
    // 121号 has twenty clauses, each restated once.
    const whp = DEFAULT_CHECKLISTS.find((c) => c.sector === '危险化学品')!;
    expect(new Set(whp.items.filter((i) => i.major).map((i) => i.basis)).size).toBe(20);
  });
});
