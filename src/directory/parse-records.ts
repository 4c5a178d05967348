/**
 * Reading one record of a directory import (a spreadsheet row or a JSON object) into a draft of its entry, checking
 * each value on its own and recording every problem: a bad value never stops the record's other values from being
 * read and checked. Which list a record belongs to, and how rows become records, is parse-input.ts's job.
 */
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
  type DepartmentDraft,
  type DirectoryIssue,
  describeScopeKinds,
  type EnterpriseDraft,
  type PersonDraft,
  type Position,
  parseRole,
  parseScope,
  type RegionDraft,
  ROLE_SCOPE_KINDS,
  type RoleDraft,
} from './model.js';

/** One record of any source: a spreadsheet row or a JSON object. */
export interface RecordSource {
  at: Position;
  get(field: string): string | undefined;
  /** Whether the import carries the field at all (the sheet has its column, the JSON item its key). */
  has(field: string): boolean;
  /** The name to cite for a field: the header used in the file, or the JSON key. */
  column(field: string): string;
}

/**
 * The optional fields of a record the import carries (see PersonEntry.given). Every row of a sheet carries the same
 * (its headers decide), so the rows of one source share one set: a set a row was most of what 300,000 rows took.
 */
const givenSets = new WeakMap<RecordSource['has'], Map<string[], ReadonlySet<string>>>();
function givenOf(src: RecordSource, fields: string[]): ReadonlySet<string> {
  let byFields = givenSets.get(src.has);
  if (!byFields) {
    byFields = new Map();
    givenSets.set(src.has, byFields);
  }
  let given = byFields.get(fields);
  if (!given) {
    given = new Set(fields.filter((f) => src.has(f)));
    byFields.set(fields, given);
  }
  return given;
}
export const OPTIONAL_PERSON_FIELDS = ['mobile', 'email', 'openId'];
export const OPTIONAL_ENTERPRISE_FIELDS = [
  'creditCode',
  'sectors',
  'department',
  'principal',
  'safetyOfficer',
  'address',
];

export class IssueList {
  readonly items: DirectoryIssue[] = [];
  /** Problems past `keep`: counted, not kept. */
  omitted = 0;
  private added = 0;

  /**
   * `keep`: keep the first this many problems and count the rest (a sheet of 100,000 bad rows has 200,000 problems:
   * kept, they alone would take most of a parse worker's memory). `skipColumns`: problems of these columns are
   * neither kept nor counted as problems to list (a missing column is reported once, on its header) — they still
   * make their row flawed.
   */
  constructor(private readonly options: { keep?: number | undefined; skipColumns?: ReadonlySet<string> } = {}) {}

  add(at: Position, column: string | undefined, reason: string): void {
    this.added++;
    if (column !== undefined && this.options.skipColumns?.has(column)) return;
    if (this.options.keep !== undefined && this.items.length >= this.options.keep) {
      this.omitted++;
      return;
    }
    this.items.push(column === undefined ? { ...at, reason } : { ...at, column, reason });
  }

  /** Every problem added, kept or not: whether a row has one is `count` before and after it. */
  get count(): number {
    return this.added;
  }
}

/**
 * Files a record's draft: with no problem recorded while reading it, it is a whole entry (a value is left undefined
 * only where a problem was recorded); otherwise it is kept among the rejected rows, to be checked but never applied.
 */
export function fileDraft<T extends { at: Position }, D extends { at: Position }>(
  draft: D,
  flawed: boolean,
  entries: T[],
  rejected: D[],
): void {
  if (flawed) rejected.push(draft);
  else entries.push(draft as unknown as T);
}

function required(src: RecordSource, field: string, issues: IssueList, label: string): string | undefined {
  const value = src.get(field);
  if (value === undefined) issues.add(src.at, src.column(field), `缺少${label}`);
  return value;
}

/** An optional value: null when absent, undefined when it fails its check (the problem is recorded). */
function checked<T>(src: RecordSource, field: string, issues: IssueList, check: (text: string) => Checked<T>) {
  const text = src.get(field);
  if (text === undefined) return null;
  const result = check(text);
  if (!result.ok) {
    issues.add(src.at, src.column(field), result.reason);
    return undefined;
  }
  return result.value;
}

/** A required value: undefined when absent or failing its check (the problem is recorded). */
function requiredChecked<T>(
  src: RecordSource,
  field: string,
  issues: IssueList,
  label: string,
  check: (text: string) => Checked<T>,
): T | undefined {
  if (required(src, field, issues, label) === undefined) return undefined;
  return checked(src, field, issues, check) ?? undefined;
}

export function readRegion(src: RecordSource, issues: IssueList): RegionDraft {
  return {
    at: src.at,
    code: requiredChecked(src, 'code', issues, '区域编码', checkCode),
    name: requiredChecked(src, 'name', issues, '区域名称', checkName),
    parent: checked(src, 'parent', issues, checkCode),
    chatId: readTownshipChat(src, issues),
  };
}

/** A region's 群聊ID: empty keeps the chat set before (undefined), 无/none removes it (null), else a chat_id. */
function readTownshipChat(src: RecordSource, issues: IssueList): string | null | undefined {
  const text = src.get('chatId');
  if (text === undefined) return undefined;
  if (/^(无|none)$/i.test(text.trim())) return null;
  return checked(src, 'chatId', issues, checkChatId) ?? undefined;
}

