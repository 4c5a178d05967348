import {
  type DepartmentDraft,
  type DirectoryInput,
  type DirectoryIssue,
  type EnterpriseDraft,
  type ImportMode,
  type ListName,
  type PersonDraft,
  type Position,
  type RegionDraft,
  type ScopeKind,
  sortIssues,
} from './model.js';
import type { DirectoryState } from './state.js';

/**
 * Cross-entry checks: duplicate codes, references to regions / departments / people / enterprises that will not
 * exist after the import, and cycles in the region tree. "Will exist" depends on the mode: a full import (replace)
 * leaves only what the file lists (plus units reported in the field and not yet verified); a merge keeps everything
 * already active as well. Rows rejected field by field are checked too, with what could be read of them, so that a
 * row's field problems and its reference problems are reported together.
 */
export function validateReferences(input: DirectoryInput, state: DirectoryState, mode: ImportMode): DirectoryIssue[] {
  const issues: DirectoryIssue[] = [];
  collectReferenceIssues(input, state, mode, (issue) => issues.push(issue));
  return issues;
}

/**
 * validateReferences for a file that may have hundreds of thousands of problems: keeps only the first `keep` in file
 * order (`sheets`: the order of the file's sheets) and counts them all. Every problem kept, each with its own text,
 * took more memory than the parse worker has.
 */
export function firstReferenceIssues(
  input: DirectoryInput,
  state: DirectoryState,
  mode: ImportMode,
  options: { keep: number; sheets: string[] },
): { issues: DirectoryIssue[]; total: number } {
  let kept: DirectoryIssue[] = [];
  let total = 0;
  // Sorted and cut back whenever it holds four times what is kept: the first `keep` of all survive every cut.
  const trim = () => {
    kept = sortIssues(kept, options.sheets).slice(0, options.keep);
  };
  collectReferenceIssues(input, state, mode, (issue) => {
    total++;
    kept.push(issue);
    if (kept.length >= 4 * options.keep + 16) trim();
  });
  trim();
  return { issues: kept, total };
}

function collectReferenceIssues(
  input: DirectoryInput,
  state: DirectoryState,
  mode: ImportMode,
  sink: (issue: DirectoryIssue) => void,
): void {
  const add = (at: Position, column: string | undefined, reason: string) =>
    sink(column === undefined ? { ...at, reason } : { ...at, column, reason });

  const regions: RegionDraft[] = [...input.regions, ...input.rejected.regions];
  const departments: DepartmentDraft[] = [...input.departments, ...input.rejected.departments];
  const people: PersonDraft[] = [...input.people, ...input.rejected.people];
  const enterprises: EnterpriseDraft[] = [...input.enterprises, ...input.rejected.enterprises];

  const checkDuplicates = <T extends { at: Position; code?: string }>(entries: T[], label: string) => {
    const first = new Map<string, T>();
    for (const entry of entries) {
      if (entry.code === undefined) continue;
      const earlier = first.get(entry.code);
      if (earlier) add(entry.at, label, `${label} ${entry.code} 重复（${where(earlier.at, entry.at)}已有）`);
      else first.set(entry.code, entry);
    }
  };
  checkDuplicates(regions, '区域编码');
  checkDuplicates(departments, '部门编码');
  checkDuplicates(people, '人员编码');
  checkDuplicates(enterprises, '企业编码');

  const duplicateValues = <T extends { at: Position; code?: string }>(
    entries: T[],
    value: (entry: T) => string | null | undefined,
    column: string,
    label: string,
  ) => {
    const first = new Map<string, T>();
    for (const entry of entries) {
      const v = value(entry);
      if (v === null || v === undefined) continue;
      const earlier = first.get(v);
      if (earlier && earlier.code !== entry.code) {
        add(entry.at, column, `${label} ${v} 与 ${earlier.code}（${where(earlier.at, entry.at)}）相同`);
      } else if (!earlier) first.set(v, entry);
    }
  };
  duplicateValues(people, (p) => p.openId, 'openId', '飞书OpenID');
  duplicateValues(enterprises, (e) => e.creditCode, 'creditCode', '统一社会信用代码');

  // A merge keeps what is stored; so does a full import for the lists it does not contain.
  const keep = (list: ListName) => mode === 'merge' || !input.present.includes(list);
  const finalSet = <T extends { code?: string }>(
    listed: T[],
    stored: Map<string, { active: boolean }>,
    keep: (code: string) => boolean,
  ) => {
    const codes = new Set<string>();
    for (const entry of listed) if (entry.code !== undefined) codes.add(entry.code);
    for (const [code, row] of stored) if (row.active && keep(code)) codes.add(code);
    return codes;
  };
  const regionCodes = finalSet(regions, state.regions, () => keep('regions'));
  const departmentCodes = finalSet(departments, state.departments, () => keep('departments'));
  const personCodes = finalSet(people, state.people, () => keep('people'));
  const enterpriseCodes = finalSet(
    enterprises,
    state.enterprises,
    (code) => keep('enterprises') || state.enterprises.get(code)?.verified === false,
  );
  const known: Record<Exclude<ScopeKind, 'county'>, { codes: Set<string>; label: string }> = {
    region: { codes: regionCodes, label: '区域' },
    department: { codes: departmentCodes, label: '部门' },
    enterprise: { codes: enterpriseCodes, label: '企业' },
  };
  const listOf = { region: 'regions', department: 'departments', enterprise: 'enterprises', person: 'people' } as const;
  const notFound = (kind: keyof typeof listOf, label: string) =>
    keep(listOf[kind]) ? '名录和本文件中都没有' : `本文件的“${label}”表中没有`;
  // Where a code is expected, people often write the name: answer with the code to use.
  const byName = {
    region: namesToCodes(regions, state.regions, regionCodes),
    department: namesToCodes(departments, state.departments, departmentCodes),
    enterprise: namesToCodes(enterprises, state.enterprises, enterpriseCodes),
    person: namesToCodes(people, state.people, personCodes),
  };
  const codeHint = (kind: keyof typeof byName, value: string) => {
    const codes = byName[kind].get(value);
    if (!codes?.length) return '';
    return codes.length === 1
      ? `；“${value}”是名称，请填写它的编码 ${codes[0]}`
      : `；“${value}”是名称，同名的有 ${codes.join('、')}，请填写其中一个编码`;
  };
  const missing = (kind: Exclude<ScopeKind, 'county'>, code: string) =>
    `未知${known[kind].label} ${code}：${notFound(kind, known[kind].label)}${codeHint(kind, code)}`;

  for (const region of regions) {
    if (region.parent === null || region.parent === undefined) continue;
    if (region.parent === region.code) add(region.at, '上级区域', `区域 ${region.code} 的上级区域不能是它自己`);
    else if (!regionCodes.has(region.parent))
      add(region.at, '上级区域', `上级区域：${missing('region', region.parent)}`);
  }
  for (const cycle of findRegionCycles(regions, state, regionCodes)) {
    add(cycle.at, '上级区域', `区域的上下级关系成环：${cycle.path.join(' → ')}`);
  }

  for (const e of enterprises) {
    if (e.region !== undefined && !regionCodes.has(e.region)) {
      add(e.at, e.columns.region, `所属乡镇：${missing('region', e.region)}`);
    }
    if (e.department !== null && e.department !== undefined && !departmentCodes.has(e.department)) {
      add(e.at, e.columns.department, `主管部门：${missing('department', e.department)}`);
    }
    for (const [field, label] of [
      ['principal', '主要负责人'],
      ['safetyOfficer', '安全管理员'],
    ] as const) {
      const code = e[field];
      if (code !== null && code !== undefined && !personCodes.has(code)) {
        add(
          e.at,
          e.columns[field],
          `${label}是未知人员 ${code}：${notFound('person', '人员')}${codeHint('person', code)}`,
        );
      }
    }
  }

  for (const person of people) {
    const seen = new Set<string>();
    for (const role of person.roles) {
      // A role or scope that failed its own check is reported already; what is left of it is still looked up.
      if (role.scope === undefined) continue;
      const key = `${role.role}|${role.scope.kind}|${role.scope.code ?? ''}`;
      if (role.role !== undefined && seen.has(key)) {
        add(role.at, role.roleColumn, `人员 ${person.code ?? ''} 的角色重复列出`);
        continue;
      }
      seen.add(key);
      if (role.scope.kind !== 'county' && !known[role.scope.kind].codes.has(role.scope.code!)) {
        add(role.at, role.scopeColumn, `角色范围中的${missing(role.scope.kind, role.scope.code!)}`);
      }
    }
  }
}

