/**
 * Checks a checklist import value by value: what the parsers read (parse-json.ts, parse-tables.ts), each value with
 * where it came from, becomes the checklists to apply, or the list of every problem — nothing stops at the first.
 * Pure: no I/O.
 */
import { CHECKLIST_ITEM_CODE, SECTORS } from '../../domain/index.js';
import { CHECKLIST_LIMITS, type ChecklistInput, type ChecklistIssue, type ChecklistItemInput } from './model.js';

/** Where a value is: its sheet and row, and the column header (spreadsheets) or the JSON path. */
export interface Where {
  sheet: string;
  row: number;
  column: string;
}

/** A value as read: a spreadsheet cell's text, or a JSON value of any type; undefined when empty or absent. */
export interface RawValue {
  value: unknown;
  at: Where;
  /** Its whole column is missing from the sheet: reported once on the header row, not again on every row. */
  missingColumn?: boolean;
}

export interface RawItem {
  code: RawValue;
  text: RawValue;
  basis: RawValue;
  major: RawValue;
}

export interface RawChecklist {
  code: RawValue;
  name: RawValue;
  sector: RawValue;
  /** JSON only: `active: false` imports it inactive (an export re-imported as it is). */
  active?: RawValue;
  items: RawItem[];
  /** Where to cite the item list as a whole (none, too many). */
  itemsAt: Where;
}

class Issues {
  readonly items: ChecklistIssue[] = [];
  add(at: Where, reason: string): void {
    this.items.push({ sheet: at.sheet, row: at.row, column: at.column, reason });
  }
}

const YES = new Set(['是', 'y', 'yes', 'true', '1']);
const NO = new Set(['否', 'n', 'no', 'false', '0']);

/** A value as text: strings trimmed, numbers as written (JSON `"code": 1`); undefined when empty. */
function asText(raw: RawValue, label: string, issues: Issues): string | undefined {
  const { value } = raw;
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') {
    issues.add(raw.at, `${label}应为文本`);
    return undefined;
  }
  const text = value.trim();
  return text === '' ? undefined : text;
}

function requiredText(raw: RawValue, label: string, max: number, issues: Issues): string | undefined {
  if (raw.missingColumn) return undefined;
  const text = asText(raw, label, issues);
  if (text === undefined) {
    if (raw.value === undefined || raw.value === null || typeof raw.value === 'string')
      issues.add(raw.at, `缺少${label}`);
    return undefined;
  }
  if ([...text].length > max) {
    issues.add(raw.at, `${label}过长：${[...text].length} 个字符，最多 ${max} 个`);
    return undefined;
  }
  return text;
}

function checkChecklistCode(raw: RawValue, issues: Issues): string | undefined {
  const code = requiredText(raw, '检查表编码', CHECKLIST_LIMITS.codeLength, issues);
  if (code !== undefined && /\s/.test(code)) {
    issues.add(raw.at, `检查表编码“${code}”不能包含空格`);
    return undefined;
  }
  return code;
}

function checkSector(raw: RawValue, issues: Issues): string | undefined {
  const sector = requiredText(raw, '行业', 20, issues);
  if (sector !== undefined && !(SECTORS as readonly string[]).includes(sector)) {
    issues.add(raw.at, `行业“${sector}”不在可选范围内；可选：${SECTORS.join('、')}`);
    return undefined;
  }
  return sector;
}

function checkItemCode(raw: RawValue, issues: Issues): string | undefined {
  const code = requiredText(raw, '条目编码', 32, issues);
  if (code !== undefined && !CHECKLIST_ITEM_CODE.test(code)) {
    issues.add(
      raw.at,
      `条目编码“${code}”只能由字母、数字和 . _ - 组成，以字母或数字开头（如 1、2.3、A-1），最多 32 个字符`,
    );
    return undefined;
  }
  return code;
}

