/**
 * The spreadsheet form of a checklist import: one row per item under the headers 检查表编码, 检查表名称, 行业, 条目编码,
 * 检查内容, 依据条款, 是否重大隐患 (or their English keys). The rows of one checklist share its first three columns;
 * below its first row they may be left empty (merged cells read so), and an empty 检查表编码 continues the checklist of
 * the row above. Problems are cited by sheet, row and column header. Pure: no I/O.
 */
import { normalizeHeader } from '../../directory/sheets.js';
import type { RawTable } from '../../directory/spreadsheet-cells.js';
import { CHECKLIST_COLUMNS, type ChecklistColumnField, type ChecklistIssue, type ParsedChecklists } from './model.js';
import { type RawChecklist, type RawValue, validateChecklists, type Where } from './validate.js';

/** Sheet and file names that mean "checklists" even when none of the headers is known. */
const SHEET_NAMES = ['检查表', 'checklists', 'checklist'].map(normalizeHeader);

function fieldOf(header: string): ChecklistColumnField | undefined {
  const wanted = normalizeHeader(header);
  if (!wanted) return undefined;
  return CHECKLIST_COLUMNS.find((c) => [c.header, ...c.aliases].some((h) => normalizeHeader(h) === wanted))?.field;
}

/** A checklist being gathered from its rows (possibly from several sheets). */
interface Group {
  raw: RawChecklist;
  /** The first value of 检查表名称 and 行业 given, with its place: later rows must agree or be empty. */
  first: Partial<Record<'name' | 'sector', { text: string; at: Where }>>;
}

export function parseChecklistTables(tables: RawTable[]): ParsedChecklists {
  const issues: ChecklistIssue[] = [];
  const problem = (at: Where, reason: string) =>
    issues.push({ sheet: at.sheet, row: at.row, column: at.column, reason });
  const groups = new Map<string, Group>();
  const order: Group[] = [];
  let found = 0;
  for (const table of tables) {
    const fields = table.headers.map(fieldOf);
    const known = fields.some((f) => f !== undefined);
    const named = SHEET_NAMES.includes(normalizeHeader(table.name.replace(/\.(csv|xlsx)$/i, '')));
    if (!known && !named) {
      // A sheet of notes (填写说明) in a workbook is left alone; a CSV file is always meant as a list.
      if (/\.csv$/i.test(table.name)) {
        problem(
          { sheet: table.name, row: 1, column: '' },
          `无法识别这个文件：表头应为 ${CHECKLIST_COLUMNS.map((c) => c.header).join('、')}`,
        );
      }
      continue;
    }
    found++;
    readTable(table, fields, groups, order, problem);
  }
  const whole: Where = { sheet: tables[0]?.name ?? '', row: 0, column: '' };
  if (found === 0) {
    problem(
      whole,
      `没有找到检查表：工作表（或 CSV 文件）的表头应为 ${CHECKLIST_COLUMNS.map((c) => c.header).join('、')}`,
    );
    return { checklists: [], issues };
  }
  const checked = validateChecklists(
    order.map((g) => g.raw),
    whole,
  );
  // In file order: sheet by sheet, row by row (a checklist's rows need not be next to each other).
  const sheetOrder = new Map(tables.map((t, i) => [t.name, i]));
  const all = [...issues, ...checked.issues].sort(
    (a, b) => (sheetOrder.get(a.sheet) ?? -1) - (sheetOrder.get(b.sheet) ?? -1) || a.row - b.row,
  );
  // Nothing to apply while anything is wrong: an import is taken whole or not at all.
  return { checklists: all.length > 0 ? [] : checked.checklists, issues: all };
}

