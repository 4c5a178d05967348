/**
 * The JSON form of a checklist import (interface.md): `{"checklists": [{code, name, sector, items: [{code, text,
 * basis, major}]}]}`. Problems are cited by path (`checklists[2].items[5].basis`). Unknown keys are refused, naming
 * the known ones: a misspelt `basis` would otherwise read as "no basis". Pure: no I/O.
 */
import type { ChecklistIssue, ParsedChecklists } from './model.js';
import { type RawChecklist, type RawItem, type RawValue, validateChecklists, type Where } from './validate.js';

/** What GET /api/admin/checklists adds to each checklist: `active` is read back, the others are ignored. */
const CHECKLIST_KEYS = ['code', 'name', 'sector', 'items', 'active', 'source', 'version'];
const ITEM_KEYS = ['code', 'text', 'basis', 'major'];
const SHEET = 'checklists';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseChecklistJson(body: unknown): ParsedChecklists {
  const issues: ChecklistIssue[] = [];
  const whole: Where = { sheet: SHEET, row: 0, column: 'checklists' };
  const problem = (at: Where, reason: string) =>
    issues.push({ sheet: at.sheet, row: at.row, column: at.column, reason });
  if (!isObject(body)) {
    problem(
      whole,
      '请求体应为 JSON 对象：{"checklists": [{"code", "name", "sector", "items": [{"code", "text", "basis", "major"}]}]}',
    );
    return { checklists: [], issues };
  }
  for (const key of Object.keys(body)) {
    if (key !== 'checklists') problem({ ...whole, column: key }, `未知的字段“${key}”；可用的字段：checklists`);
  }
  const list = body.checklists;
  if (!Array.isArray(list)) {
    problem(whole, list === undefined ? '缺少 checklists（检查表数组）' : 'checklists 应为数组');
    return { checklists: [], issues };
  }
  const raws: RawChecklist[] = [];
  list.forEach((entry, index) => {
    const path = `checklists[${index}]`;
    const at = (key: string): Where => ({ sheet: SHEET, row: index + 1, column: `${path}.${key}` });
    if (!isObject(entry)) {
      problem({ sheet: SHEET, row: index + 1, column: path }, '应为 JSON 对象（一个检查表）');
      return;
    }
    for (const key of Object.keys(entry)) {
      if (!CHECKLIST_KEYS.includes(key)) {
        problem(at(key), `未知的字段“${key}”；检查表可用的字段：${CHECKLIST_KEYS.join('、')}`);
      }
    }
    const value = (key: string): RawValue => ({ value: entry[key], at: at(key) });
    const items: RawItem[] = [];
    const rawItems = entry.items;
    if (rawItems !== undefined && !Array.isArray(rawItems)) problem(at('items'), 'items 应为数组');
    (Array.isArray(rawItems) ? rawItems : []).forEach((item, i) => {
      const itemPath = `${path}.items[${i}]`;
      const itemAt = (key: string): Where => ({ sheet: SHEET, row: index + 1, column: `${itemPath}.${key}` });
      if (!isObject(item)) {
        problem({ sheet: SHEET, row: index + 1, column: itemPath }, '应为 JSON 对象（一个条目）');
        return;
      }
      for (const key of Object.keys(item)) {
        if (!ITEM_KEYS.includes(key)) {
          problem(itemAt(key), `未知的字段“${key}”；条目可用的字段：${ITEM_KEYS.join('、')}`);
        }
      }
      const itemValue = (key: string): RawValue => ({ value: item[key], at: itemAt(key) });
      items.push({
        code: itemValue('code'),
        text: itemValue('text'),
        basis: itemValue('basis'),
        major: itemValue('major'),
      });
    });
    raws.push({
      code: value('code'),
      name: value('name'),
      sector: value('sector'),
      active: value('active'),
      items,
      itemsAt: at('items'),
    });
  });
  const checked = validateChecklists(raws, whole);
  // In the order of the list: each checklist's problems together (a stable sort keeps their order within it).
  const all = [...issues, ...checked.issues].sort((a, b) => a.row - b.row);
  // Nothing to apply while anything is wrong: an import is taken whole or not at all.
  return { checklists: all.length > 0 ? [] : checked.checklists, issues: all };
}
