/** Shapes shared by the directory's import, validation, export and queries. Pure: no I/O. */

// Roles and their Chinese names are the domain's (src/domain/permissions.ts); the directory reads them from there.
import { ROLE_LABELS, ROLES, type Role } from '../domain/permissions.js';

export { ROLE_LABELS, ROLES, type Role };

export type ScopeKind = 'county' | 'region' | 'department' | 'enterprise';

/** The kinds of scope each role may be given: a township leader leads a region, a department leader a department… */
export const ROLE_SCOPE_KINDS: Record<Role, readonly ScopeKind[]> = {
  inspector: ['county', 'region', 'department', 'enterprise'],
  enterprise_principal: ['enterprise'],
  enterprise_safety_officer: ['enterprise'],
  township_leader_in_charge: ['region'],
  township_main_leader: ['region'],
  department_leader: ['department'],
  // In a province deployment a county's leaders are scoped to that county's region.
  county_leader: ['county', 'region'],
  // 安委办 of a county (of that county's region in a province deployment).
  county_safety_office: ['county', 'region'],
  admin: ['county'],
};

const SCOPE_KIND_LABELS: Record<ScopeKind, string> = {
  county: '全县',
  region: '区域',
  department: '部门',
  enterprise: '企业',
};

export interface Scope {
  kind: ScopeKind;
  /** The code of the region, department or enterprise; absent for the county. */
  code?: string;
}

export function parseRole(text: string): Role | undefined {
  const value = text.trim();
  if ((ROLES as readonly string[]).includes(value)) return value as Role;
  return ROLES.find((role) => ROLE_LABELS[role] === value);
}

/** `county` | `region:<code>` | `department:<code>` | `enterprise:<code>`; the Chinese words 全县/区域/部门/企业 work too. */
export function parseScope(text: string): Scope | undefined {
  const value = text.trim();
  if (value === 'county' || value === '全县' || value === '县') return { kind: 'county' };
  const match = /^([^:：]+)[:：](.+)$/.exec(value);
  if (!match) return undefined;
  const prefix = match[1]!.trim();
  const code = match[2]!.trim();
  if (!code) return undefined;
  for (const kind of ['region', 'department', 'enterprise'] as const) {
    if (prefix === kind || prefix === SCOPE_KIND_LABELS[kind]) return { kind, code };
  }
  if (prefix === '乡镇') return { kind: 'region', code };
  return undefined;
}

export function formatScope(scope: Scope): string {
  return scope.kind === 'county' ? 'county' : `${scope.kind}:${scope.code}`;
}

export function describeRole(role: Role): string {
  return `${ROLE_LABELS[role]}（${role}）`;
}

export function describeScopeKinds(kinds: readonly ScopeKind[]): string {
  return kinds.map((kind) => (kind === 'county' ? 'county' : `${kind}:<编码>`)).join(' 或 ');
}

/** Where a value came from: a sheet (or CSV file, or JSON list) and its row (spreadsheet row number, header = 1). */
export interface Position {
  sheet: string;
  row: number;
}

/** One problem found in an import; all of them are reported at once. */
export interface DirectoryIssue {
  sheet: string;
  row: number;
  column?: string;
  reason: string;
}

/**
 * How many problems an answer lists: the first 100, in file order, and a count of the rest. A file with thousands of
 * bad rows (a wrong column mapping) would otherwise make an answer nobody reads; the first ones show what to fix.
 */
export const LISTED_ISSUES = 100;

/**
 * The problems to list, how many more there are, and the sentence saying so (empty when all are listed). `total` is
 * for a list already cut to its first ones (a worker thread sends back only those).
 */
export function listIssues(
  issues: DirectoryIssue[],
  total = issues.length,
): { listed: DirectoryIssue[]; more: number; moreText: string } {
  const more = Math.max(0, total - Math.min(issues.length, LISTED_ISSUES));
  return {
    listed: issues.slice(0, LISTED_ISSUES),
    more,
    moreText: more > 0 ? `另有 ${more.toLocaleString('en-US')} 处问题未列出` : '',
  };
}