function readTable(
  table: RawTable,
  fields: (ChecklistColumnField | undefined)[],
  groups: Map<string, Group>,
  order: Group[],
  problem: (at: Where, reason: string) => void,
): void {
  const header = (i: number) => table.headers[i] ?? '';
  const columnOf = new Map<ChecklistColumnField, number>();
  fields.forEach((field, i) => {
    if (header(i).trim() === '') return;
    if (field === undefined) {
      // Refused, not skipped: a renamed 是否重大隐患 would otherwise read as "no item is major".
      problem(
        { sheet: table.name, row: 1, column: header(i) },
        `未知的列“${header(i)}”；检查表可用的列：${CHECKLIST_COLUMNS.map((c) => c.header).join('、')}`,
      );
    } else if (columnOf.has(field)) {
      problem(
        { sheet: table.name, row: 1, column: header(i) },
        `与“${header(columnOf.get(field)!)}”是同一列，只能有一个`,
      );
    } else columnOf.set(field, i);
  });
  for (const column of CHECKLIST_COLUMNS) {
    if (!columnOf.has(column.field)) {
      problem({ sheet: table.name, row: 1, column: column.header }, `缺少必需的列“${column.header}”`);
    }
  }
  for (const cell of table.problems) problem({ sheet: table.name, row: cell.row, column: cell.column }, cell.reason);

  const cellOf = (row: RawTable['rows'][number], field: ChecklistColumnField): RawValue => {
    const i = columnOf.get(field);
    const column = CHECKLIST_COLUMNS.find((c) => c.field === field)!.header;
    if (i === undefined)
      return { value: undefined, at: { sheet: table.name, row: row.row, column }, missingColumn: true };
    return { value: row.cells[i], at: { sheet: table.name, row: row.row, column: header(i) } };
  };

  let current: Group | undefined;
  for (const row of table.rows) {
    const code = cellOf(row, 'code');
    const codeText = typeof code.value === 'string' ? code.value.trim() : '';
    let group: Group | undefined;
    if (codeText !== '') {
      group = groups.get(codeText);
      if (!group) {
        group = {
          raw: {
            code,
            name: { ...cellOf(row, 'name'), value: undefined },
            sector: { ...cellOf(row, 'sector'), value: undefined },
            items: [],
            itemsAt: code.at,
          },
          first: {},
        };
        groups.set(codeText, group);
        order.push(group);
      }
    } else if (current && !code.missingColumn) {
      group = current;
    } else {
      // No code and no checklist above to continue: a checklist of its own, reported as missing its code.
      group = {
        raw: {
          code,
          name: { ...cellOf(row, 'name'), value: undefined },
          sector: { ...cellOf(row, 'sector'), value: undefined },
          items: [],
          itemsAt: code.at,
        },
        first: {},
      };
      order.push(group);
    }
    current = group;
    for (const field of ['name', 'sector'] as const) shareValue(group, field, cellOf(row, field), problem);
    group.raw.items.push({
      code: cellOf(row, 'item'),
      text: cellOf(row, 'text'),
      basis: cellOf(row, 'basis'),
      major: cellOf(row, 'major'),
    });
  }
}

/** 检查表名称 and 行业: the first value given is the checklist's; a later row may repeat it or leave it empty. */
function shareValue(
  group: Group,
  field: 'name' | 'sector',
  cell: RawValue,
  problem: (at: Where, reason: string) => void,
): void {
  if (cell.missingColumn) {
    group.raw[field] = cell;
    return;
  }
  const text = typeof cell.value === 'string' ? cell.value.trim() : '';
  if (text === '') return;
  const first = group.first[field];
  if (!first) {
    group.first[field] = { text, at: cell.at };
    group.raw[field] = cell;
    return;
  }
  if (first.text !== text) {
    const label = field === 'name' ? '检查表名称' : '行业';
    const code = typeof group.raw.code.value === 'string' ? group.raw.code.value.trim() : '';
    problem(
      cell.at,
      `检查表“${code}”的${label}与${first.at.sheet} 第 ${first.at.row} 行不一致（“${text}” ≠ “${first.text}”）；同一检查表的各行应相同或留空`,
    );
  }
}
