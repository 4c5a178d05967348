/**
 * The checklist template (GET /api/admin/checklists/template.xlsx): the sheet 检查表 with its headers and two example
 * rows of one checklist, and a sheet of notes (填写说明) that the import leaves alone.
 */
import ExcelJS from 'exceljs';
import { SECTORS } from '../../domain/index.js';
import { CHECKLIST_COLUMNS, CHECKLIST_LIMITS } from './model.js';

const EXAMPLE_ROWS = [
  [
    'wh-01',
    '危险化学品企业重大隐患排查',
    '危险化学品',
    '1',
    '单位主要负责人和安全生产管理人员均已依法通过安全生产知识和管理能力考核',
    '安监总管三〔2017〕121号 第一条',
    '是',
  ],
  ['wh-01', '', '', '2', '已制定生产安全事故应急救援预案，并按规定组织演练', '《安全生产法》第八十一条', '否'],
];

const NOTES = [
  ['填写说明', ''],
  [
    '一行一个条目',
    '同一检查表的各行，检查表编码、检查表名称、行业相同；第一行以下的名称和行业可留空（合并单元格亦可）。',
  ],
  ['行业', SECTORS.join('、')],
  ['条目编码', '在检查表内唯一，只能由字母、数字和 . _ - 组成（如 1、2.3、A-1）；检查卡片按表中顺序列出条目。'],
  ['依据条款', '条目所依据的标准条款，如“安监总管三〔2017〕121号 第一条”；不合格时随隐患一起登记。'],
  ['是否重大隐患', '是 / 否（也可写 Y/N、true/false、1/0；留空为否）：不合格时建议登记为重大隐患。'],
  [
    '数量',
    `每个检查表最多 ${CHECKLIST_LIMITS.itemsPerChecklist} 个条目，一次最多导入 ${CHECKLIST_LIMITS.checklists} 个检查表；检查内容最多 ${CHECKLIST_LIMITS.textLength} 字。`,
  ],
  [
    '导入',
    '整表导入（默认）会停用文件中没有列出的检查表（不删除，已有检查记录不受影响）；?mode=merge 只新增和更新。任何一处错误都会使整个文件不被导入，并列出全部问题。',
  ],
];

export function checklistTemplateWorkbook(): ExcelJS.Workbook {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'hazard-bot';
  const sheet = workbook.addWorksheet('检查表');
  const widths = [12, 28, 12, 10, 60, 36, 14];
  sheet.columns = CHECKLIST_COLUMNS.map((c, i) => ({ header: c.header, key: c.field, width: widths[i] }));
  sheet.getRow(1).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  for (const row of EXAMPLE_ROWS) sheet.addRow(row);
  // Codes are text: keep Excel from turning an item code 2.10 into the number 2.1 when people type new rows.
  for (let c = 1; c <= CHECKLIST_COLUMNS.length; c++) sheet.getColumn(c).numFmt = '@';
  const notes = workbook.addWorksheet('填写说明');
  notes.columns = [{ width: 14 }, { width: 100 }];
  for (const line of NOTES) notes.addRow(line);
  notes.getRow(1).font = { bold: true };
  return workbook;
}
