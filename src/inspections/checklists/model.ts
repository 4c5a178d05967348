/**
 * The shapes of a checklist import (interface.md "Inspections, checklists and plans"): what the parsers read, what
 * validation accepts and what the store writes. Pure: no I/O.
 */

/** One item of a checklist as imported: 条目编码, 检查内容, 依据条款, 是否重大隐患. */
export interface ChecklistItemInput {
  code: string;
  text: string;
  basis: string;
  major: boolean;
}

/** One checklist as imported; its items in the order given (their positions are 1, 2, …). */
export interface ChecklistInput {
  code: string;
  name: string;
  sector: string;
  /** false only when a JSON import says so (an export of an inactive checklist re-imported as it is). */
  active: boolean;
  items: ChecklistItemInput[];
}

/** `default`: the shipped set (default-set.ts); `county`: the county's own import. */
export type ChecklistSource = 'default' | 'county';

export type ChecklistImportMode = 'replace' | 'merge';

/**
 * One problem of an import, all of them reported at once. Spreadsheets: the sheet (or CSV file), the row (header = 1)
 * and the column's header. JSON: sheet `checklists`, the checklist's place in the list (1-based) and the path of the
 * value, e.g. `checklists[2].items[5].basis`.
 */
export interface ChecklistIssue {
  sheet: string;
  row: number;
  column?: string;
  reason: string;
}

/** An import read and checked: the checklists to apply, or the problems (then nothing is applied). */
export interface ParsedChecklists {
  checklists: ChecklistInput[];
  issues: ChecklistIssue[];
}

/** How much one import may hold: a county's checklists are dozens, each with tens of items. */
export const CHECKLIST_LIMITS = {
  checklists: 500,
  itemsPerChecklist: 200,
  codeLength: 64,
  nameLength: 100,
  textLength: 300,
  basisLength: 200,
} as const;

/** The spreadsheet columns, in template order: field, header, other headers accepted. */
export const CHECKLIST_COLUMNS = [
  { field: 'code', header: '检查表编码', aliases: ['code', 'checklist', 'checklistCode'] },
  { field: 'name', header: '检查表名称', aliases: ['name', 'checklistName'] },
  { field: 'sector', header: '行业', aliases: ['sector', '所属行业'] },
  { field: 'item', header: '条目编码', aliases: ['item', 'itemCode', '条目'] },
  { field: 'text', header: '检查内容', aliases: ['text', '检查项目'] },
  { field: 'basis', header: '依据条款', aliases: ['basis', '依据'] },
  { field: 'major', header: '是否重大隐患', aliases: ['major', '重大隐患'] },
] as const;

export type ChecklistColumnField = (typeof CHECKLIST_COLUMNS)[number]['field'];

export function columnHeader(field: ChecklistColumnField): string {
  return CHECKLIST_COLUMNS.find((c) => c.field === field)!.header;
}
