import {
  type Checked,
  checkChatId,
  checkCode,
  checkCreditCode,
  checkEmail,
  checkMobile,
  checkName,
  checkYesNo,
  splitList,
} from './field-checks.js';
import {
  type DepartmentEntry,
  type DirectoryInput,
  type DirectoryIssue,
  describeScopeKinds,
  type EnterpriseEntry,
  emptyInput,
  type PersonEntry,
  type Position,
  parseRole,
  parseScope,
  type RegionEntry,
  ROLE_SCOPE_KINDS,
  type RoleEntry,
} from './model.js';
import { findColumn, identifySheet, type ListKind, SHEETS, type SheetDef, sheetDef } from './sheets.js';
import type { RawTable } from './spreadsheet-cells.js';

/**
 * Turns an import (JSON, or the sheets of an xlsx / CSV files) into typed entries, checking each value on its own.
 * References between entries (regions, departments, people) are checked afterwards by validateReferences, which also
 * knows the database. Every problem is collected; nothing stops at the first.
 */
export interface ParsedInput {
  input: DirectoryInput;
  /** Sheet / file / JSON list names in the order of the import, to list problems in that order. */
  sheets?: string[];
  issues: DirectoryIssue[];
}

/** One record of any source: a spreadsheet row or a JSON object. */
interface RecordSource {
  at: Position;
  get(field: string): string | undefined;
  /** The name to cite for a field: the header used in the file, or the JSON key. */
  column(field: string): string;
}

class IssueList {
  readonly items: DirectoryIssue[] = [];
  add(at: Position, column: string | undefined, reason: string): void {
    this.items.push(column === undefined ? { ...at, reason } : { ...at, column, reason });
  }
}

function required(src: RecordSource, field: string, issues: IssueList, label: string): string | undefined {
  const value = src.get(field);
  if (value === undefined) issues.add(src.at, src.column(field), `缺少${label}`);
  return value;
}

function checked<T>(src: RecordSource, field: string, issues: IssueList, check: (text: string) => Checked<T>) {
  const text = src.get(field);
  if (text === undefined) return { present: false as const, value: null };
  const result = check(text);
  if (!result.ok) {
    issues.add(src.at, src.column(field), result.reason);
    return { present: true as const, value: undefined };
  }
  return { present: true as const, value: result.value };
}

function readCode(src: RecordSource, issues: IssueList, label: string): string | undefined {
  if (required(src, 'code', issues, label) === undefined) return undefined;
  return checked(src, 'code', issues, checkCode).value ?? undefined;
}

function readName(src: RecordSource, issues: IssueList, label: string): string | undefined {
  if (required(src, 'name', issues, label) === undefined) return undefined;
  return checked(src, 'name', issues, (t) => checkName(t)).value ?? undefined;
}

function optionalCode(src: RecordSource, field: string, issues: IssueList): string | null | undefined {
  return checked(src, field, issues, checkCode).value;
}

function readRegion(src: RecordSource, issues: IssueList): RegionEntry | undefined {
  const code = readCode(src, issues, '区域编码');
  const name = readName(src, issues, '区域名称');
  const parent = optionalCode(src, 'parent', issues);
  const chat = readTownshipChat(src, issues);
  if (code === undefined || name === undefined || parent === undefined || !chat.ok) return undefined;
  return { at: src.at, code, name, parent, chatId: chat.chatId };
}

/** A region's 群聊ID: empty keeps the chat set before (undefined), 无/none removes it (null), else a chat_id. */
function readTownshipChat(src: RecordSource, issues: IssueList): { ok: boolean; chatId?: string | null } {
  const text = src.get('chatId');
  if (text === undefined) return { ok: true, chatId: undefined };
  if (/^(无|none)$/i.test(text.trim())) return { ok: true, chatId: null };
  const checkedChat = checkChatId(text);
  if (checkedChat.ok) return { ok: true, chatId: checkedChat.value };
  issues.add(src.at, src.column('chatId'), checkedChat.reason);
  return { ok: false };
}

function readDepartment(src: RecordSource, issues: IssueList): DepartmentEntry | undefined {
  const code = readCode(src, issues, '部门编码');
  const name = readName(src, issues, '部门名称');
  if (code === undefined || name === undefined) return undefined;
  return { at: src.at, code, name, sectors: splitList(src.get('sectors') ?? '') };
}