export function readDepartment(src: RecordSource, issues: IssueList): DepartmentDraft {
  return {
    at: src.at,
    code: requiredChecked(src, 'code', issues, '部门编码', checkCode),
    name: requiredChecked(src, 'name', issues, '部门名称', checkName),
    sectors: splitList(src.get('sectors') ?? ''),
  };
}

/** The headers an enterprise's problems cite: the same for every row of a sheet, so one object for them all. */
const enterpriseColumns = new WeakMap<RecordSource['column'], EnterpriseDraft['columns']>();
function enterpriseColumnsOf(src: RecordSource): EnterpriseDraft['columns'] {
  let columns = enterpriseColumns.get(src.column);
  if (!columns) {
    columns = {
      code: src.column('code'),
      region: src.column('region'),
      department: src.column('department'),
      principal: src.column('principal'),
      safetyOfficer: src.column('safetyOfficer'),
    };
    enterpriseColumns.set(src.column, columns);
  }
  return columns;
}

export function readEnterprise(src: RecordSource, issues: IssueList): EnterpriseDraft {
  const principal = checked(src, 'principal', issues, checkCode);
  const verified = checked(src, 'verified', issues, checkYesNo);
  // Units reported in the field may be listed unverified and without a principal until an admin completes them.
  const isVerified = verified ?? true;
  if (isVerified && principal === null) {
    issues.add(src.at, src.column('principal'), '企业缺少主要负责人（填写人员编码）');
  }
  return {
    at: src.at,
    columns: enterpriseColumnsOf(src),
    code: requiredChecked(src, 'code', issues, '企业编码', checkCode),
    name: requiredChecked(src, 'name', issues, '企业名称', checkName),
    creditCode: checked(src, 'creditCode', issues, checkCreditCode),
    region: requiredChecked(src, 'region', issues, '所属乡镇（区域编码）', checkCode),
    sectors: splitList(src.get('sectors') ?? ''),
    department: checked(src, 'department', issues, checkCode),
    principal,
    safetyOfficer: checked(src, 'safetyOfficer', issues, checkCode),
    address: checked(src, 'address', issues, (t) => checkName(t, 500)),
    chatId: checked(src, 'chatId', issues, checkChatId),
    verified: verified === undefined ? undefined : isVerified,
    given: givenOf(src, OPTIONAL_ENTERPRISE_FIELDS),
  };
}

/** A person's fields other than roles. */
export function readPersonFields(src: RecordSource, issues: IssueList): PersonDraft {
  return {
    at: src.at,
    code: requiredChecked(src, 'code', issues, '人员编码', checkCode),
    name: requiredChecked(src, 'name', issues, '姓名', checkName),
    mobile: checked(src, 'mobile', issues, checkMobile),
    email: checked(src, 'email', issues, checkEmail),
    openId: checked(src, 'openId', issues, checkCode),
    roles: [],
    given: givenOf(src, OPTIONAL_PERSON_FIELDS),
  };
}

/**
 * One role and its scope, each checked on its own: an unknown role does not keep its scope from being read, so a
 * scope naming an unknown region is reported as well. Undefined when neither is given.
 */
export function readRole(
  at: Position,
  roleText: string | undefined,
  scopeText: string | undefined,
  roleColumn: string,
  scopeColumn: string,
  issues: IssueList,
): RoleDraft | undefined {
  if (roleText === undefined && scopeText === undefined) return undefined;
  const draft: RoleDraft = { at, roleColumn, scopeColumn };
  if (roleText === undefined) issues.add(at, roleColumn, `填写了范围“${scopeText}”但没有角色`);
  else {
    draft.role = parseRole(roleText);
    if (!draft.role) {
      issues.add(
        at,
        roleColumn,
        `未知角色“${roleText}”；可用：检查员、企业主要负责人、企业安全管理员、乡镇分管领导、乡镇主要领导、行业主管部门负责人、县领导、管理员（或其英文代码）`,
      );
    }
  }
  if (scopeText === undefined) {
    issues.add(
      at,
      scopeColumn,
      `角色“${roleText}”缺少范围（county、region:<区域编码>、department:<部门编码> 或 enterprise:<企业编码>）`,
    );
  } else {
    draft.scope = parseScope(scopeText);
    if (!draft.scope) {
      issues.add(
        at,
        scopeColumn,
        `无法识别的范围“${scopeText}”；应为 county、region:<区域编码>、department:<部门编码> 或 enterprise:<企业编码>`,
      );
    }
  }
  if (draft.role && draft.scope && !ROLE_SCOPE_KINDS[draft.role].includes(draft.scope.kind)) {
    issues.add(
      at,
      scopeColumn,
      `角色“${roleText}”的范围应为 ${describeScopeKinds(ROLE_SCOPE_KINDS[draft.role])}，而不是“${scopeText}”`,
    );
    // A scope of the wrong kind is to be replaced, so whether it exists is beside the point.
    draft.scope = undefined;
  }
  return draft;
}
