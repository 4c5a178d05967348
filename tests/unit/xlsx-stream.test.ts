import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { readXlsx, UnreadableFileError } from '../../src/directory/read-spreadsheet.js';
import { readXlsxSheets } from '../../src/uploads/xlsx-sheets.js';
import { UPLOAD_LIMITS } from '../../src/uploads/zip-guard.js';
import { declareSize, inlineRow, partsXlsx, worksheetXml } from '../support/hostile-xlsx.js';

const limits = (maxSheetRows: number) => ({ ...UPLOAD_LIMITS, maxSheetRows });
const rows = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => inlineRow(from + i, [`p${from + i}`, `人员${from + i}`])).join('');

describe('reading a workbook as a stream', () => {
  it('stops at the row limit when the sheet has no <dimension>, naming the file, the sheet and the limit', async () => {
    const data = partsXlsx([{ name: '人员', xml: worksheetXml(inlineRow(1, ['人员编码', '姓名']) + rows(2, 40)) }]);
    await expect(readXlsx(data, '名录.xlsx', limits(40))).resolves.toHaveLength(1);
    const refused = readXlsx(data, '名录.xlsx', limits(39));
    await expect(refused).rejects.toThrow(UnreadableFileError);
    await expect(refused).rejects.toThrow(
      '名录.xlsx 的工作表“人员”超过 39 行的上限（读到第 40 行时停止）；请拆分后分别导入',
    );
  });

  it('stops at the row limit when the <dimension> claims fewer rows than there are', async () => {
    const data = partsXlsx([{ name: '企业', xml: worksheetXml(inlineRow(1, ['企业编码']) + rows(2, 60), 'A1:B3') }]);
    await expect(readXlsx(data, 'liar.xlsx', limits(50))).rejects.toThrow(/工作表“企业”超过 50 行的上限/);
  });

  it('reads nothing past the limit: what follows row 11 is never parsed', async () => {
    // Past the limit the XML is broken; a reader that went on would say so instead of naming the limit.
    const xml = worksheetXml(inlineRow(1, ['人员编码']) + rows(2, 11)).replace('</sheetData>', '<row r="12"><<<');
    await expect(readXlsx(partsXlsx([{ name: '人员', xml }]), 'a.xlsx', limits(10))).rejects.toThrow(
      /超过 10 行的上限/,
    );
    await expect(readXlsx(partsXlsx([{ name: '人员', xml }]), 'a.xlsx', limits(100))).rejects.toThrow(
      /a\.xlsx 不是有效的 xlsx 文件/,
    );
  });

  it('refuses a part that inflates past what the zip directory declares for it', async () => {
    const honest = partsXlsx([{ name: '人员', xml: worksheetXml(inlineRow(1, ['人员编码']) + rows(2, 2000)) }]);
    await expect(readXlsx(honest, 'a.xlsx')).resolves.toHaveLength(1);
    const liar = declareSize(honest, 'xl/worksheets/sheet1.xml', 1000);
    await expect(readXlsx(liar, 'a.xlsx')).rejects.toThrow(/sheet1\.xml 解压后比 zip 目录声明的更大，疑为压缩炸弹/);
  });

  it('reads shared strings stored after the sheets, sheets in the workbook order, and prefixed element names', async () => {
    const prefixed =
      '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>' +
      '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c></x:row><x:row r="2"><x:c r="A2" t="s"><x:v>1</x:v></x:c></x:row>' +
      '</x:sheetData></x:worksheet>';
    const data = partsXlsx(
      [
        { name: '区域', xml: prefixed },
        { name: '部门', xml: worksheetXml(inlineRow(1, ['部门编码']) + inlineRow(3, ['yjj'])) },
      ],
      ['区域编码', 'town-01'],
    );
    const sheets = await readXlsxSheets(data, 'a.xlsx', UPLOAD_LIMITS);
    expect(sheets).toEqual([
      {
        name: '区域',
        rows: [
          { row: 1, cells: ['区域编码'] },
          { row: 2, cells: ['town-01'] },
        ],
      },
      {
        name: '部门',
        rows: [
          { row: 1, cells: ['部门编码'] },
          { row: 3, cells: ['yjj'] },
        ],
      },
    ]);
  });

  it('says a file is not an xlsx when it is not a zip or has no workbook', async () => {
    await expect(readXlsx(Buffer.from('编码,名称\n'), 'a.xlsx')).rejects.toThrow(
      'a.xlsx 不是有效的 xlsx 文件：找不到工作簿（xl/workbook.xml）',
    );
  });

  it('reads every kind of cell as before: formulas by their stored result, rich text, dates, merged cells', async () => {
    const workbook = new ExcelJS.Workbook();
    const people = workbook.addWorksheet('人员');
    people.addRow(['人员编码', '姓名', '日期', '数字', '布尔', '公式', '富文本', '错误', '链接']);
    people.addRow([
      '  p1 ',
      "'=1+1",
      new Date(Date.UTC(2024, 4, 6)),
      12.5,
      true,
      { formula: 'A1&"x"', result: 'abc' },
      { richText: [{ text: 'a ' }, { font: { bold: true }, text: '加粗' }] },
      { error: '#N/A' },
      { text: '链接文字', hyperlink: 'http://example.com' },
    ]);
    people.addRow(['p2', '', null, 0, false, { formula: 'NOW()' }, '', '', { formula: '1+1', result: 2 }]);
    people.addRow([]);
    people.addRow([
      'p4',
      { formula: '1=1', result: true },
      '=SUM(1)',
      -3,
      '',
      { formula: 'NA()', result: { error: '#N/A' } },
      'a&b<c>',
    ]);
    people.mergeCells('A6:B7');
    people.getCell('A6').value = '合并';
    people.getCell('D8').numFmt = 'yyyy-mm-dd';
    people.getCell('D8').value = 45000;
    people.getCell('E8').numFmt = '0.00';
    people.getCell('E8').value = 45000;
    const enterprises = workbook.addWorksheet('企业');
    enterprises.mergeCells('A1:C1');
    enterprises.getCell('A1').value = '企业编码';
    enterprises.addRow(['e1', 'x', 'y', 'z']);
    workbook.addWorksheet('空');
    const data = Buffer.from(await workbook.xlsx.writeBuffer());

    const noResult = '单元格是没有保存计算结果的公式；请复制后“粘贴为数值”';
    // What exceljs' in-memory reader gave (the reader before the stream), cell for cell.
    expect(await readXlsx(data, '名录.xlsx')).toEqual([
      {
        name: '人员',
        headers: ['人员编码', '姓名', '日期', '数字', '布尔', '公式', '富文本', '错误', '链接'],
        rows: [
          { row: 2, cells: ['p1', '=1+1', '2024-05-06', '12.5', '是', 'abc', 'a 加粗', undefined, '链接文字'] },
          { row: 3, cells: ['p2', undefined, undefined, '0', '否', undefined, undefined, undefined, '2'] },
          { row: 5, cells: ['p4', '是', '=SUM(1)', '-3', undefined, undefined, 'a&b<c>', undefined, undefined] },
          { row: 6, cells: ['合并', '合并', ...Array(7).fill(undefined)] },
          { row: 7, cells: ['合并', '合并', ...Array(7).fill(undefined)] },
          { row: 8, cells: [undefined, undefined, undefined, '2023-03-15', '45000', ...Array(4).fill(undefined)] },
        ],
        problems: [
          { row: 2, column: '错误', reason: '单元格的值是错误 #N/A' },
          { row: 3, column: '公式', reason: noResult },
          { row: 5, column: '公式', reason: noResult },
        ],
      },
      {
        name: '企业',
        headers: ['企业编码', '企业编码', '企业编码'],
        rows: [{ row: 2, cells: ['e1', 'x', 'y'] }],
        problems: [],
      },
      { name: '空', headers: [], rows: [], problems: [] },
    ]);
  });
});