function readEnterprise(src: RecordSource, issues: IssueList): EnterpriseEntry | undefined {
  const code = readCode(src, issues, '企业编码');
  const name = readName(src, issues, '企业名称');
  const creditCode = checked(src, 'creditCode', issues, checkCreditCode).value;
  const region = required(src, 'region', issues, '所属乡镇（区域编码）') && optionalCode(src, 'region', issues);
  const department = optionalCode(src, 'department', issues);
  const principal = optionalCode(src, 'principal', issues);
  const safetyOfficer = optionalCode(src, 'safetyOfficer', issues);
  const address = checked(src, 'address', issues, (t) => checkName(t, 500)).value;
  const chatId = checked(src, 'chatId', issues, checkChatId).value;
  const verified = checked(src, 'verified', issues, checkYesNo);
  // Units reported in the field may be listed unverified and without a principal until an admin completes them.
  const isVerified = verified.value ?? true;
  if (isVerified && principal === null) {
    issues.add(src.at, src.column('principal'), '企业缺少主要负责人（填写人员编码）');
  }
  if (
    code === undefined ||
    name === undefined ||
    creditCode === undefined ||
    !region ||
    department === undefined ||
    principal === undefined ||
    safetyOfficer === undefined ||
    address === undefined ||
    chatId === undefined ||
    verified.value === undefined
  ) {
    return undefined;
  }
  return {
    at: src.at,
    columns: {
      code: src.column('code'),
      region: src.column('region'),
      department: src.column('department'),
      principal: src.column('principal'),
      safetyOfficer: src.column('safetyOfficer'),
    },
    code,
    name,
    creditCode,
    region,
    sectors: splitList(src.get('sectors') ?? ''),
    department,
    principal,
    safetyOfficer,
    address,
    chatId,
    verified: isVerified,
  };
}

/** A person's fields other than roles. */
function readPersonFields(src: RecordSource, issues: IssueList): Omit<PersonEntry, 'roles'> | undefined {
  const code = readCode(src, issues, '人员编码');
  const name = readName(src, issues, '姓名');
  const mobile = checked(src, 'mobile', issues, checkMobile).value;
  const email = checked(src, 'email', issues, checkEmail).value;
  const openId = checked(src, 'openId', issues, checkCode).value;
  if (code === undefined || name === undefined || mobile === undefined || email === undefined || openId === undefined) {
    return undefined;
  }
  return { at: src.at, code, name, mobile, email, openId };
}

function readRole(
  at: Position,
  roleText: string | undefined,
  scopeText: string | undefined,
  roleColumn: string,
  scopeColumn: string,
  issues: IssueList,
): RoleEntry | undefined {
  if (roleText === undefined && scopeText === undefined) return undefined;
  if (roleText === undefined) {
    issues.add(at, roleColumn, `填写了范围“${scopeText}”但没有角色`);
    return undefined;
  }
  const role = parseRole(roleText);
  if (!role) {
    issues.add(
      at,
      roleColumn,
      `未知角色“${roleText}”；可用：检查员、企业主要负责人、企业安全管理员、乡镇分管领导、乡镇主要领导、行业主管部门负责人、县领导、管理员（或其英文代码）`,
    );
  }
  if (scopeText === undefined) {
    issues.add(
      at,
      scopeColumn,
      `角色“${roleText}”缺少范围（county、region:<区域编码>、department:<部门编码> 或 enterprise:<企业编码>）`,
    );
    return undefined;
  }
  const scope = parseScope(scopeText);
  if (!scope) {
    issues.add(
      at,
      scopeColumn,
      `无法识别的范围“${scopeText}”；应为 county、region:<区域编码>、department:<部门编码> 或 enterprise:<企业编码>`,
    );
    return undefined;
  }
  if (!role) return undefined;
  if (!ROLE_SCOPE_KINDS[role].includes(scope.kind)) {
    issues.add(
      at,
      scopeColumn,
      `角色“${roleText}”的范围应为 ${describeScopeKinds(ROLE_SCOPE_KINDS[role])}，而不是“${scopeText}”`,
    );
    return undefined;
  }
  return { at, roleColumn, scopeColumn, role, scope };
}

// ---------------------------------------------------------------------------------------------------------------
// Spreadsheets (xlsx sheets or CSV files)

function tableSource(def: SheetDef, table: RawTable, row: RawTable['rows'][number]): RecordSource {
  const index = new Map<string, number>();
  const names = new Map<string, string>();
  table.headers.forEach((header, i) => {
    const column = findColumn(def, header);
    if (column && !index.has(column.field)) {
      index.set(column.field, i);
      names.set(column.field, header);
    }
  });
  return {
    at: { sheet: table.name, row: row.row },
    get: (field) => {
      const i = index.get(field);
      return i === undefined ? undefined : row.cells[i];
    },
    column: (field) => names.get(field) ?? def.columns.find((c) => c.field === field)?.header ?? field,
  };
}