/** Name → the codes of the entries with that name, among those the import will end with (the file's first). */
function namesToCodes(
  listed: { code?: string; name?: string }[],
  stored: Map<string, { name: string }>,
  finalCodes: Set<string>,
): Map<string, string[]> {
  const names = new Map<string, string[]>();
  const note = (name: string | undefined, code: string | undefined) => {
    if (!name || !code || !finalCodes.has(code)) return;
    const codes = names.get(name) ?? [];
    if (!codes.includes(code)) codes.push(code);
    names.set(name, codes);
  };
  for (const entry of listed) note(entry.name, entry.code);
  for (const [code, row] of stored) note(row.name, code);
  return names;
}

function where(earlier: Position, later: Position): string {
  return earlier.sheet === later.sheet ? `第 ${earlier.row} 行` : `${earlier.sheet} 第 ${earlier.row} 行`;
}

/** Each cycle in the region tree after the import, once, cited at the row of its first member in the file. */
function findRegionCycles(
  listedRegions: RegionDraft[],
  state: DirectoryState,
  regionCodes: Set<string>,
): { at: Position; path: string[] }[] {
  const parentOf = new Map<string, string | null>();
  for (const [code, row] of state.regions) {
    if (regionCodes.has(code)) {
      parentOf.set(code, row.parentId === null ? null : (state.codeOf.region.get(row.parentId) ?? null));
    }
  }
  const listed = new Map<string, RegionDraft>();
  for (const region of listedRegions) {
    if (region.code === undefined) continue;
    // A parent that failed its check is reported already; the row is read as having none.
    parentOf.set(region.code, region.parent ?? null);
    listed.set(region.code, region);
  }

  const reported = new Set<string>();
  const cycles: { at: Position; path: string[] }[] = [];
  for (const region of listed.values()) {
    const path: string[] = [];
    const index = new Map<string, number>();
    let current: string | null | undefined = region.code;
    while (current !== null && current !== undefined && !index.has(current) && !reported.has(current)) {
      index.set(current, path.length);
      path.push(current);
      current = parentOf.get(current);
    }
    if (current === null || current === undefined || reported.has(current)) continue;
    const members = path.slice(index.get(current));
    // Self-parenting is reported on its own, more plainly.
    if (members.length === 1) continue;
    for (const code of members) reported.add(code);
    const first = members.map((code) => listed.get(code)).find((entry) => entry !== undefined) ?? region;
    cycles.push({ at: first.at, path: [...members, members[0]!] });
  }
  return cycles;
}
