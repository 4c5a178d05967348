import { checkEmail, checkMobile, checkName } from './field-checks.js';
import { type DirectoryInput, type DirectoryIssue, emptyInput, type PersonDraft, sortIssues } from './model.js';
import {
  fileDraft,
  IssueList,
  type RecordSource,
  readDepartment,
  readEnterprise,
  readPersonFields,
  readRegion,
  readRole,
} from './parse-records.js';
import { findColumn, identifySheet, type ListKind, SHEETS, type SheetDef, sheetDef } from './sheets.js';
import type { RawTable } from './spreadsheet-cells.js';

/**
 * Turns an import (JSON, or the sheets of an xlsx / CSV files) into typed entries, checking each value on its own.
 * References between entries (regions, departments, people) are checked afterwards by validateReferences, which also
 * knows the database. Every problem is collected; nothing stops at the first, not even within a row.
 */
export interface ParsedInput {
  input: DirectoryInput;
  /** Sheet / file / JSON list names in the order of the import, to list problems in that order. */
  sheets?: string[];
  issues: DirectoryIssue[];
  /**
   * Problems counted but not kept (with `keepIssues`): `issues` then holds the first ones in file order, enough to
   * list, and this many more were found.
   */
  omittedIssues?: number;
}

export interface ParseOptions {
  /**
   * Keep only the first this many problems in file order and count the rest: a file of 275,000 bad rows has half a
   * million problems, more memory than the rows, and an answer lists a hundred.
   */
  keepIssues?: number | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Spreadsheets (xlsx sheets or CSV files)

/** Reads the rows of one table: its headers are matched to the list's columns once, not once a row. */
function tableSources(def: SheetDef, table: RawTable): (row: RawTable['rows'][number]) => RecordSource {
  const index = new Map<string, number>();
  const names = new Map<string, string>();
  table.headers.forEach((header, i) => {
    const column = findColumn(def, header);
    if (column && !index.has(column.field)) {
      index.set(column.field, i);
      names.set(column.field, header);
    }
  });
  const has = (field: string) => index.has(field);
  const column = (field: string) => names.get(field) ?? def.columns.find((c) => c.field === field)?.header ?? field;
  return (row) => ({
    at: { sheet: table.name, row: row.row },
    get: (field) => {
      const i = index.get(field);
      return i === undefined ? undefined : row.cells[i];
    },
    has,
    column,
  });
}

/** Reads the tables into entries and problems; each table's rows are emptied once read (see below). */
export function parseTables(tables: RawTable[], options: ParseOptions = {}): ParsedInput {
  const issues = new IssueList();
  const input = emptyInput();
  const seen = new Map<ListKind, string>();
  const sheets = tables.map((t) => t.name);
  let omittedIssues = 0;
  // The first problems of the whole file are the first of what was kept and what came after (the sort is stable).
  const keepFirst = (keep: number) => {
    const sorted = sortIssues(issues.items, sheets);
    omittedIssues += Math.max(0, sorted.length - keep);
    issues.items.splice(0, issues.items.length, ...sorted.slice(0, keep));
  };
  for (const table of tables) {
    const def = identifySheet(table.name, table.headers);
    if (!def) {
      // A sheet of notes (填写说明) or anything else: ignored, but an unrecognised CSV file is worth a word.
      if (/\.csv$/i.test(table.name)) {
        issues.add(
          { sheet: table.name, row: 1 },
          undefined,
          `无法识别这个文件是哪张表；表头应包含 ${SHEETS.map((s) => s.columns[0]!.header).join('、')} 之一`,
        );
      }
      continue;
    }
    if (seen.has(def.kind)) {
      issues.add(
        { sheet: table.name, row: 1 },
        undefined,
        `与“${seen.get(def.kind)}”是同一张表（${def.title}），只能提供一次`,
      );
      continue;
    }
    seen.set(def.kind, table.name);
    input.present.push(def.kind);
    // A header we do not know is refused, not skipped: a renamed 手机号 column would otherwise read as "no mobiles"
    // and a merge would blank every one of them.
    for (const header of table.headers) {
      if (header.trim() === '' || findColumn(def, header)) continue;
      issues.add(
        { sheet: table.name, row: 1 },
        header,
        `未知的列“${header}”；${def.title}表可用的列：${def.columns.map((c) => c.header).join('、')}`,
      );
    }
    const missing = def.columns.filter((c) => c.required && !table.headers.some((h) => findColumn(def, h) === c));
    for (const column of missing)
      issues.add({ sheet: table.name, row: 1 }, column.header, `缺少必需的列“${column.header}”`);
    for (const problem of table.problems)
      issues.add({ sheet: table.name, row: problem.row }, problem.column, problem.reason);
    // Without a required column the rows are still read for their other problems, but none can be applied; the
    // missing column is reported once, on the header row, rather than as a missing value on every row. The rows'
    // problems come in file order, so the first ones kept are the first of the sheet.
    const missingHeaders = new Set(missing.map((c) => c.header));
    const rowIssues = new IssueList({ keep: options.keepIssues, skipColumns: missingHeaders });
    const problemRows = new Set(table.problems.map((p) => p.row));
    const flawed = (before: number, row: number) =>
      missing.length > 0 || problemRows.has(row) || rowIssues.count > before;
    if (def.kind === 'people') readPeopleRows(def, table, rowIssues, input, flawed);
    else {
      const source = tableSources(def, table);
      for (const row of table.rows) {
        const before = rowIssues.count;
        readListRecord(def.kind, source(row), rowIssues, input, () => flawed(before, row.row));
      }
    }
    for (const issue of rowIssues.items) issues.items.push(issue);
    omittedIssues += rowIssues.omitted;
    // Read: the rows' memory goes now, not after the last sheet (300,000 rows held beside what they were read into
    // were more than a parse worker's heap).
    table.rows.length = 0;
    if (options.keepIssues !== undefined) keepFirst(options.keepIssues);
  }
  noListIssue(input, issues);
  return { input, issues: issues.items, sheets, ...(omittedIssues > 0 ? { omittedIssues } : {}) };
}

/** Reads a region, department or enterprise record and files it among the entries or, when flawed, the rejected. */
function readListRecord(
  kind: Exclude<ListKind, 'people'>,
  src: RecordSource,
  issues: IssueList,
  input: DirectoryInput,
  flawed: () => boolean,
): void {
  if (kind === 'regions') fileDraft(readRegion(src, issues), flawed(), input.regions, input.rejected.regions);
  else if (kind === 'departments') {
    fileDraft(readDepartment(src, issues), flawed(), input.departments, input.rejected.departments);
  } else fileDraft(readEnterprise(src, issues), flawed(), input.enterprises, input.rejected.enterprises);
}

function noListIssue(input: DirectoryInput, issues: IssueList): void {
  if (input.present.length === 0 && issues.items.length === 0) {
    issues.add(
      { sheet: '', row: 0 },
      undefined,
      `没有找到可导入的表：需要“${SHEETS.map((s) => s.title).join('”“')}”中的至少一张（或 JSON 的 regions、departments、people、enterprises）`,
    );
  }
}

/**
 * One role per row: a person with several roles appears on several rows with the same 人员编码. The other columns of
 * the extra rows may be left empty; when filled they must agree with the person's first row. A problem on any of a
 * person's rows rejects the person.
 */
function readPeopleRows(
  def: SheetDef,
  table: RawTable,
  issues: IssueList,
  input: DirectoryInput,
  flawed: (before: number, row: number) => boolean,
): void {
  const byCode = new Map<string, { person: PersonDraft; flawed: boolean }>();
  const source = tableSources(def, table);
  for (const row of table.rows) {
    const src = source(row);
    const before = issues.count;
    const code = src.get('code')?.trim();
    const first = code === undefined ? undefined : byCode.get(code);
    const person = first?.person ?? readPersonFields(src, issues);
    if (first) checkRepeatedFields(src, first.person, issues);
    const role = readRole(src.at, src.get('role'), src.get('scope'), src.column('role'), src.column('scope'), issues);
    // concat, not push: an array grown by push keeps room for 16 more, 150 bytes a person of 300,000.
    if (role) person.roles = person.roles.concat(role);
    const rowFlawed = flawed(before, row.row);
    if (first) first.flawed ||= rowFlawed;
    else if (code === undefined) input.rejected.people.push(person);
    else byCode.set(code, { person, flawed: rowFlawed });
  }
  for (const { person, flawed } of byCode.values()) fileDraft(person, flawed, input.people, input.rejected.people);
}

/** The person columns of a further role row, when filled, must agree with the person's first row. */
function checkRepeatedFields(src: RecordSource, first: PersonDraft, issues: IssueList): void {
  for (const field of ['name', 'mobile', 'email', 'openId'] as const) {
    const text = src.get(field);
    // A value of the first row that failed its check is reported there; there is nothing to compare with.
    if (text === undefined || first[field] === undefined) continue;
    const value = field === 'mobile' ? checkMobile(text) : field === 'email' ? checkEmail(text) : checkName(text);
    const mine = value.ok ? value.value : text;
    if (mine !== first[field]) {
      issues.add(
        src.at,
        src.column(field),
        `人员编码 ${first.code} 重复，且与第 ${first.at.row} 行的信息不一致（“${text}” ≠ “${first[field] ?? ''}”）；一人多个角色时每个角色一行，其余列保持一致或留空`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// JSON (the format of interface.md)

const JSON_LISTS: ListKind[] = ['regions', 'departments', 'people', 'enterprises'];

function jsonSource(list: ListKind, index: number, item: Record<string, unknown>, issues: IssueList): RecordSource {
  const at = { sheet: list, row: index + 1 };
  const textFields = new Set(sheetDef(list).columns.map((c) => c.field));
  return {
    at,
    get(field) {
      const value = item[field];
      if (value === undefined || value === null) return undefined;
      if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('、') || undefined;
      if (textFields.has(field)) issues.add(at, field, '应为文本');
      return undefined;
    },
    has: (field) => field in item,
    column: (field) => field,
  };
}

export function parseJson(body: unknown): ParsedInput {
  const issues = new IssueList();
  const input = emptyInput();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    issues.add(
      { sheet: 'body', row: 0 },
      undefined,
      '请求体应为 JSON 对象：{"regions": […], "departments": […], "people": […], "enterprises": […]}',
    );
    return { input, issues: issues.items };
  }
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(JSON_LISTS as string[]).includes(key)) {
      issues.add({ sheet: key, row: 0 }, undefined, `未知的列表“${key}”；可用：${JSON_LISTS.join('、')}`);
    }
  }
  for (const list of JSON_LISTS) {
    const items = record[list];
    if (items === undefined) continue;
    if (!Array.isArray(items)) {
      issues.add({ sheet: list, row: 0 }, undefined, `${list} 应为数组`);
      continue;
    }
    input.present.push(list);
    items.forEach((item, index) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        issues.add({ sheet: list, row: index + 1 }, undefined, '应为 JSON 对象');
        return;
      }
      const fields = item as Record<string, unknown>;
      // An unknown field is refused (a person's `手机` instead of `mobile` would otherwise clear their mobile).
      const known = knownJsonFields(list);
      for (const key of Object.keys(fields)) {
        if (!known.includes(key)) {
          issues.add(
            { sheet: list, row: index + 1 },
            key,
            `未知的字段“${key}”；${list} 可用的字段：${known.join('、')}`,
          );
        }
      }
      const src = jsonSource(list, index, fields, issues);
      const before = issues.count;
      const flawed = () => issues.count > before;
      if (list !== 'people') readListRecord(list, src, issues, input, flawed);
      else fileDraft(readJsonPerson(src, fields, issues), flawed(), input.people, input.rejected.people);
    });
  }
  noListIssue(input, issues);
  return { input, issues: issues.items, sheets: Object.keys(record) };
}

/** The fields of a JSON list entry: the sheet's columns by their JSON names, and a person's `roles`. */
function knownJsonFields(list: ListKind): string[] {
  const fields = sheetDef(list).columns.map((c) => c.field);
  // A person's role and scope are one sheet row each; in JSON they are the `roles` array.
  return list === 'people' ? [...fields.filter((f) => f !== 'role' && f !== 'scope'), 'roles'] : fields;
}

function readJsonPerson(src: RecordSource, item: Record<string, unknown>, issues: IssueList): PersonDraft {
  const person = readPersonFields(src, issues);
  const rawRoles = item.roles ?? [];
  if (!Array.isArray(rawRoles)) {
    issues.add(src.at, 'roles', 'roles 应为数组：[{"role": "inspector", "scope": "county"}]');
    return person;
  }
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  rawRoles.forEach((raw, i) => {
    const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const role = readRole(src.at, text(entry.role), text(entry.scope), `roles[${i}].role`, `roles[${i}].scope`, issues);
    if (role) person.roles.push(role);
  });
  return person;
}