/** Problems in file order: sheet by sheet in the order they were first mentioned, then by row. */
export function sortIssues(issues: DirectoryIssue[], sheets: string[] = []): DirectoryIssue[] {
  const sheetOrder = new Map<string, number>(sheets.map((name, i) => [name, i]));
  for (const issue of issues) if (!sheetOrder.has(issue.sheet)) sheetOrder.set(issue.sheet, sheetOrder.size);
  return [...issues].sort((a, b) => sheetOrder.get(a.sheet)! - sheetOrder.get(b.sheet)! || a.row - b.row);
}

export interface RegionEntry {
  at: Position;
  code: string;
  name: string;
  parent: string | null;
  /**
   * The township's group chat (oc_…): escalations @mention people there (and in sub-regions without their own).
   * Undefined (an empty cell, no column, no key) keeps the chat already set, e.g. by `绑定` in the group; null
   * (written 无 or none) removes it.
   */
  chatId: string | null | undefined;
}

export interface DepartmentEntry {
  at: Position;
  code: string;
  name: string;
  sectors: string[];
}

export interface RoleEntry {
  at: Position;
  /** The column names to cite when the role or scope is wrong. */
  roleColumn: string;
  scopeColumn: string;
  role: Role;
  scope: Scope;
}

export interface PersonEntry {
  at: Position;
  code: string;
  name: string;
  mobile: string | null;
  email: string | null;
  openId: string | null;
  roles: RoleEntry[];
  /** The optional fields the import carried (a column of the sheet, a key of the JSON): a merge keeps the others. */
  given: ReadonlySet<string>;
}

export interface EnterpriseEntry {
  at: Position;
  /** Column names by field, to cite in reference errors. */
  columns: Record<'code' | 'region' | 'department' | 'principal' | 'safetyOfficer', string>;
  code: string;
  name: string;
  creditCode: string | null;
  region: string;
  sectors: string[];
  department: string | null;
  principal: string | null;
  safetyOfficer: string | null;
  address: string | null;
  chatId: string | null;
  verified: boolean;
  /** The optional fields the import carried (a column of the sheet, a key of the JSON): a merge keeps the others. */
  given: ReadonlySet<string>;
}

/**
 * What could be read of a row that failed a field check: the values that passed, undefined where a check failed or
 * a required value is missing. Such rows are never applied, but their codes and references are still checked against
 * the rest of the import, so that every problem of a row is reported at once (a bad mobile and an unknown role scope).
 */
export type Draft<T extends { at: Position }, Kept extends keyof T = never> = Pick<T, 'at' | Kept> &
  Partial<Omit<T, 'at' | Kept>>;
export type RegionDraft = Draft<RegionEntry>;
export type DepartmentDraft = Draft<DepartmentEntry>;
export type EnterpriseDraft = Draft<EnterpriseEntry, 'columns' | 'given'>;
export type RoleDraft = Draft<RoleEntry, 'roleColumn' | 'scopeColumn'>;
export type PersonDraft = Draft<Omit<PersonEntry, 'roles'>, 'given'> & { roles: RoleDraft[] };

/** A whole import, parsed and checked field by field (references are checked later, against the database too). */
export interface DirectoryInput {
  /** The lists the import contains. A full import replaces these lists only; the others stay as they are. */
  present: ListName[];
  /** Rows that passed every field check: the ones an import applies. */
  regions: RegionEntry[];
  departments: DepartmentEntry[];
  people: PersonEntry[];
  enterprises: EnterpriseEntry[];
  /**
   * Rows with a field problem (already reported). Their codes count as listed, so references to them are not
   * reported a second time as unknown; their own references and codes are checked like the others'.
   */
  rejected: {
    regions: RegionDraft[];
    departments: DepartmentDraft[];
    people: PersonDraft[];
    enterprises: EnterpriseDraft[];
  };
}

export type ListName = 'regions' | 'departments' | 'people' | 'enterprises';

export function emptyInput(): DirectoryInput {
  return {
    present: [],
    regions: [],
    departments: [],
    people: [],
    enterprises: [],
    rejected: { regions: [], departments: [], people: [], enterprises: [] },
  };
}

export type ImportMode = 'replace' | 'merge';