export function parseTables(tables: RawTable[]): ParsedInput {
  const issues = new IssueList();
  const input = emptyInput();
  const seen = new Map<ListKind, string>();
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
    const missing = def.columns.filter((c) => c.required && !table.headers.some((h) => findColumn(def, h) === c));
    for (const column of missing)
      issues.add({ sheet: table.name, row: 1 }, column.header, `缺少必需的列“${column.header}”`);
    for (const problem of table.problems)
      issues.add({ sheet: table.name, row: problem.row }, problem.column, problem.reason);
    if (missing.length > 0) continue;

    if (def.kind === 'people') {
      readPeopleRows(def, table, issues, input);
      continue;
    }
    for (const row of table.rows) {
      const src = tableSource(def, table, row);
      if (def.kind === 'regions') push(input.regions, readRegion(src, issues), src, input.unparsed.regions);
      else if (def.kind === 'departments') {
        push(input.departments, readDepartment(src, issues), src, input.unparsed.departments);
      } else push(input.enterprises, readEnterprise(src, issues), src, input.unparsed.enterprises);
    }
  }
  noListIssue(input, issues);
  return { input, issues: issues.items, sheets: tables.map((t) => t.name) };
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
 * the extra rows may be left empty; when filled they must agree with the person's first row.
 */
function readPeopleRows(def: SheetDef, table: RawTable, issues: IssueList, input: DirectoryInput): void {
  const byCode = new Map<string, PersonEntry>();
  for (const row of table.rows) {
    const src = tableSource(def, table, row);
    const code = src.get('code')?.trim();
    const first = code === undefined ? undefined : byCode.get(code);
    if (code !== undefined && input.unparsed.people.has(code)) {
      // The person's first row was rejected (and reported); their further role rows are still checked on their own.
      readRole(src.at, src.get('role'), src.get('scope'), src.column('role'), src.column('scope'), issues);
      continue;
    }
    if (!first) {
      const fields = readPersonFields(src, issues);
      const role = readRole(src.at, src.get('role'), src.get('scope'), src.column('role'), src.column('scope'), issues);
      if (!fields) {
        if (code !== undefined) input.unparsed.people.add(code);
        continue;
      }
      const person: PersonEntry = { ...fields, roles: role ? [role] : [] };
      byCode.set(person.code, person);
      input.people.push(person);
      continue;
    }
    for (const field of ['name', 'mobile', 'email', 'openId'] as const) {
      const text = src.get(field);
      if (text === undefined) continue;
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
    const role = readRole(src.at, src.get('role'), src.get('scope'), src.column('role'), src.column('scope'), issues);
    if (role) first.roles.push(role);
  }
}

function push<T>(list: T[], item: T | undefined, src?: RecordSource, unparsed?: Set<string>): void {
  if (item !== undefined) list.push(item);
  else {
    const code = src?.get('code');
    if (code !== undefined) unparsed?.add(code.trim());
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
      const src = jsonSource(list, index, item as Record<string, unknown>, issues);
      const item_ = item as Record<string, unknown>;
      const entry =
        list === 'regions'
          ? readRegion(src, issues)
          : list === 'departments'
            ? readDepartment(src, issues)
            : list === 'enterprises'
              ? readEnterprise(src, issues)
              : readJsonPerson(src, item_, issues);
      push(input[list] as unknown[], entry, src, input.unparsed[list]);
    });
  }
  noListIssue(input, issues);
  return { input, issues: issues.items, sheets: Object.keys(record) };
}

function readJsonPerson(src: RecordSource, item: Record<string, unknown>, issues: IssueList): PersonEntry | undefined {
  const fields = readPersonFields(src, issues);
  const roles: RoleEntry[] = [];
  const rawRoles = item.roles ?? [];
  if (!Array.isArray(rawRoles)) {
    issues.add(src.at, 'roles', 'roles 应为数组：[{"role": "inspector", "scope": "county"}]');
  } else {
    rawRoles.forEach((raw, i) => {
      const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
      const role = readRole(
        src.at,
        text(entry.role),
        text(entry.scope),
        `roles[${i}].role`,
        `roles[${i}].scope`,
        issues,
      );
      if (role) roles.push(role);
    });
  }
  return fields && { ...fields, roles };
}