/** 是否重大隐患: 是/否, Y/N, true/false, 1/0 (JSON: true/false too); empty is 否. */
function checkMajor(raw: RawValue, issues: Issues): boolean | undefined {
  if (raw.missingColumn) return undefined;
  const { value } = raw;
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  const text = typeof value === 'number' || typeof value === 'string' ? String(value).trim().toLowerCase() : undefined;
  if (text === '') return false;
  if (text !== undefined && YES.has(text)) return true;
  if (text !== undefined && NO.has(text)) return false;
  issues.add(raw.at, `是否重大隐患应为 是/否（也可写 Y/N、true/false、1/0），而不是“${String(value)}”`);
  return undefined;
}

function checkActive(raw: RawValue | undefined, issues: Issues): boolean | undefined {
  if (raw === undefined || raw.value === undefined || raw.value === null) return true;
  if (typeof raw.value === 'boolean') return raw.value;
  issues.add(raw.at, 'active 应为 true 或 false');
  return undefined;
}

/**
 * The checklists, checked: codes unique (checklists in the import, items within their checklist), every required
 * value present and of a sane length, sectors among SECTORS, item codes usable as form fields, and the limits on
 * counts. `whole` is where to cite a problem of the import as a whole (too many checklists, none at all).
 */
export function validateChecklists(
  raws: RawChecklist[],
  whole: Where,
): { checklists: ChecklistInput[]; issues: ChecklistIssue[] } {
  const issues = new Issues();
  if (raws.length === 0) issues.add(whole, '没有检查表：至少需要一个检查表（含至少一个条目）');
  if (raws.length > CHECKLIST_LIMITS.checklists) {
    issues.add(whole, `检查表过多：${raws.length} 个，一次最多导入 ${CHECKLIST_LIMITS.checklists} 个`);
  }
  const checklists: ChecklistInput[] = [];
  const seenCodes = new Map<string, Where>();
  for (const raw of raws) {
    const before = issues.items.length;
    const code = checkChecklistCode(raw.code, issues);
    if (code !== undefined) {
      const first = seenCodes.get(code);
      if (first) issues.add(raw.code.at, `检查表编码“${code}”重复（${describe(first)}已有）`);
      else seenCodes.set(code, raw.code.at);
    }
    const name = requiredText(raw.name, '检查表名称', CHECKLIST_LIMITS.nameLength, issues);
    const sector = checkSector(raw.sector, issues);
    const active = checkActive(raw.active, issues);
    const items = validateItems(raw, code ?? '', issues);
    if (issues.items.length === before) {
      checklists.push({ code: code!, name: name!, sector: sector!, active: active!, items });
    }
  }
  return { checklists, issues: issues.items };
}

function validateItems(raw: RawChecklist, code: string, issues: Issues): ChecklistItemInput[] {
  const label = code ? `检查表“${code}”` : '检查表';
  if (raw.items.length === 0) issues.add(raw.itemsAt, `${label}没有条目：至少需要一个条目`);
  if (raw.items.length > CHECKLIST_LIMITS.itemsPerChecklist) {
    issues.add(
      raw.itemsAt,
      `${label}的条目过多：${raw.items.length} 个，每个检查表最多 ${CHECKLIST_LIMITS.itemsPerChecklist} 个；请拆成几个检查表`,
    );
  }
  const items: ChecklistItemInput[] = [];
  const seen = new Map<string, Where>();
  for (const item of raw.items) {
    const itemCode = checkItemCode(item.code, issues);
    if (itemCode !== undefined) {
      const first = seen.get(itemCode);
      if (first) issues.add(item.code.at, `${label}中条目编码“${itemCode}”重复（${describe(first)}已有）`);
      else seen.set(itemCode, item.code.at);
    }
    const text = requiredText(item.text, '检查内容', CHECKLIST_LIMITS.textLength, issues);
    const basis = requiredText(item.basis, '依据条款', CHECKLIST_LIMITS.basisLength, issues);
    const major = checkMajor(item.major, issues);
    if (itemCode !== undefined && text !== undefined && basis !== undefined && major !== undefined) {
      items.push({ code: itemCode, text, basis, major });
    }
  }
  return items;
}

/** “第 3 行” in a sheet, the path in JSON. */
function describe(at: Where): string {
  return at.sheet === 'checklists' ? at.column : `${at.sheet} 第 ${at.row} 行`;
}
